// SPDX-License-Identifier: GPL-2.0-or-later
#include "prime.h"

unsigned int pd_prime_ttl(const enum pd_hop *hops, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && i < PD_HOPS_MAX; i++)
		if (hops[i] != PD_HOP_PRIVATE)
			return i ? i + 1 : 0;
	/* Private all the way: whatever lies beyond is unknown. */
	return 0;
}

uint32_t pd_prime_ms(uint32_t server_rtt_us, uint32_t punch_timeout_ms,
		     bool whole)
{
	uint64_t ms = 500 + 4 * (uint64_t)server_rtt_us / 1000;

	/* The module wants priming over before the punch is. */
	if (whole)
		return punch_timeout_ms > NFPUNCH_PRIME_TIME_MAX ? NFPUNCH_PRIME_TIME_MAX :
		       punch_timeout_ms ? punch_timeout_ms - 1 : 0;

	if (ms < PD_PRIME_MIN_MS)
		ms = PD_PRIME_MIN_MS;
	if (ms > PD_PRIME_MAX_MS)
		ms = PD_PRIME_MAX_MS;
	if (ms > punch_timeout_ms / 2)
		ms = punch_timeout_ms / 2;
	return (uint32_t)ms;
}
