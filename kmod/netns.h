/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state. Everything nfpunch keeps lives here, so
 * namespaces never see each other's flows and a namespace can go away
 * while the module stays loaded.
 */
#ifndef _NFPUNCH_NETNS_H
#define _NFPUNCH_NETNS_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/netlink.h>
#include <linux/rhashtable-types.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "token_bucket.h"

#define NFP_PORTS		65536
#define NFP_MAX_MAPPINGS	64

struct nfp_config {
	u32 max_flows;
	u32 pps;
	u32 keepalive_ms;
	u32 timeout_ms;
	u32 punch_timeout_ms;
	u32 probe_interval_ms;
};

struct nfp_net {
	struct net *net;

	/*
	 * Writers of the tables, of flow state and of the port map hold
	 * lock (with BH off: the packet path changes state too). Readers in
	 * the packet path only take rcu_read_lock.
	 */
	spinlock_t lock;
	struct xarray flows;		/* id -> flow */
	u32 next_flow_id;		/* cyclic allocation, under xa lock */
	struct rhashtable by_tag;	/* local endpoint + tag -> flow */
	struct rhashtable by_remote;	/* 5-tuple of established flows */
	unsigned long *ports;		/* local ports with a flow or query */
	struct xarray port_users;	/* port -> struct nfp_port, under lock */
	u32 generation;			/* bumped by each add/del, for dumps */
	atomic_t flows_alive;		/* live flows: stats and leak audit */
	atomic_t owned;			/* flows owned by a netlink socket */

	struct nfp_config cfg;		/* written under lock, read with READ_ONCE */

	/* Token bucket of the per-namespace packets-per-second cap. */
	spinlock_t pps_lock;
	struct token_bucket pps;	/* on the fast monotonic clock */
	struct token_bucket pps_replies;	/* their share of it: half */

	siphash_key_t tid_key;		/* authenticates our transaction ids */
	siphash_key_t tid_enc_key;	/* and hides what they carry */

	struct list_head mappings;	/* pending mapping queries, RCU */
	u32 next_mapping_id;
	atomic_t mappings_pending;

	struct list_head tcp_primes;	/* TCP primes alive, RCU */
	u32 next_tcp_prime_id;
	atomic_t tcp_primes_alive;
	atomic64_t tcp_prime_syns;
	atomic64_t tcp_prime_icmp;

	atomic64_t probes_sent;
	atomic64_t throttled;
	atomic64_t auth_failures;
	atomic64_t unknown_flow;

	struct nf_hook_ops *hooks;
};

extern unsigned int nfp_net_id;

static inline struct nfp_net *nfp_pernet(const struct net *net)
{
	return net_generic(net, nfp_net_id);
}

static inline bool nfp_port_watched(const struct nfp_net *pn, __be16 port)
{
	return test_bit(ntohs(port), pn->ports);
}

/*
 * Count one more flow against the namespace's and the host's limits, or
 * fail with a message; under pn->lock. Uncharge when the flow goes.
 */
int nfp_flow_count_charge(struct nfp_net *pn, struct netlink_ext_ack *extack);
void nfp_flow_count_uncharge(struct nfp_net *pn);

/* A local port in use, under pn->lock. */
struct nfp_port {
	struct hlist_head flows;	/* the flows on it, any local address */
	unsigned int users;		/* its flows and mapping queries */
};

/* Hold port (under pn->lock): its entry, or an ERR_PTR. */
struct nfp_port *nfp_port_hold(struct nfp_net *pn, __be16 port);
void nfp_port_release(struct nfp_net *pn, __be16 port);
/* The port's entry under pn->lock, or NULL when nothing holds it. */
struct nfp_port *nfp_port_find(struct nfp_net *pn, __be16 port);

/*
 * The next id from a namespace's cyclic counter (under pn->lock):
 * positive, so it fits an int, and never 0.
 */
static inline u32 nfp_next_id(u32 *counter)
{
	*counter = (*counter + 1) & INT_MAX;
	if (!*counter)
		*counter = 1;
	return *counter;
}

/* May the module send one more packet now? Counts refusals. */
/*
 * Packets of the bucket our own schedule leaves to replies: a quarter
 * (none below 40 pps, where the bucket holds three packets or fewer).
 */
#define NFP_PPS_REPLY_RESERVE(rate)	((rate) / 40)

/*
 * May the namespace send one more packet? reply: an answer, or a check
 * that a peer's request triggered, rather than one of our schedule.
 */
bool nfp_pps_allow(struct nfp_net *pn, bool reply);

int nfp_netns_init(void);
void nfp_netns_uninit(void);

#endif /* _NFPUNCH_NETNS_H */
