// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd's priming rules: the TTL is the first hop beyond the private
 * ones (none when there is no private hop first, or no end seen), and
 * the priming time follows the server's round trip within its bounds.
 */
#include "../../helper/punchd/prime.h"
#include "ktap.h"

#define TTL(...) ({							\
	static const enum pd_hop h_[] = { __VA_ARGS__ };		\
	pd_prime_ttl(h_, sizeof(h_) / sizeof(h_[0]));			\
})

int main(void)
{
	static const enum pd_hop deep[PD_HOPS_MAX + 2] = { PD_HOP_PRIVATE };
	enum pd_hop all_private[PD_HOPS_MAX];
	unsigned int i;

	ktap_start();
	CHECK(TTL(PD_HOP_PRIVATE, PD_HOP_SERVER) == 2,
	      "home NAT, then the server's router: TTL 2 dies there");
	CHECK(TTL(PD_HOP_PRIVATE, PD_HOP_PUBLIC, PD_HOP_PUBLIC) == 2,
	      "home NAT, then a public router: TTL 2");
	CHECK(TTL(PD_HOP_PRIVATE, PD_HOP_PRIVATE, PD_HOP_SERVER) == 3,
	      "home NAT behind a carrier NAT: TTL 3 crosses both");
	CHECK(TTL(PD_HOP_PRIVATE, PD_HOP_SILENT) == 2,
	      "a silent hop after the home NAT: the probe dies there");
	CHECK(TTL(PD_HOP_PUBLIC) == 0 && TTL(PD_HOP_SERVER) == 0 &&
	      TTL(PD_HOP_SILENT) == 0,
	      "no private hop first: no NAT of ours to prime, or nothing known");
	for (i = 0; i < PD_HOPS_MAX; i++)
		all_private[i] = PD_HOP_PRIVATE;
	CHECK(pd_prime_ttl(all_private, PD_HOPS_MAX) == 0,
	      "private all the way: no end seen, no priming");
	CHECK(pd_prime_ttl(deep, PD_HOPS_MAX + 2) == 0 && pd_prime_ttl(deep, 0) == 0,
	      "never past PD_HOPS_MAX; no hops: none");

	CHECK(pd_prime_ms(0, 10000, false) == PD_PRIME_MIN_MS &&
	      pd_prime_ms(100000, 10000, false) == PD_PRIME_MIN_MS,
	      "a near server: the minimum, %u ms", PD_PRIME_MIN_MS);
	CHECK(pd_prime_ms(300000, 10000, false) == 1700,
	      "0.5 s and four round trips to the server (300 ms: 1.7 s)");
	CHECK(pd_prime_ms(2000000, 10000, false) == PD_PRIME_MAX_MS &&
	      pd_prime_ms(UINT32_MAX, 60000, false) == PD_PRIME_MAX_MS,
	      "at most %u ms, without overflow", PD_PRIME_MAX_MS);
	CHECK(pd_prime_ms(300000, 1000, false) == 500,
	      "at most half the punch timeout");
	CHECK(pd_prime_ms(300000, 8000, true) == 7999 &&
	      pd_prime_ms(0, 60000, true) == NFPUNCH_PRIME_TIME_MAX &&
	      pd_prime_ms(0, 0, true) == 0,
	      "a spray of ports primes its whole punch, up to the module's 10 s");
	return ktap_finish();
}
