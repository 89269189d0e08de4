// SPDX-License-Identifier: LGPL-2.1-or-later
/* NFPUNCH_CMD_STATS_GET: module version and per-namespace counters. */
#include <errno.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

static struct nla_policy stats_policy[NFPUNCH_STATS_A_MAX + 1] = {
	[NFPUNCH_STATS_A_FLOWS] = { .type = NLA_U32 },
	[NFPUNCH_STATS_A_MAPPINGS] = { .type = NLA_U32 },
	[NFPUNCH_STATS_A_PROBES_SENT] = { .type = NLA_U64 },
	[NFPUNCH_STATS_A_THROTTLED] = { .type = NLA_U64 },
	[NFPUNCH_STATS_A_AUTH_FAILURES] = { .type = NLA_U64 },
	[NFPUNCH_STATS_A_UNKNOWN_FLOW] = { .type = NLA_U64 },
};

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

static int parse_stats(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct nlattr *st[NFPUNCH_STATS_A_MAX + 1];
	struct nfp_stats *out = arg;

	(void)nlh;
	if (!tb[NFPUNCH_A_VERSION] || !tb[NFPUNCH_A_STATS])
		return -EPROTO;
	if (nla_parse_nested(st, NFPUNCH_STATS_A_MAX, tb[NFPUNCH_A_STATS],
			     stats_policy) < 0)
		return -EPROTO;
	nla_strlcpy(out->version, tb[NFPUNCH_A_VERSION], sizeof(out->version));
	if (st[NFPUNCH_STATS_A_FLOWS])
		out->flows = nla_get_u32(st[NFPUNCH_STATS_A_FLOWS]);
	if (st[NFPUNCH_STATS_A_MAPPINGS])
		out->mappings = nla_get_u32(st[NFPUNCH_STATS_A_MAPPINGS]);
	out->probes_sent = get_u64(st, NFPUNCH_STATS_A_PROBES_SENT);
	out->throttled = get_u64(st, NFPUNCH_STATS_A_THROTTLED);
	out->auth_failures = get_u64(st, NFPUNCH_STATS_A_AUTH_FAILURES);
	out->unknown_flow = get_u64(st, NFPUNCH_STATS_A_UNKNOWN_FLOW);
	return 0;
}

int nfp_stats_get(struct nfp_handle *h, struct nfp_stats *st)
{
	memset(st, 0, sizeof(*st));
	return nfp_request(h, NFPUNCH_CMD_STATS_GET, 0, NULL, parse_stats, st);
}
