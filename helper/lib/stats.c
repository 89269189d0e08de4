// SPDX-License-Identifier: LGPL-2.1-or-later
/* NFPUNCH_CMD_STATS_GET: module version and per-namespace counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

#define STATS_LAST NFP_STATS_TCP_PRIME_ICMP

struct nfp_stats {
	char version[32];
	uint64_t value[STATS_LAST + 1];
};

/* The kernel's attribute for each of ours. */
static const int stats_nl[] = {
	[NFP_STATS_FLOWS] = NFPUNCH_STATS_A_FLOWS,
	[NFP_STATS_MAPPINGS] = NFPUNCH_STATS_A_MAPPINGS,
	[NFP_STATS_PROBES_SENT] = NFPUNCH_STATS_A_PROBES_SENT,
	[NFP_STATS_THROTTLED] = NFPUNCH_STATS_A_THROTTLED,
	[NFP_STATS_AUTH_FAILURES] = NFPUNCH_STATS_A_AUTH_FAILURES,
	[NFP_STATS_UNKNOWN_FLOW] = NFPUNCH_STATS_A_UNKNOWN_FLOW,
	[NFP_STATS_TCP_PRIMES] = NFPUNCH_STATS_A_TCP_PRIMES,
	[NFP_STATS_TCP_PRIME_SYNS] = NFPUNCH_STATS_A_TCP_PRIME_SYNS,
	[NFP_STATS_TCP_PRIME_ICMP] = NFPUNCH_STATS_A_TCP_PRIME_ICMP,
};

NFP_EXPORT struct nfp_stats *nfp_stats_alloc(void)
{
	return calloc(1, sizeof(struct nfp_stats));
}

NFP_EXPORT void nfp_stats_free(struct nfp_stats *st)
{
	free(st);
}

NFP_EXPORT uint64_t nfp_stats_get_u64(const struct nfp_stats *st, int attr)
{
	return attr >= 1 && attr <= STATS_LAST ? st->value[attr] : 0;
}

NFP_EXPORT const char *nfp_stats_get_version(const struct nfp_stats *st)
{
	return st->version;
}

static struct nla_policy stats_policy[NFPUNCH_STATS_A_MAX + 1] = {
	[NFPUNCH_STATS_A_FLOWS] = { .type = NLA_U32 },
	[NFPUNCH_STATS_A_MAPPINGS] = { .type = NLA_U32 },
	[NFPUNCH_STATS_A_PROBES_SENT] = { .type = NLA_U64 },
	[NFPUNCH_STATS_A_THROTTLED] = { .type = NLA_U64 },
	[NFPUNCH_STATS_A_AUTH_FAILURES] = { .type = NLA_U64 },
	[NFPUNCH_STATS_A_UNKNOWN_FLOW] = { .type = NLA_U64 },
	[NFPUNCH_STATS_A_TCP_PRIMES] = { .type = NLA_U32 },
	[NFPUNCH_STATS_A_TCP_PRIME_SYNS] = { .type = NLA_U64 },
	[NFPUNCH_STATS_A_TCP_PRIME_ICMP] = { .type = NLA_U64 },
};

static int parse_stats(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct nlattr *st[NFPUNCH_STATS_A_MAX + 1];
	struct nfp_stats *out = arg;
	int i;

	(void)nlh;
	if (!tb[NFPUNCH_A_VERSION] || !tb[NFPUNCH_A_STATS])
		return -EPROTO;
	if (nla_parse_nested(st, NFPUNCH_STATS_A_MAX, tb[NFPUNCH_A_STATS],
			     stats_policy) < 0)
		return -EPROTO;
	nla_strlcpy(out->version, tb[NFPUNCH_A_VERSION], sizeof(out->version));
	for (i = 1; i <= STATS_LAST; i++) {
		struct nlattr *a = st[stats_nl[i]];

		if (a)	/* the policy made it a u32 or a u64 */
			out->value[i] = nla_len(a) == 4 ? nla_get_u32(a) : nla_get_u64(a);
	}
	return 0;
}

NFP_EXPORT int nfp_stats_fetch(struct nfp_handle *h, struct nfp_stats *st)
{
	memset(st, 0, sizeof(*st));
	return nfp_request(h, NFPUNCH_CMD_STATS_GET, 0, NULL, parse_stats, st);
}
