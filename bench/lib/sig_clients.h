/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Many signaling clients on one epoll loop, for the load generators and
 * simulators in bench/: each connects, speaks TLS (or plaintext), registers
 * with the one secret all of them share and answers the server's pings;
 * every other message goes to the program.
 */
#ifndef BENCH_SIG_CLIENTS_H
#define BENCH_SIG_CLIENTS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sig.h"
#include "sig_auth.h"

enum sc_state { SC_IDLE, SC_CONNECTING, SC_HANDSHAKE, SC_HELLO, SC_REGISTERING, SC_READY };

struct sc_client {
	int fd;				/* -1: none */
	uint32_t token;			/* its epoll data */
	enum sc_state st;
	struct sig_tls *tls;
	uint8_t binding[SIG_BINDING_LEN];
	char id[SIG_ID_MAX + 1];
	char in[SIG_LINE_MAX];
	size_t in_len;
	char out[2 * SIG_LINE_MAX];
	size_t out_len;
};

struct sc_ops {
	/* SC_READY now. */
	void (*registered)(struct sc_client *c, double now);
	/* Any message but HELLO, REGISTERED and PING. */
	void (*message)(struct sc_client *c, const struct sig_msg *m, double now);
	/* c is about to be closed and reset (SC_IDLE, fd -1). */
	void (*dropped)(struct sc_client *c, const char *why);
};

struct ssl_ctx_st;

/*
 * The loop's epoll, TLS (NULL: plaintext) and the name the server's
 * certificate has, the secret, what to call.
 */
void sc_setup(int epfd, struct ssl_ctx_st *tls, const char *tls_name,
	      const uint8_t *secret, size_t secret_len, const struct sc_ops *ops);
/* Connect c (named id) from local to server; token is its epoll data. */
int sc_start(struct sc_client *c, const char *id, uint32_t token,
	     const struct sockaddr_in *local, const struct sockaddr_in *server);
/* c's descriptor is ready. */
void sc_event(struct sc_client *c, double now);
void sc_send(struct sc_client *c, const struct sig_msg *m);
void sc_drop(struct sc_client *c, const char *why);

/* A server given as "ADDR:PORT", IPv4 as the clients are: 0, or -1. */
int sc_server_parse(const char *s, struct sockaddr_in *sa);

/* Seconds on the monotonic clock. */
double sc_now(void);

#endif
