// SPDX-License-Identifier: GPL-2.0-or-later
/* The secret of a session's relay path; see relay_secret.h. */
#include <stdio.h>
#include <string.h>

#include "relay_secret.h"
#include "stun_hmac.h"

/* Versioned, as punch_keys.c's labels are. */
#define RELAY_SECRET_LABEL	"nfpunch 2 relay secret"

int relay_secret_derive(uint8_t out[RELAY_SECRET_LEN], const uint8_t *secret,
			size_t secret_len, unsigned int gen)
{
	char label[sizeof(RELAY_SECRET_LABEL) + 12];
	struct stun_iov iov = { .base = (const uint8_t *)label };
	int n;

	/* The first relay's label has no number: what older peers use. */
	n = gen ? snprintf(label, sizeof(label), "%s %u", RELAY_SECRET_LABEL, gen) :
		  snprintf(label, sizeof(label), "%s", RELAY_SECRET_LABEL);
	iov.len = (size_t)n;

	if (stun_hmac_openssl(NULL, secret, secret_len, &iov, 1, out)) {
		memset(out, 0, RELAY_SECRET_LEN);
		return -1;
	}
	return 0;
}
