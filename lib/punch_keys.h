/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Per-direction keys of a punch session. Both peers hold one session
 * secret; each direction of requests gets its own key and USERNAME tag,
 * derived from it, as ICE gives each agent its own credentials (RFC 8445
 * section 7.2.2). A request is keyed and tagged by its sender's role, and
 * a response by the request it answers. So a datagram that only comes back
 * (an echo service, a reflector in a sprayed range) carries our own tag or
 * key and never passes as the peer's. Freestanding, like stun.c.
 */
#ifndef NFPUNCH_PUNCH_KEYS_H
#define NFPUNCH_PUNCH_KEYS_H

#include "stun.h"

#define PUNCH_KEY_LEN		STUN_HMAC_SHA1_LEN
#define PUNCH_TAG_LEN		8

/* Values match enum nfpunch_role of the netlink ABI. */
enum punch_role {
	PUNCH_ROLE_CONTROLLING = 1,	/* the caller */
	PUNCH_ROLE_CONTROLLED = 2,	/* the callee */
};

/* What one role sends under (its "out" keys) is what the other checks. */
struct punch_dir {
	uint8_t key[PUNCH_KEY_LEN];	/* MESSAGE-INTEGRITY of its requests */
	uint8_t tag[PUNCH_TAG_LEN];	/* USERNAME of its requests */
};

struct punch_keys {
	struct punch_dir out;		/* our requests, the peer's answers */
	struct punch_dir in;		/* the peer's requests, our answers */
};

/*
 * Derive the keys of role (enum punch_role) from the session secret:
 * HMAC(secret, label), one label per direction and purpose. 0 on success,
 * -1 for a bad role or a failed HMAC (keys then zeroed).
 */
int punch_keys_derive(struct punch_keys *k, const uint8_t *secret,
		      size_t secret_len, int role, stun_hmac_fn hmac, void *ctx);

/* The keys one sender role uses for its requests. */
int punch_dir_derive(struct punch_dir *d, const uint8_t *secret,
		     size_t secret_len, int sender_role, stun_hmac_fn hmac,
		     void *ctx);

#endif /* NFPUNCH_PUNCH_KEYS_H */
