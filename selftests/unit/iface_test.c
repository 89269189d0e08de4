// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd's host candidates skip tunnels (by link type, whatever their
 * name) and container bridges (by name), and what --exclude-interface
 * names; ordinary LAN links stay, whatever they are called.
 */
#include <string.h>
#include <linux/if_arp.h>

#include "../../helper/punchd/iface.h"
#include "ktap.h"

static int is(const char *got, const char *want)
{
	return want ? got && !strcmp(got, want) : !got;
}

int main(void)
{
	static const char *const user[] = { "lan9*", "wlan1", NULL };

	ktap_start();
	CHECK(is(pd_iface_skip("eth0", ARPHRD_ETHER, NULL), NULL) &&
	      is(pd_iface_skip("wlp2s0", ARPHRD_ETHER, NULL), NULL) &&
	      is(pd_iface_skip("ppp0", ARPHRD_PPP, NULL), NULL) &&
	      is(pd_iface_skip("br0", ARPHRD_ETHER, NULL), NULL) &&
	      is(pd_iface_skip("veth0", ARPHRD_ETHER, NULL), NULL),
	      "ethernet, wifi, PPP, a plain LAN bridge and a veth are candidates");
	CHECK(is(pd_iface_skip("wg0", ARPHRD_NONE, NULL), "tunnel") &&
	      is(pd_iface_skip("tun0", ARPHRD_NONE, NULL), "tunnel") &&
	      is(pd_iface_skip("office", ARPHRD_NONE, NULL), "tunnel") &&
	      is(pd_iface_skip("gre1", ARPHRD_IPGRE, NULL), "tunnel") &&
	      is(pd_iface_skip("sit1", ARPHRD_SIT, NULL), "tunnel") &&
	      is(pd_iface_skip("ipip0", ARPHRD_TUNNEL, NULL), "tunnel") &&
	      is(pd_iface_skip("ip6tnl1", ARPHRD_TUNNEL6, NULL), "tunnel"),
	      "WireGuard, tun and IP tunnels are skipped by link type, whatever the name");
	CHECK(is(pd_iface_skip("docker0", ARPHRD_ETHER, NULL), "container") &&
	      is(pd_iface_skip("br-3f2a9c", ARPHRD_ETHER, NULL), "container") &&
	      is(pd_iface_skip("virbr0", ARPHRD_ETHER, NULL), "container") &&
	      is(pd_iface_skip("lxdbr0", ARPHRD_ETHER, NULL), "container") &&
	      is(pd_iface_skip("podman1", ARPHRD_ETHER, NULL), "container") &&
	      is(pd_iface_skip("cni0", ARPHRD_ETHER, NULL), "container"),
	      "Docker, libvirt, LXD, Podman and CNI bridges are skipped by name");
	CHECK(is(pd_iface_skip("lan95", ARPHRD_ETHER, user), "excluded") &&
	      is(pd_iface_skip("wlan1", ARPHRD_ETHER, user), "excluded") &&
	      is(pd_iface_skip("wlan10", ARPHRD_ETHER, user), NULL) &&
	      is(pd_iface_skip("eth0", ARPHRD_ETHER, user), NULL),
	      "--exclude-interface globs skip what they match, only that");
	return ktap_finish();
}
