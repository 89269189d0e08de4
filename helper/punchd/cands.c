// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host candidates: our own addresses with the punching port. They are
 * what lets two hosts behind the same NAT meet on their LAN, where the
 * public mapping would need the NAT to hairpin.
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <string.h>
#include <sys/socket.h>

#include "iface.h"
#include "punchd.h"

void pd_ep_to_sig(struct sig_ep *out, const struct nfp_endpoint *in)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	memcpy(out->addr, in->addr, sizeof(out->addr));
	out->port = in->port;
	if (in->port_max > in->port)
		out->port_last = in->port_max;
}

void pd_ep_from_sig(struct nfp_endpoint *out, const struct sig_ep *in)
{
	memset(out, 0, sizeof(*out));
	out->family = in->family;
	memcpy(out->addr, in->addr, sizeof(out->addr));
	out->port = in->port;
	if (in->port_last > in->port)
		out->port_max = in->port_last;
}

/* The link type of an interface: its AF_PACKET entry in the list. */
static unsigned short link_type(const struct ifaddrs *list, const char *name)
{
	const struct ifaddrs *ifa;

	for (ifa = list; ifa; ifa = ifa->ifa_next)
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_PACKET &&
		    !strcmp(ifa->ifa_name, name))
			return ((const struct sockaddr_ll *)ifa->ifa_addr)->sll_hatype;
	return 0;	/* unknown (ARPHRD_NETROM): judged by name alone */
}

static bool usable(const struct ifaddrs *list, const struct ifaddrs *ifa,
		   int family)
{
	const struct sockaddr_in6 *s6 = (const void *)ifa->ifa_addr;
	const char *skip;

	if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family ||
	    (ifa->ifa_flags & IFF_LOOPBACK) || !(ifa->ifa_flags & IFF_UP))
		return false;
	/* Link-local needs a scope the module's flows do not carry. */
	if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
		return false;
	skip = pd_iface_skip(ifa->ifa_name, link_type(list, ifa->ifa_name),
			     pd_cfg.exclude_ifaces);
	if (skip)
		pd_log("host-candidate-skipped", "iface=%s reason=%s",
		       ifa->ifa_name, skip);
	return !skip;
}

int pd_host_candidates(const struct nfp_endpoint *local, struct sig_msg *m)
{
	struct ifaddrs *list, *ifa;
	struct sig_ep ep;
	int n = 0;

	if (getifaddrs(&list))
		return -1;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!usable(list, ifa, local->family))
			continue;
		memset(&ep, 0, sizeof(ep));
		ep.family = local->family;
		ep.port = local->port;
		if (local->family == AF_INET)
			memcpy(ep.addr, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, 4);
		else
			memcpy(ep.addr, &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, 16);
		if (sig_add_cand(m, &ep))
			break;
		n++;
	}
	freeifaddrs(list);
	return n;
}
