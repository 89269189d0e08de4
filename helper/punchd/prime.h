/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Priming (issue 16): the side that starts punching first sends its first
 * probes with a TTL that crosses its own NATs and dies beyond them. Its
 * NATs map its port towards the peer before the peer's probes arrive, and
 * nothing reaches the peer's NAT early: a Linux NAT that receives the
 * peer's probe first keeps an entry for it and maps the peer's own probe
 * to another port, which our NAT then drops. The rules, pure so that a
 * unit test can walk them.
 */
#ifndef PD_PRIME_H
#define PD_PRIME_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/nfpunch.h>

/* How far the walk towards the server goes: no home is deeper. */
#define PD_HOPS_MAX		8

enum pd_hop {
	PD_HOP_PRIVATE,		/* a router of a private or shared range */
	PD_HOP_PUBLIC,		/* a router with a public address */
	PD_HOP_SILENT,		/* no ICMP came back */
	PD_HOP_SERVER,		/* the server itself answered */
};

/*
 * The TTL of a priming probe from what TTL 1, 2, ... met (hops[i] for TTL
 * i + 1): the first hop that is not a private router. Every NAT of a home
 * or a carrier sits behind a private hop, so the probe crosses them all;
 * it dies at that hop, a router (a packet that arrives with TTL 1 is not
 * forwarded) or the server's host, before any peer's NAT. 0 (no priming)
 * when the very first hop is already beyond: nothing of ours to prime, or
 * nothing to tell.
 */
unsigned int pd_prime_ttl(const enum pd_hop *hops, unsigned int n);

/*
 * How long to prime: the peer starts about one trip through the server
 * later (its answer goes there and on to the peer), so a few round trips
 * to the server and a margin; within [PD_PRIME_MIN_MS, PD_PRIME_MAX_MS]
 * and at most half the punch timeout. The peer's own probes reach us
 * through the primed mapping meanwhile: a long priming costs nothing
 * when they do.
 */
#define PD_PRIME_MIN_MS		1000
#define PD_PRIME_MAX_MS		3000
/*
 * The side that sprays from many ports primes its whole punch (whole):
 * each of its mappings is met by the peer's probe arriving there, which
 * it answers at full TTL, and a full-TTL probe of its own that reaches
 * the peer's NAT before the peer has probed that port leaves an entry
 * which moves the peer's probe to it elsewhere. Up to the module's
 * longest (NFPUNCH_PRIME_TIME_MAX).
 */
uint32_t pd_prime_ms(uint32_t server_rtt_us, uint32_t punch_timeout_ms,
		     bool whole);

#endif /* PD_PRIME_H */
