// SPDX-License-Identifier: GPL-2.0
/*
 * Flow objects and the per-namespace tables that find them: by id (netlink
 * and the transaction ids of our requests), by local endpoint + tag
 * (requests from the peer) and by 5-tuple (application traffic of an
 * established flow).
 */
#include <linux/jhash.h>
#include <linux/slab.h>

#include "crypto.h"
#include "events.h"
#include "flow.h"
#include "timers.h"

static struct kmem_cache *nfp_flow_cache;

/*
 * Four cache lines for the flow and a quarter of one for the index of its
 * local endpoint: the per-flow memory budget the benchmarks check. Lock
 * debugging grows the timer and the seqcount; the budget is for the
 * kernels people run.
 */
static_assert(IS_ENABLED(CONFIG_LOCKDEP) || IS_ENABLED(CONFIG_DEBUG_SPINLOCK) ||
	      IS_ENABLED(CONFIG_DEBUG_OBJECTS_TIMERS) ||
	      sizeof(struct nfp_flow) <= 256 + sizeof(struct hlist_node));
/* And a peer with one candidate in kmalloc-96, the rest of that budget. */
static_assert(sizeof(struct nfp_peer) + sizeof(struct nfp_cand) <= 96);

/*
 * The tables hash fields of the flow itself, so the local endpoint is
 * stored once: the object hash and compare build the same key a lookup
 * passes in.
 */
static void nfp_flow_tag_key(const struct nfp_flow *flow,
			     struct nfp_tag_key *key)
{
	memset(key, 0, sizeof(*key));
	key->laddr = flow->laddr;
	key->lport = flow->lport;
	key->family = flow->family;
	memcpy(key->tag, flow->tag, NFP_TAG_LEN);
}

static void nfp_flow_remote_key(const struct nfp_flow *flow,
				struct nfp_remote_key *key)
{
	memset(key, 0, sizeof(*key));
	key->laddr = flow->laddr;
	key->raddr = flow->raddr;
	key->lport = flow->lport;
	key->rport = flow->rport;
	key->family = flow->family;
}

static u32 nfp_tag_obj_hash(const void *obj, u32 len, u32 seed)
{
	struct nfp_tag_key key;

	nfp_flow_tag_key(obj, &key);
	return jhash2((const u32 *)&key, sizeof(key) / sizeof(u32), seed);
}

static int nfp_tag_obj_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	struct nfp_tag_key key;

	nfp_flow_tag_key(obj, &key);
	return memcmp(arg->key, &key, sizeof(key));
}

static u32 nfp_remote_obj_hash(const void *obj, u32 len, u32 seed)
{
	struct nfp_remote_key key;

	nfp_flow_remote_key(obj, &key);
	return jhash2((const u32 *)&key, sizeof(key) / sizeof(u32), seed);
}

static int nfp_remote_obj_cmp(struct rhashtable_compare_arg *arg,
			      const void *obj)
{
	struct nfp_remote_key key;

	nfp_flow_remote_key(obj, &key);
	return memcmp(arg->key, &key, sizeof(key));
}

/* Lookup keys hash with jhash2 too: their sizes are multiples of 4. */
static_assert(sizeof(struct nfp_tag_key) % sizeof(u32) == 0);
static_assert(sizeof(struct nfp_remote_key) % sizeof(u32) == 0);

static const struct rhashtable_params nfp_tag_params = {
	.key_len = sizeof(struct nfp_tag_key),
	.head_offset = offsetof(struct nfp_flow, tag_node),
	.obj_hashfn = nfp_tag_obj_hash,
	.obj_cmpfn = nfp_tag_obj_cmp,
	.automatic_shrinking = true,
};

static const struct rhashtable_params nfp_remote_params = {
	.key_len = sizeof(struct nfp_remote_key),
	.head_offset = offsetof(struct nfp_flow, remote_node),
	.obj_hashfn = nfp_remote_obj_hash,
	.obj_cmpfn = nfp_remote_obj_cmp,
	.automatic_shrinking = true,
};

int nfp_flow_cache_init(void)
{
	/* Charged to the cgroup of whoever creates the flow. */
	nfp_flow_cache = KMEM_CACHE(nfp_flow, SLAB_ACCOUNT);
	return nfp_flow_cache ? 0 : -ENOMEM;
}

void nfp_flow_cache_uninit(void)
{
	kmem_cache_destroy(nfp_flow_cache);
}

int nfp_flow_tables_init(struct nfp_net *pn)
{
	int ret;

	/*
	 * The id xarray nests inside pn->lock, which softirqs take: its own
	 * lock must never be taken with BHs enabled (xa_*_bh outside pn->lock).
	 */
	xa_init_flags(&pn->flows, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_BH |
		      XA_FLAGS_ACCOUNT);
	ret = rhashtable_init(&pn->by_tag, &nfp_tag_params);
	if (ret)
		return ret;
	ret = rhashtable_init(&pn->by_remote, &nfp_remote_params);
	if (ret)
		rhashtable_destroy(&pn->by_tag);
	return ret;
}

void nfp_flow_tables_uninit(struct nfp_net *pn)
{
	rhashtable_destroy(&pn->by_remote);
	rhashtable_destroy(&pn->by_tag);
	xa_destroy(&pn->flows);
}

static void nfp_flow_free_rcu(struct rcu_head *rcu)
{
	struct nfp_flow *flow = container_of(rcu, struct nfp_flow, rcu);

	kfree_sensitive(flow->peer);
	kmem_cache_free(nfp_flow_cache, flow);
}

static void nfp_flow_release(struct kref *ref)
{
	struct nfp_flow *flow = container_of(ref, struct nfp_flow, ref);

	call_rcu(&flow->rcu, nfp_flow_free_rcu);
}

void nfp_flow_put(struct nfp_flow *flow)
{
	kref_put(&flow->ref, nfp_flow_release);
}

/* Is there a flow on key's local endpoint that takes tag as its peer's? */
static bool nfp_tag_taken(struct nfp_net *pn, const struct nfp_tag_key *key,
			  const u8 tag[NFP_TAG_LEN])
{
	struct nfp_tag_key other = *key;

	memcpy(other.tag, tag, NFP_TAG_LEN);
	return rhashtable_lookup_fast(&pn->by_tag, &other, nfp_tag_params);
}

/* Under pn->lock: findable by id (netlink, our answers), and punching. */
static void nfp_flow_go_live(struct nfp_flow *flow)
{
	struct nfp_net *pn = flow->pn;

	lockdep_assert_held(&pn->lock);
	/* The slot is reserved, so replacing NULL never allocates. */
	xa_store(&pn->flows, flow->id, flow, GFP_ATOMIC);
	pn->generation++;
	/* First round of probes right away, from the timer (softirq). */
	mod_timer(&flow->timer, jiffies);
}

struct nfp_flow *nfp_flow_create(struct nfp_net *pn,
				 struct nfp_flow_params *p,
				 struct netlink_ext_ack *extack)
{
	struct nfp_tag_key tkey;
	struct nfp_port *port;
	struct nfp_flow *flow;
	bool published = false;
	u32 id;
	int ret;

	flow = kmem_cache_zalloc(nfp_flow_cache, GFP_KERNEL_ACCOUNT);
	if (!flow) {
		kfree_sensitive(p->peer);
		return ERR_PTR(-ENOMEM);
	}
	flow->pn = pn;
	flow->peer = p->peer;
	flow->laddr = p->local.laddr;
	flow->lport = p->local.lport;
	flow->family = p->local.family;
	flow->flags = p->flags;
	flow->owner = p->owner;
	flow->role = p->role;
	flow->keepalive_ms = p->keepalive_ms;
	flow->timeout_ms = p->timeout_ms;
	flow->peer->punch_timeout_ms = p->punch_timeout_ms;
	flow->peer->probe_interval_ms = p->probe_interval_ms;
	flow->peer->mark = p->mark;
	flow->peer->app_tag = p->app_tag;
	flow->peer->prime_ttl = p->prime_ttl;
	flow->peer->prime_ms = p->prime_ms;
	flow->state = p->held ? NFP_STATE_HELD : NFPUNCH_STATE_PUNCHING;
	flow->created = nfp_stamp();
	flow->punch_started = flow->created;
	flow->last_rx = flow->created;		/* ages count from creation */
	flow->last_tx = flow->created;
	flow->last_ok = flow->created;
	memcpy(flow->tag, p->local.tag, NFP_TAG_LEN);
	seqcount_spinlock_init(&flow->remote_seq, &pn->lock);
	kref_init(&flow->ref);
	timer_setup(&flow->timer, nfp_flow_timer, 0);

	/*
	 * Reserve an id; the slot reads as empty until the flow is stored.
	 * Cyclic, so a deleted flow's id is not reused at once and a stale
	 * id in some program's hands does not name a new flow.
	 */
	ret = xa_alloc_cyclic_bh(&pn->flows, &id, NULL, XA_LIMIT(1, INT_MAX),
				 &pn->next_flow_id, GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		NL_SET_ERR_MSG(extack, "no flow id left");
		goto err_free;
	}
	flow->id = id;

	spin_lock_bh(&pn->lock);
	ret = nfp_flow_count_charge(pn, extack);
	if (ret)
		goto err_unlock;
	/*
	 * A flow whose own requests another flow here would take as its
	 * peer's (same secret, opposite role, same local endpoint) would
	 * talk to itself through any reflector: refuse the pair.
	 */
	nfp_flow_tag_key(flow, &tkey);
	if (nfp_tag_taken(pn, &tkey, flow->peer->out.tag)) {
		NL_SET_ERR_MSG(extack,
			       "a flow with this local endpoint and secret exists");
		ret = -EEXIST;
		goto err_uncharge;
	}
	ret = rhashtable_lookup_insert_key(&pn->by_tag, &tkey, &flow->tag_node,
					   nfp_tag_params);
	if (ret) {
		if (ret == -EEXIST)
			NL_SET_ERR_MSG(extack,
				       "a flow with this local endpoint and secret exists");
		goto err_uncharge;
	}
	published = true;
	port = nfp_port_hold(pn, flow->lport);
	if (IS_ERR(port)) {
		ret = PTR_ERR(port);
		goto err_unhash_tag;
	}
	hlist_add_head(&flow->port_node, &port->flows);
	if (flow->owner)
		atomic_inc(&pn->owned);
	/* One reference for the tables, one for the caller. */
	kref_get(&flow->ref);
	if (!p->held)
		nfp_flow_go_live(flow);
	spin_unlock_bh(&pn->lock);
	return flow;

err_unhash_tag:
	rhashtable_remove_fast(&pn->by_tag, &flow->tag_node, nfp_tag_params);
err_uncharge:
	nfp_flow_count_uncharge(pn);
err_unlock:
	spin_unlock_bh(&pn->lock);
	xa_erase_bh(&pn->flows, id);
err_free:
	/* Readers may have found it in by_tag: free after a grace period. */
	if (published)
		call_rcu(&flow->rcu, nfp_flow_free_rcu);
	else
		nfp_flow_free_rcu(&flow->rcu);
	return ERR_PTR(ret);
}

void nfp_flow_start(struct nfp_flow *flow)
{
	struct nfp_net *pn = flow->pn;
	u32 now = nfp_stamp();

	spin_lock_bh(&pn->lock);
	if (!flow->removed && flow->state == NFP_STATE_HELD) {
		/* Its punch and its ages count from now, not from the batch. */
		flow->created = now;
		flow->punch_started = now;
		flow->last_rx = now;
		flow->last_tx = now;
		flow->last_ok = now;
		WRITE_ONCE(flow->state, NFPUNCH_STATE_PUNCHING);
		nfp_flow_go_live(flow);
	}
	spin_unlock_bh(&pn->lock);
}

static void nfp_flow_unhash_remote(struct nfp_flow *flow)
{
	lockdep_assert_held(&flow->pn->lock);
	if (flow->hashed_remote) {
		rhashtable_remove_fast(&flow->pn->by_remote, &flow->remote_node,
				       nfp_remote_params);
		flow->hashed_remote = false;
	}
}

void nfp_flow_remove(struct nfp_flow *flow, bool notify)
{
	struct nfp_net *pn = flow->pn;

	might_sleep();
	spin_lock_bh(&pn->lock);
	if (flow->removed) {
		spin_unlock_bh(&pn->lock);
		return;
	}
	flow->removed = true;
	rhashtable_remove_fast(&pn->by_tag, &flow->tag_node, nfp_tag_params);
	nfp_flow_unhash_remote(flow);
	xa_erase(&pn->flows, flow->id);
	hlist_del(&flow->port_node);
	nfp_port_release(pn, flow->lport);
	nfp_flow_count_uncharge(pn);
	WRITE_ONCE(flow->epoch, flow->epoch + 1);
	if (flow->owner)
		atomic_dec(&pn->owned);
	pn->generation++;
	spin_unlock_bh(&pn->lock);

	if (notify)
		nfp_event_flow(flow, NFPUNCH_EVENT_DELETED);
	/* Waits for a running callback; later mod_timer calls are no-ops. */
	timer_shutdown_sync(&flow->timer);
	nfp_flow_put(flow);
}

/* Next live flow with an id >= *id, with a reference held, or NULL. */
static struct nfp_flow *nfp_flow_next(struct nfp_net *pn, unsigned long *id)
{
	struct nfp_flow *flow;

	rcu_read_lock();
	for (;;) {
		flow = xa_find(&pn->flows, id, ULONG_MAX, XA_PRESENT);
		if (!flow || kref_get_unless_zero(&flow->ref))
			break;
		(*id)++;
	}
	rcu_read_unlock();
	return flow;
}

int nfp_flow_remove_if(struct nfp_net *pn,
		       bool (*match)(const struct nfp_flow *flow, const void *arg),
		       const void *arg, bool notify)
{
	struct nfp_flow *flow;
	unsigned long id = 0;
	int n = 0;

	while ((flow = nfp_flow_next(pn, &id))) {
		if (!match || match(flow, arg)) {
			nfp_flow_remove(flow, notify);
			n++;
		}
		nfp_flow_put(flow);
		id++;
		cond_resched();
	}
	return n;
}

/* Flows nfp_flow_remove_port() takes from the port's list at a time. */
#define NFP_REMOVE_ROUND	32

int nfp_flow_remove_port(struct nfp_net *pn, __be16 lport,
			 bool (*match)(const struct nfp_flow *flow, const void *arg),
			 const void *arg, bool notify)
{
	struct nfp_flow *flow, *round[NFP_REMOVE_ROUND];
	struct nfp_port *port;
	int n = 0, k, i;

	/*
	 * Removing sleeps (the timer's shutdown), so each round takes
	 * references under the lock first. A removed flow leaves the list,
	 * so every full round makes progress and a short one was the last.
	 */
	do {
		k = 0;
		spin_lock_bh(&pn->lock);
		port = nfp_port_find(pn, lport);
		if (!port) {
			spin_unlock_bh(&pn->lock);
			break;
		}
		hlist_for_each_entry(flow, &port->flows, port_node) {
			if (flow->state == NFP_STATE_HELD ||
			    (match && !match(flow, arg)))
				continue;
			/* In the list, so the tables' reference is held. */
			nfp_flow_get(flow);
			round[k++] = flow;
			if (k == NFP_REMOVE_ROUND)
				break;
		}
		spin_unlock_bh(&pn->lock);
		for (i = 0; i < k; i++) {
			nfp_flow_remove(round[i], notify);
			nfp_flow_put(round[i]);
		}
		n += k;
		cond_resched();
	} while (k == NFP_REMOVE_ROUND);
	return n;
}

struct nfp_flow *nfp_flow_get_by_id(struct nfp_net *pn, u32 id)
{
	struct nfp_flow *flow;

	rcu_read_lock();
	flow = nfp_flow_by_id(pn, id);
	if (flow && !kref_get_unless_zero(&flow->ref))
		flow = NULL;
	rcu_read_unlock();
	return flow;
}

struct nfp_flow *nfp_flow_by_tag(struct nfp_net *pn,
				 const struct nfp_tag_key *key)
{
	return rhashtable_lookup(&pn->by_tag, key, nfp_tag_params);
}

struct nfp_flow *nfp_flow_by_remote(struct nfp_net *pn,
				    const struct nfp_remote_key *key)
{
	return rhashtable_lookup(&pn->by_remote, key, nfp_remote_params);
}

struct nfp_flow *nfp_flow_by_id(struct nfp_net *pn, u32 id)
{
	return xa_load(&pn->flows, id);
}

void nfp_flow_remote(const struct nfp_flow *flow, union nf_inet_addr *raddr,
		     __be16 *rport)
{
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&flow->remote_seq);
		*raddr = flow->raddr;
		*rport = flow->rport;
	} while (read_seqcount_retry(&flow->remote_seq, seq));
}

void nfp_flow_rearm(struct nfp_flow *flow, u8 epoch, unsigned long expires)
{
	struct nfp_net *pn = flow->pn;

	spin_lock_bh(&pn->lock);
	if (!flow->removed && flow->epoch == epoch)
		mod_timer(&flow->timer, expires);
	spin_unlock_bh(&pn->lock);
}

static bool nfp_same_remote(const struct nfp_flow *flow,
			    const union nf_inet_addr *raddr, __be16 rport)
{
	return flow->rport == rport && nf_inet_addr_cmp(&flow->raddr, raddr);
}

/* Under pn->lock: a new state; the caller arms the timer for it. */
static void nfp_flow_set_state(struct nfp_flow *flow, u8 state)
{
	lockdep_assert_held(&flow->pn->lock);
	WRITE_ONCE(flow->state, state);
	/* Pairs with the timer's smp_rmb(): a new epoch means a new state. */
	smp_wmb();
	WRITE_ONCE(flow->epoch, flow->epoch + 1);
}

void nfp_flow_established(struct nfp_flow *flow,
			  const union nf_inet_addr *raddr, __be16 rport)
{
	struct nfp_net *pn = flow->pn;
	struct nfp_remote_key rkey;
	u32 now = nfp_stamp();
	u8 event;

	spin_lock_bh(&pn->lock);
	if (flow->removed || flow->state == NFPUNCH_STATE_DEAD ||
	    (flow->state == NFPUNCH_STATE_ESTABLISHED &&
	     nfp_same_remote(flow, raddr, rport))) {
		spin_unlock_bh(&pn->lock);
		return;
	}
	if (flow->state == NFPUNCH_STATE_ESTABLISHED) {
		event = NFPUNCH_EVENT_REMOTE_CHANGED;
		WRITE_ONCE(flow->epoch, flow->epoch + 1);
	} else {
		event = NFPUNCH_EVENT_ESTABLISHED;
		flow->established = now;
		WRITE_ONCE(flow->last_tx, now);
		flow->last_check = now;
		nfp_flow_set_state(flow, NFPUNCH_STATE_ESTABLISHED);
	}
	nfp_flow_unhash_remote(flow);
	write_seqcount_begin(&flow->remote_seq);
	flow->raddr = *raddr;
	flow->rport = rport;
	write_seqcount_end(&flow->remote_seq);
	WRITE_ONCE(flow->has_remote, true);
	/*
	 * Another flow may already own this 5-tuple (two sessions to one
	 * peer endpoint); it then gets the traffic accounting.
	 */
	nfp_flow_remote_key(flow, &rkey);
	if (!rhashtable_lookup_insert_key(&pn->by_remote, &rkey,
					  &flow->remote_node, nfp_remote_params))
		flow->hashed_remote = true;
	mod_timer(&flow->timer,
		  jiffies + msecs_to_jiffies(flow->keepalive_ms));
	spin_unlock_bh(&pn->lock);

	nfp_event_flow(flow, event);
}

void nfp_flow_dead(struct nfp_flow *flow, u8 reason)
{
	struct nfp_net *pn = flow->pn;

	spin_lock_bh(&pn->lock);
	if (flow->removed || flow->state == NFPUNCH_STATE_DEAD) {
		spin_unlock_bh(&pn->lock);
		return;
	}
	nfp_flow_set_state(flow, NFPUNCH_STATE_DEAD);
	flow->dead_reason = reason;
	nfp_flow_unhash_remote(flow);
	spin_unlock_bh(&pn->lock);

	nfp_event_flow(flow, NFPUNCH_EVENT_DEAD);
}

/*
 * The application keeps this flow: its requests carry USE-CANDIDATE from
 * now on. An established flow asks the peer at its next tick (the caller
 * kicks the timer) and twice more, a second apart, in case one is lost
 * or meets the peer's limit on triggered checks: the peer's flow moves
 * here at once. A punching flow's probes do the same.
 */
void nfp_flow_nominate(struct nfp_flow *flow)
{
	lockdep_assert_held(&flow->pn->lock);
	WRITE_ONCE(flow->flags, flow->flags & ~NFPUNCH_FLOW_F_CANDIDATE);
	if (flow->state == NFPUNCH_STATE_ESTABLISHED)
		WRITE_ONCE(flow->nominate_left, NFP_NOMINATE_SENDS);
}

void nfp_flow_repunch(struct nfp_flow *flow)
{
	struct nfp_net *pn = flow->pn;

	spin_lock_bh(&pn->lock);
	if (!flow->removed) {
		nfp_flow_unhash_remote(flow);
		/* The timer restarts its round when it sees the new epoch. */
		flow->dead_reason = NFPUNCH_DEAD_NONE;
		flow->punch_started = nfp_stamp();
		nfp_flow_set_state(flow, NFPUNCH_STATE_PUNCHING);
		mod_timer(&flow->timer, jiffies);
	}
	spin_unlock_bh(&pn->lock);
}
