// SPDX-License-Identifier: GPL-2.0
/*
 * The "nfpunch" generic netlink family: the only way in and out of the
 * module. Every command has its own policy, so an attribute it does not
 * take is an error, not silently ignored. Policies must match
 * uapi/nfpunch.yaml.
 */
#include <linux/inetdevice.h>
#include <linux/nfpunch.h>
#include <net/addrconf.h>
#include <net/genetlink.h>
#include <net/route.h>

#include "events.h"
#include "flow.h"
#include "mapping.h"
#include "netlink.h"
#include "netns.h"
#include "probe.h"
#include "version.h"

#define NFP_REPORTED(what) {					\
	.type = NLA_REJECT,					\
	.reject_message = what " is reported, not set",		\
}

/* Not const: this kernel's policy holds a plain pointer to ranges. */
static struct netlink_range_validation nfp_keepalive_range = {
	.min = 1000, .max = 3600000,
};
static struct netlink_range_validation nfp_timeout_range = {
	.min = 2000, .max = 86400000,
};
static struct netlink_range_validation nfp_punch_timeout_range = {
	.min = 500, .max = 600000,
};
static struct netlink_range_validation nfp_max_flows_range = {
	.min = 1, .max = 16777216,
};
static struct netlink_range_validation nfp_pps_range = {
	.min = 1, .max = 1000000,
};
static struct netlink_range_validation nfp_map_timeout_range = {
	.min = 100, .max = 60000,
};

const struct nla_policy nfp_endpoint_policy[NFPUNCH_EP_A_MAX + 1] = {
	[NFPUNCH_EP_A_IPV4] = { .type = NLA_BE32 },
	[NFPUNCH_EP_A_IPV6] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[NFPUNCH_EP_A_PORT] = NLA_POLICY_MIN(NLA_BE16, 1),
	[NFPUNCH_EP_A_PORT_MAX] = NLA_POLICY_MIN(NLA_BE16, 1),
};

const struct nla_policy nfp_flow_policy[NFPUNCH_FLOW_A_MAX + 1] = {
	[NFPUNCH_FLOW_A_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[NFPUNCH_FLOW_A_LOCAL] = NLA_POLICY_NESTED(nfp_endpoint_policy),
	[NFPUNCH_FLOW_A_PEER] = NLA_POLICY_NESTED(nfp_endpoint_policy),
	[NFPUNCH_FLOW_A_REMOTE] = NFP_REPORTED("the remote endpoint"),
	[NFPUNCH_FLOW_A_SECRET] = NLA_POLICY_RANGE(NLA_BINARY,
						   NFPUNCH_SECRET_MIN,
						   NFPUNCH_SECRET_MAX),
	[NFPUNCH_FLOW_A_KEEPALIVE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_keepalive_range),
	[NFPUNCH_FLOW_A_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_timeout_range),
	[NFPUNCH_FLOW_A_PUNCH_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_punch_timeout_range),
	[NFPUNCH_FLOW_A_PROBE_INTERVAL] = NLA_POLICY_RANGE(NLA_U32, 10, 10000),
	[NFPUNCH_FLOW_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, NFPUNCH_FLOW_F_OWNED |
						 NFPUNCH_FLOW_F_PASSIVE |
						 NFPUNCH_FLOW_F_CANDIDATE),
	[NFPUNCH_FLOW_A_STATE] = NLA_POLICY_RANGE(NLA_U8, NFPUNCH_STATE_PUNCHING,
						  NFPUNCH_STATE_MAX),
	[NFPUNCH_FLOW_A_DEAD_REASON] = NFP_REPORTED("the dead reason"),
	[NFPUNCH_FLOW_A_RTT] = NFP_REPORTED("the round trip time"),
	[NFPUNCH_FLOW_A_AGE] = NFP_REPORTED("the age"),
	[NFPUNCH_FLOW_A_ESTABLISH_TIME] = NFP_REPORTED("the establish time"),
	[NFPUNCH_FLOW_A_LAST_RX] = NFP_REPORTED("the last receive time"),
	[NFPUNCH_FLOW_A_LAST_TX] = NFP_REPORTED("the last send time"),
	[NFPUNCH_FLOW_A_COUNTERS] = NFP_REPORTED("a counter"),
	[NFPUNCH_FLOW_A_ROLE] = NLA_POLICY_RANGE(NLA_U8, NFPUNCH_ROLE_CONTROLLING,
						 NFPUNCH_ROLE_MAX),
	[NFPUNCH_FLOW_A_MARK] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_APP_TAG] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_PRIME_TTL] = NLA_POLICY_MIN(NLA_U8, 1),
	[NFPUNCH_FLOW_A_PRIME_TIME] = NLA_POLICY_RANGE(NLA_U32, 1,
						       NFPUNCH_PRIME_TIME_MAX),
	[NFPUNCH_FLOW_A_NOMINATE] = { .type = NLA_FLAG },
};

static const struct nla_policy nfp_mapping_policy[NFPUNCH_MAP_A_MAX + 1] = {
	[NFPUNCH_MAP_A_ID] = NFP_REPORTED("the query id"),
	[NFPUNCH_MAP_A_LOCAL] = NLA_POLICY_NESTED(nfp_endpoint_policy),
	[NFPUNCH_MAP_A_SERVER] = NLA_POLICY_NESTED(nfp_endpoint_policy),
	[NFPUNCH_MAP_A_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_map_timeout_range),
	[NFPUNCH_MAP_A_MAPPED] = NFP_REPORTED("the mapped endpoint"),
	[NFPUNCH_MAP_A_ERROR] = NFP_REPORTED("the error"),
	[NFPUNCH_MAP_A_STUN_ERROR] = NFP_REPORTED("the STUN error"),
	[NFPUNCH_MAP_A_RTT] = NFP_REPORTED("the round trip time"),
	[NFPUNCH_MAP_A_MARK] = { .type = NLA_U32 },
};

static const struct nla_policy nfp_config_policy[NFPUNCH_CFG_A_MAX + 1] = {
	[NFPUNCH_CFG_A_MAX_FLOWS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_max_flows_range),
	[NFPUNCH_CFG_A_PPS] = NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_pps_range),
	[NFPUNCH_CFG_A_KEEPALIVE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_keepalive_range),
	[NFPUNCH_CFG_A_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_timeout_range),
	[NFPUNCH_CFG_A_PUNCH_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &nfp_punch_timeout_range),
	[NFPUNCH_CFG_A_PROBE_INTERVAL] = NLA_POLICY_RANGE(NLA_U32, 10, 10000),
};

/* Requests without input: anything they carry is an error. */
static const struct nla_policy nfp_no_input_policy[NFPUNCH_A_MAX + 1] = {
	[NFPUNCH_A_VERSION] = NFP_REPORTED("the version"),
	[NFPUNCH_A_STATS] = NFP_REPORTED("statistics"),
	[NFPUNCH_A_EVENT] = NFP_REPORTED("an event"),
};

static const struct nla_policy nfp_flow_cmd_policy[NFPUNCH_A_MAX + 1] = {
	[NFPUNCH_A_VERSION] = NFP_REPORTED("the version"),
	[NFPUNCH_A_STATS] = NFP_REPORTED("statistics"),
	[NFPUNCH_A_EVENT] = NFP_REPORTED("an event"),
	[NFPUNCH_A_FLOW] = NLA_POLICY_NESTED(nfp_flow_policy),
};

static const struct nla_policy nfp_mapping_cmd_policy[NFPUNCH_A_MAX + 1] = {
	[NFPUNCH_A_VERSION] = NFP_REPORTED("the version"),
	[NFPUNCH_A_STATS] = NFP_REPORTED("statistics"),
	[NFPUNCH_A_EVENT] = NFP_REPORTED("an event"),
	[NFPUNCH_A_MAPPING] = NLA_POLICY_NESTED(nfp_mapping_policy),
};

static const struct nla_policy nfp_tcp_prime_cmd_policy[NFPUNCH_A_MAX + 1] = {
	[NFPUNCH_A_VERSION] = NFP_REPORTED("the version"),
	[NFPUNCH_A_STATS] = NFP_REPORTED("statistics"),
	[NFPUNCH_A_EVENT] = NFP_REPORTED("an event"),
	[NFPUNCH_A_TCP_PRIME] = NLA_POLICY_NESTED(nfp_tcp_prime_policy),
};

static const struct nla_policy nfp_config_cmd_policy[NFPUNCH_A_MAX + 1] = {
	[NFPUNCH_A_VERSION] = NFP_REPORTED("the version"),
	[NFPUNCH_A_STATS] = NFP_REPORTED("statistics"),
	[NFPUNCH_A_EVENT] = NFP_REPORTED("an event"),
	[NFPUNCH_A_CONFIG] = NLA_POLICY_NESTED(nfp_config_policy),
};

int nfp_nl_get_endpoint(const struct nlattr *nest, struct nfp_nl_endpoint *ep,
			bool range_ok, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NFPUNCH_EP_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, NFPUNCH_EP_A_MAX, nest, nfp_endpoint_policy,
			       extack);
	if (ret)
		return ret;
	memset(ep, 0, sizeof(*ep));
	if (!!tb[NFPUNCH_EP_A_IPV4] == !!tb[NFPUNCH_EP_A_IPV6]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "an endpoint needs exactly one of an IPv4 or an IPv6 address");
		return -EINVAL;
	}
	if (!tb[NFPUNCH_EP_A_PORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "an endpoint needs a port");
		return -EINVAL;
	}
	if (tb[NFPUNCH_EP_A_IPV4]) {
		ep->family = NFPROTO_IPV4;
		ep->addr.ip = nla_get_in_addr(tb[NFPUNCH_EP_A_IPV4]);
		if (ipv4_is_zeronet(ep->addr.ip) ||
		    ipv4_is_multicast(ep->addr.ip) ||
		    ipv4_is_lbcast(ep->addr.ip)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_EP_A_IPV4],
					    "not a unicast address");
			return -EINVAL;
		}
	} else {
		ep->family = NFPROTO_IPV6;
		ep->addr.in6 = nla_get_in6_addr(tb[NFPUNCH_EP_A_IPV6]);
		if (ipv6_addr_any(&ep->addr.in6) ||
		    ipv6_addr_is_multicast(&ep->addr.in6) ||
		    ipv6_addr_v4mapped(&ep->addr.in6) ||
		    (ipv6_addr_type(&ep->addr.in6) & IPV6_ADDR_LINKLOCAL)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_EP_A_IPV6],
					    "not a global or unique local unicast address");
			return -EINVAL;
		}
	}
	ep->port = ntohs(nla_get_be16(tb[NFPUNCH_EP_A_PORT]));
	ep->port_max = ep->port;
	if (tb[NFPUNCH_EP_A_PORT_MAX]) {
		if (!range_ok) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_EP_A_PORT_MAX],
					    "only peers take a port range");
			return -EINVAL;
		}
		ep->port_max = ntohs(nla_get_be16(tb[NFPUNCH_EP_A_PORT_MAX]));
		if (ep->port_max < ep->port) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_EP_A_PORT_MAX],
					    "port range ends before it starts");
			return -EINVAL;
		}
	}
	return 0;
}

int nfp_nl_get_local_far(struct genl_info *info, const struct nlattr *la,
			 struct nfp_nl_endpoint *local,
			 const struct nlattr *fa, struct nfp_nl_endpoint *far)
{
	struct netlink_ext_ack *extack = info->extack;
	int ret;

	ret = nfp_nl_get_endpoint(la, local, false, extack) ?:
	      nfp_nl_get_endpoint(fa, far, false, extack);
	if (ret)
		return ret;
	if (local->family != far->family) {
		NL_SET_ERR_MSG_ATTR(extack, fa,
				    "not the local endpoint's address family");
		return -EAFNOSUPPORT;
	}
	if (!nfp_nl_local_address(genl_info_net(info), local)) {
		NL_SET_ERR_MSG_ATTR(extack, la,
				    "local address is not an address of this host");
		return -EADDRNOTAVAIL;
	}
	return 0;
}

int nfp_nl_put_endpoint(struct sk_buff *msg, int type, u8 family,
			const union nf_inet_addr *addr, __be16 port)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest)
		return -EMSGSIZE;
	if ((family == NFPROTO_IPV4 ?
	     nla_put_in_addr(msg, NFPUNCH_EP_A_IPV4, addr->ip) :
	     nla_put_in6_addr(msg, NFPUNCH_EP_A_IPV6, &addr->in6)) ||
	    nla_put_be16(msg, NFPUNCH_EP_A_PORT, port)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

bool nfp_nl_local_address(struct net *net, const struct nfp_nl_endpoint *ep)
{
	if (ep->family == NFPROTO_IPV4)
		return inet_addr_type(net, ep->addr.ip) == RTN_LOCAL;
	return ipv6_chk_addr(net, &ep->addr.in6, NULL, 0);
}

static int nfp_put_stats(struct sk_buff *msg, struct nfp_net *pn)
{
	struct nlattr *nest;

	nest = nla_nest_start(msg, NFPUNCH_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, NFPUNCH_STATS_A_FLOWS,
			atomic_read(&pn->flows_alive)) ||
	    nla_put_u64_64bit(msg, NFPUNCH_STATS_A_PROBES_SENT,
			      atomic64_read(&pn->probes_sent),
			      NFPUNCH_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, NFPUNCH_STATS_A_THROTTLED,
			      atomic64_read(&pn->throttled),
			      NFPUNCH_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, NFPUNCH_STATS_A_AUTH_FAILURES,
			      atomic64_read(&pn->auth_failures),
			      NFPUNCH_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, NFPUNCH_STATS_A_UNKNOWN_FLOW,
			      atomic64_read(&pn->unknown_flow),
			      NFPUNCH_STATS_A_PAD) ||
	    nla_put_u32(msg, NFPUNCH_STATS_A_MAPPINGS,
			atomic_read(&pn->mappings_pending)) ||
	    nla_put_u32(msg, NFPUNCH_STATS_A_TCP_PRIMES,
			atomic_read(&pn->tcp_primes_alive)) ||
	    nla_put_u64_64bit(msg, NFPUNCH_STATS_A_TCP_PRIME_SYNS,
			      atomic64_read(&pn->tcp_prime_syns),
			      NFPUNCH_STATS_A_PAD) ||
	    nla_put_u64_64bit(msg, NFPUNCH_STATS_A_TCP_PRIME_ICMP,
			      atomic64_read(&pn->tcp_prime_icmp),
			      NFPUNCH_STATS_A_PAD)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int nfp_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &nfp_genl_family, 0,
				NFPUNCH_CMD_STATS_GET);
	if (!hdr ||
	    nla_put_string(msg, NFPUNCH_A_VERSION, NFPUNCH_VERSION) ||
	    nfp_put_stats(msg, pn)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int nfp_put_config(struct sk_buff *msg, const struct nfp_config *cfg)
{
	struct nlattr *nest = nla_nest_start(msg, NFPUNCH_A_CONFIG);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, NFPUNCH_CFG_A_MAX_FLOWS, cfg->max_flows) ||
	    nla_put_u32(msg, NFPUNCH_CFG_A_PPS, cfg->pps) ||
	    nla_put_u32(msg, NFPUNCH_CFG_A_KEEPALIVE, cfg->keepalive_ms) ||
	    nla_put_u32(msg, NFPUNCH_CFG_A_TIMEOUT, cfg->timeout_ms) ||
	    nla_put_u32(msg, NFPUNCH_CFG_A_PUNCH_TIMEOUT,
			cfg->punch_timeout_ms) ||
	    nla_put_u32(msg, NFPUNCH_CFG_A_PROBE_INTERVAL,
			cfg->probe_interval_ms)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int nfp_config_reply(struct genl_info *info, u8 cmd,
			    const struct nfp_config *cfg)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &nfp_genl_family, 0, cmd);
	if (!hdr || nfp_put_config(msg, cfg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int nfp_nl_config_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct nfp_config cfg;

	spin_lock_bh(&pn->lock);
	cfg = pn->cfg;
	spin_unlock_bh(&pn->lock);
	return nfp_config_reply(info, NFPUNCH_CMD_CONFIG_GET, &cfg);
}

static void nfp_cfg_u32(struct nlattr **tb, int type, u32 *val)
{
	if (tb[type])
		*val = nla_get_u32(tb[type]);
}

static int nfp_nl_config_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct nlattr *tb[NFPUNCH_CFG_A_MAX + 1];
	struct nfp_config cfg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, NFPUNCH_A_CONFIG))
		return -EINVAL;
	ret = nla_parse_nested(tb, NFPUNCH_CFG_A_MAX, info->attrs[NFPUNCH_A_CONFIG],
			       nfp_config_policy, info->extack);
	if (ret)
		return ret;

	spin_lock_bh(&pn->lock);
	cfg = pn->cfg;
	nfp_cfg_u32(tb, NFPUNCH_CFG_A_MAX_FLOWS, &cfg.max_flows);
	nfp_cfg_u32(tb, NFPUNCH_CFG_A_PPS, &cfg.pps);
	/*
	 * Resource limits go down for anyone with CAP_NET_ADMIN over the
	 * namespace, up only for the host's admin: a user namespace must
	 * not lift what bounds its memory and its packets.
	 */
	if ((cfg.max_flows > pn->cfg.max_flows || cfg.pps > pn->cfg.pps) &&
	    !netlink_capable(skb, CAP_NET_ADMIN)) {
		spin_unlock_bh(&pn->lock);
		NL_SET_ERR_MSG(info->extack,
			       "only the initial user namespace may raise max-flows or pps");
		return -EPERM;
	}
	nfp_cfg_u32(tb, NFPUNCH_CFG_A_KEEPALIVE, &cfg.keepalive_ms);
	nfp_cfg_u32(tb, NFPUNCH_CFG_A_TIMEOUT, &cfg.timeout_ms);
	nfp_cfg_u32(tb, NFPUNCH_CFG_A_PUNCH_TIMEOUT, &cfg.punch_timeout_ms);
	nfp_cfg_u32(tb, NFPUNCH_CFG_A_PROBE_INTERVAL, &cfg.probe_interval_ms);
	if (cfg.keepalive_ms >= cfg.timeout_ms) {
		spin_unlock_bh(&pn->lock);
		NL_SET_ERR_MSG(info->extack,
			       "the default keepalive must be shorter than the default timeout");
		return -EINVAL;
	}
	/* Lowering max-flows below the current count only stops new flows. */
	WRITE_ONCE(pn->cfg.max_flows, cfg.max_flows);
	WRITE_ONCE(pn->cfg.pps, cfg.pps);
	WRITE_ONCE(pn->cfg.keepalive_ms, cfg.keepalive_ms);
	WRITE_ONCE(pn->cfg.timeout_ms, cfg.timeout_ms);
	WRITE_ONCE(pn->cfg.punch_timeout_ms, cfg.punch_timeout_ms);
	WRITE_ONCE(pn->cfg.probe_interval_ms, cfg.probe_interval_ms);
	spin_unlock_bh(&pn->lock);
	return nfp_config_reply(info, NFPUNCH_CMD_CONFIG_SET, &cfg);
}

static int nfp_nl_mapping_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[NFPUNCH_MAP_A_MAX + 1], *nest;
	struct nfp_nl_endpoint local, server;
	u32 timeout_ms = 3000, mark = 0;
	struct sk_buff *msg;
	void *hdr;
	int ret, id;

	if (GENL_REQ_ATTR_CHECK(info, NFPUNCH_A_MAPPING))
		return -EINVAL;
	nest = info->attrs[NFPUNCH_A_MAPPING];
	ret = nla_parse_nested(tb, NFPUNCH_MAP_A_MAX, nest, nfp_mapping_policy,
			       extack);
	if (ret)
		return ret;
	if (!tb[NFPUNCH_MAP_A_LOCAL] || !tb[NFPUNCH_MAP_A_SERVER]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "a mapping query needs a local and a server endpoint");
		return -EINVAL;
	}
	ret = nfp_nl_get_local_far(info, tb[NFPUNCH_MAP_A_LOCAL], &local,
				   tb[NFPUNCH_MAP_A_SERVER], &server);
	if (ret)
		return ret;
	if (tb[NFPUNCH_MAP_A_TIMEOUT])
		timeout_ms = nla_get_u32(tb[NFPUNCH_MAP_A_TIMEOUT]);
	if (tb[NFPUNCH_MAP_A_MARK])
		mark = nla_get_u32(tb[NFPUNCH_MAP_A_MARK]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	id = nfp_mapping_start(pn, local.family, &local.addr, htons(local.port),
			       &server.addr, htons(server.port), timeout_ms,
			       mark, extack);
	if (id < 0) {
		nlmsg_free(msg);
		return id;
	}
	/* The query runs now; a lost reply still leaves its notification. */
	hdr = genlmsg_put_reply(msg, info, &nfp_genl_family, 0,
				NFPUNCH_CMD_MAPPING_GET);
	nest = hdr ? nla_nest_start(msg, NFPUNCH_A_MAPPING) : NULL;
	if (!nest || nla_put_u32(msg, NFPUNCH_MAP_A_ID, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct genl_ops nfp_genl_ops[] = {
	{
		.cmd = NFPUNCH_CMD_STATS_GET,
		.doit = nfp_nl_stats_get,
		.policy = nfp_no_input_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_FLOW_NEW,
		.doit = nfp_nl_flow_new,
		.policy = nfp_flow_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_FLOW_NEW_BATCH,
		.doit = nfp_nl_flow_new_batch,
		.policy = nfp_flow_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_FLOW_DEL,
		.doit = nfp_nl_flow_del,
		.policy = nfp_flow_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_FLOW_GET,
		.doit = nfp_nl_flow_get,
		.start = nfp_nl_flow_dump_start,
		.dumpit = nfp_nl_flow_dump,
		.done = nfp_nl_flow_dump_done,
		.policy = nfp_flow_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_FLOW_SET,
		.doit = nfp_nl_flow_set,
		.policy = nfp_flow_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_MAPPING_GET,
		.doit = nfp_nl_mapping_get,
		.policy = nfp_mapping_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_TCP_PRIME_NEW,
		.doit = nfp_nl_tcp_prime_new,
		.policy = nfp_tcp_prime_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_TCP_PRIME_DEL,
		.doit = nfp_nl_tcp_prime_del,
		.policy = nfp_tcp_prime_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_CONFIG_GET,
		.doit = nfp_nl_config_get,
		.policy = nfp_no_input_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = NFPUNCH_CMD_CONFIG_SET,
		.doit = nfp_nl_config_set,
		.policy = nfp_config_cmd_policy,
		.maxattr = NFPUNCH_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

enum nfp_mcgrp {
	NFP_MCGRP_EVENTS,
};

static const struct genl_multicast_group nfp_mcgrps[] = {
	[NFP_MCGRP_EVENTS] = {
		.name = NFPUNCH_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * resv_start_op is 0: every command gets strict validation of the header
 * and of its attributes, as new families should.
 */
struct genl_family nfp_genl_family __ro_after_init = {
	.name = NFPUNCH_GENL_NAME,
	.version = NFPUNCH_GENL_VERSION,
	.maxattr = NFPUNCH_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = nfp_genl_ops,
	.n_ops = ARRAY_SIZE(nfp_genl_ops),
	.mcgrps = nfp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(nfp_mcgrps),
	.resv_start_op = 0,
};

/*
 * Cleared before the family goes away at unload, while timers of flows
 * still being torn down may fire: they then send nothing. Readers are
 * timers and the packet path (softirq: RCU readers), or hold rcu_read_lock.
 */
static bool nfp_genl_live;

static void nfp_event_send(struct net *net, struct sk_buff *msg)
{
	rcu_read_lock();
	if (READ_ONCE(nfp_genl_live))
		genlmsg_multicast_netns(&nfp_genl_family, net, msg, 0,
					NFP_MCGRP_EVENTS, GFP_ATOMIC);
	else
		nlmsg_free(msg);
	rcu_read_unlock();
}

void nfp_event_flow(struct nfp_flow *flow, u8 event)
{
	struct net *net = flow->pn->net;
	struct sk_buff *msg;

	if (!genl_has_listeners(&nfp_genl_family, net, NFP_MCGRP_EVENTS))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	if (nfp_nl_fill_flow(msg, flow, 0, 0, 0, NFPUNCH_CMD_FLOW_NTF, event,
			     NULL)) {
		nlmsg_free(msg);
		return;
	}
	nfp_event_send(net, msg);
}

void nfp_event_mapping(struct nfp_mapping *m)
{
	const struct nfp_mapping_result *res = &m->res;
	struct net *net = m->pn->net;
	union nf_inet_addr mapped;
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&nfp_genl_family, net, NFP_MCGRP_EVENTS))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &nfp_genl_family, 0,
			  NFPUNCH_CMD_MAPPING_NTF);
	nest = hdr ? nla_nest_start(msg, NFPUNCH_A_MAPPING) : NULL;
	if (!nest ||
	    nla_put_u32(msg, NFPUNCH_MAP_A_ID, m->id) ||
	    nfp_nl_put_endpoint(msg, NFPUNCH_MAP_A_LOCAL, m->family, &m->laddr,
				m->lport) ||
	    nfp_nl_put_endpoint(msg, NFPUNCH_MAP_A_SERVER, m->family,
				&m->saddr, m->sport) ||
	    (m->mark && nla_put_u32(msg, NFPUNCH_MAP_A_MARK, m->mark)))
		goto err;
	if (res->error) {
		if (nla_put_u32(msg, NFPUNCH_MAP_A_ERROR, res->error) ||
		    (res->stun_error &&
		     nla_put_u16(msg, NFPUNCH_MAP_A_STUN_ERROR, res->stun_error)))
			goto err;
	} else {
		memset(&mapped, 0, sizeof(mapped));
		memcpy(&mapped, res->mapped.ip,
		       res->mapped.family == STUN_AF_IPV4 ? 4 : 16);
		if (nfp_nl_put_endpoint(msg, NFPUNCH_MAP_A_MAPPED,
					res->mapped.family == STUN_AF_IPV4 ?
					NFPROTO_IPV4 : NFPROTO_IPV6,
					&mapped, htons(res->mapped.port)))
			goto err;
	}
	if ((!res->error || res->stun_error) && res->rtt_us)
		if (nla_put_u32(msg, NFPUNCH_MAP_A_RTT, res->rtt_us))
			goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	nfp_event_send(net, msg);
	return;
err:
	nlmsg_free(msg);
}

static bool nfp_flow_owned_by(const struct nfp_flow *flow, const void *portid)
{
	return flow->owner == *(const u32 *)portid;
}

/* Owned flows die with the netlink socket that created them. */
static int nfp_netlink_notify(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	struct netlink_notify *n = data;
	struct nfp_net *pn;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	pn = nfp_pernet(n->net);
	if (atomic_read(&pn->owned))
		nfp_flow_remove_if(pn, nfp_flow_owned_by, &n->portid, true);
	return NOTIFY_DONE;
}

static struct notifier_block nfp_netlink_notifier = {
	.notifier_call = nfp_netlink_notify,
};

int __init nfp_genl_init(void)
{
	int ret;

	ret = netlink_register_notifier(&nfp_netlink_notifier);
	if (ret)
		return ret;
	ret = genl_register_family(&nfp_genl_family);
	if (ret) {
		netlink_unregister_notifier(&nfp_netlink_notifier);
		return ret;
	}
	WRITE_ONCE(nfp_genl_live, true);
	return 0;
}

void nfp_genl_uninit(void)
{
	WRITE_ONCE(nfp_genl_live, false);
	/* No event is being sent once every reader saw the flag. */
	synchronize_rcu();
	genl_unregister_family(&nfp_genl_family);
	netlink_unregister_notifier(&nfp_netlink_notifier);
}
