// SPDX-License-Identifier: GPL-2.0-or-later
/* Socket addresses to and from the signaling protocol's endpoints. */
#include <string.h>

#include "rdv.h"

void rdv_ep_from_ss(struct sig_ep *ep, const struct sockaddr_storage *ss)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = ss->ss_family;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		memcpy(ep->addr, &s6->sin6_addr, 16);
		ep->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		memcpy(ep->addr, &s4->sin_addr, 4);
		ep->port = ntohs(s4->sin_port);
	}
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

socklen_t rdv_ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	       sizeof(struct sockaddr_in);
}

void rdv_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}
