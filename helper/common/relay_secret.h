/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The secret of a session's relay path. With relay first, a flow through
 * the relay runs beside the direct punch from the same local port: under
 * the session secret both would carry the same USERNAME tags, and the
 * module (which finds a flow by the tag of the peer's requests) and the
 * relay could not tell the two paths' probes apart. Both peers and the
 * server derive it from the session secret, so signaling carries nothing
 * new.
 */
#ifndef NFPUNCH_RELAY_SECRET_H
#define NFPUNCH_RELAY_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "stun.h"

#define RELAY_SECRET_LEN	STUN_HMAC_SHA1_LEN

/*
 * HMAC(secret, label): 0, or -1 (out then zeroed). gen: 0 for the
 * session's relay, N for its Nth renewal's successor (signaling v=6),
 * whose flow runs beside its predecessor's from the same port for a
 * while and so needs tags of its own too.
 */
int relay_secret_derive(uint8_t out[RELAY_SECRET_LEN], const uint8_t *secret,
			size_t secret_len, unsigned int gen);

#endif
