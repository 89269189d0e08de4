// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flow-batch - add N flows in one nfp_flow_add_batch() call, one of them
 * broken on purpose, and print what the library and the kernel said.
 *
 *   flow-batch LOCAL PEER N [--active] [--break K:HOW] [--raw]
 *
 * Flow i has secret i (so all differ), app tag 1000 + i, and LOCAL and
 * PEER as endpoints.
 * Flows are passive unless --active. --break K:HOW spoils flow K:
 *   family  its peer is of the other address family
 *   dup     it has flow 0's secret (same local endpoint and secret)
 *   nolocal no local endpoint at all
 * --raw sends the N flows as one FLOW_NEW_BATCH request, as no library
 * would (N may be 0, or above NFP_FLOW_BATCH_MAX).
 *
 * Prints "ok N distinct D ordered O" (D: how many different ids came
 * back, O: how many of them name the flow of their place, by its app tag) or
 * "error ERRNO failed K: MESSAGE" (K: the index the library reported);
 * exits 0 either way when it ran, 2 when it could not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/nfpunch.h>

#include "libnfpunch.h"
#include "../../helper/lib/internal.h"

#define CAP	1024

static struct nfp_flow *flows[CAP];
static uint32_t ids[CAP];

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct raw {
	unsigned long n;
};

static int build_raw(struct nl_msg *msg, void *arg)
{
	const struct raw *r = arg;
	unsigned long i;
	int ret;

	for (i = 0; i < r->n; i++) {
		ret = nfp_put_flow_new(msg, flows[i]);
		if (ret)
			return ret;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nfp_endpoint local, peer, other;
	const char *how = NULL;
	unsigned long n, i, k = 0, distinct, ordered;
	int active = 0, raw = 0, ret;
	struct nfp_handle *h;
	long failed = -1;
	uint8_t secret[16];

	if (argc < 4) {
		fputs("usage: flow-batch LOCAL PEER N [--active] [--break K:HOW] [--raw]\n",
		      stderr);
		return 2;
	}
	n = strtoul(argv[3], NULL, 10);
	for (i = 4; i < (unsigned long)argc; i++) {
		if (strcmp(argv[i], "--active") == 0) {
			active = 1;
		} else if (strcmp(argv[i], "--raw") == 0) {
			raw = 1;
		} else if (strcmp(argv[i], "--break") == 0 && i + 1 < (unsigned long)argc) {
			char *end;

			k = strtoul(argv[++i], &end, 10);
			if (*end != ':')
				return 2;
			how = end + 1;
		} else {
			return 2;
		}
	}
	if (n > CAP || nfp_endpoint_parse(argv[1], &local, 0) ||
	    nfp_endpoint_parse(argv[2], &peer, 0) ||
	    nfp_endpoint_parse(peer.family == AF_INET ? "[fd00::9]:5000" :
			       "198.51.100.9:5000", &other, 0)) {
		fputs("flow-batch: bad arguments\n", stderr);
		return 2;
	}
	for (i = 0; i < n; i++) {
		unsigned long s = i;

		if (how && i == k && strcmp(how, "dup") == 0)
			s = 0;
		memset(secret, 0, sizeof(secret));
		memcpy(secret, &s, sizeof(s));
		flows[i] = nfp_flow_alloc();
		if (!flows[i])
			return 2;
		if (!(how && i == k && strcmp(how, "nolocal") == 0))
			nfp_flow_set_endpoint(flows[i], NFP_FLOW_LOCAL, &local);
		nfp_flow_add_peer(flows[i], how && i == k &&
				  strcmp(how, "family") == 0 ? &other : &peer);
		nfp_flow_set_secret(flows[i], secret, sizeof(secret));
		nfp_flow_set_u32(flows[i], NFP_FLOW_ROLE, active ?
				 NFP_ROLE_CONTROLLING : NFP_ROLE_CONTROLLED);
		if (!active)
			nfp_flow_set_u32(flows[i], NFP_FLOW_FLAGS, NFP_FLOW_F_PASSIVE);
		nfp_flow_set_u32(flows[i], NFP_FLOW_APP_TAG, 1000 + i);
	}
	ret = nfp_open(&h);
	if (ret < 0) {
		fprintf(stderr, "flow-batch: %s\n", strerror(-ret));
		return 2;
	}
	if (raw) {
		struct raw r = { .n = n };

		ret = nfp_request_size(h, NFPUNCH_CMD_FLOW_NEW_BATCH, 0, 65000,
				       build_raw, NULL, &r);
	} else {
		ret = nfp_flow_add_batch(h, flows, n, ids, &failed);
	}
	if (ret < 0) {
		printf("error %s failed %ld: %s\n", strerrorname_np(-ret), failed,
		       nfp_strerror(h));
	} else {
		struct nfp_flow *got = nfp_flow_alloc();

		for (i = 0, ordered = 0; got && !raw && i < n; i++)
			ordered += nfp_flow_lookup(h, ids[i], got) == 0 &&
				   nfp_flow_get_u32(got, NFP_FLOW_APP_TAG) == 1000 + i;
		nfp_flow_free(got);
		qsort(ids, n, sizeof(ids[0]), cmp_u32);
		for (i = 0, distinct = 0; i < n; i++)
			distinct += ids[i] && (i == 0 || ids[i] != ids[i - 1]);
		printf("ok %lu distinct %lu ordered %lu\n", n, raw ? 0 : distinct,
		       ordered);
	}
	for (i = 0; i < n; i++)
		nfp_flow_free(flows[i]);
	nfp_close(h);
	return 0;
}
