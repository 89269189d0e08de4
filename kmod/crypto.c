// SPDX-License-Identifier: GPL-2.0
/*
 * HMAC-SHA1 for MESSAGE-INTEGRITY. Every flow has its own key, and an
 * "hmac(sha1)" transform holds one key, so sharing one across flows and
 * CPUs would need a lock in the packet path. A plain "sha1" transform is
 * keyless (its state lives in the on-stack descriptor), so one transform
 * serves everybody and the HMAC construction (RFC 2104) is done here.
 * Hashing the key's two pad blocks is half the work of a short message,
 * so a key used for several (the labels of a secret's derivation) has them
 * hashed once, in a struct nfp_hmac_key.
 */
#include <crypto/hash.h>
#include <crypto/sha1.h>
#include <linux/string.h>

#include "crypto.h"

static struct crypto_shash *nfp_sha1;
/* The driver's exported state is a struct sha1_state (all in-tree ones). */
static bool nfp_sha1_exports;

int nfp_crypto_init(void)
{
	nfp_sha1 = crypto_alloc_shash("sha1", 0, 0);
	if (IS_ERR(nfp_sha1))
		return PTR_ERR(nfp_sha1);
	nfp_sha1_exports = crypto_shash_statesize(nfp_sha1) ==
			   sizeof(struct sha1_state);
	return 0;
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

void nfp_hmac_key_init(struct nfp_hmac_key *hk, const u8 *key, size_t keylen)
{
	SHASH_DESC_ON_STACK(desc, nfp_sha1);

	hk->key = NULL;
	if (!nfp_sha1_exports || keylen > SHA1_BLOCK_SIZE)
		return;
	desc->tfm = nfp_sha1;
	if (!nfp_sha1_padded(desc, key, keylen, 0x36) &&
	    !crypto_shash_export(desc, &hk->inner) &&
	    !nfp_sha1_padded(desc, key, keylen, 0x5c) &&
	    !crypto_shash_export(desc, &hk->outer)) {
		hk->key = key;
		hk->keylen = keylen;
	}
	shash_desc_zero(desc);
}

void nfp_hmac_key_clear(struct nfp_hmac_key *hk)
{
	memzero_explicit(hk, sizeof(*hk));
}

/* The hash of key ^ pad's block, from hk if it holds it for this key. */
static int nfp_hmac_start(struct shash_desc *desc,
			  const struct nfp_hmac_key *hk, const u8 *key,
			  size_t keylen, bool outer)
{
	if (hk && hk->key == key && hk->keylen == keylen)
		return crypto_shash_import(desc, outer ? &hk->outer : &hk->inner);
	return nfp_sha1_padded(desc, key, keylen, outer ? 0x5c : 0x36);
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

	ret = nfp_hmac_start(desc, ctx, key, keylen, false);
	for (i = 0; !ret && i < n; i++)
		ret = crypto_shash_update(desc, iov[i].base, iov[i].len);
	ret = ret ?: crypto_shash_final(desc, inner);

	ret = ret ?: nfp_hmac_start(desc, ctx, key, keylen, true);
	ret = ret ?: crypto_shash_update(desc, inner, sizeof(inner));
	ret = ret ?: crypto_shash_final(desc, out);

	memzero_explicit(inner, sizeof(inner));
	shash_desc_zero(desc);
	return ret;
}
