// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "hex.h"
#include "sig_auth.h"

static const char label[] = "nfpunch register v2";

int sig_register_mac(const uint8_t *secret, size_t secret_len,
		     const uint8_t nonce[SIG_NONCE_LEN],
		     const uint8_t binding[SIG_BINDING_LEN], const char *id,
		     uint8_t mac[SIG_MAC_LEN])
{
	uint8_t in[sizeof(label) + SIG_NONCE_LEN + SIG_BINDING_LEN + SIG_ID_MAX];
	size_t idlen = strlen(id), n = 0;
	unsigned int outlen = 0;

	if (idlen > SIG_ID_MAX)
		return -1;
	/* The label's NUL separates it from the nonce. */
	memcpy(in, label, sizeof(label));
	n += sizeof(label);
	memcpy(in + n, nonce, SIG_NONCE_LEN);
	n += SIG_NONCE_LEN;
	memcpy(in + n, binding, SIG_BINDING_LEN);
	n += SIG_BINDING_LEN;
	memcpy(in + n, id, idlen);
	n += idlen;
	if (!HMAC(EVP_sha256(), secret, (int)secret_len, in, n, mac, &outlen) ||
	    outlen != SIG_MAC_LEN)
		return -1;
	return 0;
}

int sig_register_check(const uint8_t *secret, size_t secret_len,
		       const uint8_t nonce[SIG_NONCE_LEN],
		       const uint8_t binding[SIG_BINDING_LEN], const char *id,
		       const uint8_t mac[SIG_MAC_LEN])
{
	uint8_t want[SIG_MAC_LEN];

	if (sig_register_mac(secret, secret_len, nonce, binding, id, want))
		return 0;
	return CRYPTO_memcmp(want, mac, SIG_MAC_LEN) == 0;
}

int sig_random(void *buf, size_t len)
{
	return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

int sig_secret_hex(const char *hex, uint8_t out[SIG_CLIENT_SECRET_MAX])
{
	int n = hex_decode(hex, out, SIG_CLIENT_SECRET_MAX);

	return n < 16 ? -1 : n;
}

int sig_secret_file(const char *path, uint8_t out[SIG_CLIENT_SECRET_MAX])
{
	char line[2 * SIG_CLIENT_SECRET_MAX + 2];
	FILE *f = fopen(path, "re");
	int n = -1;

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		n = sig_secret_hex(line, out);
	}
	fclose(f);
	if (n < 0)
		errno = EINVAL;
	return n;
}
