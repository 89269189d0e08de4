/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Binding answers per source address. A STUN server answers whatever
 * address a datagram claims to come from, so a spoofed flood would turn
 * it into a reflector aimed at that address. Each source (an IPv4
 * address, an IPv6 /64) gets a token bucket in a table of fixed size;
 * the clock is the caller's, so a unit test drives it.
 */
#ifndef RDV_STUN_LIMIT_H
#define RDV_STUN_LIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Slots in the table: 4096 sets of 8, 32 bytes each (1 MiB). */
#define STUN_LIMIT_SLOTS	32768

struct stun_limit;

/* rate: answers per second and source (bursts of a tenth of that, at least 1). */
struct stun_limit *stun_limit_new(unsigned int rate, uint64_t seed);
/* May from have one more answer at now (ns, monotonic)? */
bool stun_limit_take(struct stun_limit *l, const struct sockaddr_storage *from,
		     uint64_t now);
void stun_limit_free(struct stun_limit *l);

#endif
