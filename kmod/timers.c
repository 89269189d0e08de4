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

/* Later and later while the namespace's pps cap keeps saying no. */
static unsigned long nfp_throttled(struct nfp_flow *flow, u32 now)
{
	u8 shift = flow->throttled;

	if (flow->throttled < NFP_THROTTLE_MAX_SHIFT)
		flow->throttled++;
	return nfp_in_ms(now, NFP_THROTTLE_RETRY_MS << shift);
}

static unsigned long nfp_punch_tick(struct nfp_flow *flow, u32 now)
{
	const struct nfp_peer *peer = flow->peer;
	const union nf_inet_addr *addr;
	int budget = NFP_PUNCH_BURST;
	u32 started = READ_ONCE(flow->punch_started);
	u32 timeout = msecs_to_jiffies(peer->punch_timeout_ms);
	u32 prime_end = started + msecs_to_jiffies(peer->prime_ms);
	u32 gap_ms;
	__be16 port;
	u8 ttl = 0;

	if (nfp_reached(now, started + timeout)) {
		nfp_flow_dead(flow, NFPUNCH_DEAD_PUNCH_TIMEOUT);
		return 0;
	}

	/* A passive flow only waits for the peer, until its deadline. */
	if (READ_ONCE(flow->flags) & NFPUNCH_FLOW_F_PASSIVE)
		return nfp_deadline(now, started + timeout);

	/*
	 * Priming opens our own NATs first: every probe of the punch's first
	 * prime_ms, and of the round in progress then, so each target gets
	 * one. Decided from this punch's start, not from the flag alone: a
	 * tick racing a repunch may still hold the last punch's flag. When
	 * it is over, the peer's NAT is likely open too: a full round at
	 * once, at the shortest gap.
	 */
	if (peer->prime_ttl && !nfp_reached(now, prime_end)) {
		flow->priming = true;
		ttl = peer->prime_ttl;
	} else if (flow->priming) {
		if (flow->cursor) {
			ttl = peer->prime_ttl;
		} else {
			flow->priming = false;
			flow->round = 0;
		}
	}

	while (budget-- && flow->cursor < peer->targets) {
		nfp_punch_target(peer, flow->cursor, &addr, &port);
		/* Over the cap: try the same target again a little later. */
		if (nfp_probe_send(flow, addr, port, NFP_CHECK_OWN, ttl) == -ENOBUFS)
			return nfp_throttled(flow, now);
		flow->throttled = 0;
		/* Other errors (no route) skip the target for this round. */
		flow->cursor++;
	}
	if (flow->cursor < peer->targets)
		return nfp_in_ms(now, NFP_PUNCH_PACE_MS);

	/* Round done: back off, as ICE does, up to a ceiling. */
	flow->cursor = 0;
	gap_ms = peer->probe_interval_ms << flow->round;
	if (flow->round < NFP_PUNCH_MAX_ROUND_SHIFT)
		flow->round++;
	gap_ms = min_t(u32, gap_ms, NFP_PUNCH_MAX_GAP_MS);
	if (flow->priming) {
		/* Over (the round outlasted it): the full round now. */
		if (nfp_reached(now, prime_end))
			return nfp_deadline(now, now);
		if (time_before32(prime_end, now + msecs_to_jiffies(gap_ms)))
			return nfp_deadline(now, prime_end);
	}
	return nfp_in_ms(now, gap_ms);
}

static u32 nfp_earliest(u32 a, u32 b)
{
	return time_before32(a, b) ? a : b;
}

/*
 * Liveness is consent (RFC 7675): only an authenticated answer to a
 * request of ours proves the peer is there. Requests and application
 * packets can be replayed by anyone who saw them, so they keep nothing
 * alive; while the peer is quiet on the path we ask it every keepalive.
 */
static unsigned long nfp_keepalive_tick(struct nfp_flow *flow, u32 now)
{
	u32 ka = msecs_to_jiffies(READ_ONCE(flow->keepalive_ms));
	u32 to = msecs_to_jiffies(READ_ONCE(flow->timeout_ms));
	u32 ok = READ_ONCE(flow->last_ok);
	u32 last_tx = READ_ONCE(flow->last_tx);
	u32 last_check = READ_ONCE(flow->last_check);
	u8 nominate = READ_ONCE(flow->nominate_left);
	u32 check_at, next;
	bool refresh, check;

	if (nfp_reached(now, ok + to)) {
		nfp_flow_dead(flow, NFPUNCH_DEAD_PEER_TIMEOUT);
		return 0;
	}

	/* Our NAT forgets mappings we do not use; a nomination goes now. */
	refresh = nfp_reached(now, last_tx + ka) || nominate;
	/* A peer not confirmed lately gets asked whether it is still there. */
	check = nfp_reached(now, ok + ka) && nfp_reached(now, last_check + ka);
	if (refresh || check) {
		union nf_inet_addr raddr;
		__be16 rport;

		nfp_flow_remote(flow, &raddr, &rport);
		if (nfp_probe_send(flow, &raddr, rport, NFP_CHECK_OWN, 0) == -ENOBUFS)
			return nfp_throttled(flow, now);
		flow->throttled = 0;
		atomic_inc(&flow->keepalives);
		WRITE_ONCE(flow->last_tx, now);
		WRITE_ONCE(flow->last_check, now);
		last_tx = now;
		last_check = now;
		/* A nomination racing this store only loses its repeats. */
		if (nominate)
			WRITE_ONCE(flow->nominate_left, --nominate);
	}

	/* The check is due once both the answer and our last check are old. */
	check_at = ok + ka;
	if (time_after32(last_check + ka, check_at))
		check_at = last_check + ka;
	next = nfp_earliest(nfp_earliest(last_tx + ka, ok + to), check_at);
	if (nominate)
		next = nfp_earliest(next, now + msecs_to_jiffies(NFP_NOMINATE_GAP_MS));
	return nfp_deadline(now, next);
}

void nfp_flow_timer(struct timer_list *t)
{
	struct nfp_flow *flow = from_timer(flow, t, timer);
	u8 epoch = READ_ONCE(flow->epoch);
	u32 now = nfp_stamp();
	unsigned long next;

	/* A new state since the last tick: its punch round starts afresh. */
	if (epoch != flow->tick_epoch) {
		flow->tick_epoch = epoch;
		flow->cursor = 0;
		flow->round = 0;
		flow->throttled = 0;
		flow->priming = false;	/* the new punch decides from its start */
	}
	/* Reading the epoch before the state: a change after it is seen. */
	smp_rmb();
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
	if (next)
		nfp_flow_rearm(flow, epoch, next);
}
