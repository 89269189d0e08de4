// SPDX-License-Identifier: GPL-2.0
/*
 * kstun: STUN Binding answers from the kernel, for bench/stun-kernel only.
 *
 * Issue 19 asks whether the server should answer Binding Requests in the
 * kernel, with the module, rather than in rendezvousd's batched sockets,
 * and wants the choice made by measurement. This is the kernel's side of
 * that measurement, built from nfpunch's own send path (kmod/send.c) and
 * STUN codec (lib/stun.c) as a feature of the module would be.
 *
 * It answers the request every client sends (RFC 8489, nothing but an
 * optional FINGERPRINT) to IPv4 UDP port `port`, in every namespace, with
 * XOR-MAPPED-ADDRESS, at LOCAL_IN where nfpunch consumes its own STUN.
 * Anything else goes on to the socket, as rendezvousd would be the one to
 * answer RFC 5780 and RFC 3489 clients. It keeps no per-source limit, which
 * a product would need: the figure is the kernel's best case.
 */
#include <linux/ip.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/netns/generic.h>

#include "send.h"
#include "stun.h"

/* A plain request is 20 bytes, 28 with FINGERPRINT; more is not ours. */
#define KSTUN_REQ_MAX		64
/* Header, XOR-MAPPED-ADDRESS (IPv4) and FINGERPRINT. */
#define KSTUN_ANSWER_MAX	(STUN_HDR_LEN + 12 + 8)

static ushort port = 3478;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "UDP port whose Binding Requests are answered (3478)");

static unsigned int kstun_net_id __read_mostly;

static bool kstun_ours(const struct stun_msg *m, const u8 *req)
{
	if (m->type != STUN_BINDING_REQUEST || m->n_unknown ||
	    (m->seen & ~STUN_SEEN_FINGERPRINT))
		return false;
	return !(m->seen & STUN_SEEN_FINGERPRINT) ||
	       stun_check_fingerprint(m, req) == STUN_OK;
}

static unsigned int kstun_hook(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	u8 req[KSTUN_REQ_MAX], out[KSTUN_ANSWER_MAX];
	union nf_inet_addr from = {}, to = {};
	const struct iphdr *iph = ip_hdr(skb);
	struct stun_builder b = {};
	struct stun_addr mapped = {};
	const struct udphdr *uh;
	__be16 sport, dport;
	struct udphdr _uh;
	struct stun_msg m;
	unsigned int uoff, len;
	int n;

	if (iph->protocol != IPPROTO_UDP || ip_is_fragment(iph))
		return NF_ACCEPT;
	uoff = skb_network_offset(skb) + ip_hdrlen(skb);
	uh = skb_header_pointer(skb, uoff, sizeof(_uh), &_uh);
	if (!uh || uh->dest != htons(port))
		return NF_ACCEPT;
	len = ntohs(uh->len);
	if (len < sizeof(*uh) + STUN_HDR_LEN || len > sizeof(*uh) + sizeof(req) ||
	    len > skb->len - uoff)
		return NF_ACCEPT;
	len -= sizeof(*uh);
	sport = uh->source;
	dport = uh->dest;
	/* A bad checksum is the socket layer's to count and drop. */
	if (nf_checksum(skb, state->hook, uoff, IPPROTO_UDP, NFPROTO_IPV4) ||
	    skb_copy_bits(skb, uoff + sizeof(*uh), req, len) ||
	    stun_parse(&m, req, len) != STUN_OK || !kstun_ours(&m, req))
		return NF_ACCEPT;

	mapped.family = STUN_AF_IPV4;
	mapped.port = ntohs(sport);
	memcpy(mapped.ip, &iph->saddr, 4);
	stun_build_start(&b, out, sizeof(out), STUN_BINDING_SUCCESS, m.tid);
	stun_add_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &mapped);
	if (m.seen & STUN_SEEN_FINGERPRINT)
		stun_add_fingerprint(&b);
	n = stun_build_end(&b);
	if (n < 0)
		return NF_ACCEPT;

	from.ip = iph->daddr;
	to.ip = iph->saddr;
	nfp_send_udp(net_generic(state->net, kstun_net_id), NFPROTO_IPV4, 0, 0,
		     &from, dport, &to, sport, out, n);
	consume_skb(skb);
	return NF_STOLEN;
}

static const struct nf_hook_ops kstun_ops = {
	.hook = kstun_hook,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_LOCAL_IN,
	.priority = NF_IP_PRI_FILTER + 1,
};

static int __net_init kstun_net_init(struct net *net)
{
	struct nfp_net *pn = net_generic(net, kstun_net_id);

	pn->net = net;
	return nf_register_net_hook(net, &kstun_ops);
}

static void __net_exit kstun_net_exit(struct net *net)
{
	struct nfp_net *pn = net_generic(net, kstun_net_id);
	s64 sent = atomic64_read(&pn->probes_sent);

	nf_unregister_net_hook(net, &kstun_ops);
	if (sent)
		pr_info("kstun: %lld answers sent in a namespace\n", sent);
}

static struct pernet_operations kstun_net_ops = {
	.init = kstun_net_init,
	.exit = kstun_net_exit,
	.id = &kstun_net_id,
	.size = sizeof(struct nfp_net),
};

static int __init kstun_init(void)
{
	return register_pernet_subsys(&kstun_net_ops);
}

static void __exit kstun_exit(void)
{
	unregister_pernet_subsys(&kstun_net_ops);
}

module_init(kstun_init);
module_exit(kstun_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Bench only: STUN Binding answers from LOCAL_IN (bench/stun-kernel)");
