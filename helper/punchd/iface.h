/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PD_IFACE_H
#define PD_IFACE_H

/*
 * Which interfaces' addresses punchd offers as host candidates. A
 * tunnel's address (WireGuard, tun/tap, IP and layer-2 tunnels) leads
 * back into the tunnel, and a container bridge's is on this host only:
 * a peer that punches them wastes probes, or worse, finds a path through
 * the VPN that punchd is meant to carry.
 */
#include <net/if.h>

#define PD_IFACE_MAX_GLOBS	16
#define PD_IFACE_GLOB_MAX	31	/* characters */

/* An interface and its rtnetlink kind ("" for a physical device). */
struct pd_iface {
	char name[IF_NAMESIZE];
	char kind[16];
};

/* The interfaces of this namespace into *list (free() it): n, or -errno. */
int pd_iface_list(struct pd_iface **list);
/* Its kind in list, or "" when unknown. */
const char *pd_iface_kind(const struct pd_iface *list, int n, const char *name);

/*
 * The reason an interface is skipped ("tunnel", "container",
 * "excluded"), or NULL when its addresses are candidates. exclude and
 * include: the --exclude-interface and --include-interface globs,
 * NULL-terminated (or NULL); include wins over every reason.
 */
const char *pd_iface_skip(const char *name, const char *kind,
			  const char *const *exclude,
			  const char *const *include);

#endif /* PD_IFACE_H */
