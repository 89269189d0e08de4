/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP primes: the module's part of a primed simultaneous open (uapi:
 * enum nfpunch_tcp_prime_attr). The application's socket owns the port
 * and does the TCP; the module shortens that socket's SYNs, notices the
 * peer's SYN and drops the ICMP errors the short SYNs cause. Userspace
 * cannot do these: IP_TTL also shortens the SYN-ACK the kernel sends
 * the moment the peer's SYN comes, and the router's time exceeded error
 * aborts a connect() in SYN_SENT before any socket option could help.
 *
 * A prime never outlives its deadline; at most NFPUNCH_TCP_PRIMES_MAX
 * a namespace, so the packet path walks a short list, and only while a
 * prime is alive.
 */
#ifndef _NFPUNCH_TCP_PRIME_H
#define _NFPUNCH_TCP_PRIME_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>

#include "netns.h"

struct nfp_tcp_prime_params {
	u8 family;
	union nf_inet_addr laddr;
	union nf_inet_addr raddr;
	__be16 lport;
	__be16 rport;
	u8 ttl;
	u32 time_ms;
};

/* Start a prime; returns its id or a negative errno. */
int nfp_tcp_prime_start(struct nfp_net *pn,
			const struct nfp_tcp_prime_params *params,
			struct netlink_ext_ack *extack);
/* End a prime early: 0, or -ENOENT when no prime has that id. */
int nfp_tcp_prime_del(struct nfp_net *pn, u32 id);
/* Namespace exit: end them all. */
void nfp_tcp_prime_flush(struct nfp_net *pn);

static inline bool nfp_tcp_primed(const struct nfp_net *pn)
{
	return atomic_read(&pn->tcp_primes_alive);
}

/*
 * The packet path (the namespace's hooks, under RCU), only while
 * nfp_tcp_primed(): a verdict, NF_ACCEPT for everything not a prime's.
 */
unsigned int nfp_tcp_prime_in(struct nfp_net *pn, struct sk_buff *skb,
			      u8 family);
unsigned int nfp_tcp_prime_out(struct nfp_net *pn, struct sk_buff *skb,
			       u8 family);

#endif /* _NFPUNCH_TCP_PRIME_H */
