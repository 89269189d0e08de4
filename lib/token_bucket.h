/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A token bucket in integer arithmetic: tokens count in 1/1e9 of a
 * packet, so rate (packets per second) times elapsed nanoseconds is
 * the refill, with no division on the path. The bucket holds a tenth of
 * a second of rate (at least one packet). Freestanding, like stun.c:
 * the module's pps cap uses it, a unit test drives it with any clock.
 */
#ifndef NFPUNCH_TOKEN_BUCKET_H
#define NFPUNCH_TOKEN_BUCKET_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
#endif

#define TOKEN_BUCKET_ONE	1000000000ULL	/* one packet; also 1 s in ns */

struct token_bucket {
	uint64_t tokens;
	uint64_t stamp;		/* clock of the last refill, ns */
};

/*
 * Take one packet at clock now (ns) under rate, unless that would leave
 * fewer than keep packets in the bucket (a reserve for other senders);
 * the caller serializes. A clock that reads behind the stamp (another
 * CPU's fast clock, a caller's bug) means no time passed: an unsigned
 * difference would refill the bucket at once. A full bucket needs under
 * a second, so the elapsed time is clamped there: at most 1e9 * 2^32
 * (< 2^62) is added.
 */
static inline bool token_bucket_take_above(struct token_bucket *b,
					   uint32_t rate, uint64_t now,
					   uint32_t keep)
{
	uint64_t depth = (rate / 10 ? rate / 10 : 1) * TOKEN_BUCKET_ONE;
	uint64_t elapsed = 0;

	if (now > b->stamp) {
		elapsed = now - b->stamp;
		if (elapsed > TOKEN_BUCKET_ONE)
			elapsed = TOKEN_BUCKET_ONE;
		b->stamp = now;
	}
	b->tokens += elapsed * (uint64_t)rate;
	if (b->tokens > depth)
		b->tokens = depth;
	if (b->tokens < (keep + 1ULL) * TOKEN_BUCKET_ONE)
		return false;
	b->tokens -= TOKEN_BUCKET_ONE;
	return true;
}

static inline bool token_bucket_take(struct token_bucket *b, uint32_t rate,
				     uint64_t now)
{
	return token_bucket_take_above(b, rate, now, 0);
}

#endif /* NFPUNCH_TOKEN_BUCKET_H */
