// SPDX-License-Identifier: LGPL-2.1-or-later
/* Flow commands: add, del, get, set, dump; and reading a flow attribute. */
#include <errno.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

const char *nfp_state_name(int state)
{
	switch (state) {
	case NFP_STATE_PUNCHING: return "punching";
	case NFP_STATE_ESTABLISHED: return "established";
	case NFP_STATE_DEAD: return "dead";
	}
	return "unknown";
}

const char *nfp_dead_reason_name(int reason)
{
	switch (reason) {
	case NFP_DEAD_NONE: return "none";
	case NFP_DEAD_PUNCH_TIMEOUT: return "punch-timeout";
	case NFP_DEAD_PEER_TIMEOUT: return "peer-timeout";
	}
	return "unknown";
}

const char *nfp_role_name(int role)
{
	switch (role) {
	case NFP_ROLE_CONTROLLING: return "controlling";
	case NFP_ROLE_CONTROLLED: return "controlled";
	}
	return NULL;
}

int nfp_role_parse(const char *name)
{
	if (!strcmp(name, "controlling"))
		return NFP_ROLE_CONTROLLING;
	if (!strcmp(name, "controlled"))
		return NFP_ROLE_CONTROLLED;
	return -EINVAL;
}

static uint32_t get_u32(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u32(tb[type]) : 0;
}

static int parse_counters(struct nlattr *nest, struct nfp_flow_counters *c)
{
	struct nlattr *tb[NFPUNCH_CNT_A_MAX + 1];
	uint64_t *dst[NFPUNCH_CNT_A_MAX + 1] = {
		[NFPUNCH_CNT_A_PROBES_SENT] = &c->probes_sent,
		[NFPUNCH_CNT_A_PROBES_ANSWERED] = &c->probes_answered,
		[NFPUNCH_CNT_A_PROBES_RECEIVED] = &c->probes_received,
		[NFPUNCH_CNT_A_AUTH_FAILURES] = &c->auth_failures,
		[NFPUNCH_CNT_A_KEEPALIVES] = &c->keepalives,
		[NFPUNCH_CNT_A_RX_PACKETS] = &c->rx_packets,
		[NFPUNCH_CNT_A_RX_BYTES] = &c->rx_bytes,
		[NFPUNCH_CNT_A_TX_PACKETS] = &c->tx_packets,
		[NFPUNCH_CNT_A_TX_BYTES] = &c->tx_bytes,
	};
	int i;

	if (nla_parse_nested(tb, NFPUNCH_CNT_A_MAX, nest, NULL) < 0)
		return -EPROTO;
	for (i = 0; i <= NFPUNCH_CNT_A_MAX; i++) {
		if (!dst[i] || !tb[i])
			continue;
		if (nla_len(tb[i]) != sizeof(uint64_t))
			return -EPROTO;
		*dst[i] = nla_get_u64(tb[i]);
	}
	return 0;
}

static struct nla_policy flow_policy[NFPUNCH_FLOW_A_MAX + 1] = {
	[NFPUNCH_FLOW_A_ID] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_LOCAL] = { .type = NLA_NESTED },
	[NFPUNCH_FLOW_A_REMOTE] = { .type = NLA_NESTED },
	[NFPUNCH_FLOW_A_KEEPALIVE] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_TIMEOUT] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_PUNCH_TIMEOUT] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_PROBE_INTERVAL] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_FLAGS] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_STATE] = { .type = NLA_U8 },
	[NFPUNCH_FLOW_A_DEAD_REASON] = { .type = NLA_U8 },
	[NFPUNCH_FLOW_A_RTT] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_AGE] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_ESTABLISH_TIME] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_LAST_RX] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_LAST_TX] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_COUNTERS] = { .type = NLA_NESTED },
	[NFPUNCH_FLOW_A_ROLE] = { .type = NLA_U8 },
	[NFPUNCH_FLOW_A_MARK] = { .type = NLA_U32 },
};

int nfp_parse_flow(struct nlattr *nest, struct nfp_flow *f)
{
	struct nlattr *tb[NFPUNCH_FLOW_A_MAX + 1], *a;
	int rem;

	memset(f, 0, sizeof(*f));
	if (nla_parse_nested(tb, NFPUNCH_FLOW_A_MAX, nest, flow_policy) < 0 ||
	    !tb[NFPUNCH_FLOW_A_ID] || !tb[NFPUNCH_FLOW_A_LOCAL] ||
	    nfp_get_endpoint(tb[NFPUNCH_FLOW_A_LOCAL], &f->local))
		return -EPROTO;
	f->id = nla_get_u32(tb[NFPUNCH_FLOW_A_ID]);
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != NFPUNCH_FLOW_A_PEER || f->n_peers >= NFP_MAX_PEERS)
			continue;
		if (nfp_get_endpoint(a, &f->peers[f->n_peers++]))
			return -EPROTO;
	}
	if (tb[NFPUNCH_FLOW_A_REMOTE] &&
	    nfp_get_endpoint(tb[NFPUNCH_FLOW_A_REMOTE], &f->remote))
		return -EPROTO;
	if (tb[NFPUNCH_FLOW_A_COUNTERS] &&
	    parse_counters(tb[NFPUNCH_FLOW_A_COUNTERS], &f->counters))
		return -EPROTO;
	f->state = tb[NFPUNCH_FLOW_A_STATE] ? nla_get_u8(tb[NFPUNCH_FLOW_A_STATE]) : 0;
	f->dead_reason = tb[NFPUNCH_FLOW_A_DEAD_REASON] ?
			 nla_get_u8(tb[NFPUNCH_FLOW_A_DEAD_REASON]) : 0;
	f->keepalive_ms = get_u32(tb, NFPUNCH_FLOW_A_KEEPALIVE);
	f->timeout_ms = get_u32(tb, NFPUNCH_FLOW_A_TIMEOUT);
	f->punch_timeout_ms = get_u32(tb, NFPUNCH_FLOW_A_PUNCH_TIMEOUT);
	f->probe_interval_ms = get_u32(tb, NFPUNCH_FLOW_A_PROBE_INTERVAL);
	f->flags = get_u32(tb, NFPUNCH_FLOW_A_FLAGS);
	f->role = tb[NFPUNCH_FLOW_A_ROLE] ? nla_get_u8(tb[NFPUNCH_FLOW_A_ROLE]) : 0;
	f->mark = get_u32(tb, NFPUNCH_FLOW_A_MARK);
	f->rtt_us = get_u32(tb, NFPUNCH_FLOW_A_RTT);
	f->age_ms = get_u32(tb, NFPUNCH_FLOW_A_AGE);
	f->establish_ms = get_u32(tb, NFPUNCH_FLOW_A_ESTABLISH_TIME);
	f->last_rx_ms = get_u32(tb, NFPUNCH_FLOW_A_LAST_RX);
	f->last_tx_ms = get_u32(tb, NFPUNCH_FLOW_A_LAST_TX);
	return 0;
}

static int parse_flow_reply(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	(void)nlh;
	if (!tb[NFPUNCH_A_FLOW])
		return -EPROTO;
	return arg ? nfp_parse_flow(tb[NFPUNCH_A_FLOW], arg) : 0;
}

static int put_u32_opt(struct nl_msg *msg, int type, uint32_t v)
{
	return v && nla_put_u32(msg, type, v) < 0 ? -EMSGSIZE : 0;
}

struct flow_req {
	const struct nfp_flow *in;	/* add */
	struct nfp_flow *out;
	uint32_t id;
	const struct nfp_endpoint *local;
	uint32_t keepalive_ms, timeout_ms;
	int repunch;
	const struct nfp_flow_filter *filter;
	int (*fn)(const struct nfp_flow *flow, void *arg);
	void *arg;
	int count;
};

static int build_flow_new(struct nl_msg *msg, void *arg)
{
	const struct flow_req *r = arg;
	const struct nfp_flow *f = r->in;
	struct nlattr *nest;
	unsigned int i;
	int ret;

	nest = nla_nest_start(msg, NFPUNCH_A_FLOW);
	if (!nest)
		return -EMSGSIZE;
	ret = nfp_put_endpoint(msg, NFPUNCH_FLOW_A_LOCAL, &f->local);
	for (i = 0; !ret && i < f->n_peers && i < NFP_MAX_PEERS; i++)
		ret = nfp_put_endpoint(msg, NFPUNCH_FLOW_A_PEER, &f->peers[i]);
	if (ret)
		return ret;
	if (f->secret_len > sizeof(f->secret) ||
	    nla_put(msg, NFPUNCH_FLOW_A_SECRET, f->secret_len, f->secret) < 0)
		return -EINVAL;
	ret = put_u32_opt(msg, NFPUNCH_FLOW_A_KEEPALIVE, f->keepalive_ms) ?:
	      put_u32_opt(msg, NFPUNCH_FLOW_A_TIMEOUT, f->timeout_ms) ?:
	      put_u32_opt(msg, NFPUNCH_FLOW_A_PUNCH_TIMEOUT, f->punch_timeout_ms) ?:
	      put_u32_opt(msg, NFPUNCH_FLOW_A_PROBE_INTERVAL, f->probe_interval_ms) ?:
	      put_u32_opt(msg, NFPUNCH_FLOW_A_FLAGS, f->flags) ?:
	      put_u32_opt(msg, NFPUNCH_FLOW_A_MARK, f->mark);
	if (ret)
		return ret;
	/* Without one the kernel says which is missing. */
	if (f->role && (f->role < 0 || f->role > 255 ||
			nla_put_u8(msg, NFPUNCH_FLOW_A_ROLE, (uint8_t)f->role) < 0))
		return -EINVAL;
	nla_nest_end(msg, nest);
	return 0;
}

static int build_flow_key(struct nl_msg *msg, void *arg)
{
	struct flow_req *r = arg;
	struct nlattr *nest = nla_nest_start(msg, NFPUNCH_A_FLOW);
	int ret = 0;

	if (!nest)
		return -EMSGSIZE;
	if (r->id && nla_put_u32(msg, NFPUNCH_FLOW_A_ID, r->id) < 0)
		return -EMSGSIZE;
	if (r->local)
		ret = nfp_put_endpoint(msg, NFPUNCH_FLOW_A_LOCAL, r->local);
	ret = ret ?: put_u32_opt(msg, NFPUNCH_FLOW_A_KEEPALIVE, r->keepalive_ms) ?:
	      put_u32_opt(msg, NFPUNCH_FLOW_A_TIMEOUT, r->timeout_ms);
	if (!ret && r->repunch &&
	    nla_put_u8(msg, NFPUNCH_FLOW_A_STATE, NFPUNCH_STATE_PUNCHING) < 0)
		ret = -EMSGSIZE;
	if (ret)
		return ret;
	nla_nest_end(msg, nest);
	return 0;
}

static int parse_flow_req(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct flow_req *r = arg;

	return parse_flow_reply(nlh, tb, r->out);
}

int nfp_flow_add(struct nfp_handle *h, const struct nfp_flow *flow,
		 struct nfp_flow *out)
{
	struct flow_req r = { .in = flow, .out = out };

	if (!flow->n_peers || flow->n_peers > NFP_MAX_PEERS)
		return nfp_fail(h, -EINVAL, "a flow needs 1 to 32 peers");
	return nfp_request(h, NFPUNCH_CMD_FLOW_NEW, 0, build_flow_new,
			   parse_flow_req, &r);
}

int nfp_flow_del(struct nfp_handle *h, uint32_t id)
{
	struct flow_req r = { .id = id };

	return nfp_request(h, NFPUNCH_CMD_FLOW_DEL, 0, build_flow_key, NULL, &r);
}

int nfp_flow_del_local(struct nfp_handle *h, const struct nfp_endpoint *local)
{
	struct flow_req r = { .local = local };

	return nfp_request(h, NFPUNCH_CMD_FLOW_DEL, 0, build_flow_key, NULL, &r);
}

int nfp_flow_get(struct nfp_handle *h, uint32_t id, struct nfp_flow *out)
{
	struct flow_req r = { .id = id, .out = out };

	return nfp_request(h, NFPUNCH_CMD_FLOW_GET, 0, build_flow_key,
			   parse_flow_req, &r);
}

int nfp_flow_set(struct nfp_handle *h, uint32_t id, uint32_t keepalive_ms,
		 uint32_t timeout_ms, int repunch, struct nfp_flow *out)
{
	struct flow_req r = {
		.id = id, .out = out, .keepalive_ms = keepalive_ms,
		.timeout_ms = timeout_ms, .repunch = repunch,
	};

	return nfp_request(h, NFPUNCH_CMD_FLOW_SET, 0, build_flow_key,
			   parse_flow_req, &r);
}

static int build_dump(struct nl_msg *msg, void *arg)
{
	struct flow_req *r = arg;
	const struct nfp_flow_filter *f = r->filter;
	struct nlattr *nest;

	if (!f || (!f->local.family && !f->state))
		return 0;
	nest = nla_nest_start(msg, NFPUNCH_A_FLOW);
	if (!nest)
		return -EMSGSIZE;
	if (f->local.family &&
	    nfp_put_endpoint(msg, NFPUNCH_FLOW_A_LOCAL, &f->local) < 0)
		return -EMSGSIZE;
	if (f->state && nla_put_u8(msg, NFPUNCH_FLOW_A_STATE, f->state) < 0)
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int parse_dump(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct flow_req *r = arg;
	struct nfp_flow f;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		return -EINTR;
	ret = parse_flow_reply(nlh, tb, &f);
	if (ret)
		return ret;
	r->count++;
	return r->fn ? r->fn(&f, r->arg) : 0;
}

int nfp_flow_dump(struct nfp_handle *h, const struct nfp_flow_filter *filter,
		  int (*fn)(const struct nfp_flow *flow, void *arg), void *arg)
{
	struct flow_req r = { .filter = filter, .fn = fn, .arg = arg };
	int ret;

	ret = nfp_request(h, NFPUNCH_CMD_FLOW_GET, NLM_F_DUMP, build_dump,
			  parse_dump, &r);
	return ret < 0 ? ret : r.count;
}
