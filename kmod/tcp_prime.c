// SPDX-License-Identifier: GPL-2.0
/*
 * Who frees a prime: its timer callback at the deadline, or whoever took
 * it off the list first (a delete, the namespace flush) after shutting
 * the timer down. The packet path only reads a prime and sets peer_syn.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/nfpunch.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/ip.h>

#include "receive.h"
#include "tcp_prime.h"

struct nfp_tcp_prime {
	struct list_head node;		/* in pn->tcp_primes, RCU */
	struct rcu_head rcu;
	struct timer_list timer;	/* the end */
	struct nfp_net *pn;
	u32 id;
	u8 family;
	u8 ttl;
	bool peer_syn;			/* the peer's SYN came: SYNs go full */
	bool unlinked;			/* off the list; under pn->lock */
	union nf_inet_addr laddr;
	union nf_inet_addr raddr;
	__be16 lport;
	__be16 rport;
	unsigned long short_until;	/* jiffies: SYNs are short before it */
};

static bool nfp_tcp_prime_is(const struct nfp_tcp_prime *tp, u8 family,
			     const union nf_inet_addr *laddr, __be16 lport,
			     const union nf_inet_addr *raddr, __be16 rport)
{
	return tp->family == family && tp->lport == lport &&
	       tp->rport == rport && nf_inet_addr_cmp(&tp->laddr, laddr) &&
	       nf_inet_addr_cmp(&tp->raddr, raddr);
}

/* Under RCU or pn->lock; at most NFPUNCH_TCP_PRIMES_MAX entries. */
static struct nfp_tcp_prime *
nfp_tcp_prime_find(struct nfp_net *pn, u8 family,
		   const union nf_inet_addr *laddr, __be16 lport,
		   const union nf_inet_addr *raddr, __be16 rport)
{
	struct nfp_tcp_prime *tp;

	list_for_each_entry_rcu(tp, &pn->tcp_primes, node,
				lockdep_is_held(&pn->lock))
		if (nfp_tcp_prime_is(tp, family, laddr, lport, raddr, rport))
			return tp;
	return NULL;
}

static void nfp_tcp_prime_unlink(struct nfp_tcp_prime *tp)
{
	lockdep_assert_held(&tp->pn->lock);
	list_del_rcu(&tp->node);
	tp->unlinked = true;
	atomic_dec(&tp->pn->tcp_primes_alive);
}

static void nfp_tcp_prime_timer(struct timer_list *t)
{
	struct nfp_tcp_prime *tp = from_timer(tp, t, timer);
	struct nfp_net *pn = tp->pn;
	bool mine;

	spin_lock_bh(&pn->lock);
	mine = !tp->unlinked;	/* else a delete or the flush owns it */
	if (mine)
		nfp_tcp_prime_unlink(tp);
	spin_unlock_bh(&pn->lock);
	if (mine)
		kfree_rcu(tp, rcu);
}

int nfp_tcp_prime_start(struct nfp_net *pn,
			const struct nfp_tcp_prime_params *params,
			struct netlink_ext_ack *extack)
{
	unsigned long now = jiffies;
	struct nfp_tcp_prime *tp;
	int ret;

	tp = kzalloc(sizeof(*tp), GFP_KERNEL_ACCOUNT);
	if (!tp)
		return -ENOMEM;
	tp->pn = pn;
	tp->family = params->family;
	tp->laddr = params->laddr;
	tp->raddr = params->raddr;
	tp->lport = params->lport;
	tp->rport = params->rport;
	tp->ttl = params->ttl;
	tp->short_until = now + msecs_to_jiffies(params->time_ms);
	timer_setup(&tp->timer, nfp_tcp_prime_timer, 0);

	spin_lock_bh(&pn->lock);
	if (atomic_read(&pn->tcp_primes_alive) >= NFPUNCH_TCP_PRIMES_MAX) {
		NL_SET_ERR_MSG(extack, "too many TCP primes in this namespace");
		ret = -EBUSY;
		goto err;
	}
	if (nfp_tcp_prime_find(pn, tp->family, &tp->laddr, tp->lport,
			       &tp->raddr, tp->rport)) {
		NL_SET_ERR_MSG(extack, "these endpoints are primed already");
		ret = -EEXIST;
		goto err;
	}
	tp->id = nfp_next_id(&pn->next_tcp_prime_id);
	atomic_inc(&pn->tcp_primes_alive);
	list_add_tail_rcu(&tp->node, &pn->tcp_primes);
	/* The last short SYN's error may come a round trip after it. */
	mod_timer(&tp->timer, tp->short_until +
		  msecs_to_jiffies(NFPUNCH_TCP_PRIME_GRACE_MS));
	ret = tp->id;
	spin_unlock_bh(&pn->lock);
	return ret;

err:
	spin_unlock_bh(&pn->lock);
	kfree(tp);
	return ret;
}

/* Off the list already; wait out its timer, then free it after readers. */
static void nfp_tcp_prime_free(struct nfp_tcp_prime *tp)
{
	timer_shutdown_sync(&tp->timer);
	kfree_rcu(tp, rcu);
}

int nfp_tcp_prime_del(struct nfp_net *pn, u32 id)
{
	struct nfp_tcp_prime *tp, *found = NULL;

	spin_lock_bh(&pn->lock);
	list_for_each_entry(tp, &pn->tcp_primes, node) {
		if (tp->id == id) {
			nfp_tcp_prime_unlink(tp);
			found = tp;
			break;
		}
	}
	spin_unlock_bh(&pn->lock);
	if (!found)
		return -ENOENT;
	nfp_tcp_prime_free(found);
	return 0;
}

void nfp_tcp_prime_flush(struct nfp_net *pn)
{
	struct nfp_tcp_prime *tp;

	for (;;) {
		spin_lock_bh(&pn->lock);
		tp = list_first_entry_or_null(&pn->tcp_primes,
					      struct nfp_tcp_prime, node);
		if (tp)
			nfp_tcp_prime_unlink(tp);
		spin_unlock_bh(&pn->lock);
		if (!tp)
			break;
		nfp_tcp_prime_free(tp);
	}
}

/* The packet's addresses, source and destination. */
static int nfp_ip_addrs(const struct sk_buff *skb, u8 family,
			unsigned int nhoff, union nf_inet_addr *saddr,
			union nf_inet_addr *daddr)
{
	memset(saddr, 0, sizeof(*saddr));
	memset(daddr, 0, sizeof(*daddr));
	if (family == NFPROTO_IPV4) {
		struct iphdr _iph;
		const struct iphdr *iph;

		iph = skb_header_pointer(skb, nhoff, sizeof(_iph), &_iph);
		if (!iph)
			return -1;
		saddr->ip = iph->saddr;
		daddr->ip = iph->daddr;
	} else {
		struct ipv6hdr _ip6h;
		const struct ipv6hdr *ip6h;

		ip6h = skb_header_pointer(skb, nhoff, sizeof(_ip6h), &_ip6h);
		if (!ip6h)
			return -1;
		saddr->in6 = ip6h->saddr;
		daddr->in6 = ip6h->daddr;
	}
	return 0;
}

/* The TCP header of the segment at nhoff, and its offset; -1: none. */
static int nfp_tcp_header(const struct sk_buff *skb, u8 family,
			  unsigned int nhoff, struct tcphdr *th)
{
	u8 proto;
	int off;

	off = nfp_l4_offset(skb, family, nhoff, &proto);
	if (off < 0 || proto != IPPROTO_TCP ||
	    skb_copy_bits(skb, off, th, sizeof(*th)))
		return -1;
	return off;
}

/* The prime of a segment from local to remote (outbound) or back. */
static struct nfp_tcp_prime *nfp_tcp_prime_of(struct nfp_net *pn,
					      const struct sk_buff *skb,
					      u8 family, unsigned int nhoff,
					      const struct tcphdr *th,
					      bool outbound)
{
	union nf_inet_addr saddr, daddr;

	if (nfp_ip_addrs(skb, family, nhoff, &saddr, &daddr))
		return NULL;
	if (outbound)
		return nfp_tcp_prime_find(pn, family, &saddr, th->source,
					  &daddr, th->dest);
	return nfp_tcp_prime_find(pn, family, &daddr, th->dest, &saddr,
				  th->source);
}

/* A SYN that opens a connection: no ACK, RST or FIN beside it. */
static bool nfp_pure_syn(const struct tcphdr *th)
{
	return th->syn && !th->ack && !th->rst && !th->fin;
}

/*
 * An ICMP time exceeded that quotes one of our primed segments: the
 * router beyond our NAT answering a short SYN. Only the first 8 bytes
 * of the quoted TCP header are sure to be there (RFC 792).
 */
static bool nfp_tcp_prime_icmp(struct nfp_net *pn, const struct sk_buff *skb,
			       u8 family, int off)
{
	union nf_inet_addr saddr, daddr;
	unsigned int inner;
	__be16 ports[2];
	u8 tc[2], proto;	/* ICMP type and code */
	int toff;

	if (skb_copy_bits(skb, off, tc, sizeof(tc)))
		return false;
	if (family == NFPROTO_IPV4 ?
	    tc[0] != ICMP_TIME_EXCEEDED || tc[1] != ICMP_EXC_TTL :
	    tc[0] != ICMPV6_TIME_EXCEED || tc[1] != ICMPV6_EXC_HOPLIMIT)
		return false;
	inner = off + 8;	/* both ICMP headers are 8 bytes */
	toff = nfp_l4_offset(skb, family, inner, &proto);
	if (toff < 0 || proto != IPPROTO_TCP ||
	    skb_copy_bits(skb, toff, ports, sizeof(ports)) ||
	    nfp_ip_addrs(skb, family, inner, &saddr, &daddr))
		return false;
	return nfp_tcp_prime_find(pn, family, &saddr, ports[0], &daddr,
				  ports[1]);
}

unsigned int nfp_tcp_prime_in(struct nfp_net *pn, struct sk_buff *skb,
			      u8 family)
{
	unsigned int nhoff = skb_network_offset(skb);
	struct nfp_tcp_prime *tp;
	struct tcphdr th;
	u8 proto;
	int off;

	off = nfp_l4_offset(skb, family, nhoff, &proto);
	if (off < 0)
		return NF_ACCEPT;
	if (proto == (family == NFPROTO_IPV4 ? IPPROTO_ICMP : IPPROTO_ICMPV6)) {
		if (!nfp_tcp_prime_icmp(pn, skb, family, off))
			return NF_ACCEPT;
		atomic64_inc(&pn->tcp_prime_icmp);
		return NF_DROP;
	}
	if (proto != IPPROTO_TCP)
		return NF_ACCEPT;
	/*
	 * The peer's SYN: our SYN-ACK must reach it now, and so must later
	 * SYNs. Checksummed first (the TCP stack has not looked yet), so a
	 * damaged segment does not end the priming.
	 */
	if (skb_copy_bits(skb, off, &th, sizeof(th)) || !nfp_pure_syn(&th))
		return NF_ACCEPT;
	tp = nfp_tcp_prime_of(pn, skb, family, nhoff, &th, false);
	if (tp && !READ_ONCE(tp->peer_syn) &&
	    !nf_checksum(skb, NF_INET_LOCAL_IN, off, IPPROTO_TCP, family))
		WRITE_ONCE(tp->peer_syn, true);
	return NF_ACCEPT;
}

/* Give the packet at most ttl hops; false when it could not be changed. */
static bool nfp_shorten(struct sk_buff *skb, u8 family, u8 ttl)
{
	unsigned int nhoff = skb_network_offset(skb);

	if (family == NFPROTO_IPV4) {
		struct iphdr *iph;

		if (skb_ensure_writable(skb, nhoff + ip_hdrlen(skb)))
			return false;
		iph = ip_hdr(skb);
		if (iph->ttl > ttl) {
			iph->ttl = ttl;
			ip_send_check(iph);
		}
	} else {
		struct ipv6hdr *ip6h;

		if (skb_ensure_writable(skb, nhoff + sizeof(*ip6h)))
			return false;
		ip6h = ipv6_hdr(skb);
		ip6h->hop_limit = min(ip6h->hop_limit, ttl);
	}
	return true;
}

unsigned int nfp_tcp_prime_out(struct nfp_net *pn, struct sk_buff *skb,
			       u8 family)
{
	unsigned int nhoff = skb_network_offset(skb);
	struct nfp_tcp_prime *tp;
	struct tcphdr th;

	/* Flags first: the list is walked for SYNs only. */
	if (nfp_tcp_header(skb, family, nhoff, &th) < 0 || !nfp_pure_syn(&th))
		return NF_ACCEPT;
	tp = nfp_tcp_prime_of(pn, skb, family, nhoff, &th, true);
	if (!tp || READ_ONCE(tp->peer_syn) ||
	    !time_before(jiffies, tp->short_until))
		return NF_ACCEPT;
	/*
	 * A SYN at full TTL now would reach the peer's NAT early, the very
	 * thing priming prevents: drop it instead; TCP sends it again.
	 */
	if (!nfp_shorten(skb, family, tp->ttl))
		return NF_DROP;
	atomic64_inc(&pn->tcp_prime_syns);
	return NF_ACCEPT;
}
