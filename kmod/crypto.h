/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_CRYPTO_H
#define _NFPUNCH_CRYPTO_H

#include <crypto/sha1.h>

#include "stun.h"

int nfp_crypto_init(void);
void nfp_crypto_uninit(void);

/*
 * HMAC-SHA1 for the STUN codec; usable in any context, never sleeps.
 * ctx is NULL, or a struct nfp_hmac_key: used when it was made for this
 * very key (the same pointer), ignored otherwise.
 */
int nfp_hmac_sha1(void *ctx, const uint8_t *key, size_t keylen,
		  const struct stun_iov *iov, int n,
		  uint8_t out[STUN_HMAC_SHA1_LEN]);

/* A key's pad blocks, hashed once for several messages under it. */
struct nfp_hmac_key {
	const u8 *key;		/* NULL: none; each message hashes its pads */
	size_t keylen;
	struct sha1_state inner, outer;
};

/* Never fails: without the pads, nfp_hmac_sha1() hashes them itself. */
void nfp_hmac_key_init(struct nfp_hmac_key *hk, const u8 *key, size_t keylen);
/* The pads are as secret as the key. */
void nfp_hmac_key_clear(struct nfp_hmac_key *hk);

#endif /* _NFPUNCH_CRYPTO_H */
