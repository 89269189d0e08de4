/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Events per source address, in a table of fixed size: STUN answers (the
 * server answers whatever address a datagram claims, so a spoofed flood
 * would aim it at that address) and new signaling connections (one host
 * must not keep the server busy accepting). Each source (an IPv4
 * address, an IPv6 /64) gets a token bucket; the clock is the caller's,
 * so a unit test drives it.
 */
#ifndef RDV_SOURCE_RATE_H
#define RDV_SOURCE_RATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Slots in the table: 4096 sets of 8, 32 bytes each (1 MiB). */
#define SOURCE_RATE_SLOTS	32768

struct source_rate;

/* What counts as one source: the IPv4 address, or the IPv6 /64. */
static inline void source_key(const struct sockaddr_storage *ss,
			      uint64_t *key, uint32_t *tag)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		memcpy(key, &s6->sin6_addr, 8);
		*tag = 6;
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		*key = s4->sin_addr.s_addr;
		*tag = 4;
	}
}

/* rate: events per second and source (bursts of a tenth of that, at least 1). */
struct source_rate *source_rate_new(unsigned int rate);
/* May from have one more event at now (ns, monotonic)? */
bool source_rate_take(struct source_rate *l, const struct sockaddr_storage *from,
		     uint64_t now);
void source_rate_free(struct source_rate *l);

#endif
