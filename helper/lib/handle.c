// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The handle: one generic netlink socket bound to the nfpunch family, and
 * the request/reply loop every command goes through. libnl 3.7 does not
 * read extended acks, so the error callback here does.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/nfpunch.h>
#include <netlink/genl/ctrl.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int nfp_fail(struct nfp_handle *h, int err, const char *msg)
{
	h->err = err;
	snprintf(h->errmsg, sizeof(h->errmsg), "%s",
		 msg && *msg ? msg : strerror(-err));
	return err;
}

/* libnl reports its own NLE_* codes; turn them back into errno values. */
static int nl_fail(struct nfp_handle *h, int nlerr)
{
	int err;

	switch (-nlerr) {
	case NLE_NOMEM: err = -ENOMEM; break;
	case NLE_PERM: err = -EPERM; break;
	case NLE_AGAIN: err = -EAGAIN; break;
	case NLE_INTR: err = -EINTR; break;
	case NLE_MSGSIZE: err = -EMSGSIZE; break;
	case NLE_DUMP_INTR: err = -EINTR; break;
	default: err = -EIO; break;
	}
	return nfp_fail(h, err, nl_geterror(nlerr));
}

NFP_EXPORT const char *nfp_strerror(const struct nfp_handle *h)
{
	return h->errmsg;
}

NFP_EXPORT int nfp_open(struct nfp_handle **hp)
{
	struct nfp_handle *h;
	int one = 1, ret;

	*hp = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->sk = nl_socket_alloc();
	if (!h->sk) {
		free(h);
		return -ENOMEM;
	}
	ret = genl_connect(h->sk);
	if (ret < 0) {
		ret = errno ? -errno : -EIO;
		goto err;
	}
	/* Ask for the kernel's explanation with every error, without the
	 * echo of our own request. */
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(h->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));

	/* Resolving the family makes the kernel load the module if needed. */
	h->family = genl_ctrl_resolve(h->sk, NFPUNCH_GENL_NAME);
	if (h->family < 0) {
		ret = h->family == -NLE_OBJ_NOTFOUND ? -ENOENT : -EIO;
		goto err;
	}
	*hp = h;
	return 0;
err:
	nl_socket_free(h->sk);
	free(h);
	return ret;
}

NFP_EXPORT void nfp_close(struct nfp_handle *h)
{
	if (!h)
		return;
	nl_socket_free(h->sk);
	free(h);
}

struct request {
	struct nfp_handle *h;
	nfp_parse_fn parse;
	void *arg;
	int err;
	bool done;
	bool reply_ends;	/* no ACK asked: the reply is the last word */
	uint32_t seq;		/* of the request: answers carry it */
};

/*
 * Our own sequence check: libnl's expects the next number only after an
 * ACK or a dump's end, which a request without an ACK never sends. What
 * carries another number is left over from an earlier, failed request.
 */
static int on_seq_check(struct nl_msg *msg, void *arg)
{
	const struct request *req = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == req->seq ? NL_OK : NL_SKIP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;
	struct nlattr *tb[NFPUNCH_A_MAX + 1];
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int ret;

	/* After a failure (fn's own included) nothing more is parsed. */
	if (!req->parse || req->err)
		return NL_OK;
	ret = genlmsg_parse(nlh, 0, tb, NFPUNCH_A_MAX, NULL);
	if (ret < 0) {
		if (!req->err)
			req->err = nfp_fail(req->h, -EPROTO,
					    "malformed reply from the kernel");
		return NL_SKIP;
	}
	ret = req->parse(nlh, tb, req->arg);
	/* Keep reading to the end, so no stale reply is left queued. */
	if (ret < 0 && !req->err)
		req->err = nfp_fail(req->h, ret, ret == -EINTR ?
				    "the flows changed during the dump; try again" : NULL);
	if (req->reply_ends) {
		req->done = true;
		return NL_STOP;
	}
	return ret < 0 ? NL_SKIP : NL_OK;
}

/* The extended ack's attributes in tb; -1 when it has none. */
static int extack_parse(const struct nlmsgerr *e,
			struct nlattr *tb[NLMSGERR_ATTR_MAX + 1])
{
	const struct nlmsghdr *nlh = (const void *)((const char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return -1;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + off)
		return -1;
	return nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
			 nlh->nlmsg_len - NLMSG_HDRLEN - off, NULL) < 0 ? -1 : 0;
}

/*
 * The kernel's extended ack for e: its message into buf ("" if none), and
 * where in the request it found fault (bytes; 0 if it did not say).
 */
static uint32_t extack_read(const struct nlmsgerr *e, char *buf, size_t len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	buf[0] = '\0';
	if (extack_parse(e, tb))
		return 0;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(buf, tb[NLMSGERR_ATTR_MSG], len);
	if (!tb[NLMSGERR_ATTR_OFFS] ||
	    nla_len(tb[NLMSGERR_ATTR_OFFS]) < (int)sizeof(uint32_t))
		return 0;
	return nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);
}

void nfp_extack_message(const struct nlmsgerr *e, char *buf, size_t len)
{
	extack_read(e, buf, len);
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct request *req = arg;
	char msg[sizeof(req->h->errmsg)];
	uint32_t offset;

	(void)who;
	offset = extack_read(e, msg, sizeof(msg));
	req->err = nfp_fail(req->h, e->error < 0 ? e->error : -EPROTO, msg);
	req->h->err_offset = offset;
	req->done = true;
	return NL_STOP;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	struct request *req = arg;

	(void)msg;
	req->done = true;
	return NL_STOP;
}

int nfp_request(struct nfp_handle *h, uint8_t cmd, int flags,
		nfp_build_fn build, nfp_parse_fn parse, void *arg)
{
	return nfp_request_size(h, cmd, flags, 0, build, parse, arg);
}

int nfp_request_size(struct nfp_handle *h, uint8_t cmd, int flags, size_t size,
		     nfp_build_fn build, nfp_parse_fn parse, void *arg)
{
	struct request req = { .h = h, .parse = parse, .arg = arg };
	struct nl_cb *cb, *sk_cb;
	struct nl_msg *msg;
	int ret;

	h->err = 0;
	h->errmsg[0] = '\0';
	h->err_offset = 0;
	msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();
	if (!msg)
		return nfp_fail(h, -ENOMEM, NULL);
	/* Dumps end with NLMSG_DONE; everything else with an ack... */
	req.reply_ends = flags & NFP_REQ_REPLY_ENDS;
	flags &= ~NFP_REQ_REPLY_ENDS;
	if (!(flags & NLM_F_DUMP) && !req.reply_ends)
		flags |= NLM_F_ACK;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0,
			 NLM_F_REQUEST | flags, cmd, NFPUNCH_GENL_VERSION)) {
		nlmsg_free(msg);
		return nfp_fail(h, -ENOMEM, NULL);
	}
	if (build) {
		ret = build(msg, arg);
		if (ret < 0) {
			nlmsg_free(msg);
			return nfp_fail(h, ret, NULL);
		}
	}
	/* libnl asks for an ACK on its own unless told: untell it here. */
	nl_complete_msg(h->sk, msg);
	if (req.reply_ends)
		nlmsg_hdr(msg)->nlmsg_flags &= ~NLM_F_ACK;
	req.seq = nlmsg_hdr(msg)->nlmsg_seq;
	ret = nl_send(h->sk, msg);
	nlmsg_free(msg);
	if (ret < 0)
		return nl_fail(h, ret);

	/* nl_socket_get_cb() hands us a reference of our own. */
	sk_cb = nl_socket_get_cb(h->sk);
	cb = nl_cb_clone(sk_cb);
	nl_cb_put(sk_cb);
	if (!cb)
		return nfp_fail(h, -ENOMEM, NULL);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, &req);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_done, &req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &req);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &req);
	while (!req.done) {
		ret = nl_recvmsgs(h->sk, cb);
		if (ret < 0) {
			if (req.err == 0)
				req.err = nl_fail(h, ret);
			break;
		}
	}
	nl_cb_put(cb);
	return req.err;
}
