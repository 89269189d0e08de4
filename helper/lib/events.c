// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The events multicast group: a socket of its own, so notifications never
 * mix with the replies of a handle's requests. Non-blocking, and read by
 * hand rather than with nl_recvmsgs(): an event a callback refuses must
 * leave the rest of its datagram queued for the next read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>

#include "internal.h"

/* A notification is one flow (32 peers at most: about 1.5 KiB). */
#define EVENTS_BUF	65536
/* Room for bursts: events lost to a full buffer cost the caller a dump. */
#define EVENTS_RCVBUF	(1 << 20)

struct nfp_events {
	struct nl_sock *sk;
	int family;
	uint8_t *buf;		/* one datagram, read up to off */
	size_t len, off;
	struct nfp_event e;	/* what fn is shown */
	struct nfp_flow *flow;
	struct nfp_flow *filter;	/* NULL: every flow event */
	struct nfp_mapping mapping;
};

NFP_EXPORT const char *nfp_event_name(int type)
{
	switch (type) {
	case NFP_EVENT_ESTABLISHED: return "established";
	case NFP_EVENT_REMOTE_CHANGED: return "remote-changed";
	case NFP_EVENT_DEAD: return "dead";
	case NFP_EVENT_DELETED: return "deleted";
	case NFP_EVENT_EXISTS: return "exists";
	case NFP_EVENT_MAPPING: return "mapping";
	}
	return "unknown";
}

NFP_EXPORT int nfp_event_get_type(const struct nfp_event *e)
{
	return e->type;
}

NFP_EXPORT const struct nfp_flow *nfp_event_get_flow(const struct nfp_event *e)
{
	return e->flow;
}

NFP_EXPORT const struct nfp_mapping *nfp_event_get_mapping(const struct nfp_event *e)
{
	return e->mapping;
}

/* The kernel's event numbers, and ours: the two are not the same ABI. */
static int event_type(uint8_t kernel)
{
	switch (kernel) {
	case NFPUNCH_EVENT_ESTABLISHED: return NFP_EVENT_ESTABLISHED;
	case NFPUNCH_EVENT_REMOTE_CHANGED: return NFP_EVENT_REMOTE_CHANGED;
	case NFPUNCH_EVENT_DEAD: return NFP_EVENT_DEAD;
	case NFPUNCH_EVENT_DELETED: return NFP_EVENT_DELETED;
	}
	return 0;
}

/*
 * Turn one message into ev->e: 0, or -EAGAIN for a message that is not
 * an event of ours (an unknown one from a newer module included).
 */
static int parse_event(struct nfp_events *ev, struct nlmsghdr *nlh)
{
	struct nlattr *tb[NFPUNCH_A_MAX + 1];
	struct genlmsghdr *gh;
	int type;

	if (nlh->nlmsg_type != ev->family ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
	    genlmsg_parse(nlh, 0, tb, NFPUNCH_A_MAX, NULL) < 0)
		return -EAGAIN;
	gh = nlmsg_data(nlh);
	memset(&ev->e, 0, sizeof(ev->e));
	if (gh->cmd == NFPUNCH_CMD_FLOW_NTF && tb[NFPUNCH_A_EVENT] &&
	    nla_len(tb[NFPUNCH_A_EVENT]) >= 1 && tb[NFPUNCH_A_FLOW]) {
		type = event_type(nla_get_u8(tb[NFPUNCH_A_EVENT]));
		if (!type || nfp_parse_flow(tb[NFPUNCH_A_FLOW], ev->flow))
			return -EAGAIN;
		if (ev->filter && !nfp_flow_matches(ev->filter, ev->flow))
			return -EAGAIN;		/* another application's */
		ev->e.type = type;
		ev->e.flow = ev->flow;
		return 0;
	}
	if (gh->cmd == NFPUNCH_CMD_MAPPING_NTF && tb[NFPUNCH_A_MAPPING]) {
		if (nfp_parse_mapping(tb[NFPUNCH_A_MAPPING], &ev->mapping))
			return -EAGAIN;
		ev->e.type = NFP_EVENT_MAPPING;
		ev->e.mapping = &ev->mapping;
		return 0;
	}
	return -EAGAIN;
}

/*
 * The next event into ev->e: 0, -EAGAIN when none is queued, -ENOBUFS
 * when the kernel dropped some, or another negative errno.
 */
static int next_event(struct nfp_events *ev)
{
	struct sockaddr_nl from;
	struct nlmsghdr *nlh;
	socklen_t flen;
	ssize_t n;

	for (;;) {
		if (ev->off >= ev->len) {
			flen = sizeof(from);
			n = recvfrom(nl_socket_get_fd(ev->sk), ev->buf, EVENTS_BUF,
				     MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &flen);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return errno == EWOULDBLOCK ? -EAGAIN : -errno;
			}
			/* Only the kernel speaks here. */
			if (from.nl_pid != 0)
				continue;
			/* Cut short: what it said is lost, as with ENOBUFS. */
			if (n > EVENTS_BUF)
				return -ENOBUFS;
			ev->len = n;
			ev->off = 0;
		}
		nlh = (struct nlmsghdr *)(ev->buf + ev->off);
		if (!nlmsg_ok(nlh, (int)(ev->len - ev->off))) {
			ev->off = ev->len;
			continue;
		}
		/* Consumed before fn sees it: what fn refuses is not repeated. */
		ev->off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (!parse_event(ev, nlh))
			return 0;
	}
}

int nfp_genl_socket(struct nl_sock **skp)
{
	struct nl_sock *sk;
	int family;

	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (genl_connect(sk) < 0) {
		nl_socket_free(sk);
		return -EIO;
	}
	family = genl_ctrl_resolve(sk, NFPUNCH_GENL_NAME);
	if (family < 0) {
		nl_socket_free(sk);
		return family == -NLE_OBJ_NOTFOUND ? -ENOENT : -EIO;
	}
	*skp = sk;
	return family;
}

NFP_EXPORT int nfp_events_open(struct nfp_events **evp)
{
	struct nfp_events *ev;
	int grp, ret;

	*evp = NULL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ev->buf = malloc(EVENTS_BUF);
	ev->flow = nfp_flow_alloc();
	ret = -ENOMEM;
	if (!ev->buf || !ev->flow)
		goto err;
	ret = nfp_genl_socket(&ev->sk);
	if (ret < 0)
		goto err;
	ev->family = ret;
	grp = genl_ctrl_resolve_grp(ev->sk, NFPUNCH_GENL_NAME,
				    NFPUNCH_MCGRP_EVENTS);
	if (grp < 0) {
		ret = -ENOENT;
		goto err_sk;
	}
	ret = nl_socket_add_membership(ev->sk, grp);
	if (ret < 0) {
		ret = ret == -NLE_PERM ? -EPERM : -EIO;
		goto err_sk;
	}
	if (nl_socket_set_nonblocking(ev->sk) < 0) {
		ret = -errno;
		goto err_sk;
	}
	/* Best effort: the default is the system's rmem_default. */
	nl_socket_set_buffer_size(ev->sk, EVENTS_RCVBUF, 0);
	*evp = ev;
	return 0;
err_sk:
	nl_socket_free(ev->sk);
err:
	nfp_flow_free(ev->flow);
	free(ev->buf);
	free(ev);
	return ret;
}

NFP_EXPORT void nfp_events_close(struct nfp_events *ev)
{
	if (!ev)
		return;
	nl_socket_free(ev->sk);
	nfp_flow_free(ev->flow);
	nfp_flow_free(ev->filter);
	free(ev->buf);
	free(ev);
}

NFP_EXPORT int nfp_events_set_filter(struct nfp_events *ev,
				     const struct nfp_flow *match)
{
	static const int filter[] = { NFP_FLOW_LOCAL, NFP_FLOW_APP_TAG };
	struct nfp_flow *copy = NULL;

	if (match) {
		if (nfp_flow_bad_filter(match, filter, 2))
			return -EINVAL;
		copy = nfp_flow_clone(match);
		if (!copy)
			return -ENOMEM;
	}
	nfp_flow_free(ev->filter);
	ev->filter = copy;
	return 0;
}

NFP_EXPORT int nfp_events_fd(const struct nfp_events *ev)
{
	return nl_socket_get_fd(ev->sk);
}

NFP_EXPORT int nfp_events_read(struct nfp_events *ev,
			       int (*fn)(const struct nfp_event *e, void *arg),
			       void *arg)
{
	int n = 0, ret;

	for (;;) {
		ret = next_event(ev);
		if (ret == -EAGAIN)
			return n;
		if (ret < 0)
			return ret;
		n++;
		ret = fn(&ev->e, arg);
		if (ret < 0)
			return ret;
	}
}

/* The flows of a resync's dump, kept until the dump is over. */
struct resync {
	struct nfp_flow **flows;
	size_t n, cap;
};

static int resync_keep(const struct nfp_flow *flow, void *arg)
{
	struct resync *r = arg;
	struct nfp_flow **p;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		p = reallocarray(r->flows, r->cap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->flows = p;
	}
	r->flows[r->n] = nfp_flow_clone(flow);
	return r->flows[r->n] ? (r->n++, 0) : -ENOMEM;
}

NFP_EXPORT int nfp_events_resync(struct nfp_events *ev, struct nfp_handle *h,
				 int (*fn)(const struct nfp_event *e, void *arg),
				 void *arg)
{
	struct nfp_event e = { .type = NFP_EVENT_EXISTS };
	struct resync r = { 0 };
	int n = 0, ret;
	size_t i;

	/* What is queued is older than the dump: only mapping results,
	 * which no dump shows, are worth delivering. */
	for (;;) {
		ret = next_event(ev);
		if (ret == -EAGAIN)
			break;
		if (ret == -ENOBUFS || ret == 0) {
			if (ret == 0 && ev->e.type == NFP_EVENT_MAPPING) {
				n++;
				ret = fn(&ev->e, arg);
				if (ret < 0)
					return ret;
			}
			continue;
		}
		return ret;
	}
	/* Delivered after the dump: fn may make requests on h. */
	ret = nfp_flow_dump(h, ev->filter, resync_keep, &r);
	for (i = 0; i < r.n; i++) {
		if (ret >= 0) {
			int cb;

			e.flow = r.flows[i];
			n++;
			cb = fn(&e, arg);
			if (cb < 0)
				ret = cb;	/* what fn said; no more after it */
		}
		nfp_flow_free(r.flows[i]);
	}
	free(r.flows);
	return ret < 0 ? ret : n;
}
