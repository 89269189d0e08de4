/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A punched flow: one local UDP endpoint, the peer's candidate endpoints,
 * the session secret, and what the module learnt about the path.
 *
 * Lifetime: the tables hold one reference. Packet-path readers find a
 * flow under RCU and never sleep with it; anything that must keep it past
 * rcu_read_unlock takes a reference. The last put frees after a grace
 * period. Removal marks the flow removed under the namespace lock, then
 * shuts the timer down, so nothing re-arms it.
 */
#ifndef _NFPUNCH_FLOW_H
#define _NFPUNCH_FLOW_H

#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/netfilter.h>
#include <linux/nfpunch.h>
#include <linux/rhashtable.h>
#include <linux/timer.h>

#include "netns.h"

#define NFP_TAG_LEN		8
#define NFP_MAX_TARGETS		4096	/* punch targets per flow, ranges expanded */
#define NFP_MAX_PEERS		32	/* candidate attributes per flow */

/* A candidate: an address with one port or a range of nports ports. */
struct nfp_cand {
	union nf_inet_addr addr;
	u16 port;			/* host order */
	u16 nports;
};

/*
 * What the flow knows of its peer: the session secret and where to punch.
 * Fixed at creation. Kept out of the flow object because only probes and
 * their answers read it, never application traffic.
 */
struct nfp_peer {
	u8 secret[NFPUNCH_SECRET_MAX];
	u8 secret_len;
	u32 n;
	u32 targets;			/* sum of nports */
	struct nfp_cand c[];
};

/* Lookup key for requests from the peer: which flow does USERNAME name? */
struct nfp_tag_key {
	union nf_inet_addr laddr;
	__be16 lport;
	u8 family;
	u8 zero;
	u8 tag[NFP_TAG_LEN];
};

/* Lookup key for application traffic of an established flow. */
struct nfp_remote_key {
	union nf_inet_addr laddr;
	union nf_inet_addr raddr;
	__be16 lport;
	__be16 rport;
	u8 family;
	u8 zero[3];
};

/*
 * Times are u32 jiffies: every age netlink reports is a u32 of
 * milliseconds, which wraps well before 32 bits of jiffies do.
 */
struct nfp_flow {
	struct rhash_head tag_node;
	struct rhash_head remote_node;
	/* Both tables hash these fields; the keys above mirror them. */
	union nf_inet_addr laddr;
	union nf_inet_addr raddr;	/* valid once has_remote */
	__be16 lport;
	__be16 rport;
	u8 family;
	u8 state;			/* enum nfpunch_state, under pn->lock */
	u8 dead_reason;
	u8 flags;
	u8 tag[NFP_TAG_LEN];

	struct nfp_net *pn;
	struct nfp_peer *peer;
	struct timer_list timer;
	struct rcu_head rcu;
	struct kref ref;
	u32 id;
	u32 owner;			/* netlink portid, 0 when not owned */
	bool has_remote;		/* has answered once: raddr is set */
	bool hashed_remote;		/* in pn->by_remote */
	bool removed;			/* unlinked: no more state changes */
	u8 round;			/* punch round, for the backoff */
	u16 cursor;			/* next target in this punch round */
	u32 keepalive_ms;
	u32 timeout_ms;
	u32 punch_timeout_ms;
	u32 probe_interval_ms;
	u32 srtt_us;
	u32 created;
	u32 punch_started;
	u32 established;
	u32 last_check;			/* last request sent while established */
	u32 last_rx;
	u32 last_tx;
	atomic_t probes_sent;
	atomic_t probes_answered;
	atomic_t probes_received;
	atomic_t auth_failures;
	atomic_t keepalives;
	atomic64_t rx_packets;
	atomic64_t rx_bytes;
	atomic64_t tx_packets;
	atomic64_t tx_bytes;
};

static inline u32 nfp_stamp(void)
{
	return (u32)jiffies;
}

/* Has stamp now reached stamp at? Valid for gaps under 2^31 jiffies. */
static inline bool nfp_reached(u32 now, u32 at)
{
	return (s32)(now - at) >= 0;
}

struct nfp_flow_params {
	struct nfp_tag_key local;	/* tag filled in by nfp_flow_create */
	struct nfp_peer *peer;		/* taken over by the flow */
	u32 flags;
	u32 owner;
	u32 keepalive_ms;
	u32 timeout_ms;
	u32 punch_timeout_ms;
	u32 probe_interval_ms;
};

int nfp_flow_cache_init(void);
void nfp_flow_cache_uninit(void);

int nfp_flow_tables_init(struct nfp_net *pn);
void nfp_flow_tables_uninit(struct nfp_net *pn);

struct nfp_flow *nfp_flow_create(struct nfp_net *pn,
				 struct nfp_flow_params *p,
				 struct netlink_ext_ack *extack);
/* Unlink, notify (when notify), stop timers and drop the table's ref. */
void nfp_flow_remove(struct nfp_flow *flow, bool notify);
/*
 * Remove every flow match() accepts (all of them when match is NULL);
 * returns how many. Process context.
 */
int nfp_flow_remove_if(struct nfp_net *pn,
		       bool (*match)(const struct nfp_flow *flow, const void *arg),
		       const void *arg, bool notify);

static inline void nfp_flow_get(struct nfp_flow *flow)
{
	kref_get(&flow->ref);
}

void nfp_flow_put(struct nfp_flow *flow);

/* Lookups under rcu_read_lock. */
struct nfp_flow *nfp_flow_by_tag(struct nfp_net *pn,
				 const struct nfp_tag_key *key);
struct nfp_flow *nfp_flow_by_remote(struct nfp_net *pn,
				    const struct nfp_remote_key *key);
struct nfp_flow *nfp_flow_by_id(struct nfp_net *pn, u32 id);
/* Lookup by id that takes a reference; NULL when there is no such flow. */
struct nfp_flow *nfp_flow_get_by_id(struct nfp_net *pn, u32 id);

/* State changes; take pn->lock themselves. */
void nfp_flow_established(struct nfp_flow *flow,
			  const union nf_inet_addr *raddr, __be16 rport);
void nfp_flow_dead(struct nfp_flow *flow, u8 reason);
void nfp_flow_repunch(struct nfp_flow *flow);

/* Derive the tag both peers compute from the shared secret. */
int nfp_flow_tag(const u8 *secret, u8 len, u8 tag[NFP_TAG_LEN]);

#endif /* _NFPUNCH_FLOW_H */
