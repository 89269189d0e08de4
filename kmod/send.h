/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_SEND_H
#define _NFPUNCH_SEND_H

#include <linux/netfilter.h>

#include "netns.h"

/*
 * Send one UDP datagram from saddr:sport through the normal output path
 * (routing by mark too, LOCAL_OUT, conntrack and NAT all see it). The
 * source port may belong to any socket or none. ttl is the TTL (IPv6:
 * hop limit), 0 for the route's. Any context; never sleeps.
 */
int nfp_send_udp(struct nfp_net *pn, u8 family, u32 mark, u8 ttl,
		 const union nf_inet_addr *saddr, __be16 sport,
		 const union nf_inet_addr *daddr, __be16 dport,
		 const void *data, unsigned int len);

#endif /* _NFPUNCH_SEND_H */
