/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PD_IFACE_H
#define PD_IFACE_H

/*
 * Which interfaces' addresses punchd offers as host candidates. A
 * tunnel's address (WireGuard, tun, ip tunnels) leads back into the
 * tunnel, and a container bridge's is on this host only: a peer that
 * punches them wastes probes, or worse, finds a path through the VPN
 * that punchd is meant to carry. ARPHRD_* from <linux/if_arp.h>.
 */
#define PD_IFACE_MAX_EXCLUDE	16

/* The reason an interface is skipped ("tunnel", "container",
 * "excluded"), or NULL when its addresses are candidates. exclude:
 * the --exclude-interface globs, NULL-terminated (or NULL). */
const char *pd_iface_skip(const char *name, unsigned short arphrd,
			  const char *const *exclude);

#endif /* PD_IFACE_H */
