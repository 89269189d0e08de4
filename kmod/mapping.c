// SPDX-License-Identifier: GPL-2.0
/*
 * Who frees a query: only its timer callback, or the namespace flush after
 * shutting the timer down. The packet path records an answer and kicks
 * the timer, so the callback finishes the query in one place.
 */
#include <crypto/algapi.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "events.h"
#include "mapping.h"
#include "probe.h"
#include "send.h"

/* Plain request: header and FINGERPRINT, as standard clients send. */
#define NFP_MAPPING_BUF	(STUN_HDR_LEN + 8)

static void nfp_mapping_unlink(struct nfp_mapping *m)
{
	lockdep_assert_held(&m->pn->lock);
	list_del_rcu(&m->node);
	m->unlinked = true;
	nfp_port_release(m->pn, m->lport);
	atomic_dec(&m->pn->mappings_pending);
}

static void nfp_mapping_send(struct nfp_mapping *m)
{
	u8 buf[NFP_MAPPING_BUF];
	struct stun_builder b;
	int len;

	if (!nfp_pps_allow(m->pn, false))
		return;		/* the next retransmission tries again */
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, m->tid);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	if (len <= 0)
		return;
	WRITE_ONCE(m->sent_us, nfp_now_us());
	WRITE_ONCE(m->sends, m->sends < U8_MAX ? m->sends + 1 : U8_MAX);
	nfp_send_udp(m->pn, m->family, m->mark, 0, &m->laddr, m->lport, &m->saddr,
		     m->sport, buf, len);
}

static void nfp_mapping_timer(struct timer_list *t)
{
	struct nfp_mapping *m = from_timer(m, t, timer);
	struct nfp_net *pn = m->pn;
	unsigned long now = jiffies, next;
	bool done;

	spin_lock_bh(&pn->lock);
	if (m->unlinked) {	/* the flush owns it */
		spin_unlock_bh(&pn->lock);
		return;
	}
	if (!m->answered && time_after_eq(now, m->deadline)) {
		m->res.error = ETIMEDOUT;
		m->answered = true;
	}
	done = m->answered;
	if (done) {
		nfp_mapping_unlink(m);
		/*
		 * Under the lock, so a namespace flush that follows never
		 * races with this last use of pn.
		 */
		nfp_event_mapping(m);
	}
	spin_unlock_bh(&pn->lock);

	if (done) {
		kfree_rcu(m, rcu);
		return;
	}
	nfp_mapping_send(m);
	next = now + msecs_to_jiffies(m->rto_ms);
	if (time_after(next, m->deadline))
		next = m->deadline;
	m->rto_ms = min_t(u32, m->rto_ms * 2, 8 * NFP_MAPPING_RTO_MS);

	/*
	 * Under the lock: an answer that came in since we looked has kicked
	 * the timer to now, and re-arming for the next retransmission must
	 * not push it back.
	 */
	spin_lock_bh(&pn->lock);
	mod_timer(&m->timer, m->answered ? jiffies : next);
	spin_unlock_bh(&pn->lock);
}

int nfp_mapping_start(struct nfp_net *pn, u8 family,
		      const union nf_inet_addr *laddr, __be16 lport,
		      const union nf_inet_addr *saddr, __be16 sport,
		      u32 timeout_ms, u32 mark,
		      struct netlink_ext_ack *extack)
{
	struct nfp_mapping *m;
	int ret;

	m = kzalloc(sizeof(*m), GFP_KERNEL_ACCOUNT);
	if (!m)
		return -ENOMEM;
	m->pn = pn;
	m->family = family;
	m->laddr = *laddr;
	m->lport = lport;
	m->saddr = *saddr;
	m->sport = sport;
	m->mark = mark;
	m->rto_ms = NFP_MAPPING_RTO_MS;
	m->deadline = jiffies + msecs_to_jiffies(timeout_ms);
	get_random_bytes(m->tid, sizeof(m->tid));
	timer_setup(&m->timer, nfp_mapping_timer, 0);

	spin_lock_bh(&pn->lock);
	if (atomic_read(&pn->mappings_pending) >= NFP_MAX_MAPPINGS) {
		NL_SET_ERR_MSG(extack, "too many mapping queries pending");
		ret = -EBUSY;
		goto err;
	}
	ret = PTR_ERR_OR_ZERO(nfp_port_hold(pn, lport));
	if (ret)
		goto err;
	/* Ids name queries in events only. */
	m->id = nfp_next_id(&pn->next_mapping_id);
	atomic_inc(&pn->mappings_pending);
	list_add_tail_rcu(&m->node, &pn->mappings);
	mod_timer(&m->timer, jiffies);
	ret = m->id;
	spin_unlock_bh(&pn->lock);
	return ret;

err:
	spin_unlock_bh(&pn->lock);
	kfree(m);
	return ret;
}

static void nfp_mapping_answer(struct nfp_mapping *m, const struct stun_msg *msg)
{
	/*
	 * Retransmissions carry the same id, so after one the answer may be
	 * to any of them: no sample then (Karn), rather than a short one.
	 */
	if (READ_ONCE(m->sends) == 1)
		m->res.rtt_us = max(nfp_now_us() - READ_ONCE(m->sent_us), 1U);
	if (msg->type == STUN_BINDING_ERROR) {
		m->res.error = EPROTO;
		m->res.stun_error = msg->error_code;
	} else if (msg->seen & STUN_SEEN_XOR_MAPPED) {
		m->res.mapped = msg->xor_mapped;
	} else if (msg->seen & STUN_SEEN_MAPPED) {
		m->res.mapped = msg->mapped;	/* RFC 3489 servers */
	} else {
		m->res.error = EBADMSG;
	}
	m->answered = true;
}

static bool nfp_mapping_matches(const struct nfp_mapping *m, u8 family,
				const union nf_inet_addr *daddr, __be16 dport,
				const union nf_inet_addr *saddr, __be16 sport,
				const struct stun_msg *msg)
{
	return m->family == family && m->lport == dport &&
	       m->sport == sport && nf_inet_addr_cmp(&m->laddr, daddr) &&
	       nf_inet_addr_cmp(&m->saddr, saddr) &&
	       !crypto_memneq(m->tid, msg->tid, sizeof(m->tid));
}

bool nfp_mapping_rx(struct nfp_net *pn, u8 family,
		    const union nf_inet_addr *daddr, __be16 dport,
		    const union nf_inet_addr *saddr, __be16 sport,
		    const struct stun_msg *msg)
{
	struct nfp_mapping *m;
	bool found = false;

	/* At most NFP_MAX_MAPPINGS entries, and only STUN answers get here. */
	list_for_each_entry_rcu(m, &pn->mappings, node) {
		if (!nfp_mapping_matches(m, family, daddr, dport, saddr, sport,
					 msg))
			continue;
		spin_lock_bh(&pn->lock);
		if (!m->unlinked && !m->answered) {
			nfp_mapping_answer(m, msg);
			mod_timer(&m->timer, jiffies);
		}
		spin_unlock_bh(&pn->lock);
		found = true;
		break;
	}
	return found;
}

/*
 * Namespace exit: the hooks are gone, but a timer may be finishing a
 * query. Take queries off the list one at a time (a node is never reused
 * while RCU readers might still follow it), then stop each timer.
 */
void nfp_mapping_flush(struct nfp_net *pn)
{
	struct nfp_mapping *m;

	for (;;) {
		spin_lock_bh(&pn->lock);
		m = list_first_entry_or_null(&pn->mappings, struct nfp_mapping,
					     node);
		if (m)
			nfp_mapping_unlink(m);
		spin_unlock_bh(&pn->lock);
		if (!m)
			break;
		timer_shutdown_sync(&m->timer);
		kfree_rcu(m, rcu);
	}
}
