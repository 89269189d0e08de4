// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path. LOCAL_IN sees every datagram for this host after the
 * filter table; LOCAL_OUT sees what local sockets send.
 *
 * Cost for traffic nfpunch does not care about: one bit test on the
 * destination (or source) port. Only ports with a flow or a mapping query
 * go further. There, STUN that belongs to a flow is consumed (the socket
 * that owns the port never sees it) and anything else is only counted and
 * passed on untouched. While a TCP prime is alive (tcp_prime.h), TCP
 * and ICMP pass its short list too.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_queue.h>

#include "crypto.h"
#include "flow.h"
#include "mapping.h"
#include "probe.h"
#include "receive.h"
#include "tcp_prime.h"

/* Largest STUN message we look at; ours are far smaller. */
#define NFP_STUN_MAX	548

struct nfp_pkt {
	u8 family;
	union nf_inet_addr saddr;
	union nf_inet_addr daddr;
	__be16 sport;
	__be16 dport;
	unsigned int uoff;		/* UDP header, from skb->data */
	unsigned int plen;		/* UDP payload length */
};

static unsigned int nfp_consume(struct sk_buff *skb)
{
	consume_skb(skb);
	return NF_STOLEN;
}

static bool nfp_flow_matches(const struct nfp_flow *flow,
			     const struct nfp_pkt *p)
{
	return flow->family == p->family && flow->lport == p->dport &&
	       nf_inet_addr_cmp(&flow->laddr, &p->daddr);
}

static bool nfp_authentic(struct nfp_flow *flow, const struct stun_msg *m,
			  const u8 *data, const u8 key[PUNCH_KEY_LEN])
{
	if (stun_check_integrity(m, data, key, PUNCH_KEY_LEN,
				 nfp_hmac_sha1, NULL) == STUN_OK &&
	    (!(m->seen & STUN_SEEN_FINGERPRINT) ||
	     stun_check_fingerprint(m, data) == STUN_OK))
		return true;
	atomic_inc(&flow->auth_failures);
	atomic64_inc(&flow->pn->auth_failures);
	return false;
}

/* Stamp now, written only when it changes: no cache line bouncing per packet. */
static void nfp_touch(u32 *stamp)
{
	u32 now = nfp_stamp();

	if (READ_ONCE(*stamp) != now)
		WRITE_ONCE(*stamp, now);
}

/* Triggered checks of an established flow: at most one this often. */
#define NFP_TRIGGER_GAP_MS	500

/*
 * Should the request from p get a check of our own right now (ICE's
 * triggered check)? While punching, always: its answer establishes the
 * flow. Once established, only a nominated request from an endpoint
 * other than the remote (the peer's NAT may have rebound): the peer's
 * candidates, ports it sprays and will drop, never take the flow from
 * the port it keeps. And not faster than NFP_TRIGGER_GAP_MS, so a
 * replayed request never makes us send more than it cost.
 */
static bool nfp_trigger_wanted(struct nfp_flow *flow, const struct nfp_pkt *p,
			       bool nominated)
{
	u32 now = nfp_stamp(), last;
	union nf_inet_addr raddr;
	__be16 rport;

	switch (READ_ONCE(flow->state)) {
	case NFPUNCH_STATE_PUNCHING:
		return true;
	case NFPUNCH_STATE_ESTABLISHED:
		if (!nominated)
			return false;
		nfp_flow_remote(flow, &raddr, &rport);
		if (rport == p->sport && nf_inet_addr_cmp(&raddr, &p->saddr))
			return false;
		/*
		 * Elapsed time, not nfp_reached(): the stamp starts at 0,
		 * which jiffies (INITIAL_JIFFIES) only pass five minutes
		 * after boot, and is never refreshed while nothing rebinds.
		 */
		last = READ_ONCE(flow->peer->last_trigger);
		if (now - last < msecs_to_jiffies(NFP_TRIGGER_GAP_MS))
			return false;
		/* One CPU wins the slot; the others' requests get no check. */
		return cmpxchg(&flow->peer->last_trigger, last, now) == last;
	}
	return false;
}

/*
 * A Binding Request: ours if its USERNAME is "nfpunch:<tag>" with the tag
 * of the peer's direction. Our own requests carry the other tag, so one
 * that an echo service sends back finds no flow here.
 */
static unsigned int nfp_rx_request(struct nfp_net *pn, struct sk_buff *skb,
				   const struct nfp_pkt *p,
				   const struct stun_msg *m, const u8 *data)
{
	const size_t plen = sizeof(NFP_USERNAME_PREFIX) - 1;
	struct nfp_tag_key key;
	struct nfp_flow *flow;
	bool nominated;

	if (!(m->seen & STUN_SEEN_USERNAME) ||
	    m->username_len != NFP_USERNAME_LEN ||
	    memcmp(m->username, NFP_USERNAME_PREFIX, plen))
		return NF_ACCEPT;

	memset(&key, 0, sizeof(key));
	key.laddr = p->daddr;
	key.lport = p->dport;
	key.family = p->family;
	if (hex2bin(key.tag, (const char *)m->username + plen, NFP_TAG_LEN))
		goto unknown;
	flow = nfp_flow_by_tag(pn, &key);
	if (!flow || nfp_flow_held(flow))
		goto unknown;
	if (!nfp_authentic(flow, m, data, flow->peer->in_key))
		return nfp_consume(skb);

	/*
	 * Authentic, but maybe replayed: it earns an answer of the same size
	 * and perhaps a check, never liveness. Only answers to our own
	 * requests prove the peer is there.
	 */
	atomic_inc(&flow->probes_received);
	nfp_probe_answer(flow, m->tid, &p->saddr, p->sport);
	/*
	 * A peer whose requests carry its role nominates (USE-CANDIDATE);
	 * for one that never does (a module before 0.4), every request
	 * counts as nominated, as it always did. Once seen, for good: an
	 * attacker cannot strip what MESSAGE-INTEGRITY covers.
	 */
	if (!READ_ONCE(flow->peer->nominates) &&
	    (m->seen & (STUN_SEEN_CONTROLLING | STUN_SEEN_CONTROLLED)))
		WRITE_ONCE(flow->peer->nominates, 1);
	nominated = (m->seen & STUN_SEEN_USE_CAND) ||
		    !READ_ONCE(flow->peer->nominates);
	if (nfp_trigger_wanted(flow, p, nominated))
		nfp_probe_send(flow, &p->saddr, p->sport,
			       nominated ? NFP_CHECK_NOMINATED : NFP_CHECK_TRIGGERED, 0);
	return nfp_consume(skb);

unknown:
	atomic64_inc(&pn->unknown_flow);
	return nfp_consume(skb);
}

/* A Binding response: ours if its transaction id is. */
static unsigned int nfp_rx_answer(struct nfp_net *pn, struct sk_buff *skb,
				  const struct nfp_pkt *p,
				  const struct stun_msg *m, const u8 *data)
{
	union nf_inet_addr raddr;
	struct nfp_flow *flow;
	u32 id, rtt_us, srtt;
	bool fresh, nominated;
	__be16 rport;

	/* Pending queries are few (often none); their ids are random. */
	if (nfp_mapping_rx(pn, p->family, &p->daddr, p->dport, &p->saddr,
			   p->sport, m))
		return nfp_consume(skb);

	fresh = nfp_tid_check(pn, m->tid, p->family, &p->saddr, p->sport,
			      &id, &rtt_us, &nominated);
	flow = nfp_flow_by_id(pn, id);
	if (!flow || !nfp_flow_matches(flow, p))
		return NF_ACCEPT;	/* the application's own STUN */
	if (!fresh || m->type != STUN_BINDING_SUCCESS) {
		/* Stale, replayed or from elsewhere: ours, but no news. */
		atomic64_inc(&pn->unknown_flow);
		return nfp_consume(skb);
	}
	if (!nfp_authentic(flow, m, data, flow->peer->out.key))
		return nfp_consume(skb);

	atomic_inc(&flow->probes_answered);
	/*
	 * An established flow moves only to where a nominated request of
	 * the peer came from and our check back was answered: a late answer
	 * to a probe of the punch rounds, or to a check a candidate's request
	 * triggered while we punched, does not make it flap.
	 */
	if (READ_ONCE(flow->state) == NFPUNCH_STATE_ESTABLISHED && !nominated) {
		nfp_flow_remote(flow, &raddr, &rport);
		if (rport != p->sport || !nf_inet_addr_cmp(&raddr, &p->saddr))
			return nfp_consume(skb);
	}
	nfp_touch(&flow->last_ok);
	nfp_touch(&flow->last_rx);
	srtt = READ_ONCE(flow->srtt_us);
	WRITE_ONCE(flow->srtt_us, srtt ? srtt - srtt / 8 + rtt_us / 8 : rtt_us);
	nfp_flow_established(flow, &p->saddr, p->sport);
	return nfp_consume(skb);
}

static unsigned int nfp_rx_stun(struct nfp_net *pn, struct sk_buff *skb,
				const struct nfp_pkt *p)
{
	unsigned int off = p->uoff + sizeof(struct udphdr);
	struct stun_msg m;
	const u8 *data;

	if (!pskb_may_pull(skb, off + p->plen))
		return NF_ACCEPT;
	/* A corrupted datagram is the UDP layer's to drop, not ours. */
	if (nf_checksum(skb, NF_INET_LOCAL_IN, p->uoff, IPPROTO_UDP, p->family))
		return NF_ACCEPT;
	data = skb->data + off;
	if (stun_parse(&m, data, p->plen) != STUN_OK)
		return NF_ACCEPT;

	switch (m.type) {
	case STUN_BINDING_REQUEST:
		return nfp_rx_request(pn, skb, p, &m, data);
	case STUN_BINDING_SUCCESS:
	case STUN_BINDING_ERROR:
		return nfp_rx_answer(pn, skb, p, &m, data);
	}
	return NF_ACCEPT;
}

/* The established flow this datagram belongs to, if any. */
static struct nfp_flow *nfp_flow_of(struct nfp_net *pn,
				    const struct nfp_pkt *p, bool inbound)
{
	struct nfp_remote_key key;

	memset(&key, 0, sizeof(key));
	key.laddr = inbound ? p->daddr : p->saddr;
	key.raddr = inbound ? p->saddr : p->daddr;
	key.lport = inbound ? p->dport : p->sport;
	key.rport = inbound ? p->sport : p->dport;
	key.family = p->family;
	return nfp_flow_by_remote(pn, &key);
}

int nfp_l4_offset(const struct sk_buff *skb, u8 family, unsigned int nhoff,
		  u8 *proto)
{
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	struct ipv6hdr _ip6h;
	struct iphdr _iph;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	if (family == NFPROTO_IPV4) {
		iph = skb_header_pointer(skb, nhoff, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5 || ip_is_fragment(iph))
			return -1;
		*proto = iph->protocol;
		return nhoff + iph->ihl * 4;
	}
	ip6h = skb_header_pointer(skb, nhoff, sizeof(_ip6h), &_ip6h);
	if (!ip6h)
		return -1;
	nexthdr = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, nhoff + sizeof(*ip6h), &nexthdr, &frag_off);
	if (off < 0 || frag_off)
		return -1;
	*proto = nexthdr;
	return off;
}

/* Offset of the UDP header, or -1 unless an unfragmented UDP datagram. */
static int nfp_udp_offset(struct sk_buff *skb, u8 family)
{
	u8 proto;
	int off;

	off = nfp_l4_offset(skb, family, skb_network_offset(skb), &proto);
	return off >= 0 && proto == IPPROTO_UDP ? off : -1;
}

/*
 * Fill p for a UDP datagram whose local port (the destination inbound,
 * the source outbound) has a flow or a query. Everything else stops at
 * the bit test, before any address is copied: that is all unrelated
 * traffic costs.
 */
static bool nfp_parse(struct nfp_net *pn, struct sk_buff *skb, u8 family,
		      bool inbound, struct nfp_pkt *p)
{
	const struct udphdr *uh;
	struct udphdr _uh;
	unsigned int ulen;
	int off;

	off = nfp_udp_offset(skb, family);
	if (off < 0)
		return false;
	uh = skb_header_pointer(skb, off, sizeof(_uh), &_uh);
	if (!uh || !nfp_port_watched(pn, inbound ? uh->dest : uh->source))
		return false;
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || off + ulen > skb->len)
		return false;

	p->family = family;
	p->uoff = off;
	p->sport = uh->source;
	p->dport = uh->dest;
	p->plen = ulen - sizeof(*uh);
	memset(&p->saddr, 0, sizeof(p->saddr));
	memset(&p->daddr, 0, sizeof(p->daddr));
	if (family == NFPROTO_IPV4) {
		p->saddr.ip = ip_hdr(skb)->saddr;
		p->daddr.ip = ip_hdr(skb)->daddr;
	} else {
		p->saddr.in6 = ipv6_hdr(skb)->saddr;
		p->daddr.in6 = ipv6_hdr(skb)->daddr;
	}
	return true;
}

static unsigned int nfp_in(void *priv, struct sk_buff *skb,
			   const struct nf_hook_state *state)
{
	struct nfp_pkt p;
	u8 peek[STUN_HDR_LEN];
	struct nfp_flow *flow;
	unsigned int verdict;
	const u8 *hdr;

	if (unlikely(nfp_tcp_primed(priv))) {
		verdict = nfp_tcp_prime_in(priv, skb, state->pf);
		if (verdict != NF_ACCEPT)
			return verdict;
	}
	if (!nfp_parse(priv, skb, state->pf, true, &p))
		return NF_ACCEPT;

	if (p.plen >= STUN_HDR_LEN && p.plen <= NFP_STUN_MAX) {
		hdr = skb_header_pointer(skb, p.uoff + sizeof(struct udphdr),
					 sizeof(peek), peek);
		if (hdr && stun_looks_like(hdr, p.plen))
			return nfp_rx_stun(priv, skb, &p);
	}
	flow = nfp_flow_of(priv, &p, true);
	if (flow) {
		atomic64_inc(&flow->rx_packets);
		atomic64_add(p.plen, &flow->rx_bytes);
		nfp_touch(&flow->last_rx);
	}
	return NF_ACCEPT;
}

static unsigned int nfp_out(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	struct nfp_flow *flow;
	unsigned int verdict;
	struct nfp_pkt p;

	if (unlikely(nfp_tcp_primed(priv))) {
		verdict = nfp_tcp_prime_out(priv, skb, state->pf);
		if (verdict != NF_ACCEPT)
			return verdict;
	}
	/* Our own packets have no socket and are counted where sent. */
	if (!skb->sk || !nfp_parse(priv, skb, state->pf, false, &p))
		return NF_ACCEPT;
	flow = nfp_flow_of(priv, &p, false);
	if (flow) {
		atomic64_inc(&flow->tx_packets);
		atomic64_add(p.plen, &flow->tx_bytes);
		nfp_touch(&flow->last_tx);
	}
	return NF_ACCEPT;
}

/*
 * After the filter table: what the local firewall drops never reaches us.
 * Before security and conntrack confirmation: nothing later cares about a
 * probe we consume.
 */
static const struct nf_hook_ops nfp_hook_template[] = {
	{
		.hook = nfp_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FILTER + 1,
	},
	{
		.hook = nfp_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_FILTER + 1,
	},
	{
		.hook = nfp_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_FILTER + 1,
	},
	{
		.hook = nfp_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_FILTER + 1,
	},
};

int nfp_hooks_register(struct nfp_net *pn)
{
	unsigned int i;
	int ret;

	pn->hooks = kmemdup(nfp_hook_template, sizeof(nfp_hook_template),
			    GFP_KERNEL);
	if (!pn->hooks)
		return -ENOMEM;
	/* Each namespace's hooks find their state without a lookup. */
	for (i = 0; i < ARRAY_SIZE(nfp_hook_template); i++)
		pn->hooks[i].priv = pn;
	ret = nf_register_net_hooks(pn->net, pn->hooks,
				    ARRAY_SIZE(nfp_hook_template));
	if (ret) {
		kfree(pn->hooks);
		pn->hooks = NULL;
	}
	return ret;
}

void nfp_hooks_unregister(struct nfp_net *pn)
{
	if (!pn->hooks)
		return;
	nf_unregister_net_hooks(pn->net, pn->hooks,
				ARRAY_SIZE(nfp_hook_template));
	kfree(pn->hooks);
	pn->hooks = NULL;
}
