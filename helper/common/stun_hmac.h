/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMAC-SHA1 for the STUN codec in userspace, from OpenSSL's libcrypto. */
#ifndef NFPUNCH_STUN_HMAC_H
#define NFPUNCH_STUN_HMAC_H

#include "stun.h"

/* A stun_hmac_fn; ctx is unused. */
int stun_hmac_openssl(void *ctx, const uint8_t *key, size_t keylen,
		      const struct stun_iov *iov, int n,
		      uint8_t out[STUN_HMAC_SHA1_LEN]);

#endif
