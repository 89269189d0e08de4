// SPDX-License-Identifier: GPL-2.0
/*
 * FLOW_NEW_BATCH: many flows in one request, all or none.
 *
 * One FLOW_NEW costs a request, a page-sized reply holding the whole flow
 * and an ack, each through the socket layer; installing a million flows
 * that way spends more on the messages than on the flows. A batch is one
 * request and one reply of ids; an ack only if the request asks for one,
 * so that nothing can fail once the flows run.
 *
 * The flows are created held (NFP_STATE_HELD): in the tables that catch
 * duplicates, but hidden from every lookup, dump and packet, and silent.
 * A refusal halfway through, for the flow's own fault or the namespace's
 * limit, removes them again and nobody saw them. Only when all of them
 * stand do they start, all at once, before the reply; should the reply
 * not go out, they are deleted again (and that is reported, since by
 * then they were seen).
 */
#include <linux/mm.h>
#include <linux/nfpunch.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "flow.h"
#include "netlink.h"

/* The reply: one nest with the id per flow. */
static size_t nfp_batch_reply_size(unsigned int n)
{
	return n * nla_total_size(nla_total_size(sizeof(u32)));
}

static int nfp_batch_fill(struct sk_buff *msg, struct genl_info *info,
			  struct nfp_flow **flows, unsigned int n)
{
	struct nlattr *nest;
	unsigned int i;
	void *hdr;

	hdr = genlmsg_put_reply(msg, info, &nfp_genl_family, 0,
				NFPUNCH_CMD_FLOW_NEW_BATCH);
	if (!hdr)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		nest = nla_nest_start(msg, NFPUNCH_A_FLOW);
		if (!nest || nla_put_u32(msg, NFPUNCH_FLOW_A_ID, flows[i]->id))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/* Nobody saw a held flow: it goes without an event. */
static void nfp_batch_undo(struct nfp_flow **flows, unsigned int n)
{
	while (n--) {
		nfp_flow_remove(flows[n], false);
		nfp_flow_put(flows[n]);
	}
}

int nfp_nl_flow_new_batch(struct sk_buff *skb, struct genl_info *info)
{
	struct nfp_net *pn = nfp_pernet(genl_info_net(info));
	int len = genlmsg_len(info->genlhdr), rem, ret;
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *head = genlmsg_data(info->genlhdr);
	struct nfp_flow_params p;
	struct nfp_flow **flows;
	unsigned int n = 0, i;
	struct sk_buff *msg;
	struct nlattr *a;

	nla_for_each_attr(a, head, len, rem) {
		if (nla_type(a) != NFPUNCH_A_FLOW) {
			NL_SET_ERR_MSG_ATTR(extack, a, "a batch holds flows only");
			return -EINVAL;
		}
		n++;
	}
	if (!n) {
		NL_SET_ERR_MSG(extack, "a batch needs at least one flow");
		return -EINVAL;
	}
	if (n > NFPUNCH_FLOW_BATCH_MAX) {
		NL_SET_ERR_MSG(extack, "too many flows in one batch (at most "
			       __stringify(NFPUNCH_FLOW_BATCH_MAX) ")");
		return -E2BIG;
	}
	/* Allocated first: once the flows exist, the reply cannot fail. */
	msg = genlmsg_new(nfp_batch_reply_size(n), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	flows = kmalloc_array(n, sizeof(*flows), GFP_KERNEL);
	if (!flows) {
		nlmsg_free(msg);
		return -ENOMEM;
	}

	i = 0;
	nla_for_each_attr(a, head, len, rem) {
		struct nfp_flow *flow;

		ret = nfp_nl_flow_params(info, a, &p);
		if (ret)
			goto undo;
		p.held = true;
		flow = nfp_flow_create(pn, &p, extack);
		if (IS_ERR(flow)) {
			ret = PTR_ERR(flow);
			goto undo;
		}
		flows[i++] = flow;
		cond_resched();
	}
	ret = nfp_batch_fill(msg, info, flows, n);
	if (WARN_ON_ONCE(ret)) {
		NL_SET_ERR_MSG(extack, "the reply did not fit; no flow was made");
		goto undo_all;
	}
	/* Live before the reply: its reader may look them up at once. */
	for (i = 0; i < n; i++)
		nfp_flow_start(flows[i]);
	ret = genlmsg_reply(msg, info);
	for (i = 0; i < n; i++) {
		/* Not delivered: the caller learns of none, so none may stay. */
		if (ret)
			nfp_flow_remove(flows[i], true);
		nfp_flow_put(flows[i]);
	}
	kfree(flows);
	return ret;

undo:
	/* Say which flow: not every refusal names an attribute of its own. */
	if (extack && !extack->bad_attr)
		NL_SET_BAD_ATTR(extack, a);
undo_all:
	nfp_batch_undo(flows, i);
	kfree(flows);
	nlmsg_free(msg);
	return ret;
}
