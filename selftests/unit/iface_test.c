// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd's host candidates skip tunnels (by rtnetlink kind, whatever
 * their name or link type) and container bridges (by name), and what
 * --exclude-interface names; --include-interface wins over all of it.
 * Ordinary links stay, an LTE modem and a router's br-lan included.
 */
#include <string.h>

#include "../../helper/punchd/iface.h"
#include "ktap.h"

static int is(const char *got, const char *want)
{
	return want ? got && !strcmp(got, want) : !got;
}

int main(void)
{
	static const char *const ex[] = { "lan9*", "wlan1", NULL };
	static const char *const in[] = { "docker0", "wg-lan", NULL };
	struct pd_iface *links;
	int n;

	ktap_start();
	CHECK(is(pd_iface_skip("eth0", "", NULL, NULL), NULL) &&
	      is(pd_iface_skip("wlp2s0", "", NULL, NULL), NULL) &&
	      is(pd_iface_skip("wwan0", "", NULL, NULL), NULL) &&
	      is(pd_iface_skip("ppp0", "ppp", NULL, NULL), NULL) &&
	      is(pd_iface_skip("br0", "bridge", NULL, NULL), NULL) &&
	      is(pd_iface_skip("br-lan", "bridge", NULL, NULL), NULL) &&
	      is(pd_iface_skip("veth0", "veth", NULL, NULL), NULL) &&
	      is(pd_iface_skip("bond0", "bond", NULL, NULL), NULL),
	      "ethernet, wifi, an LTE modem, PPP, LAN bridges (OpenWrt's br-lan), veth and bond are candidates");
	CHECK(is(pd_iface_skip("wg0", "wireguard", NULL, NULL), "tunnel") &&
	      is(pd_iface_skip("office", "wireguard", NULL, NULL), "tunnel") &&
	      is(pd_iface_skip("tun0", "tun", NULL, NULL), "tunnel") &&
	      is(pd_iface_skip("ztabcdef12", "tun", NULL, NULL), "tunnel") &&
	      is(pd_iface_skip("gre1", "gre", NULL, NULL), "tunnel") &&
	      is(pd_iface_skip("sit1", "sit", NULL, NULL), "tunnel") &&
	      is(pd_iface_skip("vx100", "vxlan", NULL, NULL), "tunnel") &&
	      is(pd_iface_skip("gnv0", "geneve", NULL, NULL), "tunnel") &&
	      is(pd_iface_skip("ipsec0", "xfrm", NULL, NULL), "tunnel"),
	      "WireGuard, tun/tap (ZeroTier, OpenVPN), GRE, SIT, VXLAN, Geneve and XFRM are skipped by kind, whatever the name");
	CHECK(is(pd_iface_skip("docker0", "bridge", NULL, NULL), "container") &&
	      is(pd_iface_skip("br-3f2a9c0d1e2f", "bridge", NULL, NULL), "container") &&
	      is(pd_iface_skip("br-3f2a9c", "bridge", NULL, NULL), NULL) &&
	      is(pd_iface_skip("virbr0", "bridge", NULL, NULL), "container") &&
	      is(pd_iface_skip("lxdbr0", "bridge", NULL, NULL), "container") &&
	      is(pd_iface_skip("podman1", "bridge", NULL, NULL), "container") &&
	      is(pd_iface_skip("cni0", "bridge", NULL, NULL), "container"),
	      "Docker (br- and 12 hex digits), libvirt, LXD, Podman and CNI bridges are skipped by name");
	CHECK(is(pd_iface_skip("lan95", "", ex, NULL), "excluded") &&
	      is(pd_iface_skip("wlan1", "", ex, NULL), "excluded") &&
	      is(pd_iface_skip("wlan10", "", ex, NULL), NULL) &&
	      is(pd_iface_skip("eth0", "", ex, NULL), NULL),
	      "--exclude-interface globs skip what they match, only that");
	CHECK(is(pd_iface_skip("docker0", "bridge", NULL, in), NULL) &&
	      is(pd_iface_skip("wg-lan", "wireguard", NULL, in), NULL) &&
	      is(pd_iface_skip("wg0", "wireguard", NULL, in), "tunnel"),
	      "--include-interface brings back what it names, whatever the reason");
	n = pd_iface_list(&links);
	CHECK(n > 0 && !strcmp(pd_iface_kind(links, n, "lo"), "") &&
	      !strcmp(pd_iface_kind(links, n, "no-such-if"), ""),
	      "rtnetlink lists this namespace's links (%d), lo among them, of no kind", n);
	return ktap_finish();
}
