// SPDX-License-Identifier: GPL-2.0
/* TCP prime commands: NFPUNCH_CMD_TCP_PRIME_NEW and _DEL (tcp_prime.h). */
#include <linux/nfpunch.h>

#include "netlink.h"
#include "netns.h"
#include "tcp_prime.h"

const struct nla_policy nfp_tcp_prime_policy[NFPUNCH_TCP_PRIME_A_MAX + 1] = {
	[NFPUNCH_TCP_PRIME_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[NFPUNCH_TCP_PRIME_A_LOCAL] = NLA_POLICY_NESTED(nfp_endpoint_policy),
	[NFPUNCH_TCP_PRIME_A_REMOTE] = NLA_POLICY_NESTED(nfp_endpoint_policy),
	[NFPUNCH_TCP_PRIME_A_TTL] = NLA_POLICY_MIN(NLA_U8, 1),
	[NFPUNCH_TCP_PRIME_A_TIME] = NLA_POLICY_RANGE(NLA_U32, 100,
						      NFPUNCH_TCP_PRIME_TIME_MAX),
};

static int nfp_parse_tcp_prime(struct genl_info *info, struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, NFPUNCH_A_TCP_PRIME))
		return -EINVAL;
	return nla_parse_nested(tb, NFPUNCH_TCP_PRIME_A_MAX,
				info->attrs[NFPUNCH_A_TCP_PRIME],
				nfp_tcp_prime_policy, info->extack);
}

static int nfp_tcp_prime_params(struct genl_info *info, struct nlattr **tb,
				struct nfp_tcp_prime_params *p)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[NFPUNCH_A_TCP_PRIME];
	struct nfp_nl_endpoint local, remote;
	int ret;

	if (tb[NFPUNCH_TCP_PRIME_A_ID]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_TCP_PRIME_A_ID],
				    "the prime id is chosen by the kernel");
		return -EINVAL;
	}
	if (!tb[NFPUNCH_TCP_PRIME_A_LOCAL] || !tb[NFPUNCH_TCP_PRIME_A_REMOTE] ||
	    !tb[NFPUNCH_TCP_PRIME_A_TTL]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "a TCP prime needs a local and a remote endpoint and a TTL");
		return -EINVAL;
	}
	ret = nfp_nl_get_local_far(info, tb[NFPUNCH_TCP_PRIME_A_LOCAL], &local,
				   tb[NFPUNCH_TCP_PRIME_A_REMOTE], &remote);
	if (ret)
		return ret;
	p->family = local.family;
	p->laddr = local.addr;
	p->raddr = remote.addr;
	p->lport = htons(local.port);
	p->rport = htons(remote.port);
	p->ttl = nla_get_u8(tb[NFPUNCH_TCP_PRIME_A_TTL]);
	p->time_ms = tb[NFPUNCH_TCP_PRIME_A_TIME] ?
		     nla_get_u32(tb[NFPUNCH_TCP_PRIME_A_TIME]) :
		     NFPUNCH_TCP_PRIME_TIME_DEFAULT;
	return 0;
}

int nfp_nl_tcp_prime_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct nlattr *tb[NFPUNCH_TCP_PRIME_A_MAX + 1], *nest;
	struct nfp_tcp_prime_params p;
	struct sk_buff *msg;
	void *hdr;
	int ret, id;

	ret = nfp_parse_tcp_prime(info, tb) ?:
	      nfp_tcp_prime_params(info, tb, &p);
	if (ret)
		return ret;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	id = nfp_tcp_prime_start(pn, &p, info->extack);
	if (id < 0) {
		nlmsg_free(msg);
		return id;
	}
	hdr = genlmsg_put_reply(msg, info, &nfp_genl_family, 0,
				NFPUNCH_CMD_TCP_PRIME_NEW);
	nest = hdr ? nla_nest_start(msg, NFPUNCH_A_TCP_PRIME) : NULL;
	if (!nest || nla_put_u32(msg, NFPUNCH_TCP_PRIME_A_ID, id)) {
		nlmsg_free(msg);
		nfp_tcp_prime_del(pn, id);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	/* Nobody could name it (no dump): it must not live on unseen. */
	ret = genlmsg_reply(msg, info);
	if (ret)
		nfp_tcp_prime_del(pn, id);
	return ret;
}

int nfp_nl_tcp_prime_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct nlattr *tb[NFPUNCH_TCP_PRIME_A_MAX + 1];
	int ret, i;

	ret = nfp_parse_tcp_prime(info, tb);
	if (ret)
		return ret;
	for (i = 1; i <= NFPUNCH_TCP_PRIME_A_MAX; i++) {
		if (tb[i] && i != NFPUNCH_TCP_PRIME_A_ID) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[i],
					    "delete takes a prime id only");
			return -EINVAL;
		}
	}
	if (!tb[NFPUNCH_TCP_PRIME_A_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[NFPUNCH_A_TCP_PRIME],
				    "delete needs the prime's id");
		return -EINVAL;
	}
	ret = nfp_tcp_prime_del(pn, nla_get_u32(tb[NFPUNCH_TCP_PRIME_A_ID]));
	if (ret)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[NFPUNCH_TCP_PRIME_A_ID],
				    "no TCP prime has this id (it may have ended)");
	return ret;
}
