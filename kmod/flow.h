/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A punched flow: one local UDP endpoint, the peer's candidate endpoints,
 * the keys of the session, and what the module learnt about the path.
 *
 * Lifetime: the tables hold one reference, and nfp_flow_create() hands its
 * caller a second. Packet-path readers find a flow under RCU and never
 * sleep with it; anything that must keep it past rcu_read_unlock takes a
 * reference. The last put frees after a grace period, so a flow that was
 * ever visible in a table is only ever freed through RCU. Removal marks
 * the flow removed under the namespace lock, then shuts the timer down.
 *
 * State (state, epoch, the remote) changes only under pn->lock. Whoever
 * changes it also arms the timer for the new state; a running timer
 * callback re-arms only if the epoch it started with is still current
 * (nfp_flow_rearm), so it never overrides a change made meanwhile.
 * cursor, round and throttled belong to the timer callback alone.
 */
#ifndef _NFPUNCH_FLOW_H
#define _NFPUNCH_FLOW_H

#include <linux/jiffies.h>
#include <linux/kref.h>
#include <linux/netfilter.h>
#include <linux/nfpunch.h>
#include <linux/rhashtable.h>
#include <linux/seqlock.h>
#include <linux/timer.h>

#include "netns.h"
#include "punch_keys.h"

#define NFP_TAG_LEN		PUNCH_TAG_LEN
#define NFP_MAX_TARGETS		4096	/* punch targets per flow, ranges expanded */
#define NFP_MAX_PEERS		32	/* candidate attributes per flow */

/* A candidate: an address with one port or a range of nports ports. */
struct nfp_cand {
	union nf_inet_addr addr;
	u16 port;			/* host order */
	u16 nports;
};

/*
 * What the flow knows of its peer: the per-direction keys, where and how
 * to punch, and when it last sent a triggered check. Fixed at creation
 * but for that stamp; the secret itself is not kept. Kept out of the flow
 * object because only probes and their answers read it, never
 * application traffic. The tag of the peer's requests lives in the flow,
 * which the lookup hashes; without it, a peer with one candidate fits
 * kmalloc-96.
 */
struct nfp_peer {
	struct punch_dir out;		/* our requests, the peer's answers */
	u8 in_key[PUNCH_KEY_LEN];	/* the peer's requests, our answers */
	u32 punch_timeout_ms;
	u32 probe_interval_ms;
	u32 mark;			/* fwmark of everything the flow sends */
	u32 app_tag;			/* the application's, for netlink only */
	u32 last_trigger;		/* last triggered check while established */
	u16 n;
	u16 targets;			/* sum of nports */
	u16 prime_ms;			/* priming at the start of a punch */
	u8 prime_ttl;			/* 0: no priming */
	u8 nominates;			/* its requests carry a role: 0.4 on */
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
	struct hlist_node port_node;	/* in its local port's list */
	/* Both tables hash these fields; the keys above mirror them. */
	union nf_inet_addr laddr;
	union nf_inet_addr raddr;	/* valid once has_remote */
	__be16 lport;
	__be16 rport;
	u8 family;
	u8 state;			/* enum nfpunch_state or NFP_STATE_HELD, under pn->lock */
	u8 dead_reason;
	u8 flags;			/* CANDIDATE cleared under pn->lock */
	u8 tag[NFP_TAG_LEN];		/* USERNAME of the peer's requests */

	struct nfp_net *pn;
	struct nfp_peer *peer;
	struct timer_list timer;
	struct rcu_head rcu;
	struct kref ref;
	u32 id;
	u32 owner;			/* netlink portid, 0 when not owned */
	seqcount_spinlock_t remote_seq;	/* raddr, rport; writers hold pn->lock */
	bool has_remote;		/* has answered once: raddr is set */
	bool hashed_remote;		/* in pn->by_remote */
	bool removed;			/* unlinked: no more state changes */
	u8 role;			/* enum nfpunch_role */
	u8 epoch;			/* bumped by every state change */
	u8 tick_epoch;			/* timer only: epoch cursor/round are of */
	u8 round;			/* timer only: punch round, for the backoff */
	u8 throttled;			/* timer only: sends refused in a row */
	bool priming;			/* timer only: this round is primed */
	u8 nominate_left;		/* nominated requests still to send */
	u16 cursor;			/* timer only: next target of this round */
	u32 keepalive_ms;
	u32 timeout_ms;
	u32 srtt_us;
	u32 created;
	u32 punch_started;
	u32 established;
	u32 last_check;			/* last request sent while established */
	u32 last_ok;			/* last authenticated answer: consent */
	u32 last_rx;			/* last answer or application packet */
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
	struct nfp_tag_key local;	/* tag: of the peer's requests */
	struct nfp_peer *peer;		/* taken over by the flow */
	u32 flags;
	u32 owner;
	u8 role;
	u32 mark;
	u32 app_tag;
	u8 prime_ttl;
	u16 prime_ms;
	u32 keepalive_ms;
	u32 timeout_ms;
	u32 punch_timeout_ms;
	u32 probe_interval_ms;
	bool held;			/* hidden and silent until nfp_flow_start() */
};

/*
 * The state of a flow created held (a batch in the making): it has its
 * id and is in the tables that catch duplicates, but no id lookup,
 * dump, delete or packet finds it, and it sends nothing.
 */
#define NFP_STATE_HELD		0

static inline bool nfp_flow_held(const struct nfp_flow *flow)
{
	return READ_ONCE(flow->state) == NFP_STATE_HELD;
}

int nfp_flow_cache_init(void);
void nfp_flow_cache_uninit(void);

int nfp_flow_tables_init(struct nfp_net *pn);
void nfp_flow_tables_uninit(struct nfp_net *pn);

/* The new flow with a reference for the caller, or an ERR_PTR. */
struct nfp_flow *nfp_flow_create(struct nfp_net *pn,
				 struct nfp_flow_params *p,
				 struct netlink_ext_ack *extack);
/* Start a flow created held: it punches from now on, as if just made. */
void nfp_flow_start(struct nfp_flow *flow);
/* Unlink, notify (when notify), stop timers and drop the table's ref. */
void nfp_flow_remove(struct nfp_flow *flow, bool notify);
/*
 * Remove every flow match() accepts (all of them when match is NULL);
 * returns how many. Process context.
 */
int nfp_flow_remove_if(struct nfp_net *pn,
		       bool (*match)(const struct nfp_flow *flow, const void *arg),
		       const void *arg, bool notify);
/*
 * The same among the flows of one local port only (any address), found
 * through the port's list rather than by walking every flow. Process
 * context.
 */
int nfp_flow_remove_port(struct nfp_net *pn, __be16 lport,
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
/* Caller holds pn->lock and kicks the timer. */
void nfp_flow_nominate(struct nfp_flow *flow);
/* Nominated requests an established flow sends, a second apart. */
#define NFP_NOMINATE_SENDS	3
#define NFP_NOMINATE_GAP_MS	1000

/* The remote endpoint, consistent even while the packet path moves it. */
void nfp_flow_remote(const struct nfp_flow *flow, union nf_inet_addr *raddr,
		     __be16 *rport);

/*
 * Re-arm the timer for expires, unless the flow's state changed since the
 * callback read epoch (then the change armed it) or the flow is gone.
 */
void nfp_flow_rearm(struct nfp_flow *flow, u8 epoch, unsigned long expires);

#endif /* _NFPUNCH_FLOW_H */
