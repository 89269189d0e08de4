// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit: build IP + UDP around a payload and hand it to ip_local_out
 * or ip6_local_out, as a socket's packet would go, so local netfilter
 * rules, conntrack and NAT treat it like the application's own traffic.
 * The packet has no socket: whoever owns the port never sees it.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/addrconf.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp.h>

#include "send.h"

static struct sk_buff *nfp_udp_skb(struct dst_entry *dst, unsigned int nh_len,
				   __be16 sport, __be16 dport,
				   const void *data, unsigned int len)
{
	unsigned int hroom = LL_RESERVED_SPACE(dst->dev) + dst->header_len;
	struct sk_buff *skb;
	struct udphdr *uh;

	skb = alloc_skb(hroom + nh_len + sizeof(*uh) + len, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, hroom + nh_len + sizeof(*uh));
	skb_put_data(skb, data, len);

	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = sport;
	uh->dest = dport;
	uh->len = htons(sizeof(*uh) + len);
	uh->check = 0;
	skb->ip_summed = CHECKSUM_NONE;
	return skb;
}

static int nfp_send_udp4(struct net *net, u32 mark, u8 ttl, __be32 saddr, __be16 sport,
			 __be32 daddr, __be16 dport,
			 const void *data, unsigned int len)
{
	struct flowi4 fl4 = {
		.daddr = daddr,
		.saddr = saddr,
		.flowi4_mark = mark,
		.flowi4_proto = IPPROTO_UDP,
		.fl4_sport = sport,
		.fl4_dport = dport,
	};
	struct sk_buff *skb;
	struct udphdr *uh;
	struct iphdr *iph;
	struct rtable *rt;
	unsigned int ulen;
	int ret;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	/* A subnet's broadcast address passes as unicast until routed. */
	if (rt->rt_type == RTN_BROADCAST || rt->rt_type == RTN_MULTICAST) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}

	skb = nfp_udp_skb(&rt->dst, sizeof(*iph), sport, dport, data, len);
	if (!skb) {
		ip_rt_put(rt);
		return -ENOMEM;
	}
	uh = udp_hdr(skb);
	ulen = ntohs(uh->len);
	uh->check = csum_tcpudp_magic(saddr, daddr, ulen, IPPROTO_UDP,
				      csum_partial(uh, ulen, 0));
	if (!uh->check)
		uh->check = CSUM_MANGLED_0;

	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = 0;
	iph->frag_off = 0;
	iph->ttl = ttl ?: ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_UDP;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->tot_len = htons(skb->len);
	skb->protocol = htons(ETH_P_IP);
	skb->mark = mark;
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	skb_dst_set(skb, &rt->dst);
	ip_select_ident(net, skb, NULL);

	/* net_xmit_eval() evaluates its argument twice: call first. */
	ret = ip_local_out(net, NULL, skb);
	return net_xmit_eval(ret);
}

static int nfp_send_udp6(struct net *net, u32 mark, u8 ttl,
			 const struct in6_addr *saddr, __be16 sport,
			 const struct in6_addr *daddr, __be16 dport,
			 const void *data, unsigned int len)
{
	struct flowi6 fl6 = {
		.daddr = *daddr,
		.saddr = *saddr,
		.flowi6_mark = mark,
		.flowi6_proto = IPPROTO_UDP,
		.fl6_sport = sport,
		.fl6_dport = dport,
	};
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct sk_buff *skb;
	struct udphdr *uh;
	unsigned int ulen;
	int ret;

	/* The route lookup does not check the source: it may be gone. */
	if (!ipv6_chk_addr(net, saddr, NULL, 0))
		return -EADDRNOTAVAIL;
	dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
	if (IS_ERR(dst))
		return PTR_ERR(dst);

	skb = nfp_udp_skb(dst, sizeof(*ip6h), sport, dport, data, len);
	if (!skb) {
		dst_release(dst);
		return -ENOMEM;
	}
	uh = udp_hdr(skb);
	ulen = ntohs(uh->len);
	uh->check = csum_ipv6_magic(saddr, daddr, ulen, IPPROTO_UDP,
				    csum_partial(uh, ulen, 0));
	if (!uh->check)
		uh->check = CSUM_MANGLED_0;

	ip6h = skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6_flow_hdr(ip6h, 0, 0);
	ip6h->payload_len = htons(ulen);
	ip6h->nexthdr = IPPROTO_UDP;
	ip6h->hop_limit = ttl ?: ip6_dst_hoplimit(dst);
	ip6h->saddr = *saddr;
	ip6h->daddr = *daddr;
	skb->protocol = htons(ETH_P_IPV6);
	skb->mark = mark;
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	skb_dst_set(skb, dst);

	ret = ip6_local_out(net, NULL, skb);
	return net_xmit_eval(ret);
}

int nfp_send_udp(struct nfp_net *pn, u8 family, u32 mark, u8 ttl,
		 const union nf_inet_addr *saddr, __be16 sport,
		 const union nf_inet_addr *daddr, __be16 dport,
		 const void *data, unsigned int len)
{
	int ret;

	if (family == NFPROTO_IPV4)
		ret = nfp_send_udp4(pn->net, mark, ttl, saddr->ip, sport, daddr->ip,
				    dport, data, len);
	else
		ret = nfp_send_udp6(pn->net, mark, ttl, &saddr->in6, sport, &daddr->in6,
				    dport, data, len);
	if (!ret)
		atomic64_inc(&pn->probes_sent);
	return ret;
}
