// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace setup and teardown, the port map that keeps the
 * packet path cheap, and the namespace's packets-per-second cap.
 */
#include <linux/bitmap.h>
#include <linux/ktime.h>
#include <linux/random.h>

#include "flow.h"
#include "mapping.h"
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

int nfp_port_hold(struct nfp_net *pn, __be16 port)
{
	unsigned int idx = ntohs(port);
	void *entry;
	int ret;

	lockdep_assert_held(&pn->lock);
	entry = xa_load(&pn->port_users, idx);
	ret = xa_err(xa_store(&pn->port_users, idx,
			      xa_mk_value(entry ? xa_to_value(entry) + 1 : 1),
			      GFP_ATOMIC));
	if (!ret)
		set_bit(idx, pn->ports);
	return ret;
}

void nfp_port_release(struct nfp_net *pn, __be16 port)
{
	unsigned int idx = ntohs(port);
	unsigned long users;
	void *entry;

	lockdep_assert_held(&pn->lock);
	entry = xa_load(&pn->port_users, idx);
	if (WARN_ON_ONCE(!entry))
		return;
	users = xa_to_value(entry) - 1;
	if (users) {
		/* Replacing a present entry never allocates. */
		xa_store(&pn->port_users, idx, xa_mk_value(users), GFP_ATOMIC);
		return;
	}
	xa_erase(&pn->port_users, idx);
	clear_bit(idx, pn->ports);
}

/*
 * Token bucket, one per namespace: every flow's probes and every query
 * share it, so no number of flows can make the module flood. It holds at
 * most a tenth of a second's worth of packets.
 */
bool nfp_pps_allow(struct nfp_net *pn)
{
	u64 rate = READ_ONCE(pn->cfg.pps);
	u64 depth = max_t(u64, rate / 10, 1) * NSEC_PER_SEC;
	u64 now = ktime_get_mono_fast_ns(), elapsed;
	bool ok;

	spin_lock_bh(&pn->pps_lock);
	/* A full bucket needs under a second: clamp, so the product fits. */
	elapsed = min_t(u64, now - pn->pps_stamp, NSEC_PER_SEC);
	pn->pps_tokens = min(depth, pn->pps_tokens + elapsed * rate);
	pn->pps_stamp = now;
	ok = pn->pps_tokens >= NSEC_PER_SEC;
	if (ok)
		pn->pps_tokens -= NSEC_PER_SEC;
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
	xa_init(&pn->port_users);
	INIT_LIST_HEAD(&pn->mappings);
	pn->cfg = nfp_default_config;
	pn->pps_stamp = ktime_get_mono_fast_ns();
	get_random_bytes(&pn->tid_key, sizeof(pn->tid_key));

	pn->ports = bitmap_zalloc(NFP_PORTS, GFP_KERNEL);
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

static void __net_exit nfp_net_exit(struct net *net)
{
	struct nfp_net *pn = nfp_pernet(net);

	/* No packet path from here on; then nothing re-arms a timer. */
	nfp_hooks_unregister(pn);
	nfp_mapping_flush(pn);
	nfp_flow_remove_if(pn, NULL, NULL, false);

	WARN_ON(atomic_read(&pn->flows_alive));
	WARN_ON(atomic_read(&pn->mappings_pending));
	WARN_ON(!xa_empty(&pn->port_users));
	nfp_flow_tables_uninit(pn);
	xa_destroy(&pn->port_users);
	bitmap_free(pn->ports);
}

static struct pernet_operations nfp_net_ops = {
	.init = nfp_net_init,
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
