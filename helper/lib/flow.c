// SPDX-License-Identifier: LGPL-2.1-or-later
/* Flow commands: add, del, get, set, dump; and reading a flow attribute. */
#include <errno.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

NFP_EXPORT const char *nfp_state_name(int state)
{
	switch (state) {
	case NFP_STATE_PUNCHING: return "punching";
	case NFP_STATE_ESTABLISHED: return "established";
	case NFP_STATE_DEAD: return "dead";
	}
	return "unknown";
}

NFP_EXPORT const char *nfp_dead_reason_name(int reason)
{
	switch (reason) {
	case NFP_DEAD_NONE: return "none";
	case NFP_DEAD_PUNCH_TIMEOUT: return "punch-timeout";
	case NFP_DEAD_PEER_TIMEOUT: return "peer-timeout";
	}
	return "unknown";
}

NFP_EXPORT const char *nfp_role_name(int role)
{
	switch (role) {
	case NFP_ROLE_CONTROLLING: return "controlling";
	case NFP_ROLE_CONTROLLED: return "controlled";
	}
	return NULL;
}

NFP_EXPORT int nfp_role_parse(const char *name)
{
	if (!strcmp(name, "controlling"))
		return NFP_ROLE_CONTROLLING;
	if (!strcmp(name, "controlled"))
		return NFP_ROLE_CONTROLLED;
	return -EINVAL;
}

static int parse_counters(struct nlattr *nest, struct nfp_flow *f)
{
	static const int attr[NFPUNCH_CNT_A_MAX + 1] = {
		[NFPUNCH_CNT_A_PROBES_SENT] = NFP_FLOW_PROBES_SENT,
		[NFPUNCH_CNT_A_PROBES_ANSWERED] = NFP_FLOW_PROBES_ANSWERED,
		[NFPUNCH_CNT_A_PROBES_RECEIVED] = NFP_FLOW_PROBES_RECEIVED,
		[NFPUNCH_CNT_A_AUTH_FAILURES] = NFP_FLOW_AUTH_FAILURES,
		[NFPUNCH_CNT_A_KEEPALIVES] = NFP_FLOW_KEEPALIVES,
		[NFPUNCH_CNT_A_RX_PACKETS] = NFP_FLOW_RX_PACKETS,
		[NFPUNCH_CNT_A_RX_BYTES] = NFP_FLOW_RX_BYTES,
		[NFPUNCH_CNT_A_TX_PACKETS] = NFP_FLOW_TX_PACKETS,
		[NFPUNCH_CNT_A_TX_BYTES] = NFP_FLOW_TX_BYTES,
	};
	struct nlattr *tb[NFPUNCH_CNT_A_MAX + 1];
	int i;

	if (nla_parse_nested(tb, NFPUNCH_CNT_A_MAX, nest, NULL) < 0)
		return -EPROTO;
	for (i = 0; i <= NFPUNCH_CNT_A_MAX; i++) {
		if (!attr[i] || !tb[i])
			continue;
		if (nla_len(tb[i]) != sizeof(uint64_t))
			return -EPROTO;
		f->u64[attr[i] - NFP_FLOW_U64_FIRST] = nla_get_u64(tb[i]);
		nfp_flow_mark(f, attr[i]);
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
	[NFPUNCH_FLOW_A_APP_TAG] = { .type = NLA_U32 },
	[NFPUNCH_FLOW_A_PRIME_TTL] = { .type = NLA_U8 },
	[NFPUNCH_FLOW_A_PRIME_TIME] = { .type = NLA_U32 },
};

/* The kernel's attribute and ours, for the numbers of a flow. */
static const struct {
	int nl, attr;
} flow_u32[] = {
	{ NFPUNCH_FLOW_A_KEEPALIVE, NFP_FLOW_KEEPALIVE_MS },
	{ NFPUNCH_FLOW_A_TIMEOUT, NFP_FLOW_TIMEOUT_MS },
	{ NFPUNCH_FLOW_A_PUNCH_TIMEOUT, NFP_FLOW_PUNCH_TIMEOUT_MS },
	{ NFPUNCH_FLOW_A_PROBE_INTERVAL, NFP_FLOW_PROBE_INTERVAL_MS },
	{ NFPUNCH_FLOW_A_FLAGS, NFP_FLOW_FLAGS },
	{ NFPUNCH_FLOW_A_MARK, NFP_FLOW_MARK },
	{ NFPUNCH_FLOW_A_APP_TAG, NFP_FLOW_APP_TAG },
	{ NFPUNCH_FLOW_A_PRIME_TIME, NFP_FLOW_PRIME_MS },
	{ NFPUNCH_FLOW_A_RTT, NFP_FLOW_RTT_US },
	{ NFPUNCH_FLOW_A_AGE, NFP_FLOW_AGE_MS },
	{ NFPUNCH_FLOW_A_ESTABLISH_TIME, NFP_FLOW_ESTABLISH_MS },
	{ NFPUNCH_FLOW_A_LAST_RX, NFP_FLOW_LAST_RX_MS },
	{ NFPUNCH_FLOW_A_LAST_TX, NFP_FLOW_LAST_TX_MS },
}, flow_u8[] = {
	{ NFPUNCH_FLOW_A_STATE, NFP_FLOW_STATE },
	{ NFPUNCH_FLOW_A_DEAD_REASON, NFP_FLOW_DEAD_REASON },
	{ NFPUNCH_FLOW_A_ROLE, NFP_FLOW_ROLE },
	{ NFPUNCH_FLOW_A_PRIME_TTL, NFP_FLOW_PRIME_TTL },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int nfp_parse_flow(struct nlattr *nest, struct nfp_flow *f)
{
	struct nlattr *tb[NFPUNCH_FLOW_A_MAX + 1], *a;
	struct nfp_endpoint ep;
	unsigned int i;
	int rem;

	nfp_flow_reset(f);
	if (nla_parse_nested(tb, NFPUNCH_FLOW_A_MAX, nest, flow_policy) < 0 ||
	    !tb[NFPUNCH_FLOW_A_ID] || !tb[NFPUNCH_FLOW_A_LOCAL] ||
	    nfp_get_endpoint(tb[NFPUNCH_FLOW_A_LOCAL], &f->local))
		return -EPROTO;
	nfp_flow_mark(f, NFP_FLOW_LOCAL);
	f->u32[NFP_FLOW_ID] = nla_get_u32(tb[NFPUNCH_FLOW_A_ID]);
	nfp_flow_mark(f, NFP_FLOW_ID);
	nla_for_each_nested(a, nest, rem) {
		if (nla_type(a) != NFPUNCH_FLOW_A_PEER)
			continue;
		if (nfp_get_endpoint(a, &ep))
			return -EPROTO;
		if (nfp_flow_add_peer(f, &ep))
			return -ENOMEM;
	}
	if (tb[NFPUNCH_FLOW_A_REMOTE]) {
		if (nfp_get_endpoint(tb[NFPUNCH_FLOW_A_REMOTE], &f->remote))
			return -EPROTO;
		nfp_flow_mark(f, NFP_FLOW_REMOTE);
	}
	if (tb[NFPUNCH_FLOW_A_COUNTERS] &&
	    parse_counters(tb[NFPUNCH_FLOW_A_COUNTERS], f))
		return -EPROTO;
	for (i = 0; i < ARRAY_SIZE(flow_u32); i++) {
		if (!tb[flow_u32[i].nl])
			continue;
		f->u32[flow_u32[i].attr] = nla_get_u32(tb[flow_u32[i].nl]);
		nfp_flow_mark(f, flow_u32[i].attr);
	}
	for (i = 0; i < ARRAY_SIZE(flow_u8); i++) {
		if (!tb[flow_u8[i].nl])
			continue;
		f->u32[flow_u8[i].attr] = nla_get_u8(tb[flow_u8[i].nl]);
		nfp_flow_mark(f, flow_u8[i].attr);
	}
	return 0;
}

static int parse_flow_reply(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	(void)nlh;
	if (!tb[NFPUNCH_A_FLOW])
		return -EPROTO;
	return arg ? nfp_parse_flow(tb[NFPUNCH_A_FLOW], arg) : 0;
}

/* Put each of attrs that f sets, as the kernel's u32 attribute. */
static int put_set_u32(struct nl_msg *msg, const struct nfp_flow *f,
		       const int *attrs, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!nfp_flow_isset(f, attrs[i]))
			continue;
		for (j = 0; j < ARRAY_SIZE(flow_u32); j++)
			if (flow_u32[j].attr == attrs[i])
				break;
		if (j == ARRAY_SIZE(flow_u32) ||
		    nla_put_u32(msg, flow_u32[j].nl, f->u32[attrs[i]]) < 0)
			return -EMSGSIZE;
	}
	return 0;
}

struct flow_req {
	const struct nfp_flow *in;	/* add, change, dump filter */
	struct nfp_flow *out;
	uint32_t id;
	const struct nfp_endpoint *local;
	int (*fn)(const struct nfp_flow *flow, void *arg);
	void *arg;
	int count;
};

int nfp_put_flow_new(struct nl_msg *msg, const struct nfp_flow *f)
{
	static const int attrs[] = {
		NFP_FLOW_KEEPALIVE_MS, NFP_FLOW_TIMEOUT_MS,
		NFP_FLOW_PUNCH_TIMEOUT_MS, NFP_FLOW_PROBE_INTERVAL_MS,
		NFP_FLOW_FLAGS, NFP_FLOW_MARK, NFP_FLOW_APP_TAG,
		NFP_FLOW_PRIME_MS,
	};
	struct nlattr *nest;
	unsigned int i;
	int ret;

	nest = nla_nest_start(msg, NFPUNCH_A_FLOW);
	if (!nest)
		return -EMSGSIZE;
	/* Without local, role or a secret the kernel says what is missing. */
	ret = nfp_flow_isset(f, NFP_FLOW_LOCAL) ?
	      nfp_put_endpoint(msg, NFPUNCH_FLOW_A_LOCAL, &f->local) : 0;
	for (i = 0; !ret && i < f->n_peers; i++)
		ret = nfp_put_endpoint(msg, NFPUNCH_FLOW_A_PEER, &f->peers[i]);
	ret = ret ?: put_set_u32(msg, f, attrs, ARRAY_SIZE(attrs));
	if (ret)
		return ret;
	if (f->secret_len &&
	    nla_put(msg, NFPUNCH_FLOW_A_SECRET, f->secret_len, f->secret) < 0)
		return -EMSGSIZE;
	if (nfp_flow_isset(f, NFP_FLOW_ROLE) &&
	    nla_put_u8(msg, NFPUNCH_FLOW_A_ROLE, f->u32[NFP_FLOW_ROLE]) < 0)
		return -EMSGSIZE;
	if (nfp_flow_isset(f, NFP_FLOW_PRIME_TTL) &&
	    nla_put_u8(msg, NFPUNCH_FLOW_A_PRIME_TTL, f->u32[NFP_FLOW_PRIME_TTL]) < 0)
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int build_flow_new(struct nl_msg *msg, void *arg)
{
	const struct flow_req *r = arg;

	return nfp_put_flow_new(msg, r->in);
}

static int build_flow_key(struct nl_msg *msg, void *arg)
{
	static const int attrs[] = { NFP_FLOW_KEEPALIVE_MS, NFP_FLOW_TIMEOUT_MS };
	struct flow_req *r = arg;
	struct nlattr *nest = nla_nest_start(msg, NFPUNCH_A_FLOW);
	int ret = 0;

	if (!nest)
		return -EMSGSIZE;
	if (r->id && nla_put_u32(msg, NFPUNCH_FLOW_A_ID, r->id) < 0)
		return -EMSGSIZE;
	if (r->local)
		ret = nfp_put_endpoint(msg, NFPUNCH_FLOW_A_LOCAL, r->local);
	if (!ret && r->in) {		/* a change */
		ret = put_set_u32(msg, r->in, attrs, ARRAY_SIZE(attrs));
		if (!ret && nfp_flow_isset(r->in, NFP_FLOW_STATE) &&
		    nla_put_u8(msg, NFPUNCH_FLOW_A_STATE, NFPUNCH_STATE_PUNCHING) < 0)
			ret = -EMSGSIZE;
		if (!ret && nfp_flow_isset(r->in, NFP_FLOW_NOMINATE) &&
		    nla_put_flag(msg, NFPUNCH_FLOW_A_NOMINATE) < 0)
			ret = -EMSGSIZE;
	}
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

int nfp_flow_check_new(struct nfp_handle *h, const struct nfp_flow *f)
{
	if (nfp_flow_isset(f, NFP_FLOW_ID) || nfp_flow_isset(f, NFP_FLOW_STATE))
		return nfp_fail(h, -EINVAL, "a new flow takes no id and no state");
	if (nfp_flow_isset(f, NFP_FLOW_NOMINATE))
		return nfp_fail(h, -EINVAL,
				"a new flow is nominated unless it has NFP_FLOW_F_CANDIDATE");
	return 0;
}

NFP_EXPORT int nfp_flow_add(struct nfp_handle *h, const struct nfp_flow *flow,
			    struct nfp_flow *out)
{
	struct flow_req r = { .in = flow, .out = out };
	int ret = nfp_flow_check_new(h, flow);

	if (ret)
		return ret;
	return nfp_request(h, NFPUNCH_CMD_FLOW_NEW, 0, build_flow_new,
			   parse_flow_req, &r);
}

NFP_EXPORT int nfp_flow_del(struct nfp_handle *h, uint32_t id)
{
	struct flow_req r = { .id = id };

	return nfp_request(h, NFPUNCH_CMD_FLOW_DEL, 0, build_flow_key, NULL, &r);
}

NFP_EXPORT int nfp_flow_del_local(struct nfp_handle *h,
				  const struct nfp_endpoint *local)
{
	struct flow_req r = { .local = local };

	return nfp_request(h, NFPUNCH_CMD_FLOW_DEL, 0, build_flow_key, NULL, &r);
}

NFP_EXPORT int nfp_flow_lookup(struct nfp_handle *h, uint32_t id,
			       struct nfp_flow *out)
{
	struct flow_req r = { .id = id, .out = out };

	return nfp_request(h, NFPUNCH_CMD_FLOW_GET, 0, build_flow_key,
			   parse_flow_req, &r);
}

NFP_EXPORT int nfp_flow_change(struct nfp_handle *h,
			       const struct nfp_flow *change,
			       struct nfp_flow *out)
{
	struct flow_req r = {
		.in = change, .out = out, .id = change->u32[NFP_FLOW_ID],
	};

	if (!nfp_flow_isset(change, NFP_FLOW_ID))
		return nfp_fail(h, -EINVAL, "a change names its flow (NFP_FLOW_ID)");
	if (nfp_flow_isset(change, NFP_FLOW_STATE) &&
	    change->u32[NFP_FLOW_STATE] != NFP_STATE_PUNCHING)
		return nfp_fail(h, -EINVAL, "a flow can only be sent back to punching");
	if (nfp_flow_isset(change, NFP_FLOW_ROLE) || nfp_flow_isset(change, NFP_FLOW_FLAGS) ||
	    nfp_flow_isset(change, NFP_FLOW_MARK) || nfp_flow_isset(change, NFP_FLOW_LOCAL) ||
	    nfp_flow_isset(change, NFP_FLOW_APP_TAG) ||
	    nfp_flow_isset(change, NFP_FLOW_PRIME_TTL) ||
	    nfp_flow_isset(change, NFP_FLOW_PRIME_MS) ||
	    nfp_flow_isset(change, NFP_FLOW_PUNCH_TIMEOUT_MS) ||
	    nfp_flow_isset(change, NFP_FLOW_PROBE_INTERVAL_MS) ||
	    change->n_peers || change->secret_len)
		return nfp_fail(h, -EINVAL,
				"a change takes only the keepalive, the timeout, punching again and a nomination");
	return nfp_request(h, NFPUNCH_CMD_FLOW_SET, 0, build_flow_key,
			   parse_flow_req, &r);
}

/* A dump's or a delete's filter: what r->in sets of LOCAL, STATE, APP_TAG. */
static int build_filter(struct nl_msg *msg, void *arg)
{
	static const int app_tag[] = { NFP_FLOW_APP_TAG };
	struct flow_req *r = arg;
	const struct nfp_flow *f = r->in;
	struct nlattr *nest;

	if (!f || !(nfp_flow_isset(f, NFP_FLOW_LOCAL) ||
		    nfp_flow_isset(f, NFP_FLOW_STATE) ||
		    nfp_flow_isset(f, NFP_FLOW_APP_TAG)))
		return 0;
	nest = nla_nest_start(msg, NFPUNCH_A_FLOW);
	if (!nest)
		return -EMSGSIZE;
	if (nfp_flow_isset(f, NFP_FLOW_LOCAL) &&
	    nfp_put_endpoint(msg, NFPUNCH_FLOW_A_LOCAL, &f->local) < 0)
		return -EMSGSIZE;
	if (nfp_flow_isset(f, NFP_FLOW_STATE) &&
	    nla_put_u8(msg, NFPUNCH_FLOW_A_STATE, f->u32[NFP_FLOW_STATE]) < 0)
		return -EMSGSIZE;
	if (put_set_u32(msg, f, app_tag, 1))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

NFP_EXPORT int nfp_flow_del_match(struct nfp_handle *h,
				  const struct nfp_flow *match)
{
	static const int filter[] = { NFP_FLOW_LOCAL, NFP_FLOW_APP_TAG };
	struct flow_req r = { .in = match };

	if (!match || !(nfp_flow_isset(match, NFP_FLOW_LOCAL) ||
			nfp_flow_isset(match, NFP_FLOW_APP_TAG)))
		return nfp_fail(h, -EINVAL,
				"say which flows: a local endpoint and/or an app tag");
	if (nfp_flow_bad_filter(match, filter, 2))
		return nfp_fail(h, -EINVAL,
				"a delete filters on a local endpoint (no range) and the app tag only");
	return nfp_request(h, NFPUNCH_CMD_FLOW_DEL, 0, build_filter, NULL, &r);
}

static int parse_dump(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct flow_req *r = arg;
	int ret;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		return -EINTR;
	ret = parse_flow_reply(nlh, tb, r->out);
	if (ret)
		return ret;
	r->count++;
	return r->fn ? r->fn(r->out, r->arg) : 0;
}

NFP_EXPORT int nfp_flow_dump(struct nfp_handle *h, const struct nfp_flow *match,
			     int (*fn)(const struct nfp_flow *flow, void *arg),
			     void *arg)
{
	struct flow_req r = { .in = match, .fn = fn, .arg = arg };
	int ret;

	/* One object for every flow of the dump: its peers array is reused. */
	r.out = nfp_flow_alloc();
	if (!r.out)
		return nfp_fail(h, -ENOMEM, NULL);
	ret = nfp_request(h, NFPUNCH_CMD_FLOW_GET, NLM_F_DUMP, build_filter,
			  parse_dump, &r);
	nfp_flow_free(r.out);
	return ret < 0 ? ret : r.count;
}
