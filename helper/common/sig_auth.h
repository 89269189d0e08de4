/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registration proof: the server sends a fresh nonce, the client answers
 * with HMAC-SHA256(secret, label | nonce | binding | id), where binding is
 * exported from the connection's TLS session (sig_tls.h; zeros on the
 * plaintext connections of tests). The secret never crosses the wire, a
 * recorded answer is useless for the next connection, and one relayed by
 * a man in the middle is useless on his.
 */
#ifndef NFPUNCH_SIG_AUTH_H
#define NFPUNCH_SIG_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "sig.h"

#define SIG_CLIENT_SECRET_MAX	64
#define SIG_BINDING_LEN		32	/* SIG_TLS_EXPORTER_LEN */

int sig_register_mac(const uint8_t *secret, size_t secret_len,
		     const uint8_t nonce[SIG_NONCE_LEN],
		     const uint8_t binding[SIG_BINDING_LEN], const char *id,
		     uint8_t mac[SIG_MAC_LEN]);
/* Constant-time: 1 when mac is the right answer. */
int sig_register_check(const uint8_t *secret, size_t secret_len,
		       const uint8_t nonce[SIG_NONCE_LEN],
		       const uint8_t binding[SIG_BINDING_LEN], const char *id,
		       const uint8_t mac[SIG_MAC_LEN]);
/* Fill buf from the kernel's random source; 0 or -1. */
int sig_random(void *buf, size_t len);
/*
 * Read a client secret: a file whose first line is 16..64 bytes in hex.
 * Returns its length or -1 (errno set; EINVAL for bad content).
 */
int sig_secret_file(const char *path, uint8_t out[SIG_CLIENT_SECRET_MAX]);
int sig_secret_hex(const char *hex, uint8_t out[SIG_CLIENT_SECRET_MAX]);

#endif
