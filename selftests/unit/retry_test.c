// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd's retry rules: the backoff doubles from its base up to a cap,
 * always within +-25% (never 0, never past the cap's +25%), and spreads;
 * glare picks exactly one caller for any two ids, the same on both sides.
 */
#include "../../helper/punchd/retry.h"
#include "ktap.h"

int main(void)
{
	static const char *const ids[] = { "alice", "bob", "carol", "a", "ab", "Bob" };
	uint64_t d, lo, hi, first = 0, want;
	unsigned int a, i, j;
	int ok = 1, spread = 0, glare_ok = 1;

	ktap_start();
	for (a = 1; a <= 12; a++) {
		want = 2000;
		for (i = 1; i < a && want < PD_RETRY_MAX_MS; i++)
			want *= 2;
		if (want > PD_RETRY_MAX_MS)
			want = PD_RETRY_MAX_MS;
		lo = want - want / 4;
		hi = want + want / 4;
		for (i = 0; i < 200; i++) {
			d = pd_retry_delay_ms(a, 2000);
			ok &= d >= lo && d <= hi;
			if (a == 1 && i == 0)
				first = d;
			else if (a == 1)
				spread |= d != first;
		}
	}
	CHECK(ok, "attempt N waits 2 s x 2^(N-1), capped at %u ms, within +-25%%",
	      PD_RETRY_MAX_MS);
	CHECK(spread, "the jitter spreads retries (200 draws differ)");
	CHECK(pd_retry_delay_ms(0, 2000) >= 1500 && pd_retry_delay_ms(1, 0) <= 2,
	      "attempt 0 counts as the first; a zero base stays tiny, not zero-divided");
	for (i = 0; i < 6; i++)
		for (j = 0; j < 6; j++)
			if (i != j)
				glare_ok &= pd_glare_we_call(ids[i], ids[j]) !=
					    pd_glare_we_call(ids[j], ids[i]);
	CHECK(glare_ok, "glare: of any two ids exactly one side calls");
	return ktap_finish();
}
