/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_CRYPTO_H
#define _NFPUNCH_CRYPTO_H

#include "stun.h"

int nfp_crypto_init(void);
void nfp_crypto_uninit(void);

/* HMAC-SHA1 for the STUN codec; usable in any context, never sleeps. */
int nfp_hmac_sha1(void *ctx, const uint8_t *key, size_t keylen,
		  const struct stun_iov *iov, int n,
		  uint8_t out[STUN_HMAC_SHA1_LEN]);

#endif /* _NFPUNCH_CRYPTO_H */
