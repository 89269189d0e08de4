// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the STUN codec. Beyond "does not crash": the cheap
 * classifier agrees with the parser, offsets stay inside the message, and
 * whatever parses re-encodes into a message that parses to the same values.
 */
#include <stdlib.h>
#include <string.h>

#include "stun.h"
#include "stun_hmac.h"

static void reencode(const struct stun_msg *m)
{
	uint8_t buf[2048];
	struct stun_builder b;
	struct stun_msg again;
	int len;

	stun_build_start(&b, buf, sizeof(buf), m->type, m->tid);
	if (m->seen & STUN_SEEN_XOR_MAPPED)
		stun_add_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &m->xor_mapped);
	if (m->seen & STUN_SEEN_OTHER)
		stun_add_addr(&b, STUN_A_OTHER_ADDRESS, &m->other);
	if (m->seen & STUN_SEEN_USERNAME)
		stun_add_bytes(&b, STUN_A_USERNAME, m->username, m->username_len);
	if (m->seen & STUN_SEEN_PRIORITY)
		stun_add_u32(&b, STUN_A_PRIORITY, m->priority);
	if (m->seen & STUN_SEEN_ERROR)
		stun_add_error(&b, m->error_code, "", 0);
	stun_add_integrity(&b, (const uint8_t *)"k", 1, stun_hmac_openssl, NULL);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	if (len < 0)
		abort();
	if (stun_parse(&again, buf, (size_t)len) != STUN_OK ||
	    stun_check_fingerprint(&again, buf) != STUN_OK ||
	    stun_check_integrity(&again, buf, (const uint8_t *)"k", 1,
				 stun_hmac_openssl, NULL) != STUN_OK)
		abort();
	if (again.type != (m->type & 0x3fff) ||
	    ((m->seen & STUN_SEEN_XOR_MAPPED) &&
	     (again.xor_mapped.port != m->xor_mapped.port ||
	      memcmp(again.xor_mapped.ip, m->xor_mapped.ip, 16))) ||
	    ((m->seen & STUN_SEEN_PRIORITY) && again.priority != m->priority) ||
	    ((m->seen & STUN_SEEN_ERROR) && again.error_code != m->error_code))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;

	if (stun_parse(&m, data, size) != STUN_OK)
		return 0;
	if (!stun_looks_like(data, size))
		abort();
	if ((m.seen & STUN_SEEN_INTEGRITY) && m.integrity_at + 24u > size)
		abort();
	if ((m.seen & STUN_SEEN_FINGERPRINT) && m.fingerprint_at + 8u > size)
		abort();
	if ((m.seen & STUN_SEEN_USERNAME) && m.username + m.username_len > data + size)
		abort();
	stun_check_integrity(&m, data, (const uint8_t *)"k", 1, stun_hmac_openssl, NULL);
	stun_check_fingerprint(&m, data);
	reencode(&m);
	return 0;
}
