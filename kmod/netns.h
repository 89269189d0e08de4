/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state. Everything nfpunch keeps lives here, so
 * namespaces never see each other's flows and a namespace can go away
 * while the module stays loaded.
 */
#ifndef _NFPUNCH_NETNS_H
#define _NFPUNCH_NETNS_H

#include <linux/atomic.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

struct nfp_net {
	struct net *net;
	atomic_t flows;		/* live flows, for stats and the leak audit */
};

extern unsigned int nfp_net_id;

static inline struct nfp_net *nfp_pernet(const struct net *net)
{
	return net_generic(net, nfp_net_id);
}

int nfp_netns_init(void);
void nfp_netns_uninit(void);

#endif /* _NFPUNCH_NETNS_H */
