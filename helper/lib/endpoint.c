// SPDX-License-Identifier: LGPL-2.1-or-later
/* Endpoints: text for people, nested attributes for the kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

NFP_EXPORT int nfp_endpoint_parse(const char *s, struct nfp_endpoint *ep, int range_ok)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *ports, *colon;
	char lo[8], *dash;
	size_t hlen;

	memset(ep, 0, sizeof(*ep));
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = close - s - 1;
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		ports = close + 2;
		ep->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		hlen = colon - s;
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		ports = colon + 1;
		ep->family = AF_INET;
	}
	if (inet_pton(ep->family, host, ep->addr) != 1)
		return -EINVAL;

	dash = strchr(ports, '-');
	if (!dash)
		return parse_port(ports, &ep->port);
	if (!range_ok || (size_t)(dash - ports) >= sizeof(lo))
		return -EINVAL;
	memcpy(lo, ports, dash - ports);
	lo[dash - ports] = '\0';
	if (parse_port(lo, &ep->port) || parse_port(dash + 1, &ep->port_max) ||
	    ep->port_max < ep->port)
		return -EINVAL;
	return 0;
}

NFP_EXPORT char *nfp_endpoint_format(const struct nfp_endpoint *ep, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (!ep->family || !inet_ntop(ep->family, ep->addr, host, sizeof(host))) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (ep->port_max && ep->port_max != ep->port)
		snprintf(buf, len, ep->family == AF_INET6 ? "[%s]:%u-%u" : "%s:%u-%u",
			 host, ep->port, ep->port_max);
	else
		snprintf(buf, len, ep->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 host, ep->port);
	return buf;
}

int nfp_put_endpoint(struct nl_msg *msg, int type, const struct nfp_endpoint *ep)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest)
		return -EMSGSIZE;
	if (ep->family == AF_INET6) {
		if (nla_put(msg, NFPUNCH_EP_A_IPV6, 16, ep->addr) < 0)
			return -EMSGSIZE;
	} else if (ep->family == AF_INET) {
		if (nla_put(msg, NFPUNCH_EP_A_IPV4, 4, ep->addr) < 0)
			return -EMSGSIZE;
	} else {
		return -EAFNOSUPPORT;
	}
	if (nla_put_u16(msg, NFPUNCH_EP_A_PORT, htons(ep->port)) < 0 ||
	    (ep->port_max && ep->port_max != ep->port &&
	     nla_put_u16(msg, NFPUNCH_EP_A_PORT_MAX, htons(ep->port_max)) < 0))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static struct nla_policy ep_policy[NFPUNCH_EP_A_MAX + 1] = {
	[NFPUNCH_EP_A_IPV4] = { .type = NLA_U32 },
	[NFPUNCH_EP_A_IPV6] = { .minlen = 16 },
	[NFPUNCH_EP_A_PORT] = { .type = NLA_U16 },
	[NFPUNCH_EP_A_PORT_MAX] = { .type = NLA_U16 },
};

int nfp_get_endpoint(struct nlattr *nest, struct nfp_endpoint *ep)
{
	struct nlattr *tb[NFPUNCH_EP_A_MAX + 1];

	memset(ep, 0, sizeof(*ep));
	if (nla_parse_nested(tb, NFPUNCH_EP_A_MAX, nest, ep_policy) < 0 ||
	    !tb[NFPUNCH_EP_A_PORT])
		return -EPROTO;
	if (tb[NFPUNCH_EP_A_IPV4]) {
		ep->family = AF_INET;
		memcpy(ep->addr, nla_data(tb[NFPUNCH_EP_A_IPV4]), 4);
	} else if (tb[NFPUNCH_EP_A_IPV6]) {
		ep->family = AF_INET6;
		memcpy(ep->addr, nla_data(tb[NFPUNCH_EP_A_IPV6]), 16);
	} else {
		return -EPROTO;
	}
	ep->port = ntohs(nla_get_u16(tb[NFPUNCH_EP_A_PORT]));
	if (tb[NFPUNCH_EP_A_PORT_MAX])
		ep->port_max = ntohs(nla_get_u16(tb[NFPUNCH_EP_A_PORT_MAX]));
	return 0;
}
