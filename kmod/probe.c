// SPDX-License-Identifier: GPL-2.0
#include <linux/ktime.h>
#include <linux/siphash.h>

#include "crypto.h"
#include "probe.h"
#include "send.h"

/* Our messages are small: header, USERNAME or an address, MI, FP. */
#define NFP_PROBE_BUF	128

static u32 nfp_now_us(void)
{
	return (u32)div_u64(ktime_get_boottime_ns(), NSEC_PER_USEC);
}

struct nfp_tid_input {
	union nf_inet_addr raddr;
	u32 id;
	u32 stamp;
	__be16 rport;
	u8 family;
	u8 zero;
};

static __be32 nfp_tid_mac(struct nfp_net *pn, u32 id, u32 stamp, u8 family,
			  const union nf_inet_addr *raddr, __be16 rport)
{
	struct nfp_tid_input in;

	memset(&in, 0, sizeof(in));
	in.raddr = *raddr;
	in.id = id;
	in.stamp = stamp;
	in.rport = rport;
	in.family = family;
	return (__force __be32)(u32)siphash(&in, sizeof(in), &pn->tid_key);
}

void nfp_tid_make(struct nfp_net *pn, u32 id, u8 family,
		  const union nf_inet_addr *raddr, __be16 rport,
		  u8 tid[STUN_TID_LEN])
{
	__be32 *w = (__be32 *)tid;
	u32 stamp = nfp_now_us();

	w[0] = htonl(id);
	w[1] = htonl(stamp);
	w[2] = nfp_tid_mac(pn, id, stamp, family, raddr, rport);
}

bool nfp_tid_check(struct nfp_net *pn, const u8 tid[STUN_TID_LEN], u8 family,
		   const union nf_inet_addr *raddr, __be16 rport,
		   u32 *id, u32 *rtt_us)
{
	__be32 w[3];
	u32 stamp, age;

	memcpy(w, tid, sizeof(w));
	*id = ntohl(w[0]);
	stamp = ntohl(w[1]);
	age = nfp_now_us() - stamp;
	if (age > NFP_TID_WINDOW_US)
		return false;
	if (w[2] != nfp_tid_mac(pn, *id, stamp, family, raddr, rport))
		return false;
	*rtt_us = age;
	return true;
}

void nfp_stun_addr(struct stun_addr *a, u8 family,
		   const union nf_inet_addr *addr, __be16 port)
{
	memset(a, 0, sizeof(*a));
	a->port = ntohs(port);
	if (family == NFPROTO_IPV4) {
		a->family = STUN_AF_IPV4;
		memcpy(a->ip, &addr->ip, 4);
	} else {
		a->family = STUN_AF_IPV6;
		memcpy(a->ip, &addr->in6, 16);
	}
}

static int nfp_probe_finish(struct nfp_flow *flow, struct stun_builder *b,
			    const union nf_inet_addr *raddr, __be16 rport)
{
	int len;

	stun_add_integrity(b, flow->peer->secret, flow->peer->secret_len,
			   nfp_hmac_sha1, NULL);
	stun_add_fingerprint(b);
	len = stun_build_end(b);
	if (len < 0)
		return -EINVAL;
	if (!nfp_pps_allow(flow->pn))
		return -ENOBUFS;
	return nfp_send_udp(flow->pn, flow->family, &flow->laddr,
			    flow->lport, raddr, rport, b->buf, len);
}

int nfp_probe_send(struct nfp_flow *flow, const union nf_inet_addr *raddr,
		   __be16 rport)
{
	char user[NFP_USERNAME_LEN + 1];
	u8 buf[NFP_PROBE_BUF], tid[STUN_TID_LEN];
	struct stun_builder b;
	int ret;

	nfp_tid_make(flow->pn, flow->id, flow->family, raddr, rport, tid);
	snprintf(user, sizeof(user), NFP_USERNAME_PREFIX "%*phN",
		 NFP_TAG_LEN, flow->tag);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, tid);
	stun_add_bytes(&b, STUN_A_USERNAME, user, NFP_USERNAME_LEN);
	ret = nfp_probe_finish(flow, &b, raddr, rport);
	if (!ret)
		atomic_inc(&flow->probes_sent);
	return ret;
}

int nfp_probe_answer(struct nfp_flow *flow, const u8 tid[STUN_TID_LEN],
		     const union nf_inet_addr *raddr, __be16 rport)
{
	u8 buf[NFP_PROBE_BUF];
	struct stun_builder b;
	struct stun_addr seen;

	nfp_stun_addr(&seen, flow->family, raddr, rport);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_SUCCESS, tid);
	stun_add_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &seen);
	return nfp_probe_finish(flow, &b, raddr, rport);
}
