/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The STUN messages of a flow: authenticated Binding Requests (probes,
 * keepalives, liveness checks) and the Binding Success Responses that
 * answer the peer's. Also the transaction ids every request carries.
 */
#ifndef _NFPUNCH_PROBE_H
#define _NFPUNCH_PROBE_H

#include "flow.h"
#include "stun.h"

/* USERNAME of a request: this prefix, then its sender's tag in hex. */
#define NFP_USERNAME_PREFIX	"nfpunch:"
#define NFP_USERNAME_LEN	(sizeof(NFP_USERNAME_PREFIX) - 1 + 2 * NFP_TAG_LEN)

/* Answers older than this are replays or lost in a queue: ignored. */
#define NFP_TID_WINDOW_US	(30 * USEC_PER_SEC)

/*
 * A flow's transaction id carries the flow id and a timestamp in us
 * (the RTT comes from it; its lowest bit says whether the request was a
 * check triggered by a nominated request), encrypted, and a keyed MAC of
 * both plus the endpoint the request went to. So an answer proves it is
 * to a request we sent lately, to the endpoint it comes from: a replayed
 * answer from anywhere else fails, without keeping any per-request
 * state. To anyone else the 96 bits look random (RFC 8489 section 5):
 * no flow id, no boot time. The MAC is 32 bits because answers must
 * also carry MESSAGE-INTEGRITY under the flow's key; mapping queries,
 * whose answers carry none, use random ids instead (mapping.h).
 */
void nfp_tid_make(struct nfp_net *pn, u32 id, bool nominated, u8 family,
		  const union nf_inet_addr *raddr, __be16 rport,
		  u8 tid[STUN_TID_LEN]);
bool nfp_tid_check(struct nfp_net *pn, const u8 tid[STUN_TID_LEN], u8 family,
		   const union nf_inet_addr *raddr, __be16 rport,
		   u32 *id, u32 *rtt_us, bool *nominated);

/* Why a request is sent. */
enum nfp_check {
	NFP_CHECK_OWN,		/* our schedule: punch rounds, keepalives */
	NFP_CHECK_TRIGGERED,	/* back to where a request of the peer came from */
	NFP_CHECK_NOMINATED,	/* the same, for a request with USE-CANDIDATE:
				 * only its answer may move an established flow */
};

/*
 * An authenticated Binding Request, tagged and keyed for our direction;
 * counts it. -ENOBUFS, before any work, when the pps cap says no (which
 * serves triggered checks first, nfp_pps_allow()).
 * It carries our ICE role and, unless the flow is a candidate,
 * USE-CANDIDATE. ttl: 0 for the route's, a priming probe's otherwise.
 */
int nfp_probe_send(struct nfp_flow *flow, const union nf_inet_addr *raddr,
		   __be16 rport, enum nfp_check why, u8 ttl);
/* The Binding Success Response to an authenticated request of the peer,
 * keyed as the request was. */
int nfp_probe_answer(struct nfp_flow *flow, const u8 tid[STUN_TID_LEN],
		     const union nf_inet_addr *raddr, __be16 rport);

/* Boot time in us (wraps): the clock of RTTs. */
u32 nfp_now_us(void);

/* STUN address <-> kernel address. */
void nfp_stun_addr(struct stun_addr *a, u8 family,
		   const union nf_inet_addr *addr, __be16 port);

#endif /* _NFPUNCH_PROBE_H */
