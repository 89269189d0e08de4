// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rendezvousd's timer heap: thousands of timers armed, moved and
 * cancelled at random fire once each, in deadline order, and only when
 * due; a fire() that re-arms or cancels others is safe.
 */
#include <stdlib.h>

#include "../../server/timer.h"
#include "ktap.h"

#define N 5000

static struct rdv_timer t[N];
static int fired[N], order_ok = 1, early;
static uint64_t last_at;

static void fire(struct rdv_timer *x, uint64_t now)
{
	int i = (int)(x - t);

	fired[i]++;
	if (x->at < last_at)
		order_ok = 0;
	if (x->at > now)
		early = 1;
	last_at = x->at;
}

static struct rdv_timer chain_a, chain_b, chain_c;
static int chain_fired, c_fired;

static void fire_c(struct rdv_timer *x, uint64_t now)
{
	(void)x;
	(void)now;
	c_fired++;
}

/* As a relay's end re-arms its session at once: another timer, due now. */
static void fire_arms_other(struct rdv_timer *x, uint64_t now)
{
	(void)x;
	rdv_timer_arm(&chain_c, now);
}

static void fire_chain(struct rdv_timer *x, uint64_t now)
{
	chain_fired++;
	if (x == &chain_a) {
		rdv_timer_cancel(&chain_b);	/* due too: must not fire */
		rdv_timer_arm(&chain_a, now + 10);	/* again, later */
	}
}

int main(void)
{
	int i, armed = 0, once = 1, cancelled[N] = { 0 };
	uint64_t at[N];

	ktap_start();
	srandom(1);
	for (i = 0; i < N; i++) {
		t[i].fire = fire;
		at[i] = 1000 + (uint64_t)(random() % 100000);
		if (rdv_timer_arm(&t[i], at[i]) == 0)
			armed++;
	}
	CHECK(armed == N && rdv_timers_count() == N, "%d timers armed", armed);
	for (i = 0; i < N; i += 3) {		/* move a third */
		at[i] = 1000 + (uint64_t)(random() % 100000);
		rdv_timer_arm(&t[i], at[i]);
	}
	for (i = 1; i < N; i += 7) {		/* cancel a seventh */
		rdv_timer_cancel(&t[i]);
		cancelled[i] = 1;
	}
	rdv_timer_cancel(&t[1]);		/* twice: harmless */
	rdv_timers_run(50000);
	for (i = 0; i < N; i++)
		if (!cancelled[i] && at[i] <= 50000 && fired[i] != 1)
			once = 0;
	CHECK(once && !early, "what is due at 50000 fired once, nothing early");
	rdv_timers_run(200000);
	for (i = 0; i < N; i++)
		if (fired[i] != !cancelled[i])
			once = 0;
	CHECK(once, "every timer not cancelled fired exactly once");
	CHECK(order_ok, "in deadline order");
	CHECK(rdv_timers_count() == 0, "and the heap is empty");
	chain_a.fire = chain_b.fire = fire_chain;
	rdv_timer_arm(&chain_a, 300000);
	rdv_timer_arm(&chain_b, 300000);
	rdv_timers_run(300000);
	CHECK(chain_fired == 1 && chain_a.slot && !chain_b.slot,
	      "a fire() may cancel a due timer and re-arm itself (fired %d)", chain_fired);
	rdv_timers_run(300010);
	CHECK(chain_fired == 2, "the re-armed one fires at its new deadline");
	chain_a.fire = fire_arms_other;
	chain_c.fire = fire_c;
	rdv_timer_arm(&chain_a, 400000);
	rdv_timers_run(400000);
	CHECK(c_fired == 1 && rdv_timers_count() == 0,
	      "a timer armed for now by another's fire() fires in the same run");
	rdv_timers_free();
	return ktap_finish();
}
