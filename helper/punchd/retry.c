// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * When to try a peer again, and who calls when both do: small rules
 * kept apart from the session's state machine so they can be tested.
 */
#include <string.h>

#include "retry.h"
#include "sig_auth.h"

uint64_t pd_retry_delay_ms(unsigned int attempt, unsigned int base_ms)
{
	uint64_t d = base_ms ? base_ms : 1;
	uint32_t r = 0;

	/* Doubling from base, capped, then +-25%: peers that lost the same
	 * server or path at once do not come back in step. */
	while (attempt-- > 1 && d < PD_RETRY_MAX_MS)
		d *= 2;
	if (d > PD_RETRY_MAX_MS)
		d = PD_RETRY_MAX_MS;
	sig_random(&r, sizeof(r));
	return d - d / 4 + (uint64_t)r % (d / 2 + 1);
}

bool pd_glare_we_call(const char *me, const char *peer)
{
	/* Both sides compute the same answer from the same two ids. */
	return strcmp(me, peer) < 0;
}
