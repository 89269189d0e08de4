// SPDX-License-Identifier: GPL-2.0-or-later
/* The secret of a session's relay path; see relay_secret.h. */
#include <string.h>

#include "relay_secret.h"
#include "stun_hmac.h"

/* Versioned, as punch_keys.c's labels are. */
#define RELAY_SECRET_LABEL	"nfpunch 2 relay secret"

int relay_secret_derive(uint8_t out[RELAY_SECRET_LEN], const uint8_t *secret,
			size_t secret_len)
{
	struct stun_iov iov = {
		.base = (const uint8_t *)RELAY_SECRET_LABEL,
		.len = sizeof(RELAY_SECRET_LABEL) - 1,
	};

	if (stun_hmac_openssl(NULL, secret, secret_len, &iov, 1, out)) {
		memset(out, 0, RELAY_SECRET_LEN);
		return -1;
	}
	return 0;
}
