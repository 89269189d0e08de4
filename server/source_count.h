/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Signaling connections per source address (an IPv4 address, an IPv6
 * /64), counted exactly: one host must not hold every slot of the server,
 * nor all of its unauthenticated ones.
 */
#ifndef RDV_SOURCE_COUNT_H
#define RDV_SOURCE_COUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct source_count {
	uint64_t key;
	uint32_t tag;
	unsigned int conns;		/* open connections */
	unsigned int handshakes;	/* of them, not registered yet */
};

/*
 * The count of ss's source, made on first use; NULL when out of memory.
 * site: for IPv6, the /48 around the /64 (a site's usual allocation, so
 * one site's many /64s count together too); NULL for IPv4.
 */
struct source_count *source_count_get(const struct sockaddr_storage *ss,
				      bool site);
/* Drop it when its last connection has gone. */
void source_count_put(struct source_count *s);

#endif
