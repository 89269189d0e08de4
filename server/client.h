/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One signaling connection; client.c owns its life, signal.c reads it. */
#ifndef RDV_CLIENT_H
#define RDV_CLIENT_H

#include "rdv.h"
#include "timer.h"

struct rdv_client {
	struct rdv_io io;		/* first: epoll hands us this */
	struct sockaddr_storage addr;	/* as the server sees it */
	char id[SIG_ID_MAX + 1];	/* "" until registered */
	uint32_t version;		/* its REGISTER's v; 0: it gave none */
	/* --redis (cluster.c): */
	uint64_t gen;			/* this registration's, in its presence */
	char remote[SIG_ID_MAX + 1];	/* a stub: the instance it is on */
	bool renews;			/* a stub whose instance passes renewals on */
	unsigned int homes;		/* its sessions' homes being looked up */
	struct rdv_foreign *foreign;	/* sessions elsewhere it was offered */
	bool revoked;			/* its user was removed (or rekeyed) */
	uint8_t nonce[SIG_NONCE_LEN];
	bool dead;			/* closed at the end of this round */
	char in[SIG_LINE_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_cap;
	uint64_t since, last_rx, tokens_at;
	struct rdv_timer timer;		/* register, then idle timeout */
	double tokens;
	unsigned int pending;		/* its CONNECTs not yet answered */
	unsigned int calls;		/* sessions it started, alive */
	struct rdv_session *sessions;	/* both sides', see session.c */
	struct source_count *src;	/* connections from its address */
	struct source_count *site;	/* IPv6: from its /48, else NULL */
	struct sig_tls *tls;		/* NULL on --plaintext-testing-only */
	bool sniffing;			/* TLS: its first byte not seen yet */
	bool stun;			/* it speaks STUN, not signaling */
	struct sockaddr_storage local;	/* STUN: where it reached us */
	bool handshaking;		/* TLS; HELLO comes after it */
	uint8_t binding[SIG_BINDING_LEN];	/* exported from the TLS session */
	struct rdv_client *next, *prev, *next_dead;
};

/* Close at the end of the current event round (safe inside handlers). */
void rdv_client_kill(struct rdv_client *c, const char *reason);

#endif
