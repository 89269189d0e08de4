/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which of a peer's candidates we may probe. They arrive from another
 * user through the server, and each becomes kernel probes from this host,
 * so a hostile user could otherwise aim us at loopback, broadcast,
 * multicast, our own LAN, or port windows of a third party.
 */
#ifndef PD_CAND_FILTER_H
#define PD_CAND_FILTER_H

#include <stdbool.h>

#include "sig.h"

/* Public addresses other than the observed one, at most. */
#define PD_CAND_ELSEWHERE	4

struct pd_cand_view {
	struct sig_ep observed;	/* the peer's address as the server saw it */
	bool same_site;		/* the peer's public address is ours */
	bool sequential;	/* the peer says its NAT allocates in sequence */
	int family;		/* of our end: the flow takes no other; 0: any */
	/*
	 * Trickled (CANDIDATE, trickle.c): the peer's NAT moved its mapping,
	 * so only a single endpoint at the observed address will do.
	 */
	bool trickled;
};

/*
 * Copy the acceptable ones of in[n] to out (in order) and return how
 * many; for each refused one, refused(why, ep, ctx) is called.
 */
unsigned int pd_cand_filter(const struct sig_ep *in, unsigned int n,
			    const struct pd_cand_view *v, struct sig_ep *out,
			    void (*refused)(const char *why,
					    const struct sig_ep *ep, void *ctx),
			    void *ctx);

/* The reason ep may never be probed, or NULL; private: a LAN address. */
const char *pd_cand_scope(const struct sig_ep *ep, bool *private);

#endif
