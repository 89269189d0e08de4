// SPDX-License-Identifier: GPL-2.0
/*
 * The "nfpunch" generic netlink family: the only way in and out of the
 * module. Policies here must match uapi/nfpunch.yaml.
 */
#include <net/genetlink.h>
#include <linux/nfpunch.h>

#include "netlink.h"
#include "netns.h"
#include "version.h"

static const struct nla_policy nfp_attr_policy[NFPUNCH_A_MAX + 1] = {
	[NFPUNCH_A_VERSION] = {
		.type = NLA_REJECT,
		.reject_message = "the version is reported, not set",
	},
	[NFPUNCH_A_STATS] = {
		.type = NLA_REJECT,
		.reject_message = "statistics are reported, not set",
	},
};

static struct genl_family nfp_genl_family;

static int nfp_put_stats(struct sk_buff *msg, struct nfp_net *nn)
{
	struct nlattr *nest;

	nest = nla_nest_start(msg, NFPUNCH_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, NFPUNCH_STATS_A_FLOWS, atomic_read(&nn->flows))) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int nfp_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *nn = nfp_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &nfp_genl_family, 0,
				NFPUNCH_CMD_STATS_GET);
	if (!hdr ||
	    nla_put_string(msg, NFPUNCH_A_VERSION, NFPUNCH_VERSION) ||
	    nfp_put_stats(msg, nn)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_small_ops nfp_genl_ops[] = {
	{
		.cmd = NFPUNCH_CMD_STATS_GET,
		.doit = nfp_nl_stats_get,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/*
 * resv_start_op is 0: every command gets strict validation of the header
 * and of its attributes, as new families should.
 */
static struct genl_family nfp_genl_family __ro_after_init = {
	.name = NFPUNCH_GENL_NAME,
	.version = NFPUNCH_GENL_VERSION,
	.maxattr = NFPUNCH_A_MAX,
	.policy = nfp_attr_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = nfp_genl_ops,
	.n_small_ops = ARRAY_SIZE(nfp_genl_ops),
	.resv_start_op = 0,
};

int __init nfp_genl_init(void)
{
	return genl_register_family(&nfp_genl_family);
}

void nfp_genl_uninit(void)
{
	genl_unregister_family(&nfp_genl_family);
}
