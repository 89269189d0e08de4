// SPDX-License-Identifier: LGPL-2.1-or-later
/* NFPUNCH_CMD_STATS_GET: module version and per-namespace counters. */
#include <errno.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

static const struct nla_policy stats_policy[NFPUNCH_STATS_A_MAX + 1] = {
	[NFPUNCH_STATS_A_FLOWS] = { .type = NLA_U32 },
};

static int parse_stats(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct nlattr *st[NFPUNCH_STATS_A_MAX + 1];
	struct nfp_stats *out = arg;

	(void)nlh;
	if (!tb[NFPUNCH_A_VERSION] || !tb[NFPUNCH_A_STATS])
		return -EPROTO;
	if (nla_parse_nested(st, NFPUNCH_STATS_A_MAX, tb[NFPUNCH_A_STATS],
			     (struct nla_policy *)stats_policy) < 0)
		return -EPROTO;
	nla_strlcpy(out->version, tb[NFPUNCH_A_VERSION], sizeof(out->version));
	if (st[NFPUNCH_STATS_A_FLOWS])
		out->flows = nla_get_u32(st[NFPUNCH_STATS_A_FLOWS]);
	return 0;
}

int nfp_stats_get(struct nfp_handle *h, struct nfp_stats *st)
{
	memset(st, 0, sizeof(*st));
	return nfp_request(h, NFPUNCH_CMD_STATS_GET, 0, NULL, parse_stats, st);
}
