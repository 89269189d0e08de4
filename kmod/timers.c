// SPDX-License-Identifier: GPL-2.0
#include <linux/jiffies.h>

#include "flow.h"
#include "probe.h"
#include "timers.h"

/* Target number i of the flow: ranges count one per port. */
static void nfp_punch_target(const struct nfp_peer *peer, u32 i,
			     const union nf_inet_addr **addr, __be16 *port)
{
	u32 k;

	for (k = 0; k < peer->n; k++) {
		if (i < peer->c[k].nports) {
			*addr = &peer->c[k].addr;
			*port = htons(peer->c[k].port + i);
			return;
		}
		i -= peer->c[k].nports;
	}
	WARN_ON_ONCE(1);
	*addr = &peer->c[0].addr;
	*port = htons(peer->c[0].port);
}

/* Stamps are u32 jiffies; the timer wants an unsigned long deadline. */
static unsigned long nfp_deadline(u32 now, u32 at)
{
	s32 delta = (s32)(at - now);

	return jiffies + max(delta, 1);
}

static unsigned long nfp_in_ms(u32 now, u32 ms)
{
	return nfp_deadline(now, now + msecs_to_jiffies(ms));
}

static unsigned long nfp_punch_tick(struct nfp_flow *flow, u32 now)
{
	const struct nfp_peer *peer = flow->peer;
	const union nf_inet_addr *addr;
	int budget = NFP_PUNCH_BURST;
	u32 gap_ms;
	__be16 port;

	if (nfp_reached(now, flow->punch_started +
			    msecs_to_jiffies(flow->punch_timeout_ms))) {
		nfp_flow_dead(flow, NFPUNCH_DEAD_PUNCH_TIMEOUT);
		return 0;
	}

	/* A passive flow only waits for the peer, until its deadline. */
	if (flow->flags & NFPUNCH_FLOW_F_PASSIVE)
		return nfp_deadline(now, flow->punch_started +
				    msecs_to_jiffies(flow->punch_timeout_ms));

	while (budget-- && flow->cursor < peer->targets) {
		nfp_punch_target(peer, flow->cursor, &addr, &port);
		/* Over the cap: try the same target again a little later. */
		if (nfp_probe_send(flow, addr, port) == -ENOBUFS)
			return nfp_in_ms(now, NFP_THROTTLE_RETRY_MS);
		/* Other errors (no route) skip the target for this round. */
		flow->cursor++;
	}
	if (flow->cursor < peer->targets)
		return nfp_in_ms(now, NFP_PUNCH_PACE_MS);

	/* Round done: back off, as ICE does, up to a ceiling. */
	flow->cursor = 0;
	gap_ms = flow->probe_interval_ms << flow->round;
	if (flow->round < NFP_PUNCH_MAX_ROUND_SHIFT)
		flow->round++;
	return nfp_in_ms(now, min_t(u32, gap_ms, NFP_PUNCH_MAX_GAP_MS));
}

static u32 nfp_earliest(u32 a, u32 b)
{
	return time_before32(a, b) ? a : b;
}

static unsigned long nfp_keepalive_tick(struct nfp_flow *flow, u32 now)
{
	u32 ka = msecs_to_jiffies(READ_ONCE(flow->keepalive_ms));
	u32 to = msecs_to_jiffies(READ_ONCE(flow->timeout_ms));
	u32 last_rx = READ_ONCE(flow->last_rx);
	u32 last_tx = READ_ONCE(flow->last_tx);
	u32 heard = last_rx, check_at, next;
	bool refresh, check;

	/* Established flows have heard the peer at least once. */
	if (time_before32(last_rx, flow->established))
		heard = flow->established;
	if (nfp_reached(now, heard + to)) {
		nfp_flow_dead(flow, NFPUNCH_DEAD_PEER_TIMEOUT);
		return 0;
	}

	/* Our NAT forgets mappings we do not use. */
	refresh = nfp_reached(now, last_tx + ka);
	/* A quiet peer gets asked whether it is still there. */
	check = nfp_reached(now, heard + ka) &&
		nfp_reached(now, flow->last_check + ka);
	if (refresh || check) {
		union nf_inet_addr raddr;
		__be16 rport;
		int ret;

		/* The packet path may move the flow to a new remote. */
		spin_lock_bh(&flow->pn->lock);
		raddr = flow->raddr;
		rport = flow->rport;
		spin_unlock_bh(&flow->pn->lock);
		ret = nfp_probe_send(flow, &raddr, rport);
		if (ret == -ENOBUFS)
			return nfp_in_ms(now, NFP_THROTTLE_RETRY_MS);
		atomic_inc(&flow->keepalives);
		WRITE_ONCE(flow->last_tx, now);
		flow->last_check = now;
		last_tx = now;
	}

	/* The check is due once both the peer and our last check are old. */
	check_at = heard + ka;
	if (time_after32(flow->last_check + ka, check_at))
		check_at = flow->last_check + ka;
	next = nfp_earliest(nfp_earliest(last_tx + ka, heard + to), check_at);
	return nfp_deadline(now, next);
}

void nfp_flow_timer(struct timer_list *t)
{
	struct nfp_flow *flow = from_timer(flow, t, timer);
	u32 now = nfp_stamp();
	unsigned long next;

	switch (READ_ONCE(flow->state)) {
	case NFPUNCH_STATE_PUNCHING:
		next = nfp_punch_tick(flow, now);
		break;
	case NFPUNCH_STATE_ESTABLISHED:
		next = nfp_keepalive_tick(flow, now);
		break;
	default:
		return;
	}
	/* A no-op once removal has shut the timer down. */
	if (next)
		mod_timer(&flow->timer, next);
}
