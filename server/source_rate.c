// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table is set-associative: a keyed hash of the source picks a set of
 * eight slots, and a source not in its set takes the slot used longest
 * ago. The table's memory is bounded whatever the traffic, and a flood
 * from many spoofed sources can only evict: to evict one victim's slot an
 * attacker must hit that victim's set eight times, and without the key
 * it cannot choose sources that do, so it needs about as many datagrams
 * as the table has slots for each burst it wins for the victim. A new
 * slot starts with a full burst, so a real client's first requests
 * (punchd's discovery sends several at once) are all answered.
 */
#include <stdlib.h>
#include <sys/random.h>

#include "source_rate.h"
#include "token_bucket.h"

#define WAYS		8
#define SETS		(SOURCE_RATE_SLOTS / WAYS)

struct slot {
	uint64_t source;	/* IPv4 address or IPv6 /64, family in the tag */
	uint32_t tag;		/* 0: free, 4 or 6: the family */
	struct token_bucket bucket;
};

struct source_rate {
	uint64_t seed;
	unsigned int rate;
	struct slot slot[SETS][WAYS];
};

/* A 64-bit finalizer (MurmurHash3's) over the keyed source. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

struct source_rate *source_rate_new(unsigned int rate)
{
	struct source_rate *l = calloc(1, sizeof(*l));

	/* Random: sources that share a set cannot be chosen. */
	if (!l || getrandom(&l->seed, sizeof(l->seed), 0) != sizeof(l->seed)) {
		free(l);
		return NULL;
	}
	l->rate = rate ? rate : 1;
	return l;
}

bool source_rate_take(struct source_rate *l, const struct sockaddr_storage *from,
		     uint64_t now)
{
	struct slot *set, *s, *oldest;
	uint64_t src;
	uint32_t tag;
	unsigned int i;

	source_key(from, &src, &tag);
	set = l->slot[mix(src ^ l->seed ^ tag) % SETS];
	oldest = &set[0];
	for (i = 0; i < WAYS; i++) {
		s = &set[i];
		if (s->tag == tag && s->source == src)
			return token_bucket_take(&s->bucket, l->rate, now);
		if (!s->tag || (oldest->tag && s->bucket.stamp < oldest->bucket.stamp))
			oldest = s;
	}
	/* Full: the elapsed time is clamped to a second, which fills it. */
	oldest->source = src;
	oldest->tag = tag;
	oldest->bucket.tokens = 0;
	oldest->bucket.stamp = now > TOKEN_BUCKET_ONE ? now - TOKEN_BUCKET_ONE : 0;
	return token_bucket_take(&oldest->bucket, l->rate, now);
}

void source_rate_free(struct source_rate *l)
{
	free(l);
}
