// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The events multicast group: a socket of its own, so notifications never
 * mix with the replies of a handle's requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>

#include "internal.h"

struct nfp_events {
	struct nl_sock *sk;
	struct nl_cb *cb;
	int (*fn)(const struct nfp_event *e, void *arg);
	void *arg;
	int ret;
};

const char *nfp_event_name(int type)
{
	switch (type) {
	case NFP_EVENT_ESTABLISHED: return "established";
	case NFP_EVENT_REMOTE_CHANGED: return "remote-changed";
	case NFP_EVENT_DEAD: return "dead";
	case NFP_EVENT_DELETED: return "deleted";
	case NFP_EVENT_MAPPING: return "mapping";
	}
	return "unknown";
}

static int on_event(struct nl_msg *msg, void *arg)
{
	struct nfp_events *ev = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct nlattr *tb[NFPUNCH_A_MAX + 1];
	struct nfp_event *e;
	int ret;

	if (genlmsg_parse(nlh, 0, tb, NFPUNCH_A_MAX, NULL) < 0)
		return NL_SKIP;
	e = calloc(1, sizeof(*e));
	if (!e) {
		ev->ret = -ENOMEM;
		return NL_STOP;
	}
	ret = -EPROTO;
	if (gh->cmd == NFPUNCH_CMD_FLOW_NTF && tb[NFPUNCH_A_EVENT] &&
	    tb[NFPUNCH_A_FLOW]) {
		e->type = nla_get_u8(tb[NFPUNCH_A_EVENT]);
		ret = nfp_parse_flow(tb[NFPUNCH_A_FLOW], &e->flow);
	} else if (gh->cmd == NFPUNCH_CMD_MAPPING_NTF && tb[NFPUNCH_A_MAPPING]) {
		e->type = NFP_EVENT_MAPPING;
		ret = nfp_parse_mapping(tb[NFPUNCH_A_MAPPING], &e->mapping);
	}
	/* Unknown notifications from a newer module are skipped. */
	if (!ret) {
		ret = ev->fn(e, ev->arg);
		if (ret < 0)
			ev->ret = ret;
	}
	free(e);
	return ev->ret < 0 ? NL_STOP : NL_OK;
}

static int no_seq_check(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
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

int nfp_events_open(struct nfp_events **evp)
{
	struct nfp_events *ev;
	int grp, ret;

	*evp = NULL;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ret = nfp_genl_socket(&ev->sk);
	if (ret < 0)
		goto err;
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
	ev->cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!ev->cb) {
		ret = -ENOMEM;
		goto err_sk;
	}
	/* Notifications carry no sequence number of ours. */
	nl_cb_set(ev->cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, no_seq_check, NULL);
	nl_cb_set(ev->cb, NL_CB_VALID, NL_CB_CUSTOM, on_event, ev);
	*evp = ev;
	return 0;
err_sk:
	nl_socket_free(ev->sk);
err:
	free(ev);
	return ret;
}

void nfp_events_close(struct nfp_events *ev)
{
	if (!ev)
		return;
	nl_cb_put(ev->cb);
	nl_socket_free(ev->sk);
	free(ev);
}

int nfp_events_fd(const struct nfp_events *ev)
{
	return nl_socket_get_fd(ev->sk);
}

int nfp_events_read(struct nfp_events *ev,
		    int (*fn)(const struct nfp_event *e, void *arg), void *arg)
{
	int ret;

	ev->fn = fn;
	ev->arg = arg;
	ev->ret = 0;
	ret = nl_recvmsgs(ev->sk, ev->cb);
	if (ev->ret < 0)
		return ev->ret;
	if (ret == -NLE_NOMEM)
		return -ENOBUFS;	/* the kernel dropped events for us */
	return ret < 0 ? -EIO : 0;
}
