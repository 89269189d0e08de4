// SPDX-License-Identifier: GPL-2.0
/*
 * HMAC-SHA1 for MESSAGE-INTEGRITY. Every flow has its own key, and an
 * "hmac(sha1)" transform holds one key, so sharing one across flows and
 * CPUs would need a lock in the packet path. A plain "sha1" transform is
 * keyless (its state lives in the on-stack descriptor), so one transform
 * serves everybody and the HMAC construction (RFC 2104) is done here.
 */
#include <crypto/hash.h>
#include <crypto/sha1.h>
#include <linux/string.h>

#include "crypto.h"

static struct crypto_shash *nfp_sha1;

int nfp_crypto_init(void)
{
	nfp_sha1 = crypto_alloc_shash("sha1", 0, 0);
	return PTR_ERR_OR_ZERO(nfp_sha1);
}

void nfp_crypto_uninit(void)
{
	crypto_free_shash(nfp_sha1);
}

static int nfp_sha1_padded(struct shash_desc *desc, const u8 *key,
			   size_t keylen, u8 fill)
{
	u8 pad[SHA1_BLOCK_SIZE];
	size_t i;
	int ret;

	memset(pad, fill, sizeof(pad));
	for (i = 0; i < keylen; i++)
		pad[i] ^= key[i];
	ret = crypto_shash_init(desc) ?:
	      crypto_shash_update(desc, pad, sizeof(pad));
	memzero_explicit(pad, sizeof(pad));
	return ret;
}

int nfp_hmac_sha1(void *ctx, const uint8_t *key, size_t keylen,
		  const struct stun_iov *iov, int n,
		  uint8_t out[STUN_HMAC_SHA1_LEN])
{
	SHASH_DESC_ON_STACK(desc, nfp_sha1);
	u8 inner[SHA1_DIGEST_SIZE];
	int i, ret;

	/* Session secrets are at most 32 bytes: never longer than a block. */
	if (keylen > SHA1_BLOCK_SIZE)
		return -EINVAL;
	desc->tfm = nfp_sha1;

	ret = nfp_sha1_padded(desc, key, keylen, 0x36);
	for (i = 0; !ret && i < n; i++)
		ret = crypto_shash_update(desc, iov[i].base, iov[i].len);
	ret = ret ?: crypto_shash_final(desc, inner);

	ret = ret ?: nfp_sha1_padded(desc, key, keylen, 0x5c);
	ret = ret ?: crypto_shash_update(desc, inner, sizeof(inner));
	ret = ret ?: crypto_shash_final(desc, out);

	memzero_explicit(inner, sizeof(inner));
	shash_desc_zero(desc);
	return ret;
}
