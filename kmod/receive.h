/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_RECEIVE_H
#define _NFPUNCH_RECEIVE_H

#include <linux/skbuff.h>

#include "netns.h"

/* Netfilter hooks of one namespace (IPv4 and IPv6, in and out). */
int nfp_hooks_register(struct nfp_net *pn);
void nfp_hooks_unregister(struct nfp_net *pn);

/*
 * Offset of the transport header of the IP packet at nhoff in skb, with
 * its protocol in *proto; -1 when truncated, an IPv4 fragment or an
 * IPv6 fragment other than the first.
 */
int nfp_l4_offset(const struct sk_buff *skb, u8 family, unsigned int nhoff,
		  u8 *proto);

#endif /* _NFPUNCH_RECEIVE_H */
