/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_TIMERS_H
#define _NFPUNCH_TIMERS_H

#include <linux/timer.h>

/* Probes are sent in bursts this far apart while a round lasts. */
#define NFP_PUNCH_PACE_MS	10
#define NFP_PUNCH_BURST		8
/* Rounds back off from the flow's probe interval up to this gap. */
#define NFP_PUNCH_MAX_GAP_MS	2000
#define NFP_PUNCH_MAX_ROUND_SHIFT 8
/*
 * Retry delay when the namespace's pps cap said no: doubles with every
 * refusal in a row, up to the ceiling, so thousands of throttled flows do
 * not wake up every 20 ms to be refused again.
 */
#define NFP_THROTTLE_RETRY_MS	20
#define NFP_THROTTLE_MAX_SHIFT	6		/* 20 ms << 6 = 1.28 s */

/*
 * One timer per flow drives it: punch rounds while PUNCHING, keepalives,
 * liveness checks and the dead timeout while ESTABLISHED. Each expiry
 * does O(1) work for its own flow and re-arms for the next deadline, so
 * a million flows cost a million timer expiries per interval and never a
 * scan. Runs in softirq context.
 */
void nfp_flow_timer(struct timer_list *t);

#endif /* _NFPUNCH_TIMERS_H */
