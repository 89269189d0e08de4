// SPDX-License-Identifier: GPL-2.0-or-later
/* Interfaces whose addresses are no host candidates (see iface.h). */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "iface.h"

/*
 * By kind, not link type: an LTE modem in raw-IP mode has the link type
 * of a tun, and a VXLAN or tap the one of an Ethernet card.
 */
static const char *const tunnel_kinds[] = {
	"wireguard", "tun", "ipip", "sit", "ip6tnl", "gre", "gretap",
	"ip6gre", "ip6gretap", "erspan", "ip6erspan", "vti", "vti6", "xfrm",
	"vxlan", "geneve", "bareudp", "amt", NULL,
};

/*
 * Bridges and links of container and VM managers (Docker, libvirt,
 * LXC/LXD, Podman, CNI plugins): only this host is behind them. Docker's
 * own networks are br- and 12 hex digits (OpenWrt's br-lan is a LAN).
 */
static const char *const container_globs[] = {
	"docker*", "br-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]"
	"[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]",
	"virbr*", "lxcbr*", "lxdbr*", "podman*", "cni*", "flannel*", "cali*",
	"weave*", NULL,
};

static int matches_any(const char *name, const char *const *globs)
{
	for (; globs && *globs; globs++)
		if (!fnmatch(*globs, name, 0))
			return 1;
	return 0;
}

const char *pd_iface_skip(const char *name, const char *kind,
			  const char *const *exclude,
			  const char *const *include)
{
	const char *const *k;

	if (matches_any(name, include))
		return NULL;
	for (k = tunnel_kinds; *k; k++)
		if (!strcmp(kind, *k))
			return "tunnel";
	if (matches_any(name, container_globs))
		return "container";
	if (matches_any(name, exclude))
		return "excluded";
	return NULL;
}

struct dump {
	struct pd_iface *list;
	int n, err;
};

static int on_link(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	struct dump *d = arg;
	struct pd_iface *grown, *i;

	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX,
			NULL) < 0 || !tb[IFLA_IFNAME])
		return NL_OK;
	grown = reallocarray(d->list, d->n + 1, sizeof(*grown));
	if (!grown) {
		d->err = -ENOMEM;
		return NL_STOP;
	}
	d->list = grown;
	i = &d->list[d->n++];
	memset(i, 0, sizeof(*i));
	nla_strlcpy(i->name, tb[IFLA_IFNAME], sizeof(i->name));
	if (tb[IFLA_LINKINFO] &&
	    !nla_parse_nested(info, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) &&
	    info[IFLA_INFO_KIND])
		nla_strlcpy(i->kind, info[IFLA_INFO_KIND], sizeof(i->kind));
	return NL_OK;
}

int pd_iface_list(struct pd_iface **list)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct dump d = { 0 };
	int ret;

	*list = NULL;
	if (!sk)
		return -ENOMEM;
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (!ret)
		ret = nl_send_simple(sk, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi));
	if (ret >= 0) {
		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, on_link, &d);
		ret = nl_recvmsgs_default(sk);
	}
	nl_socket_free(sk);
	if (ret < 0 || d.err) {
		free(d.list);
		return d.err ? d.err : -EIO;
	}
	*list = d.list;
	return d.n;
}

const char *pd_iface_kind(const struct pd_iface *list, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return list[i].kind;
	return "";
}
