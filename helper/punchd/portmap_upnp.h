/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PD_PORTMAP_UPNP_H
#define PD_PORTMAP_UPNP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

struct pd_upnp_result {
	bool ok;
	uint8_t external[4];		/* the IGD's external IPv4 address */
	uint16_t port;			/* the public port */
	uint32_t lease;			/* seconds; 0: permanent */
	const char *error;		/* when not ok: why (static text) */
};

/*
 * Map a public UDP port (port if free) to our LAN address's port for
 * lease_s, in a thread, through the IGD at gateway (network order).
 */
int pd_upnp_map(in_addr_t gateway, uint16_t port, uint32_t lease_s);
/* The descriptor to poll while a request runs; -1 otherwise. */
int pd_upnp_fd(void);
/* After it is readable: true with the request's result. */
bool pd_upnp_done(struct pd_upnp_result *r);
/* A new network: the IGD and its mapping are of the old one. */
void pd_upnp_forget(void);
/* At exit: delete the mapping made (blocks, bounded by miniupnpc). */
void pd_upnp_delete(void);

#endif /* PD_PORTMAP_UPNP_H */
