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
	struct nfp_flow f, out;
	int len, ret;

	if (argc != 4) {
		fputs("Usage: owned-flow LOCAL PEER SECRET_HEX\n", stderr);
		return 2;
	}
	memset(&f, 0, sizeof(f));
	f.flags = NFP_FLOW_OWNED;
	f.n_peers = 1;
	if (nfp_endpoint_parse(argv[1], &f.local, 0) ||
	    nfp_endpoint_parse(argv[2], &f.peers[0], 0) ||
	    (len = nfp_secret_parse(argv[3], f.secret)) < 0) {
		fputs("owned-flow: bad argument\n", stderr);
		return 2;
	}
	f.secret_len = len;
	f.role = NFP_ROLE_CONTROLLING;
	ret = nfp_open(&h);
	if (ret < 0 || nfp_flow_add(h, &f, &out) < 0) {
		fprintf(stderr, "owned-flow: %s\n",
			ret < 0 ? strerror(-ret) : nfp_strerror(h));
		return 1;
	}
	printf("%u\n", out.id);
	fflush(stdout);
	while (getchar() != EOF)
		;
	return 0;	/* the handle is left open: exit closes the socket */
}
