// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Network changes: a laptop moves to another Wi-Fi, a DHCP lease brings
 * another address, the default route goes to another gateway. rtnetlink
 * says when addresses or routes change; once they settle (a second of
 * quiet), punchd looks at what matters to it: the address it reaches the
 * server from, and the IPv4 default gateway. When either moved, every
 * path and mapping of the old network is stale: the server link is made
 * again, the NAT discovered again, the gateway asked again, and every
 * peer punched again. Changes elsewhere (a container's bridge) do not
 * touch it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "punchd.h"

#define SETTLE_MS	1000
#define SETTLE_MAX_MS	5000	/* churn elsewhere must not hold a move up */
#define READS_MAX	64

static int fd = -1;
static uint64_t changed_at;		/* the last change; 0: none pending */
static uint64_t first_at;		/* the first one pending */
static struct {
	struct sockaddr_storage src;	/* towards the server */
	uint32_t gw4;			/* network order; 0: none */
	bool known;
} seen;				/* the last usable state */

int pd_netwatch_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
			     RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
	};

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		fd = -1;
		return -1;
	}
	return 0;
}

int pd_netwatch_fd(void)
{
	return fd;
}

void pd_netwatch_input(void)
{
	char buf[8192];
	bool any = false;
	int i;

	/*
	 * What changed is looked up afresh when it settles: just drain,
	 * boundedly (the rest wakes us again).
	 */
	for (i = 0; i < READS_MAX; i++) {
		if (recv(fd, buf, sizeof(buf), 0) > 0) {
			any = true;
			continue;
		}
		/* ENOBUFS: changes were lost, which is a change all the same. */
		any |= errno == ENOBUFS;
		break;
	}
	if (!any)
		return;
	changed_at = pd_now_ms();
	if (!first_at)
		first_at = changed_at;
}

/* The source address the kernel picks towards the server (no packet). */
static int source_towards_server(struct sockaddr_storage *src)
{
	struct sockaddr_storage to;
	socklen_t len = sizeof(*src);
	int s, tolen, ret = -1;

	tolen = pd_server_sockaddr(&to, pd_cfg.signal_port);
	if (tolen < 0)
		return -1;
	s = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	pd_mark_socket(s);	/* as the server link goes */
	if (!connect(s, (struct sockaddr *)&to, (socklen_t)tolen) &&
	    !getsockname(s, (struct sockaddr *)src, &len))
		ret = 0;
	close(s);
	return ret;
}

uint32_t pd_default_gateway4(void)
{
	/* /proc/self: a unit's ProcSubset=pid hides /proc/net. */
	FILE *f = fopen("/proc/self/net/route", "re");
	unsigned int dest, gw, flags;
	char line[256], ifname[32];
	uint32_t found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %x %x %x", ifname, &dest, &gw, &flags) == 4 &&
		    dest == 0 && (flags & 0x2) /* RTF_GATEWAY */)
			found = gw;	/* already in network order */
	fclose(f);
	return found;
}

static bool same_address(const struct sockaddr_storage *a,
			 const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
	return true;
}

static void format(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	const void *addr = ss->ss_family == AF_INET ?
			   (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
			   (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		snprintf(buf, cap, "none");
	else
		inet_ntop(ss->ss_family, addr, buf, (socklen_t)cap);
}

/* Look now; act if what matters moved. */
static void look(void)
{
	struct sockaddr_storage src = { 0 };
	char was[INET6_ADDRSTRLEN], is[INET6_ADDRSTRLEN];
	char gwwas[INET_ADDRSTRLEN], gwis[INET_ADDRSTRLEN];
	uint32_t gw4;

	/*
	 * No route to the server (a cable out, Wi-Fi between networks): not
	 * a network to compare with. The next usable state is compared with
	 * the last one, so coming back to the same network changes nothing.
	 */
	if (source_towards_server(&src))
		return;
	gw4 = pd_default_gateway4();
	if (seen.known && same_address(&src, &seen.src) && gw4 == seen.gw4)
		return;
	if (seen.known) {
		format(&seen.src, was, sizeof(was));
		format(&src, is, sizeof(is));
		inet_ntop(AF_INET, &seen.gw4, gwwas, sizeof(gwwas));
		inet_ntop(AF_INET, &gw4, gwis, sizeof(gwis));
		pd_log("network-changed", "source=%s->%s gateway=%s->%s", was, is,
		       gwwas, gwis);
	}
	seen.src = src;
	seen.gw4 = gw4;
	if (!seen.known) {
		seen.known = true;
		return;
	}
	pd_link_restart("network-changed");
	pd_nat_network_changed();
	pd_portmap_network_changed();
	pd_peers_repunch_all("network-changed");
}

void pd_netwatch_tick(uint64_t now, uint64_t *next)
{
	uint64_t due;

	if (!seen.known && !changed_at) {
		look();		/* what the first change is compared with */
		if (!seen.known)
			changed_at = first_at = now;	/* no route yet: again */
		return;
	}
	if (!changed_at)
		return;
	due = changed_at + SETTLE_MS < first_at + SETTLE_MAX_MS ?
	      changed_at + SETTLE_MS : first_at + SETTLE_MAX_MS;
	if (now < due) {
		if (due < *next)
			*next = due;
		return;
	}
	changed_at = first_at = 0;
	look();
	*next = now;	/* what look() started wants its tick at once */
}

void pd_netwatch_close(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}
