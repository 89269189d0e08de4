// SPDX-License-Identifier: GPL-2.0-or-later
/* Socket addresses to and from the signaling protocol's endpoints. */
#include <string.h>

#include "rdv.h"

void rdv_ep_from_ss(struct sig_ep *ep, const struct sockaddr_storage *ss)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = ss->ss_family;
	ep->port = sa_get(ss, ep->addr);
}

int rdv_same_ip(const struct sockaddr_storage *a,
		const struct sockaddr_storage *b)
{
	struct sig_ep x, y;

	rdv_ep_from_ss(&x, a);
	rdv_ep_from_ss(&y, b);
	x.port = y.port = 0;
	return sig_ep_equal(&x, &y);
}
