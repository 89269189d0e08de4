// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-direction keys: what one role sends under is what the other checks,
 * the two directions never share a key or a tag, and the derivation is
 * pinned by a known answer (computed independently with Python's hmac),
 * so the module, the relay and any other implementation agree.
 */
#include <string.h>
#include "punch_keys.h"
#include "stun_hmac.h"
#include "ktap.h"

static void unhex(const char *hex, uint8_t *out)
{
	for (size_t i = 0; hex[2 * i]; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

int main(void)
{
	uint8_t secret[16], key[PUNCH_KEY_LEN], tag[20];
	struct punch_keys c, d, bad;
	struct punch_dir dir;
	size_t i;

	ktap_start();
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)i;

	CHECK(punch_keys_derive(&c, secret, sizeof(secret), PUNCH_ROLE_CONTROLLING,
				stun_hmac_openssl, NULL) == 0, "controlling keys derive");
	CHECK(punch_keys_derive(&d, secret, sizeof(secret), PUNCH_ROLE_CONTROLLED,
				stun_hmac_openssl, NULL) == 0, "controlled keys derive");

	unhex("9830254dfcd827972304b2aa9f8e80e7813640fa", key);
	CHECK(!memcmp(c.out.key, key, sizeof(key)),
	      "known answer: controlling key = HMAC(secret, \"nfpunch 2 controlling key\")");
	unhex("b7617bbca973a9e61ee5aa721b7313db4197f88d", tag);
	CHECK(!memcmp(c.out.tag, tag, PUNCH_TAG_LEN),
	      "known answer: controlling tag = first 8 bytes of HMAC(secret, \"... tag\")");
	unhex("44e7daec07893082a376dce42e36f37c2325a321", key);
	CHECK(!memcmp(c.in.key, key, sizeof(key)), "known answer: controlled key");
	unhex("efabc817452d1305b8f019fdcb76f0df15722f43", tag);
	CHECK(!memcmp(c.in.tag, tag, PUNCH_TAG_LEN), "known answer: controlled tag");

	CHECK(!memcmp(&c.out, &d.in, sizeof(c.out)) &&
	      !memcmp(&c.in, &d.out, sizeof(c.in)),
	      "each side checks what the other sends");
	CHECK(memcmp(c.out.key, c.in.key, PUNCH_KEY_LEN) &&
	      memcmp(c.out.tag, c.in.tag, PUNCH_TAG_LEN),
	      "the two directions share neither key nor tag");
	CHECK(memcmp(c.out.key, secret, sizeof(secret)),
	      "the secret itself is never a key");

	memset(&bad, 0xaa, sizeof(bad));
	CHECK(punch_keys_derive(&bad, secret, sizeof(secret), 0,
				stun_hmac_openssl, NULL) == -1,
	      "role 0 is refused");
	CHECK(punch_keys_derive(&bad, secret, sizeof(secret), 3,
				stun_hmac_openssl, NULL) == -1,
	      "role 3 is refused");
	memset(&key, 0, sizeof(key));
	CHECK(!memcmp(bad.out.key, key, sizeof(key)),
	      "a refused derivation leaves no stale key behind");
	CHECK(punch_dir_derive(&dir, secret, sizeof(secret), PUNCH_ROLE_CONTROLLED,
			       stun_hmac_openssl, NULL) == 0 &&
	      !memcmp(&dir, &d.out, sizeof(dir)),
	      "one direction alone (the relay's view) matches");
	return ktap_finish();
}
