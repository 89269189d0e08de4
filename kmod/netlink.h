/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _NFPUNCH_NETLINK_H
#define _NFPUNCH_NETLINK_H

#include <net/genetlink.h>
#include <linux/netfilter.h>
#include <linux/nfpunch.h>

extern struct genl_family nfp_genl_family;
extern const struct nla_policy nfp_flow_policy[];
extern const struct nla_policy nfp_endpoint_policy[NFPUNCH_EP_A_MAX + 1];
extern const struct nla_policy
	nfp_tcp_prime_policy[NFPUNCH_TCP_PRIME_A_MAX + 1];

int nfp_genl_init(void);
void nfp_genl_uninit(void);

/* An endpoint attribute set, as both flows and mapping queries use it. */
struct nfp_nl_endpoint {
	u8 family;
	union nf_inet_addr addr;
	u16 port;			/* host order */
	u16 port_max;			/* host order; == port without a range */
};

int nfp_nl_get_endpoint(const struct nlattr *nest, struct nfp_nl_endpoint *ep,
			bool range_ok, struct netlink_ext_ack *extack);
int nfp_nl_put_endpoint(struct sk_buff *msg, int type, u8 family,
			const union nf_inet_addr *addr, __be16 port);
/* Is addr one of this namespace's own unicast addresses? */
bool nfp_nl_local_address(struct net *net, const struct nfp_nl_endpoint *ep);
/*
 * A local endpoint of this host (la) and the far one it talks to (fa),
 * of the same family.
 */
int nfp_nl_get_local_far(struct genl_info *info, const struct nlattr *la,
			 struct nfp_nl_endpoint *local,
			 const struct nlattr *fa, struct nfp_nl_endpoint *far);

/* Flow commands (netlink_flow.c). */
struct nfp_flow_params;
/*
 * The parameters of one new flow from its NFPUNCH_A_FLOW nest, checked,
 * with the keys derived into p->peer, which the caller hands to
 * nfp_flow_create() or frees (kfree_sensitive).
 */
int nfp_nl_flow_params(struct genl_info *info, const struct nlattr *nest,
		       struct nfp_flow_params *p);
int nfp_nl_flow_new(struct sk_buff *skb, struct genl_info *info);
/* Several flows, all or none (netlink_batch.c). */
int nfp_nl_flow_new_batch(struct sk_buff *skb, struct genl_info *info);
int nfp_nl_flow_del(struct sk_buff *skb, struct genl_info *info);
int nfp_nl_flow_get(struct sk_buff *skb, struct genl_info *info);
int nfp_nl_flow_set(struct sk_buff *skb, struct genl_info *info);
int nfp_nl_flow_dump_start(struct netlink_callback *cb);
int nfp_nl_flow_dump(struct sk_buff *skb, struct netlink_callback *cb);
int nfp_nl_flow_dump_done(struct netlink_callback *cb);

/* TCP primes (netlink_tcp_prime.c). */
int nfp_nl_tcp_prime_new(struct sk_buff *skb, struct genl_info *info);
int nfp_nl_tcp_prime_del(struct sk_buff *skb, struct genl_info *info);

struct nfp_flow;
/* cb: the dump the message is part of (marks NLM_F_DUMP_INTR), or NULL. */
int nfp_nl_fill_flow(struct sk_buff *msg, struct nfp_flow *flow, u32 portid,
		     u32 seq, int flags, u8 cmd, u8 event,
		     struct netlink_callback *cb);

#endif /* _NFPUNCH_NETLINK_H */
