/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stands in for kmod/netns.h when kmod/send.c is built into kstun.ko: the
 * two fields of nfpunch's per-namespace state that send.c uses.
 */
#ifndef _KSTUN_NETNS_H
#define _KSTUN_NETNS_H

#include <linux/atomic.h>
#include <net/net_namespace.h>

struct nfp_net {
	struct net *net;
	atomic64_t probes_sent;
};

#endif /* _KSTUN_NETNS_H */
