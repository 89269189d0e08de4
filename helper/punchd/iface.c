// SPDX-License-Identifier: GPL-2.0-or-later
/* Interfaces whose addresses are no host candidates (see iface.h). */
#include <fnmatch.h>
#include <stddef.h>
#include <linux/if_arp.h>

#include "iface.h"

/*
 * Virtual bridges and links of container and VM managers (Docker,
 * libvirt, LXC/LXD, Podman, CNI plugins): only this host is behind them.
 */
static const char *const container_globs[] = {
	"docker*", "br-*", "virbr*", "lxcbr*", "lxdbr*", "podman*", "cni*",
	"flannel*", "cali*", "weave*", NULL,
};

static int matches_any(const char *name, const char *const *globs)
{
	for (; globs && *globs; globs++)
		if (!fnmatch(*globs, name, 0))
			return 1;
	return 0;
}

const char *pd_iface_skip(const char *name, unsigned short arphrd,
			  const char *const *exclude)
{
	switch (arphrd) {
	case ARPHRD_NONE:	/* WireGuard, tun */
	case ARPHRD_TUNNEL:	/* ipip */
	case ARPHRD_TUNNEL6:	/* ip6tnl */
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
	case ARPHRD_VOID:
		return "tunnel";
	}
	if (matches_any(name, container_globs))
		return "container";
	if (matches_any(name, exclude))
		return "excluded";
	return NULL;
}
