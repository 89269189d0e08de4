// SPDX-License-Identifier: GPL-2.0
#include "netns.h"

unsigned int nfp_net_id __read_mostly;

static int __net_init nfp_net_init(struct net *net)
{
	struct nfp_net *nn = nfp_pernet(net);

	nn->net = net;
	atomic_set(&nn->flows, 0);
	return 0;
}

static void __net_exit nfp_net_exit(struct net *net)
{
	struct nfp_net *nn = nfp_pernet(net);

	WARN_ON(atomic_read(&nn->flows));
}

static struct pernet_operations nfp_net_ops = {
	.init = nfp_net_init,
	.exit = nfp_net_exit,
	.id = &nfp_net_id,
	.size = sizeof(struct nfp_net),
};

int nfp_netns_init(void)
{
	return register_pernet_subsys(&nfp_net_ops);
}

void nfp_netns_uninit(void)
{
	unregister_pernet_subsys(&nfp_net_ops);
}
