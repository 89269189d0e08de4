/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mapping queries: a plain STUN Binding Request from a local port to a
 * STUN server, retransmitted (RFC 8489 RTO, doubling) until an answer or
 * the query's timeout; the result goes out as a notification.
 *
 * The server's answer is not authenticated, so its 96-bit transaction id
 * is all that stands between an off-path forger and the address we
 * report: it is random, kept by the query (retransmissions reuse it, RFC
 * 8489 section 6.2.1) and must come back from the server's endpoint.
 */
#ifndef _NFPUNCH_MAPPING_H
#define _NFPUNCH_MAPPING_H

#include <linux/netfilter.h>

#include "netns.h"
#include "stun.h"

#define NFP_MAPPING_RTO_MS	500

struct nfp_mapping_result {
	struct stun_addr mapped;
	int error;			/* 0 or a positive errno */
	u16 stun_error;
	u32 rtt_us;			/* 0: unknown (the query was resent) */
};

struct nfp_mapping {
	struct list_head node;		/* in pn->mappings, RCU */
	struct rcu_head rcu;
	struct timer_list timer;
	struct nfp_net *pn;
	u32 id;
	u8 family;
	u32 mark;			/* fwmark of the requests */
	bool answered;			/* result is set; under pn->lock */
	bool unlinked;			/* off the list; under pn->lock */
	union nf_inet_addr laddr;
	union nf_inet_addr saddr;
	__be16 lport;
	__be16 sport;
	u8 tid[STUN_TID_LEN];		/* random, set before the first send */
	u32 sent_us;			/* last transmission, for the RTT */
	u8 sends;			/* transmissions so far (saturating) */
	u32 rto_ms;
	unsigned long deadline;
	struct nfp_mapping_result res;
};

/* Start a query; returns its id or a negative errno. */
int nfp_mapping_start(struct nfp_net *pn, u8 family,
		      const union nf_inet_addr *laddr, __be16 lport,
		      const union nf_inet_addr *saddr, __be16 sport,
		      u32 timeout_ms, u32 mark,
		      struct netlink_ext_ack *extack);

/*
 * A STUN answer from saddr:sport to daddr:dport: record it if it answers
 * a pending query (same endpoints, same transaction id). Returns true
 * when it was ours to consume.
 */
bool nfp_mapping_rx(struct nfp_net *pn, u8 family,
		    const union nf_inet_addr *daddr, __be16 dport,
		    const union nf_inet_addr *saddr, __be16 sport,
		    const struct stun_msg *msg);

void nfp_mapping_flush(struct nfp_net *pn);

#endif /* _NFPUNCH_MAPPING_H */
