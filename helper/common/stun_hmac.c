// SPDX-License-Identifier: GPL-2.0-or-later
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "stun_hmac.h"

int stun_hmac_openssl(void *ctx, const uint8_t *key, size_t keylen,
		      const struct stun_iov *iov, int n,
		      uint8_t out[STUN_HMAC_SHA1_LEN])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t len = 0;
	int ok;

	(void)ctx;
	ok = mctx && EVP_MAC_init(mctx, key, keylen, params);
	for (int i = 0; ok && i < n; i++)
		ok = EVP_MAC_update(mctx, iov[i].base, iov[i].len);
	ok = ok && EVP_MAC_final(mctx, out, &len, STUN_HMAC_SHA1_LEN) &&
	     len == STUN_HMAC_SHA1_LEN;
	EVP_MAC_CTX_free(mctx);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}
