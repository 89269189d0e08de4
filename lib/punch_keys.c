// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Per-direction keys of a punch session; see punch_keys.h. */
#include "punch_keys.h"

/* Labels carry a version: a change of derivation never meets an old peer. */
static const char *const punch_labels[2][2] = {
	{ "nfpunch 2 controlling key", "nfpunch 2 controlling tag" },
	{ "nfpunch 2 controlled key", "nfpunch 2 controlled tag" },
};

static size_t punch_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void punch_zero(void *p, size_t len)
{
	volatile uint8_t *b = p;

	while (len--)
		*b++ = 0;
}

static int punch_prf(uint8_t out[STUN_HMAC_SHA1_LEN], const uint8_t *secret,
		     size_t secret_len, const char *label, stun_hmac_fn hmac,
		     void *ctx)
{
	struct stun_iov iov = {
		.base = (const uint8_t *)label,
		.len = punch_strlen(label),
	};

	return hmac(ctx, secret, secret_len, &iov, 1, out);
}

int punch_dir_derive(struct punch_dir *d, const uint8_t *secret,
		     size_t secret_len, int sender_role, stun_hmac_fn hmac,
		     void *ctx)
{
	const char *const *labels;
	uint8_t mac[STUN_HMAC_SHA1_LEN];
	size_t i;

	if (sender_role != PUNCH_ROLE_CONTROLLING &&
	    sender_role != PUNCH_ROLE_CONTROLLED)
		goto fail;
	labels = punch_labels[sender_role - PUNCH_ROLE_CONTROLLING];
	if (punch_prf(d->key, secret, secret_len, labels[0], hmac, ctx) ||
	    punch_prf(mac, secret, secret_len, labels[1], hmac, ctx))
		goto fail;
	for (i = 0; i < PUNCH_TAG_LEN; i++)
		d->tag[i] = mac[i];
	punch_zero(mac, sizeof(mac));
	return 0;
fail:
	punch_zero(d, sizeof(*d));
	punch_zero(mac, sizeof(mac));
	return -1;
}

int punch_keys_derive(struct punch_keys *k, const uint8_t *secret,
		      size_t secret_len, int role, stun_hmac_fn hmac, void *ctx)
{
	int peer = role == PUNCH_ROLE_CONTROLLING ? PUNCH_ROLE_CONTROLLED :
						     PUNCH_ROLE_CONTROLLING;

	if (role != PUNCH_ROLE_CONTROLLING && role != PUNCH_ROLE_CONTROLLED) {
		punch_zero(k, sizeof(*k));
		return -1;
	}
	if (punch_dir_derive(&k->out, secret, secret_len, role, hmac, ctx) ||
	    punch_dir_derive(&k->in, secret, secret_len, peer, hmac, ctx)) {
		punch_zero(k, sizeof(*k));
		return -1;
	}
	return 0;
}
