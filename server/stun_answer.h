/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The STUN binding server's decision, without sockets: given a datagram,
 * who sent it and which of our addresses it reached, the answer and the
 * socket to send it from. Pure, so the fuzzer drives exactly this.
 */
#ifndef RDV_STUN_ANSWER_H
#define RDV_STUN_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Our transport addresses for one family: [primary/other IP][port/alt port]. */
struct rdv_stun_view {
	struct sockaddr_storage local[2][2];
	bool rfc5780;		/* an other address is configured */
};

struct rdv_stun_reply {
	size_t len;		/* 0: send nothing */
	int ip, port;		/* the socket to answer from */
	uint16_t to_port;	/* RESPONSE-PORT: send to this port, not the
				 * sender's (same address; 0: the sender's) */
	bool classic;		/* an RFC 3489 client */
	const char *drop;	/* why nothing is sent */
};

/* Fills r; the answer (if any) is r->len bytes at out. */
void rdv_stun_answer(const uint8_t *req, size_t len,
		     const struct sockaddr_storage *from,
		     const struct rdv_stun_view *v, int at_ip, int at_port,
		     uint8_t *out, size_t cap, struct rdv_stun_reply *r);

#endif
