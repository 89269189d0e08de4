/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What peer.c (one peer's exchange and its flows) shares with the files
 * that run more of a peer's flows: relay_first.c. Not for the rest of
 * punchd, which has punchd.h.
 */
#ifndef NFPUNCH_PUNCHD_PEER_FLOWS_H
#define NFPUNCH_PUNCHD_PEER_FLOWS_H

#include "punchd.h"

/* Punch again after losing a path: the caller first, the callee 3x later. */
#define REPUNCH_MS		2000
/* After its punch timeout a flow is dead: the event says so. Should it
 * be lost, this much later the session moves on by itself. */
#define PUNCH_SLACK_MS		5000

/*
 * Start the module's STUN query of our mapping, from our port with our
 * flows' mark (without it on a module before 0.4, logged once); its id
 * into *id. 0, -ENOTCONN without a server link, or another negative
 * errno that pd_mapping_strerror() describes.
 */
int pd_mapping_ask(uint32_t *id);
const char *pd_mapping_strerror(int err);
/* The module's STUN query of our mapping: its answer or a timeout. */
#define PD_MAPPING_TIMEOUT_MS	2000
/* No event for a query by then: it was lost (the events overflowed). */
#define PD_MAPPING_LOST_MS	(PD_MAPPING_TIMEOUT_MS + 1000)

/* Every change of state goes through here: status shows how long ago. */
void pd_peer_set_state(struct pd_peer *p, enum pd_state state);
/* ms since the session began */
unsigned int pd_peer_elapsed(const struct pd_peer *p);
void pd_peer_fail(struct pd_peer *p, const char *why);
void pd_peer_schedule_retry(struct pd_peer *p, unsigned int base_ms);
enum pd_flow_kind {
	PD_FLOW_PUNCH,		/* the punch, from punchd's port */
	PD_FLOW_SPRAY,		/* one of a spray's ports: a candidate */
	PD_FLOW_RELAY,		/* through the relay */
};

/*
 * One flow of the session from a local port to the candidates (and an
 * extra window of ports). Its id, or 0 after logging why not.
 */
uint32_t pd_peer_flow_open(struct pd_peer *p, uint16_t port,
			   const struct sig_ep *cands, unsigned int n,
			   const struct nfp_endpoint *extra,
			   uint32_t punch_timeout_ms, enum pd_flow_kind kind);
/* Delete one flow of the session, keeping count of what it sent: 0, or
 * -errno (logged) when the module still has it. */
int pd_peer_flow_gone(struct pd_peer *p, uint32_t id);
/* pd_cand_filter()'s refused(): logs candidate-refused for peer ctx. */
void pd_cand_refused(const char *why, const struct sig_ep *ep, void *ctx);
/* The direct punch's flows (and the path's, unless it is the relay's). */
void pd_peer_drop_direct(struct pd_peer *p);
/* RELEASE the relay the server gave us, if it still counts on us. */
void pd_peer_release_relay(struct pd_peer *p);
/* RELEASE sid's relay (relay: a renewed one, by our port of it; else
 * NULL): it ends once the peer says so too. */
void pd_peer_send_release(const struct pd_peer *p, const uint8_t *sid,
			  const struct sig_ep *relay);
/* f is the peer's path now (p->relayed says which kind): tell everyone. */
void pd_peer_path_up(struct pd_peer *p, const struct nfp_flow *f);

/* The peer of a session, by its id; NULL if none. */
struct pd_peer *pd_peer_by_sid(const uint8_t *sid);

/* trickle.c: our mapping asked again while punching, and the peer's */
/* A punch from our port starts: when to ask. */
void pd_trickle_punch_started(struct pd_peer *p);
/* Any punch starts: one that offered a remembered endpoint checks it. */
void pd_trickle_check_remembered(struct pd_peer *p);
/* Our offered endpoint had moved and the peer was not told: the caller
 * calls again, once, offering the one now known. */
void pd_peer_recall(struct pd_peer *p);
void pd_trickle_tick(struct pd_peer *p, uint64_t now, uint64_t *next);
/* A mapping answer: true if it is the re-discovery's (then each peer's
 * pd_trickle_mapping() takes it, if it waited for it). */
bool pd_trickle_answer(const struct nfp_mapping *mp);
void pd_trickle_mapping(struct pd_peer *p, const struct nfp_mapping *mp);
/* An ERROR that refused one of our CANDIDATEs (logged): true. */
bool pd_trickle_refused(const struct sig_msg *m);
/* CANDIDATE from the peer, through the server. */
void pd_trickle_input(const struct sig_msg *m);

/* relay_first.c: the relay beside the punch (--relay-first) */
/* We run it, and the server passes relayfirst on. */
bool pd_rf_ok(void);
/* The punch starts: the caller asks for the relay. */
void pd_rf_ask(struct pd_peer *p);
/* RELAYED: the relay's flow from our port. */
void pd_rf_open(struct pd_peer *p);
/* Its flow is up / dead or deleted (gone: deleted by someone else). */
void pd_rf_up(struct pd_peer *p, const struct nfp_flow *f);
void pd_rf_gone(struct pd_peer *p, bool gone);
/* The path moves to direct: hold the relay a while. */
void pd_rf_went_direct(struct pd_peer *p);
/* Relayed, the punch for direct ended without a path. */
void pd_rf_direct_failed(struct pd_peer *p);
/* The direct path died: back on the held relay if it is up (true). */
bool pd_rf_fall_back(struct pd_peer *p);
void pd_rf_drop(struct pd_peer *p);
void pd_rf_tick(struct pd_peer *p, uint64_t now, uint64_t *next);

/* relay_renew.c: a relay with a fixed end gets a successor first */
/* RELAYED as peer.c took it: when that relay ends. */
void pd_rr_granted(struct pd_peer *p, const struct sig_msg *m);
/* RELAYED naming a successor (or ours again): true if it was one. */
bool pd_rr_relayed(struct pd_peer *p, const struct sig_msg *m);
/* Events of the successor's flow: true if f / id was it. */
bool pd_rr_flow_up(struct pd_peer *p, const struct nfp_flow *f);
bool pd_rr_flow_ended(struct pd_peer *p, uint32_t id);
/* ERROR code=renew-... (logged): true. */
bool pd_rr_refused(struct pd_peer *p, const struct sig_msg *m);
bool pd_rr_holds(const struct pd_peer *p, uint32_t id);
void pd_rr_drop(struct pd_peer *p);
/* Registered again: the relay's session is taken back, its end learnt. */
void pd_rr_reattach(struct pd_peer *p);
void pd_rr_tick(struct pd_peer *p, uint64_t now, uint64_t *next);

#endif
