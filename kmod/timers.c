// SPDX-License-Identifier: GPL-2.0
#include <linux/jiffies.h>

#include "flow.h"
#include "probe.h"
#include "timers.h"

/* Target number i of the flow: ranges count one per port. */
static void nfp_punch_target(const struct nfp_cands *cands, u32 i,
			     const union nf_inet_addr **addr, __be16 *port)
{
	u32 k;

	for (k = 0; k < cands->n; k++) {
		if (i < cands->c[k].nports) {
			*addr = &cands->c[k].addr;
			*port = htons(cands->c[k].port + i);
			return;
		}
		i -= cands->c[k].nports;
	}
	WARN_ON_ONCE(1);
	*addr = &cands->c[0].addr;
	*port = htons(cands->c[0].port);
}

static unsigned long nfp_punch_tick(struct nfp_flow *flow, unsigned long now)
{
	const struct nfp_cands *cands = flow->cands;
	const union nf_inet_addr *addr;
	int budget = NFP_PUNCH_BURST;
	u32 gap_ms;
	__be16 port;

	if (time_after_eq(now, flow->punch_started +
			  msecs_to_jiffies(flow->punch_timeout_ms))) {
		nfp_flow_dead(flow, NFPUNCH_DEAD_PUNCH_TIMEOUT);
		return 0;
	}

	while (budget-- && flow->cursor < cands->targets) {
		nfp_punch_target(cands, flow->cursor, &addr, &port);
		/* Over the cap: try the same target again a little later. */
		if (nfp_probe_send(flow, addr, port) == -ENOBUFS)
			return now + msecs_to_jiffies(NFP_THROTTLE_RETRY_MS);
		/* Other errors (no route) skip the target for this round. */
		flow->cursor++;
	}
	if (flow->cursor < cands->targets)
		return now + msecs_to_jiffies(NFP_PUNCH_PACE_MS);

	/* Round done: back off, as ICE does, up to a ceiling. */
	flow->cursor = 0;
	gap_ms = flow->probe_interval_ms << min_t(u32, flow->round, 8);
	flow->round++;
	return now + msecs_to_jiffies(min_t(u32, gap_ms, NFP_PUNCH_MAX_GAP_MS));
}

static unsigned long nfp_earliest(unsigned long a, unsigned long b)
{
	return time_before(a, b) ? a : b;
}

static unsigned long nfp_keepalive_tick(struct nfp_flow *flow,
					unsigned long now)
{
	unsigned long ka = msecs_to_jiffies(READ_ONCE(flow->keepalive_ms));
	unsigned long to = msecs_to_jiffies(READ_ONCE(flow->timeout_ms));
	unsigned long last_rx = READ_ONCE(flow->last_rx);
	unsigned long last_tx = READ_ONCE(flow->last_tx);
	unsigned long heard = last_rx, check_at, next;
	bool refresh, check;

	/* Established flows have heard the peer at least once. */
	if (time_before(last_rx, flow->established))
		heard = flow->established;
	if (time_after_eq(now, heard + to)) {
		nfp_flow_dead(flow, NFPUNCH_DEAD_PEER_TIMEOUT);
		return 0;
	}

	/* Our NAT forgets mappings we do not use. */
	refresh = time_after_eq(now, last_tx + ka);
	/* A quiet peer gets asked whether it is still there. */
	check = time_after_eq(now, heard + ka) &&
		time_after_eq(now, flow->last_check + ka);
	if (refresh || check) {
		int ret = nfp_probe_send(flow, &flow->rkey.raddr,
					 flow->rkey.rport);

		if (ret == -ENOBUFS)
			return now + msecs_to_jiffies(NFP_THROTTLE_RETRY_MS);
		atomic_inc(&flow->keepalives);
		WRITE_ONCE(flow->last_tx, now);
		flow->last_check = now;
		last_tx = now;
	}

	/* The check is due once both the peer and our last check are old. */
	check_at = heard + ka;
	if (time_after(flow->last_check + ka, check_at))
		check_at = flow->last_check + ka;
	next = nfp_earliest(nfp_earliest(last_tx + ka, heard + to), check_at);
	return time_after(next, now) ? next : now + 1;
}

void nfp_flow_timer(struct timer_list *t)
{
	struct nfp_flow *flow = from_timer(flow, t, timer);
	unsigned long now = jiffies, next;

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
