// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host candidates: our own addresses with the punching port. They are
 * what lets two hosts behind the same NAT meet on their LAN, where the
 * public mapping would need the NAT to hairpin.
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool pd_ep_same_address(const struct nfp_endpoint *a, const struct sig_ep *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET6 ? 16 : 4);
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

/*
 * Say once why an interface is skipped, not at every connect: the last
 * reason logged per interface name (a small, bounded memory).
 */
static void log_skip(const char *name, const char *why)
{
	static struct {
		char name[IF_NAMESIZE];
		const char *why;
	} seen[32];
	static unsigned int next;
	unsigned int i;

	for (i = 0; i < 32; i++)
		if (seen[i].why && !strcmp(seen[i].name, name)) {
			if (seen[i].why == why)
				return;
			break;
		}
	if (i == 32)
		i = next++ % 32;
	snprintf(seen[i].name, sizeof(seen[i].name), "%s", name);
	seen[i].why = why;
	pd_log("host-candidate-skipped", "iface=%s reason=%s", name, why);
}

static bool usable(const struct ifaddrs *ifa, int family,
		   const struct pd_iface *links, int n_links)
{
	const struct sockaddr_in6 *s6 = (const void *)ifa->ifa_addr;
	const char *skip;

	if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family ||
	    (ifa->ifa_flags & IFF_LOOPBACK) || !(ifa->ifa_flags & IFF_UP))
		return false;
	/* Link-local needs a scope the module's flows do not carry. */
	if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
		return false;
	skip = pd_iface_skip(ifa->ifa_name,
			     pd_iface_kind(links, n_links, ifa->ifa_name),
			     pd_cfg.exclude_ifaces, pd_cfg.include_ifaces);
	if (skip)
		log_skip(ifa->ifa_name, skip);
	return !skip;
}

int pd_host_candidates(const struct nfp_endpoint *local, struct sig_msg *m)
{
	struct ifaddrs *list, *ifa;
	struct pd_iface *links;
	int n = 0, n_links;
	struct sig_ep ep;

	/* No kinds known: no candidate that might be a tunnel's. */
	n_links = pd_iface_list(&links);
	if (n_links < 0) {
		pd_log("host-candidates-failed", "error=\"%s\"", strerror(-n_links));
		return -1;
	}
	if (getifaddrs(&list)) {
		free(links);
		return -1;
	}
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!usable(ifa, local->family, links, n_links))
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
	free(links);
	return n;
}
