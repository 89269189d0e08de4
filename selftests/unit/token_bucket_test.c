// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The module's pps cap, driven by a clock the test chooses: the burst is
 * a tenth of a second of rate, the refill follows the clock, a clock
 * that reads backwards (the fast clock of another CPU) refills nothing,
 * and a sender that keeps a reserve never takes it.
 */
#include "token_bucket.h"
#include "ktap.h"

#define MS UINT64_C(1000000)

/* How many packets the bucket gives at clock now, until it says no. */
static int drain(struct token_bucket *b, uint32_t rate, uint64_t now)
{
	int n = 0;

	while (n < 1000000 && token_bucket_take(b, rate, now))
		n++;
	return n;
}

/* The same for a sender that leaves keep packets to others. */
static int drain_above(struct token_bucket *b, uint32_t rate, uint64_t now,
		       uint32_t keep)
{
	int n = 0;

	while (n < 1000000 && token_bucket_take_above(b, rate, now, keep))
		n++;
	return n;
}

int main(void)
{
	struct token_bucket b = { .tokens = 0, .stamp = 1000 * MS };
	uint64_t t = 1000 * MS;

	ktap_start();
	CHECK(drain(&b, 1000, t) == 0, "a new bucket is empty");
	t += 1000 * MS;
	CHECK(drain(&b, 1000, t) == 100, "after a second at 1000 pps: a burst of 100 (a tenth)");
	t += 10 * MS;
	CHECK(drain(&b, 1000, t) == 10, "10 ms later: 10 more");
	CHECK(drain(&b, 1000, t - 500 * MS) == 0,
	      "a clock 500 ms behind refills nothing");
	CHECK(drain(&b, 1000, UINT64_C(0)) == 0,
	      "a clock reading 0 refills nothing");
	t += 1 * MS;
	CHECK(drain(&b, 1000, t) == 1, "and time counts from the newest reading: 1 ms, 1 packet");
	t += 3600000 * MS;
	CHECK(drain(&b, 1000, t) == 100, "an hour idle: still one burst");
	t += 1000 * MS;
	CHECK(drain(&b, 1, t) == 1, "at 1 pps the burst is one packet");
	t += 500 * MS;
	CHECK(drain(&b, 1, t) == 0, "and half a second earns none");
	t += 500 * MS;
	CHECK(drain(&b, 1, t) == 1, "a whole one does");
	t += 1000 * MS;
	CHECK(drain_above(&b, 1000, t, 25) == 75,
	      "a sender keeping 25 of the burst of 100 takes 75");
	CHECK(drain(&b, 1000, t) == 25, "another sender takes the 25");
	t += 5 * MS;
	CHECK(drain_above(&b, 1000, t, 25) == 0,
	      "5 ms later the keeper gets none: the refill fills the reserve first");
	CHECK(drain(&b, 1000, t) == 5, "which the other sender takes");
	t += 20 * MS;
	CHECK(drain_above(&b, 1000, t, 100) == 0,
	      "a reserve of the whole burst leaves the keeper nothing");
	CHECK(drain(&b, 1000, t) == 20, "and the others all of it");
	t += 1000 * MS;
	CHECK(drain(&b, UINT32_MAX, t) == 1000000,
	      "the largest rate does not overflow (a burst past the test's 1e6)");
	return ktap_finish();
}
