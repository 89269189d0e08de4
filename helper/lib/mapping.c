// SPDX-License-Identifier: LGPL-2.1-or-later
/* Mapping queries: started by a request, answered by a notification. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

#define MAPPING_DEFAULT_TIMEOUT_MS	3000
/* Slack for the notification after the kernel's own deadline. */
#define MAPPING_SLACK_MS		1000

static struct nla_policy map_policy[NFPUNCH_MAP_A_MAX + 1] = {
	[NFPUNCH_MAP_A_ID] = { .type = NLA_U32 },
	[NFPUNCH_MAP_A_LOCAL] = { .type = NLA_NESTED },
	[NFPUNCH_MAP_A_SERVER] = { .type = NLA_NESTED },
	[NFPUNCH_MAP_A_MAPPED] = { .type = NLA_NESTED },
	[NFPUNCH_MAP_A_ERROR] = { .type = NLA_U32 },
	[NFPUNCH_MAP_A_STUN_ERROR] = { .type = NLA_U16 },
	[NFPUNCH_MAP_A_RTT] = { .type = NLA_U32 },
	[NFPUNCH_MAP_A_MARK] = { .type = NLA_U32 },
};

NFP_EXPORT struct nfp_mapping *nfp_mapping_alloc(void)
{
	return calloc(1, sizeof(struct nfp_mapping));
}

NFP_EXPORT void nfp_mapping_free(struct nfp_mapping *m)
{
	free(m);
}

NFP_EXPORT struct nfp_mapping *nfp_mapping_clone(const struct nfp_mapping *m)
{
	struct nfp_mapping *c = malloc(sizeof(*c));

	if (c)
		*c = *m;
	return c;
}

NFP_EXPORT uint32_t nfp_mapping_get_u32(const struct nfp_mapping *m, int attr)
{
	switch (attr) {
	case NFP_MAPPING_ID: return m->id;
	case NFP_MAPPING_ERROR: return m->error;
	case NFP_MAPPING_STUN_ERROR: return m->stun_error;
	case NFP_MAPPING_RTT_US: return m->rtt_us;
	case NFP_MAPPING_MARK: return m->mark;
	case NFP_MAPPING_TIMEOUT_MS: return m->timeout_ms;
	}
	return 0;
}

NFP_EXPORT int nfp_mapping_set_u32(struct nfp_mapping *m, int attr,
				   uint32_t value)
{
	switch (attr) {
	case NFP_MAPPING_MARK:
		m->mark = value;
		return 0;
	case NFP_MAPPING_TIMEOUT_MS:
		m->timeout_ms = value;
		return 0;
	}
	return -EINVAL;
}

NFP_EXPORT int nfp_mapping_set_endpoint(struct nfp_mapping *m, int attr,
					const struct nfp_endpoint *ep)
{
	switch (attr) {
	case NFP_MAPPING_LOCAL:
		m->local = *ep;
		return 0;
	case NFP_MAPPING_SERVER:
		m->server = *ep;
		return 0;
	}
	return -EINVAL;
}

NFP_EXPORT const struct nfp_endpoint *
nfp_mapping_get_endpoint(const struct nfp_mapping *m, int attr)
{
	const struct nfp_endpoint *ep = NULL;

	switch (attr) {
	case NFP_MAPPING_LOCAL: ep = &m->local; break;
	case NFP_MAPPING_SERVER: ep = &m->server; break;
	case NFP_MAPPING_MAPPED: ep = &m->mapped; break;
	}
	return ep && ep->family ? ep : NULL;
}

int nfp_parse_mapping(struct nlattr *nest, struct nfp_mapping *m)
{
	struct nlattr *tb[NFPUNCH_MAP_A_MAX + 1];

	memset(m, 0, sizeof(*m));
	if (nla_parse_nested(tb, NFPUNCH_MAP_A_MAX, nest, map_policy) < 0 ||
	    !tb[NFPUNCH_MAP_A_ID])
		return -EPROTO;
	m->id = nla_get_u32(tb[NFPUNCH_MAP_A_ID]);
	if ((tb[NFPUNCH_MAP_A_LOCAL] &&
	     nfp_get_endpoint(tb[NFPUNCH_MAP_A_LOCAL], &m->local)) ||
	    (tb[NFPUNCH_MAP_A_SERVER] &&
	     nfp_get_endpoint(tb[NFPUNCH_MAP_A_SERVER], &m->server)) ||
	    (tb[NFPUNCH_MAP_A_MAPPED] &&
	     nfp_get_endpoint(tb[NFPUNCH_MAP_A_MAPPED], &m->mapped)))
		return -EPROTO;
	if (tb[NFPUNCH_MAP_A_ERROR])
		m->error = nla_get_u32(tb[NFPUNCH_MAP_A_ERROR]);
	if (tb[NFPUNCH_MAP_A_STUN_ERROR])
		m->stun_error = nla_get_u16(tb[NFPUNCH_MAP_A_STUN_ERROR]);
	if (tb[NFPUNCH_MAP_A_RTT])
		m->rtt_us = nla_get_u32(tb[NFPUNCH_MAP_A_RTT]);
	if (tb[NFPUNCH_MAP_A_MARK])
		m->mark = nla_get_u32(tb[NFPUNCH_MAP_A_MARK]);
	if (!m->error && !m->mapped.family)
		return -EPROTO;
	return 0;
}

static int build_mapping(struct nl_msg *msg, void *arg)
{
	struct nfp_mapping *r = arg;
	struct nlattr *nest = nla_nest_start(msg, NFPUNCH_A_MAPPING);
	int ret;

	if (!nest)
		return -EMSGSIZE;
	ret = nfp_put_endpoint(msg, NFPUNCH_MAP_A_LOCAL, &r->local) ?:
	      nfp_put_endpoint(msg, NFPUNCH_MAP_A_SERVER, &r->server);
	if (ret)
		return ret;
	/* A mark only when set: modules before it refuse the attribute. */
	if ((r->timeout_ms &&
	     nla_put_u32(msg, NFPUNCH_MAP_A_TIMEOUT, r->timeout_ms) < 0) ||
	    (r->mark && nla_put_u32(msg, NFPUNCH_MAP_A_MARK, r->mark) < 0))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int parse_mapping_id(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct nlattr *t[NFPUNCH_MAP_A_MAX + 1];
	struct nfp_mapping *r = arg;

	(void)nlh;
	/* The reply names only the query's id. */
	if (!tb[NFPUNCH_A_MAPPING] ||
	    nla_parse_nested(t, NFPUNCH_MAP_A_MAX, tb[NFPUNCH_A_MAPPING],
			     map_policy) < 0 || !t[NFPUNCH_MAP_A_ID])
		return -EPROTO;
	r->id = nla_get_u32(t[NFPUNCH_MAP_A_ID]);
	return 0;
}

NFP_EXPORT int nfp_mapping_request(struct nfp_handle *h, struct nfp_mapping *m)
{
	if (!m->local.family || !m->server.family)
		return nfp_fail(h, -EINVAL, "a mapping query needs a local and a server endpoint");
	/* A reused object keeps nothing of an earlier result. */
	m->id = m->error = m->stun_error = m->rtt_us = 0;
	memset(&m->mapped, 0, sizeof(m->mapped));
	return nfp_request(h, NFPUNCH_CMD_MAPPING_GET, 0, build_mapping,
			   parse_mapping_id, m);
}

NFP_EXPORT int nfp_mapping_start(struct nfp_handle *h,
				 const struct nfp_endpoint *local,
				 const struct nfp_endpoint *server,
				 uint32_t timeout_ms, uint32_t *id)
{
	struct nfp_mapping r = { .local = *local, .server = *server,
				 .timeout_ms = timeout_ms };
	int ret;

	ret = nfp_mapping_request(h, &r);
	if (ret < 0)
		return ret;
	*id = r.id;
	return 0;
}

struct map_wait {
	uint32_t id;
	struct nfp_mapping *result;
	int found;
};

static int on_mapping(const struct nfp_event *e, void *arg)
{
	struct map_wait *w = arg;

	if (e->type == NFP_EVENT_MAPPING && e->mapping->id == w->id) {
		*w->result = *e->mapping;
		w->found = 1;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

NFP_EXPORT int nfp_mapping_resolve(struct nfp_handle *h, struct nfp_mapping *m)
{
	uint32_t timeout_ms = m->timeout_ms ?: MAPPING_DEFAULT_TIMEOUT_MS;
	struct map_wait w = { .result = m };
	struct nfp_events *ev;
	long long deadline;
	int ret;

	/* Listen first, so the answer cannot come before we do. */
	ret = nfp_events_open(&ev);
	if (ret < 0)
		return nfp_fail(h, ret, NULL);
	ret = nfp_mapping_request(h, m);
	if (ret < 0)
		goto out;
	w.id = m->id;
	deadline = now_ms() + timeout_ms + MAPPING_SLACK_MS;
	for (;;) {
		struct pollfd pfd = { .fd = nfp_events_fd(ev), .events = POLLIN };
		long long left = deadline - now_ms();

		if (left <= 0) {
			ret = nfp_fail(h, -ETIMEDOUT, "no result from the module");
			break;
		}
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR) {
			ret = nfp_fail(h, -errno, NULL);
			break;
		}
		if (ret <= 0)
			continue;
		/* Lost events may or may not hold ours: wait on for it. */
		ret = nfp_events_read(ev, on_mapping, &w);
		if (ret < 0 && ret != -ENOBUFS) {
			nfp_fail(h, ret, NULL);
			break;
		}
		if (w.found) {
			ret = 0;
			break;
		}
	}
out:
	nfp_events_close(ev);
	return ret;
}

NFP_EXPORT int nfp_mapping_query(struct nfp_handle *h,
				 const struct nfp_endpoint *local,
				 const struct nfp_endpoint *server,
				 uint32_t timeout_ms, struct nfp_mapping *result)
{
	/* local or server may point into result: read them first. */
	struct nfp_mapping q = { .local = *local, .server = *server,
				 .timeout_ms = timeout_ms };
	int ret = nfp_mapping_resolve(h, &q);

	if (!ret)
		*result = q;
	return ret;
}
