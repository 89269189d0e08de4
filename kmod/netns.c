// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace setup and teardown, the port map that keeps the
 * packet path cheap, and the namespace's packets-per-second cap.
 */
#include <linux/bitmap.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/user_namespace.h>

#include "flow.h"
#include "mapping.h"
#include "tcp_prime.h"
#include "netns.h"
#include "receive.h"

unsigned int nfp_net_id __read_mostly;

static const struct nfp_config nfp_default_config = {
	.max_flows = 65536,
	.pps = 1000,
	.keepalive_ms = 25 * MSEC_PER_SEC,
	.timeout_ms = 90 * MSEC_PER_SEC,
	.punch_timeout_ms = 15 * MSEC_PER_SEC,
	.probe_interval_ms = 100,
};

/*
 * Flows of all namespaces together: a user namespace may create as many
 * network namespaces as its limits allow, each with its own max-flows;
 * this bounds the sum. Only the initial namespace's root writes it.
 */
static unsigned int max_flows_total = 4 * 1024 * 1024;
module_param(max_flows_total, uint, 0644);
MODULE_PARM_DESC(max_flows_total, "flows in all network namespaces together");
static atomic_t nfp_flows_total = ATOMIC_INIT(0);

/* Namespaces of other user namespaces start here (see nfp_cfg_may_raise). */
#define NFP_UNPRIV_MAX_FLOWS	4096

int nfp_flow_count_charge(struct nfp_net *pn, struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&pn->lock);
	if (atomic_read(&pn->flows_alive) >= READ_ONCE(pn->cfg.max_flows)) {
		NL_SET_ERR_MSG(extack, "flow limit of this namespace reached");
		return -ENOSPC;
	}
	if (atomic_inc_return(&nfp_flows_total) > READ_ONCE(max_flows_total)) {
		atomic_dec(&nfp_flows_total);
		NL_SET_ERR_MSG(extack, "flow limit of the host reached (max_flows_total)");
		return -ENOSPC;
	}
	atomic_inc(&pn->flows_alive);
	return 0;
}

void nfp_flow_count_uncharge(struct nfp_net *pn)
{
	atomic_dec(&pn->flows_alive);
	atomic_dec(&nfp_flows_total);
}

struct nfp_port *nfp_port_hold(struct nfp_net *pn, __be16 port)
{
	unsigned int idx = ntohs(port);
	struct nfp_port *p;
	int ret;

	lockdep_assert_held(&pn->lock);
	p = xa_load(&pn->port_users, idx);
	if (p) {
		p->users++;
		return p;
	}
	/* Under the lock of the packet path: cannot sleep. */
	p = kzalloc(sizeof(*p), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!p)
		return ERR_PTR(-ENOMEM);
	ret = xa_err(xa_store(&pn->port_users, idx, p, GFP_ATOMIC));
	if (ret) {
		kfree(p);
		return ERR_PTR(ret);
	}
	p->users = 1;
	set_bit(idx, pn->ports);
	return p;
}

void nfp_port_release(struct nfp_net *pn, __be16 port)
{
	unsigned int idx = ntohs(port);
	struct nfp_port *p;

	lockdep_assert_held(&pn->lock);
	p = xa_load(&pn->port_users, idx);
	if (WARN_ON_ONCE(!p))
		return;
	if (--p->users)
		return;
	WARN_ON_ONCE(!hlist_empty(&p->flows));
	xa_erase(&pn->port_users, idx);
	clear_bit(idx, pn->ports);
	kfree(p);
}

struct nfp_port *nfp_port_find(struct nfp_net *pn, __be16 port)
{
	lockdep_assert_held(&pn->lock);
	return xa_load(&pn->port_users, ntohs(port));
}

/*
 * Token bucket, one per namespace: every flow's probes and every query
 * share it, so no number of flows can make the module flood. It holds at
 * most a tenth of a second's worth of packets.
 *
 * Replies go first, as ICE serves triggered checks before its ordinary
 * ones: our own schedule (punch rounds, keepalives, queries) leaves a
 * quarter of the bucket to the answers and checks that a peer's request
 * calls for. A spray that fills the cap then still completes the punch
 * its peer found within a round trip; it waited for its next round
 * before, seconds at the cap. But requests can be replayed, so replies
 * get at most half the cap (a bucket of their own): a flood of them
 * leaves our keepalives and punch rounds the other half.
 */
bool nfp_pps_allow(struct nfp_net *pn, bool reply)
{
	u32 rate = READ_ONCE(pn->cfg.pps);
	u64 now = ktime_get_mono_fast_ns();
	bool ok;

	spin_lock_bh(&pn->pps_lock);
	if (reply)
		ok = token_bucket_take(&pn->pps_replies, rate / 2 ?: 1, now) &&
		     token_bucket_take(&pn->pps, rate, now);
	else
		ok = token_bucket_take_above(&pn->pps, rate, now,
					     NFP_PPS_REPLY_RESERVE(rate));
	spin_unlock_bh(&pn->pps_lock);
	if (!ok)
		atomic64_inc(&pn->throttled);
	return ok;
}

static int __net_init nfp_net_init(struct net *net)
{
	struct nfp_net *pn = nfp_pernet(net);
	int ret;

	pn->net = net;
	spin_lock_init(&pn->lock);
	spin_lock_init(&pn->pps_lock);
	xa_init_flags(&pn->port_users, XA_FLAGS_LOCK_BH | XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&pn->mappings);
	INIT_LIST_HEAD(&pn->tcp_primes);
	pn->cfg = nfp_default_config;
	if (net->user_ns != &init_user_ns)
		pn->cfg.max_flows = NFP_UNPRIV_MAX_FLOWS;
	pn->pps.stamp = ktime_get_mono_fast_ns();
	pn->pps_replies.stamp = pn->pps.stamp;
	get_random_bytes(&pn->tid_key, sizeof(pn->tid_key));
	get_random_bytes(&pn->tid_enc_key, sizeof(pn->tid_enc_key));

	pn->ports = bitmap_zalloc(NFP_PORTS, GFP_KERNEL_ACCOUNT);
	if (!pn->ports)
		return -ENOMEM;
	ret = nfp_flow_tables_init(pn);
	if (ret)
		goto err_ports;
	ret = nfp_hooks_register(pn);
	if (ret)
		goto err_tables;
	return 0;

err_tables:
	nfp_flow_tables_uninit(pn);
err_ports:
	bitmap_free(pn->ports);
	return ret;
}

/*
 * The hooks go first; the core waits for an RCU grace period between
 * pre_exit and exit, so no packet-path reader still holds pn, a flow or a
 * table when exit frees them.
 */
static void __net_exit nfp_net_pre_exit(struct net *net)
{
	nfp_hooks_unregister(nfp_pernet(net));
}

static void __net_exit nfp_net_exit(struct net *net)
{
	struct nfp_net *pn = nfp_pernet(net);

	/* Only timers still run; removal shuts each one down. */
	nfp_mapping_flush(pn);
	nfp_tcp_prime_flush(pn);
	nfp_flow_remove_if(pn, NULL, NULL, false);

	WARN_ON(atomic_read(&pn->flows_alive));
	WARN_ON(atomic_read(&pn->mappings_pending));
	WARN_ON(atomic_read(&pn->tcp_primes_alive));
	WARN_ON(!xa_empty(&pn->port_users));
	nfp_flow_tables_uninit(pn);
	xa_destroy(&pn->port_users);
	bitmap_free(pn->ports);
}

static struct pernet_operations nfp_net_ops = {
	.init = nfp_net_init,
	.pre_exit = nfp_net_pre_exit,
	.exit = nfp_net_exit,
	.id = &nfp_net_id,
	.size = sizeof(struct nfp_net),
};

int __init nfp_netns_init(void)
{
	return register_pernet_subsys(&nfp_net_ops);
}

void nfp_netns_uninit(void)
{
	unregister_pernet_subsys(&nfp_net_ops);
}
