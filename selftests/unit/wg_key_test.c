// SPDX-License-Identifier: GPL-2.0-or-later
/* --wg-peer's keys: WireGuard's base64 of 32 bytes, nothing else. */
#include <string.h>

#include "../../helper/punchd/wg.h"
#include "ktap.h"

int main(void)
{
	uint8_t key[PD_WG_KEY_LEN], want[PD_WG_KEY_LEN];
	unsigned int i;

	for (i = 0; i < PD_WG_KEY_LEN; i++)
		want[i] = (uint8_t)(i * 7 + 1);
	ktap_start();
	/* base64 of bytes 1, 8, 15, ... (i * 7 + 1) */
	CHECK(pd_wg_key_parse("AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM0w==", key) == -1,
	      "two '=' (31 bytes) are refused");
	CHECK(pd_wg_key_parse("AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=", key) == 0 &&
	      !memcmp(key, want, sizeof(key)),
	      "a 44-character key decodes to its 32 bytes");
	CHECK(pd_wg_key_parse("AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o", key) == -1 &&
	      pd_wg_key_parse("AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09oA", key) == -1 &&
	      pd_wg_key_parse("", key) == -1,
	      "a key without its padding, or of another length, is refused");
	CHECK(pd_wg_key_parse("AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM0*o=", key) == -1,
	      "a character outside base64 is refused");
	return ktap_finish();
}
