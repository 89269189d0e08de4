// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * nfp_flow_add_batch(): many flows, a few requests. Each request carries
 * up to NFP_FLOW_BATCH_MAX flows, as many as fit BATCH_BYTES, and the
 * kernel makes all of a request's flows or none. When a later request of
 * the call is refused, the earlier ones' flows are deleted again, so the
 * call as a whole is all or none too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/nfpunch.h>

#include "internal.h"

/* Well under the 64 KiB a libnl socket may send (twice its 32 KiB). */
#define BATCH_BYTES	32768

_Static_assert(NFP_FLOW_BATCH_MAX == NFPUNCH_FLOW_BATCH_MAX,
	       "the library's batch limit is the kernel's");

struct batch_req {
	struct nfp_flow *const *flows;
	uint32_t *ids;
	size_t first;			/* index of this request's first flow */
	size_t n;			/* how many it holds */
	size_t got;			/* ids the reply gave */
	long bad;			/* a flow the library could not send */
	uint32_t off[NFP_FLOW_BATCH_MAX]; /* where each flow's nest starts */
};

static int build_batch(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct batch_req *r = arg;
	size_t i;

	for (i = 0; i < r->n; i++) {
		uint32_t len = nlh->nlmsg_len;
		int ret = nfp_put_flow_new(msg, r->flows[r->first + i]);

		if (ret == -EMSGSIZE && i) {
			/* Full: drop the partial nest, the next request takes it. */
			nlh->nlmsg_len = len;
			break;
		}
		if (ret) {
			r->bad = (long)(r->first + i);
			return ret;
		}
		r->off[i] = len;
	}
	r->n = i;
	return 0;
}

static int parse_batch(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *a, *ftb[NFPUNCH_FLOW_A_MAX + 1];
	struct batch_req *r = arg;
	int rem;

	(void)tb;
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		if (nla_type(a) != NFPUNCH_A_FLOW)
			continue;
		if (r->got == r->n ||
		    nla_parse_nested(ftb, NFPUNCH_FLOW_A_MAX, a, NULL) < 0 ||
		    !ftb[NFPUNCH_FLOW_A_ID])
			return -EPROTO;
		r->ids[r->first + r->got++] = nla_get_u32(ftb[NFPUNCH_FLOW_A_ID]);
	}
	return 0;
}

/* Which flow of the request holds byte offset off (0: none said). */
static long batch_culprit(const struct batch_req *r, uint32_t off)
{
	size_t i;

	if (!off || !r->n || off < r->off[0])
		return -1;
	for (i = 1; i < r->n && r->off[i] <= off; i++)
		;
	return (long)(r->first + i - 1);
}

/*
 * Delete what earlier requests made. The failure on h stays what it was,
 * and says so if some could not be deleted (their ids stay in ids).
 */
static void batch_undo(struct nfp_handle *h, uint32_t *ids, size_t n)
{
	char msg[sizeof(h->errmsg)];
	int err = h->err, left = 0;
	uint32_t offset = h->err_offset;

	memcpy(msg, h->errmsg, sizeof(msg));
	while (n--) {
		/* Gone already (deleted by someone else) is as good. */
		if (nfp_flow_del(h, ids[n]) < 0 && h->err != -ENOENT)
			left++;
		else
			ids[n] = 0;
	}
	h->err = err;
	h->err_offset = offset;
	if (left)
		snprintf(h->errmsg, sizeof(h->errmsg), "%.*s (and %d flows of the "
			 "earlier requests could not be deleted)",
			 (int)sizeof(msg) - 80, msg, left);
	else
		memcpy(h->errmsg, msg, sizeof(msg));
}

/* Prefix the failure on h with the flow it is about. */
static int batch_fail(struct nfp_handle *h, int err, long culprit, long *failed)
{
	char msg[sizeof(h->errmsg)];

	if (failed)
		*failed = culprit;
	if (err == -EOPNOTSUPP)
		return nfp_fail(h, err, "the nfpunch module predates batches "
				"(0.5): add the flows one by one");
	if (culprit >= 0) {
		/* Cut the kernel's text, not the flow's number, if too long. */
		snprintf(msg, sizeof(msg), "flow %ld: %.*s", culprit,
			 (int)sizeof(msg) - 32, h->errmsg);
		nfp_fail(h, err, msg);
	}
	return err;
}

NFP_EXPORT int nfp_flow_add_batch(struct nfp_handle *h,
				  struct nfp_flow *const *flows, size_t n,
				  uint32_t *ids, long *failed)
{
	struct batch_req r = { .flows = flows, .ids = ids };
	size_t done = 0, i;
	int ret;

	if (failed)
		*failed = -1;
	if (n && (!flows || !ids))
		return nfp_fail(h, -EINVAL, "a batch needs its flows and room for their ids");
	for (i = 0; i < n; i++) {
		ret = flows[i] ? nfp_flow_check_new(h, flows[i]) :
				 nfp_fail(h, -EINVAL, "no flow");
		if (ret)
			return batch_fail(h, ret, (long)i, failed);
	}
	while (done < n) {
		r.first = done;
		r.n = n - done < NFP_FLOW_BATCH_MAX ? n - done : NFP_FLOW_BATCH_MAX;
		r.got = 0;
		r.bad = -1;
		/*
		 * No ACK: one that could not be allocated would fail the
		 * call after the flows were made and started.
		 */
		ret = nfp_request_size(h, NFPUNCH_CMD_FLOW_NEW_BATCH,
				       NFP_REQ_REPLY_ENDS, BATCH_BYTES,
				       build_batch, parse_batch, &r);
		if (!ret && r.got != r.n) {
			/* A kernel bug: the flows without an id cannot be undone. */
			ret = nfp_fail(h, -EPROTO, "the kernel's reply lacks ids");
			batch_undo(h, ids, done + r.got);
			return batch_fail(h, ret, -1, failed);
		}
		if (ret) {
			long culprit = r.bad >= 0 ? r.bad :
				       batch_culprit(&r, h->err_offset);

			batch_undo(h, ids, done);
			return batch_fail(h, ret, culprit, failed);
		}
		done += r.n;
	}
	return 0;
}
