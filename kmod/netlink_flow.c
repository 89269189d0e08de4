// SPDX-License-Identifier: GPL-2.0
/* Flow commands of the nfpunch family: new, del, get, dump, set. */
#include <linux/jiffies.h>
#include <linux/nfpunch.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "crypto.h"
#include "flow.h"
#include "netlink.h"

static int nfp_parse_flow(struct genl_info *info, struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, NFPUNCH_A_FLOW)) {
		NL_SET_ERR_MSG(info->extack, "the request needs a flow attribute");
		return -EINVAL;
	}
	return nla_parse_nested(tb, NFPUNCH_FLOW_A_MAX,
				info->attrs[NFPUNCH_A_FLOW], nfp_flow_policy,
				info->extack);
}

/*
 * The keys (from SECRET and ROLE) and the PEER candidates of a new flow;
 * the tag of the peer's requests goes to in_tag.
 */
static struct nfp_peer *nfp_parse_peer(const struct nlattr *flow_nest,
				       const struct nlattr *secret, u8 role,
				       u8 family, u8 in_tag[NFP_TAG_LEN],
				       struct netlink_ext_ack *extack)
{
	struct nfp_nl_endpoint ep;
	struct nfp_hmac_key hk;
	struct punch_keys keys;
	struct nfp_peer *peer;
	const struct nlattr *a;
	int rem, n = 0, ret;

	nla_for_each_nested(a, flow_nest, rem)
		if (nla_type(a) == NFPUNCH_FLOW_A_PEER)
			n++;
	if (!n) {
		NL_SET_ERR_MSG_ATTR(extack, flow_nest, "a flow needs at least one peer");
		return ERR_PTR(-EINVAL);
	}
	if (n > NFP_MAX_PEERS) {
		NL_SET_ERR_MSG_ATTR(extack, flow_nest, "too many peers (at most 32)");
		return ERR_PTR(-E2BIG);
	}
	peer = kzalloc(struct_size(peer, c, n), GFP_KERNEL_ACCOUNT);
	if (!peer)
		return ERR_PTR(-ENOMEM);
	/*
	 * The policy bounds the length to NFPUNCH_SECRET_MIN..MAX. Four
	 * labels under one secret: its pads are hashed once (crypto.c).
	 */
	nfp_hmac_key_init(&hk, nla_data(secret), nla_len(secret));
	ret = punch_keys_derive(&keys, nla_data(secret), nla_len(secret),
				role, nfp_hmac_sha1, &hk);
	nfp_hmac_key_clear(&hk);
	peer->out = keys.out;
	memcpy(peer->in_key, keys.in.key, PUNCH_KEY_LEN);
	memcpy(in_tag, keys.in.tag, NFP_TAG_LEN);
	memzero_explicit(&keys, sizeof(keys));
	if (ret) {
		NL_SET_ERR_MSG_ATTR(extack, secret, "cannot derive the keys");
		ret = -EINVAL;
		goto err;
	}

	nla_for_each_nested(a, flow_nest, rem) {
		struct nfp_cand *c;

		if (nla_type(a) != NFPUNCH_FLOW_A_PEER)
			continue;
		ret = nfp_nl_get_endpoint(a, &ep, true, extack);
		if (ret)
			goto err;
		if (ep.family != family) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "peer and local address families differ");
			ret = -EAFNOSUPPORT;
			goto err;
		}
		/* Checked before the sum: targets is a u16. */
		if (ep.port_max - ep.port + 1 > NFP_MAX_TARGETS - peer->targets) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "too many punch targets (at most 4096 ports in all)");
			ret = -E2BIG;
			goto err;
		}
		c = &peer->c[peer->n++];
		c->addr = ep.addr;
		c->port = ep.port;
		c->nports = ep.port_max - ep.port + 1;
		peer->targets += c->nports;
	}
	return peer;
err:
	kfree_sensitive(peer);
	return ERR_PTR(ret);
}

static u32 nfp_opt_u32(struct nlattr **tb, int type, u32 dflt)
{
	return tb[type] ? nla_get_u32(tb[type]) : dflt;
}

static int nfp_flow_reply(struct genl_info *info, struct nfp_flow *flow, u8 cmd)
{
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = nfp_nl_fill_flow(msg, flow, info->snd_portid, info->snd_seq, 0,
			       cmd, 0, NULL);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/*
 * Attributes a command does not take: an error, never silently ignored.
 * msg is a string literal (extack keeps the pointer).
 */
static int nfp_reject_attrs(struct nlattr **tb, const int *types,
			    unsigned int n, const char *msg,
			    struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (tb[types[i]]) {
			NL_SET_BAD_ATTR(extack, tb[types[i]]);
			if (extack)
				extack->_msg = msg;
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * What get, delete and dump never take; get also refuses STATE and
 * APP_TAG, and delete STATE, which are filters of the others.
 */
static const int nfp_settable[] = {
	NFPUNCH_FLOW_A_PEER, NFPUNCH_FLOW_A_SECRET, NFPUNCH_FLOW_A_KEEPALIVE,
	NFPUNCH_FLOW_A_TIMEOUT, NFPUNCH_FLOW_A_PUNCH_TIMEOUT,
	NFPUNCH_FLOW_A_PROBE_INTERVAL, NFPUNCH_FLOW_A_FLAGS,
	NFPUNCH_FLOW_A_MARK, NFPUNCH_FLOW_A_ROLE, NFPUNCH_FLOW_A_PRIME_TTL,
	NFPUNCH_FLOW_A_PRIME_TIME, NFPUNCH_FLOW_A_NOMINATE,
};

/* Priming: both attributes or neither, and over before the punch is. */
static int nfp_parse_prime(struct nlattr **tb, struct nfp_flow_params *p,
			   struct netlink_ext_ack *extack)
{
	const struct nlattr *ttl = tb[NFPUNCH_FLOW_A_PRIME_TTL];
	const struct nlattr *time = tb[NFPUNCH_FLOW_A_PRIME_TIME];

	if (!ttl && !time)
		return 0;
	if (!ttl || !time) {
		NL_SET_ERR_MSG_ATTR(extack, ttl ?: time,
				    "priming needs both a TTL and a time");
		return -EINVAL;
	}
	if (p->flags & NFPUNCH_FLOW_F_PASSIVE) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_FLOW_A_FLAGS],
				    "a passive flow sends no probes to prime with");
		return -EINVAL;
	}
	/* Kept in a u16 of the peer block. */
	BUILD_BUG_ON(NFPUNCH_PRIME_TIME_MAX > U16_MAX);
	p->prime_ttl = nla_get_u8(ttl);
	p->prime_ms = nla_get_u32(time);
	if (p->prime_ms >= p->punch_timeout_ms) {
		NL_SET_ERR_MSG_ATTR(extack, time,
				    "priming must end before the punch timeout");
		return -EINVAL;
	}
	return 0;
}

int nfp_nl_flow_params(struct genl_info *info, const struct nlattr *nest,
		       struct nfp_flow_params *p)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[NFPUNCH_FLOW_A_MAX + 1];
	struct nfp_nl_endpoint local;
	int ret;

	ret = nla_parse_nested(tb, NFPUNCH_FLOW_A_MAX, nest, nfp_flow_policy,
			       extack);
	if (ret)
		return ret;
	if (tb[NFPUNCH_FLOW_A_ID]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_FLOW_A_ID],
				    "the kernel chooses flow ids");
		return -EINVAL;
	}
	if (tb[NFPUNCH_FLOW_A_STATE]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_FLOW_A_STATE],
				    "a new flow always starts punching");
		return -EINVAL;
	}
	if (tb[NFPUNCH_FLOW_A_NOMINATE]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_FLOW_A_NOMINATE],
				    "nominate is for flow set: a new flow is nominated unless a candidate");
		return -EINVAL;
	}
	if (!tb[NFPUNCH_FLOW_A_LOCAL]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a flow needs a local endpoint");
		return -EINVAL;
	}
	if (!tb[NFPUNCH_FLOW_A_SECRET]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "a flow needs a secret");
		return -EINVAL;
	}
	if (!tb[NFPUNCH_FLOW_A_ROLE]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "a flow needs a role (controlling or controlled)");
		return -EINVAL;
	}
	ret = nfp_nl_get_endpoint(tb[NFPUNCH_FLOW_A_LOCAL], &local, false,
				  extack);
	if (ret)
		return ret;

	memset(p, 0, sizeof(*p));
	p->local.family = local.family;
	p->local.laddr = local.addr;
	p->local.lport = htons(local.port);
	p->role = nla_get_u8(tb[NFPUNCH_FLOW_A_ROLE]);
	p->mark = nfp_opt_u32(tb, NFPUNCH_FLOW_A_MARK, 0);
	p->app_tag = nfp_opt_u32(tb, NFPUNCH_FLOW_A_APP_TAG, 0);
	p->flags = nfp_opt_u32(tb, NFPUNCH_FLOW_A_FLAGS, 0);
	if (p->flags & NFPUNCH_FLOW_F_OWNED)
		p->owner = info->snd_portid;
	p->keepalive_ms = nfp_opt_u32(tb, NFPUNCH_FLOW_A_KEEPALIVE,
				      READ_ONCE(pn->cfg.keepalive_ms));
	p->timeout_ms = nfp_opt_u32(tb, NFPUNCH_FLOW_A_TIMEOUT,
				    READ_ONCE(pn->cfg.timeout_ms));
	p->punch_timeout_ms = nfp_opt_u32(tb, NFPUNCH_FLOW_A_PUNCH_TIMEOUT,
					  READ_ONCE(pn->cfg.punch_timeout_ms));
	p->probe_interval_ms = nfp_opt_u32(tb, NFPUNCH_FLOW_A_PROBE_INTERVAL,
					   READ_ONCE(pn->cfg.probe_interval_ms));
	if (p->keepalive_ms >= p->timeout_ms) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "keepalive must be shorter than the timeout");
		return -EINVAL;
	}
	ret = nfp_parse_prime(tb, p, extack);
	if (ret)
		return ret;
	if (!nfp_nl_local_address(genl_info_net(info), &local)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_FLOW_A_LOCAL],
				    "local address is not an address of this host");
		return -EADDRNOTAVAIL;
	}
	p->peer = nfp_parse_peer(nest, tb[NFPUNCH_FLOW_A_SECRET], p->role,
				 local.family, p->local.tag, extack);
	return PTR_ERR_OR_ZERO(p->peer);
}

int nfp_nl_flow_new(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nfp_flow_params p;
	struct nfp_flow *flow;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, NFPUNCH_A_FLOW)) {
		NL_SET_ERR_MSG(extack, "the request needs a flow attribute");
		return -EINVAL;
	}
	/* Allocated first: once the flow exists, the reply cannot fail. */
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = nfp_nl_flow_params(info, info->attrs[NFPUNCH_A_FLOW], &p);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}

	flow = nfp_flow_create(pn, &p, extack);
	if (IS_ERR(flow)) {
		nlmsg_free(msg);
		return PTR_ERR(flow);
	}
	ret = nfp_nl_fill_flow(msg, flow, info->snd_portid, info->snd_seq, 0,
			       NFPUNCH_CMD_FLOW_NEW, 0, NULL);
	if (ret) {
		/* Cannot happen with 32 peers in a page; never half-done. */
		nfp_flow_remove(flow, false);
		nfp_flow_put(flow);
		nlmsg_free(msg);
		NL_SET_ERR_MSG(extack, "the reply did not fit; no flow was made");
		return ret;
	}
	nfp_flow_put(flow);
	return genlmsg_reply(msg, info);
}

/* The flow a request's ID names, with a reference, or an error. */
static struct nfp_flow *nfp_flow_lookup(struct nfp_net *pn, struct nlattr **tb,
					struct netlink_ext_ack *extack)
{
	struct nfp_flow *flow;

	flow = nfp_flow_get_by_id(pn, nla_get_u32(tb[NFPUNCH_FLOW_A_ID]));
	if (!flow) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_FLOW_A_ID], "no such flow");
		return ERR_PTR(-ENOENT);
	}
	return flow;
}

static bool nfp_local_is(const struct nfp_flow *flow,
			 const struct nfp_nl_endpoint *ep)
{
	return flow->family == ep->family && ntohs(flow->lport) == ep->port &&
	       nf_inet_addr_cmp(&flow->laddr, &ep->addr);
}

/*
 * What a dump or a delete selects by: a local endpoint and an application
 * tag (each optional) and, for a dump, a state (0: any).
 */
struct nfp_flow_filter {
	bool has_local;
	bool has_app_tag;
	u8 state;
	u32 app_tag;
	struct nfp_nl_endpoint local;
};

static int nfp_filter_parse(struct nlattr **tb, struct nfp_flow_filter *f,
			    struct netlink_ext_ack *extack)
{
	int ret;

	memset(f, 0, sizeof(*f));
	if (tb[NFPUNCH_FLOW_A_LOCAL]) {
		ret = nfp_nl_get_endpoint(tb[NFPUNCH_FLOW_A_LOCAL], &f->local,
					  false, extack);
		if (ret)
			return ret;
		f->has_local = true;
	}
	if (tb[NFPUNCH_FLOW_A_APP_TAG]) {
		f->app_tag = nla_get_u32(tb[NFPUNCH_FLOW_A_APP_TAG]);
		f->has_app_tag = true;
	}
	if (tb[NFPUNCH_FLOW_A_STATE])
		f->state = nla_get_u8(tb[NFPUNCH_FLOW_A_STATE]);
	return 0;
}

static bool nfp_filter_match(const struct nfp_flow *flow, const void *arg)
{
	const struct nfp_flow_filter *f = arg;

	if (f->has_local && !nfp_local_is(flow, &f->local))
		return false;
	if (f->has_app_tag && flow->peer->app_tag != f->app_tag)
		return false;
	return !f->state || READ_ONCE(flow->state) == f->state;
}

int nfp_nl_flow_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct nlattr *tb[NFPUNCH_FLOW_A_MAX + 1];
	struct nfp_flow_filter filter;
	struct nfp_flow *flow;
	int ret;

	ret = nfp_parse_flow(info, tb) ?:
	      nfp_reject_attrs(tb, nfp_settable, ARRAY_SIZE(nfp_settable),
			       "delete takes an id, or a local endpoint and/or an app tag",
			       info->extack);
	if (ret)
		return ret;
	if (tb[NFPUNCH_FLOW_A_STATE]) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[NFPUNCH_FLOW_A_STATE],
				    "delete does not filter on the state");
		return -EINVAL;
	}
	if (tb[NFPUNCH_FLOW_A_ID] &&
	    (tb[NFPUNCH_FLOW_A_LOCAL] || tb[NFPUNCH_FLOW_A_APP_TAG])) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[NFPUNCH_FLOW_A_ID],
				    "delete by an id or by a filter (local endpoint, app tag), not both");
		return -EINVAL;
	}
	if (tb[NFPUNCH_FLOW_A_ID]) {
		flow = nfp_flow_lookup(pn, tb, info->extack);
		if (IS_ERR(flow))
			return PTR_ERR(flow);
		nfp_flow_remove(flow, true);
		nfp_flow_put(flow);
		return 0;
	}
	if (!tb[NFPUNCH_FLOW_A_LOCAL] && !tb[NFPUNCH_FLOW_A_APP_TAG]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[NFPUNCH_A_FLOW],
				    "say which flows: an id, a local endpoint or an app tag");
		return -EINVAL;
	}
	ret = nfp_filter_parse(tb, &filter, info->extack);
	if (ret)
		return ret;
	/* The filter checks the address; the port's list narrows the walk. */
	if (filter.has_local)
		ret = nfp_flow_remove_port(pn, htons(filter.local.port),
					   nfp_filter_match, &filter, true);
	else
		ret = nfp_flow_remove_if(pn, nfp_filter_match, &filter, true);
	if (ret)
		return 0;
	NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[NFPUNCH_A_FLOW],
			    "no flow matches");
	return -ENOENT;
}

int nfp_nl_flow_get(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct nlattr *tb[NFPUNCH_FLOW_A_MAX + 1];
	struct nfp_flow *flow;
	int ret;

	static const int filters[] = {
		NFPUNCH_FLOW_A_LOCAL, NFPUNCH_FLOW_A_STATE, NFPUNCH_FLOW_A_APP_TAG,
	};

	ret = nfp_parse_flow(info, tb) ?:
	      nfp_reject_attrs(tb, nfp_settable, ARRAY_SIZE(nfp_settable),
			       "get takes a flow id only", info->extack) ?:
	      nfp_reject_attrs(tb, filters, ARRAY_SIZE(filters),
			       "get takes a flow id only (dump to filter)",
			       info->extack);
	if (ret)
		return ret;
	if (!tb[NFPUNCH_FLOW_A_ID]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[NFPUNCH_A_FLOW],
				    "get needs a flow id (dump for all flows)");
		return -EINVAL;
	}
	flow = nfp_flow_lookup(pn, tb, info->extack);
	if (IS_ERR(flow))
		return PTR_ERR(flow);
	ret = nfp_flow_reply(info, flow, NFPUNCH_CMD_FLOW_GET);
	nfp_flow_put(flow);
	return ret;
}

int nfp_nl_flow_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[NFPUNCH_FLOW_A_MAX + 1];
	static const int fixed[] = {
		NFPUNCH_FLOW_A_LOCAL, NFPUNCH_FLOW_A_PEER, NFPUNCH_FLOW_A_SECRET,
		NFPUNCH_FLOW_A_FLAGS, NFPUNCH_FLOW_A_PUNCH_TIMEOUT,
		NFPUNCH_FLOW_A_PROBE_INTERVAL, NFPUNCH_FLOW_A_ROLE,
		NFPUNCH_FLOW_A_MARK, NFPUNCH_FLOW_A_APP_TAG,
		NFPUNCH_FLOW_A_PRIME_TTL, NFPUNCH_FLOW_A_PRIME_TIME,
	};
	struct nfp_flow *flow;
	u32 keepalive, timeout;
	unsigned int i;
	int ret;

	ret = nfp_parse_flow(info, tb);
	if (ret)
		return ret;
	if (!tb[NFPUNCH_FLOW_A_ID]) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[NFPUNCH_A_FLOW],
				    "set needs a flow id");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (tb[fixed[i]]) {
			NL_SET_ERR_MSG_ATTR(extack, tb[fixed[i]],
					    "fixed for the life of a flow: delete it and add a new one");
			return -EOPNOTSUPP;
		}
	}
	if (tb[NFPUNCH_FLOW_A_STATE] &&
	    nla_get_u8(tb[NFPUNCH_FLOW_A_STATE]) != NFPUNCH_STATE_PUNCHING) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NFPUNCH_FLOW_A_STATE],
				    "the only state to set is punching (to punch again)");
		return -EINVAL;
	}

	flow = nfp_flow_lookup(pn, tb, extack);
	if (IS_ERR(flow))
		return PTR_ERR(flow);

	spin_lock_bh(&pn->lock);
	keepalive = nfp_opt_u32(tb, NFPUNCH_FLOW_A_KEEPALIVE, flow->keepalive_ms);
	timeout = nfp_opt_u32(tb, NFPUNCH_FLOW_A_TIMEOUT, flow->timeout_ms);
	if (keepalive >= timeout) {
		spin_unlock_bh(&pn->lock);
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[NFPUNCH_A_FLOW],
				    "keepalive must be shorter than the timeout");
		ret = -EINVAL;
		goto out;
	}
	WRITE_ONCE(flow->keepalive_ms, keepalive);
	WRITE_ONCE(flow->timeout_ms, timeout);
	if (tb[NFPUNCH_FLOW_A_NOMINATE])
		nfp_flow_nominate(flow);
	/*
	 * Let the timer pick the new deadlines up now; the new epoch keeps a
	 * callback running meanwhile from re-arming with the old ones.
	 */
	if (flow->state == NFPUNCH_STATE_ESTABLISHED && !flow->removed) {
		WRITE_ONCE(flow->epoch, flow->epoch + 1);
		mod_timer(&flow->timer, jiffies);
	}
	spin_unlock_bh(&pn->lock);

	if (tb[NFPUNCH_FLOW_A_STATE])
		nfp_flow_repunch(flow);
	ret = nfp_flow_reply(info, flow, NFPUNCH_CMD_FLOW_SET);
out:
	nfp_flow_put(flow);
	return ret;
}

static u32 nfp_ms_since(u32 then)
{
	return jiffies_to_msecs(nfp_stamp() - then);
}

static int nfp_put_counters(struct sk_buff *msg, const struct nfp_flow *flow)
{
	struct nlattr *nest = nla_nest_start(msg, NFPUNCH_FLOW_A_COUNTERS);
	const struct {
		int type;
		u64 val;
	} c[] = {
		{ NFPUNCH_CNT_A_PROBES_SENT, atomic_read(&flow->probes_sent) },
		{ NFPUNCH_CNT_A_PROBES_ANSWERED, atomic_read(&flow->probes_answered) },
		{ NFPUNCH_CNT_A_PROBES_RECEIVED, atomic_read(&flow->probes_received) },
		{ NFPUNCH_CNT_A_AUTH_FAILURES, atomic_read(&flow->auth_failures) },
		{ NFPUNCH_CNT_A_KEEPALIVES, atomic_read(&flow->keepalives) },
		{ NFPUNCH_CNT_A_RX_PACKETS, atomic64_read(&flow->rx_packets) },
		{ NFPUNCH_CNT_A_RX_BYTES, atomic64_read(&flow->rx_bytes) },
		{ NFPUNCH_CNT_A_TX_PACKETS, atomic64_read(&flow->tx_packets) },
		{ NFPUNCH_CNT_A_TX_BYTES, atomic64_read(&flow->tx_bytes) },
	};
	unsigned int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		if (nla_put_u64_64bit(msg, c[i].type, c[i].val,
				      NFPUNCH_CNT_A_PAD)) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int nfp_put_peers(struct sk_buff *msg, const struct nfp_flow *flow)
{
	const struct nfp_peer *peer = flow->peer;
	struct nlattr *nest;
	u32 i;

	for (i = 0; i < peer->n; i++) {
		const struct nfp_cand *c = &peer->c[i];

		nest = nla_nest_start(msg, NFPUNCH_FLOW_A_PEER);
		if (!nest ||
		    (flow->family == NFPROTO_IPV4 ?
		     nla_put_in_addr(msg, NFPUNCH_EP_A_IPV4, c->addr.ip) :
		     nla_put_in6_addr(msg, NFPUNCH_EP_A_IPV6, &c->addr.in6)) ||
		    nla_put_be16(msg, NFPUNCH_EP_A_PORT, htons(c->port)) ||
		    (c->nports > 1 &&
		     nla_put_be16(msg, NFPUNCH_EP_A_PORT_MAX,
				  htons(c->port + c->nports - 1))))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	return 0;
}

int nfp_nl_fill_flow(struct sk_buff *msg, struct nfp_flow *flow, u32 portid,
		     u32 seq, int flags, u8 cmd, u8 event,
		     struct netlink_callback *cb)
{
	u8 state = READ_ONCE(flow->state);
	union nf_inet_addr raddr;
	struct nlattr *nest;
	__be16 rport;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &nfp_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	/* The user header genlmsg_put() returned, not the netlink one. */
	if (cb)
		genl_dump_check_consistent(cb, hdr);
	if (event && nla_put_u8(msg, NFPUNCH_A_EVENT, event))
		goto err;
	nest = nla_nest_start(msg, NFPUNCH_A_FLOW);
	if (!nest ||
	    nla_put_u32(msg, NFPUNCH_FLOW_A_ID, flow->id) ||
	    nfp_nl_put_endpoint(msg, NFPUNCH_FLOW_A_LOCAL, flow->family,
				&flow->laddr, flow->lport) ||
	    nfp_put_peers(msg, flow) ||
	    nla_put_u8(msg, NFPUNCH_FLOW_A_STATE, state) ||
	    nla_put_u32(msg, NFPUNCH_FLOW_A_FLAGS, READ_ONCE(flow->flags)) ||
	    nla_put_u8(msg, NFPUNCH_FLOW_A_ROLE, flow->role) ||
	    (flow->peer->mark &&
	     nla_put_u32(msg, NFPUNCH_FLOW_A_MARK, flow->peer->mark)) ||
	    (flow->peer->app_tag &&
	     nla_put_u32(msg, NFPUNCH_FLOW_A_APP_TAG, flow->peer->app_tag)) ||
	    (flow->peer->prime_ttl &&
	     (nla_put_u8(msg, NFPUNCH_FLOW_A_PRIME_TTL, flow->peer->prime_ttl) ||
	      nla_put_u32(msg, NFPUNCH_FLOW_A_PRIME_TIME, flow->peer->prime_ms))) ||
	    nla_put_u32(msg, NFPUNCH_FLOW_A_KEEPALIVE, READ_ONCE(flow->keepalive_ms)) ||
	    nla_put_u32(msg, NFPUNCH_FLOW_A_TIMEOUT, READ_ONCE(flow->timeout_ms)) ||
	    nla_put_u32(msg, NFPUNCH_FLOW_A_PUNCH_TIMEOUT, flow->peer->punch_timeout_ms) ||
	    nla_put_u32(msg, NFPUNCH_FLOW_A_PROBE_INTERVAL,
			flow->peer->probe_interval_ms) ||
	    nla_put_u32(msg, NFPUNCH_FLOW_A_AGE, nfp_ms_since(flow->created)) ||
	    nla_put_u32(msg, NFPUNCH_FLOW_A_LAST_TX,
			nfp_ms_since(READ_ONCE(flow->last_tx))) ||
	    nfp_put_counters(msg, flow))
		goto err;
	if (state == NFPUNCH_STATE_DEAD &&
	    nla_put_u8(msg, NFPUNCH_FLOW_A_DEAD_REASON, flow->dead_reason))
		goto err;
	nfp_flow_remote(flow, &raddr, &rport);
	if (READ_ONCE(flow->has_remote) &&
	    (nfp_nl_put_endpoint(msg, NFPUNCH_FLOW_A_REMOTE, flow->family,
				 &raddr, rport) ||
	     nla_put_u32(msg, NFPUNCH_FLOW_A_ESTABLISH_TIME,
			 jiffies_to_msecs(flow->established - flow->created)) ||
	     nla_put_u32(msg, NFPUNCH_FLOW_A_RTT, READ_ONCE(flow->srtt_us)) ||
	     nla_put_u32(msg, NFPUNCH_FLOW_A_LAST_RX,
			 nfp_ms_since(READ_ONCE(flow->last_rx)))))
		goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return 0;
err:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

/*
 * Dumps walk the id space in order with a cursor (the next id), so flows
 * added or removed meanwhile never make the walk repeat or skip a live
 * flow; the generation number still tells the reader the set changed
 * (NLM_F_DUMP_INTR).
 */
struct nfp_dump_ctx {
	unsigned long next_id;
	struct nfp_flow_filter *filter;
};

int nfp_nl_flow_dump_start(struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct nfp_dump_ctx *ctx = (struct nfp_dump_ctx *)cb->ctx;
	struct nlattr *tb[NFPUNCH_FLOW_A_MAX + 1];
	struct nfp_flow_filter *f;
	int ret;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	ctx->next_id = 0;
	ctx->filter = NULL;
	if (!info->attrs[NFPUNCH_A_FLOW])
		return 0;
	ret = nla_parse_nested(tb, NFPUNCH_FLOW_A_MAX, info->attrs[NFPUNCH_A_FLOW],
			       nfp_flow_policy, cb->extack) ?:
	      nfp_reject_attrs(tb, nfp_settable, ARRAY_SIZE(nfp_settable),
			       "a dump filters on the local endpoint, the state and the app tag only",
			       cb->extack);
	if (ret)
		return ret;
	if (tb[NFPUNCH_FLOW_A_ID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, tb[NFPUNCH_FLOW_A_ID],
				    "a dump filters on the local endpoint, the state and the app tag only (get for one id)");
		return -EINVAL;
	}
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	ret = nfp_filter_parse(tb, f, cb->extack);
	if (ret) {
		kfree(f);
		return ret;
	}
	ctx->filter = f;
	return 0;
}

int nfp_nl_flow_dump_done(struct netlink_callback *cb)
{
	struct nfp_dump_ctx *ctx = (struct nfp_dump_ctx *)cb->ctx;

	kfree(ctx->filter);
	return 0;
}

int nfp_nl_flow_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nfp_net *pn = nfp_pernet(sock_net(skb->sk));
	struct nfp_dump_ctx *ctx = (struct nfp_dump_ctx *)cb->ctx;
	struct nfp_flow *flow;
	unsigned long id = ctx->next_id;
	int ret = 0;

	cb->seq = READ_ONCE(pn->generation);
	rcu_read_lock();
	xa_for_each_start(&pn->flows, id, flow, ctx->next_id) {
		if (ctx->filter && !nfp_filter_match(flow, ctx->filter))
			continue;
		ret = nfp_nl_fill_flow(skb, flow, NETLINK_CB(cb->skb).portid,
				       cb->nlh->nlmsg_seq, NLM_F_MULTI,
				       NFPUNCH_CMD_FLOW_GET, 0, cb);
		if (ret)
			break;
		ctx->next_id = id + 1;
	}
	rcu_read_unlock();
	/* Something in this message: come back for more. */
	if (ret && skb->len)
		return skb->len;
	return ret ?: skb->len;
}
