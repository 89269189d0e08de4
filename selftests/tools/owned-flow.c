// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * owned-flow - add a flow owned by this process's netlink socket, print
 * its id, then wait for end of input and exit without deleting it. The
 * kernel must remove the flow when the socket goes away, however the
 * process ends.
 *
 *   owned-flow LOCAL PEER SECRET_HEX
 */
#include <stdio.h>
#include <string.h>

#include "libnfpunch.h"

/* Global on purpose: it stays open until exit, and is no leak. */
static struct nfp_handle *h;

int main(int argc, char **argv)
{
	struct nfp_flow *f = nfp_flow_alloc(), *out = nfp_flow_alloc();
	struct nfp_endpoint local, peer;
	uint8_t secret[NFP_SECRET_MAX];
	int len, ret;

	if (argc != 4) {
		fputs("Usage: owned-flow LOCAL PEER SECRET_HEX\n", stderr);
		return 2;
	}
	if (!f || !out || nfp_endpoint_parse(argv[1], &local, 0) ||
	    nfp_endpoint_parse(argv[2], &peer, 0) ||
	    (len = nfp_secret_parse(argv[3], secret, sizeof(secret))) < 0) {
		fputs("owned-flow: bad argument\n", stderr);
		return 2;
	}
	nfp_flow_set_u32(f, NFP_FLOW_FLAGS, NFP_FLOW_F_OWNED);
	nfp_flow_set_u32(f, NFP_FLOW_ROLE, NFP_ROLE_CONTROLLING);
	nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &local);
	nfp_flow_add_peer(f, &peer);
	nfp_flow_set_secret(f, secret, len);
	ret = nfp_open(&h);
	if (ret < 0 || nfp_flow_add(h, f, out) < 0) {
		fprintf(stderr, "owned-flow: %s\n",
			ret < 0 ? strerror(-ret) : nfp_strerror(h));
		return 1;
	}
	printf("%u\n", nfp_flow_get_u32(out, NFP_FLOW_ID));
	nfp_flow_free(f);
	nfp_flow_free(out);
	fflush(stdout);
	while (getchar() != EOF)
		;
	return 0;	/* the handle is left open: exit closes the socket */
}
