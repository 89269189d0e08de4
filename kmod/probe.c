// SPDX-License-Identifier: GPL-2.0
#include <linux/ktime.h>
#include <linux/siphash.h>

#include "crypto.h"
#include "probe.h"
#include "send.h"

/*
 * Our messages are small: header, USERNAME, ICE-CONTROLLING/CONTROLLED
 * (and USE-CANDIDATE) or an address, MI, FP.
 */
#define NFP_PROBE_BUF	128

u32 nfp_now_us(void)
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

/*
 * Observers see the MAC and a 64-bit block encrypted with a keystream
 * that the MAC selects, so the flow id and our clock stay private; the
 * check decrypts, then recomputes the MAC.
 */
static u64 nfp_tid_keystream(struct nfp_net *pn, __be32 mac)
{
	return siphash_1u32((__force u32)mac, &pn->tid_enc_key);
}

void nfp_tid_make(struct nfp_net *pn, u32 id, bool nominated, u8 family,
		  const union nf_inet_addr *raddr, __be16 rport,
		  u8 tid[STUN_TID_LEN])
{
	u32 stamp = (nfp_now_us() & ~1u) | nominated;
	__be32 mac = nfp_tid_mac(pn, id, stamp, family, raddr, rport);
	__be64 body = cpu_to_be64((((u64)id << 32) | stamp) ^
				  nfp_tid_keystream(pn, mac));

	memcpy(tid, &mac, sizeof(mac));
	memcpy(tid + sizeof(mac), &body, sizeof(body));
}

bool nfp_tid_check(struct nfp_net *pn, const u8 tid[STUN_TID_LEN], u8 family,
		   const union nf_inet_addr *raddr, __be16 rport,
		   u32 *id, u32 *rtt_us, bool *nominated)
{
	__be32 mac;
	__be64 body;
	u32 stamp, age;
	u64 plain;

	memcpy(&mac, tid, sizeof(mac));
	memcpy(&body, tid + sizeof(mac), sizeof(body));
	plain = be64_to_cpu(body) ^ nfp_tid_keystream(pn, mac);
	*id = plain >> 32;
	stamp = (u32)plain;
	age = nfp_now_us() - stamp;
	if (age > NFP_TID_WINDOW_US)
		return false;
	if (mac != nfp_tid_mac(pn, *id, stamp, family, raddr, rport))
		return false;
	*rtt_us = age;
	*nominated = stamp & 1;
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
			    const u8 key[PUNCH_KEY_LEN], u8 ttl,
			    const union nf_inet_addr *raddr, __be16 rport)
{
	int len;

	stun_add_integrity(b, key, PUNCH_KEY_LEN, nfp_hmac_sha1, NULL);
	stun_add_fingerprint(b);
	len = stun_build_end(b);
	if (len < 0)
		return -EINVAL;
	return nfp_send_udp(flow->pn, flow->family, flow->peer->mark, ttl, &flow->laddr,
			    flow->lport, raddr, rport, b->buf, len);
}

int nfp_probe_send(struct nfp_flow *flow, const union nf_inet_addr *raddr,
		   __be16 rport, enum nfp_check why, u8 ttl)
{
	const struct punch_dir *out = &flow->peer->out;
	char user[NFP_USERNAME_LEN + 1];
	u8 buf[NFP_PROBE_BUF], tid[STUN_TID_LEN];
	struct stun_builder b;
	int ret;

	/* The cap first: a refused send must cost no HMAC. */
	if (!nfp_pps_allow(flow->pn, why != NFP_CHECK_OWN))
		return -ENOBUFS;
	nfp_tid_make(flow->pn, flow->id, why == NFP_CHECK_NOMINATED,
		     flow->family, raddr, rport, tid);
	snprintf(user, sizeof(user), NFP_USERNAME_PREFIX "%*phN",
		 NFP_TAG_LEN, out->tag);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, tid);
	stun_add_bytes(&b, STUN_A_USERNAME, user, NFP_USERNAME_LEN);
	/*
	 * The role tells the peer that we nominate (0.4 on), so that it
	 * moves only on USE-CANDIDATE. Roles are agreed through signaling
	 * and never conflict: the tie-breaker is 0.
	 */
	stun_add_u64(&b, flow->role == NFPUNCH_ROLE_CONTROLLING ?
		     STUN_A_ICE_CONTROLLING : STUN_A_ICE_CONTROLLED, 0);
	if (!(READ_ONCE(flow->flags) & NFPUNCH_FLOW_F_CANDIDATE))
		stun_add_bytes(&b, STUN_A_USE_CANDIDATE, NULL, 0);
	ret = nfp_probe_finish(flow, &b, out->key, ttl, raddr, rport);
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

	if (!nfp_pps_allow(flow->pn, true))
		return -ENOBUFS;
	nfp_stun_addr(&seen, flow->family, raddr, rport);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_SUCCESS, tid);
	stun_add_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &seen);
	return nfp_probe_finish(flow, &b, flow->peer->in_key, 0, raddr, rport);
}
