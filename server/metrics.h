/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What rendezvousd counts, and the optional Prometheus endpoint that
 * shows it (--metrics ADDR:PORT, served from the main loop).
 */
#ifndef RDV_METRICS_H
#define RDV_METRICS_H

#include <stdint.h>
#include <sys/socket.h>

enum rdv_counter {
	RDV_C_STUN_ANSWERS,	/* Binding responses sent */
	RDV_C_STUN_LIMITED,	/* requests not answered: over --stun-rate */
	RDV_C_STUN_IGNORED,	/* datagrams left unanswered (not, or bad) */
	RDV_C_REGISTERED,	/* successful REGISTERs */
	RDV_C_AUTH_FAILURES,	/* REGISTERs with a wrong proof */
	RDV_C_SESSIONS,		/* sessions started (CONNECTs taken) */
	RDV_C_RELAYS,		/* relays allocated */
	RDV_C_TRICKLES,		/* CANDIDATEs passed on */
	RDV_C_RELAY_PACKETS,	/* datagrams relayed */
	RDV_C_RELAY_BYTES,	/* their payload bytes */
	RDV_C_RELAY_DROPPED,	/* datagrams a relay did not forward */
	RDV_C_LOG_SUPPRESSED,	/* log lines over --log-rate */
	RDV_C_COUNT
};

/* Counted by a reason the code names (a string literal, never input). */
enum rdv_reason_kind {
	RDV_R_REFUSED,		/* connections refused at accept */
	RDV_R_DISCONNECTS,	/* connections ended by the server or peer */
	RDV_R_COUNT
};

void rdv_count(enum rdv_counter c, uint64_t n);
uint64_t rdv_counter(enum rdv_counter c);
void rdv_count_reason(enum rdv_reason_kind k, const char *reason);

/* 0, or -1 with errno: the endpoint listens on addr. */
int rdv_metrics_open(const struct sockaddr_storage *addr);
/* Serve what is ready and expire slow clients; the main loop calls it
 * when the endpoint's descriptor is readable and once a second. */
void rdv_metrics_run(void);
void rdv_metrics_close(void);

#endif /* RDV_METRICS_H */
