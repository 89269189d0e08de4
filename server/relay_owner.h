/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Relays per requester, the id whose quota (--client-relays, relays= in
 * the users file) each counts against: a quota check is one lookup, not
 * a walk over every relay of the server.
 */
#ifndef RDV_RELAY_OWNER_H
#define RDV_RELAY_OWNER_H

#include "sig.h"

struct relay_owner {
	char id[SIG_ID_MAX + 1];
	unsigned int relays;
};

/* id's count, made on first use; NULL when out of memory. */
struct relay_owner *relay_owner_get(const char *id);
/* Relays id holds now (0 for an id that holds none). */
unsigned int relay_owner_relays(const char *id);
/* Drop it when it holds no relay any more. */
void relay_owner_put(struct relay_owner *o);

#endif
