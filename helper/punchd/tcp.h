/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP sessions (issue 18): a local program asks for a TCP connection to
 * a peer ("connect PEER tcp" on the control socket), or waits for one a
 * peer asks for ("accept tcp"), and gets the connected, proven socket
 * with its result line (SCM_RIGHTS). Each side learns a fresh port's TCP
 * mapping from the server (STUN over TCP), the two exchange them in a
 * proto=tcp session, and both open at once (tcp_punch.h). The blocking
 * steps run in a thread per call; the loop only decides.
 */
#ifndef PD_TCP_H
#define PD_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sig.h"

#define PD_TCP_CALLS		8	/* under way at once, both ways */
#define PD_TCP_LISTENERS	4	/* programs waiting in "accept tcp" */

void pd_tcp_init(void);
/* "connect PEER tcp": the answer goes to waiter, and closes it. */
void pd_tcp_connect(const char *peer, int waiter);
/* "accept tcp [PEER]": waiter gets the next call (from peer; NULL: any). */
void pd_tcp_accept(int waiter, const char *peer);
/* A message of a TCP session, handled: true; a UDP one: false. */
bool pd_tcp_signal(const struct sig_msg *m);
/* Readable when a call's thread is done; -1 before the first call. */
int pd_tcp_fd(void);
void pd_tcp_input(void);
void pd_tcp_tick(uint64_t now, uint64_t *next);
/* punchd exits: the module's primes of calls under way end now. */
void pd_tcp_close(void);
/* The server link went: calls waiting on it fail. */
void pd_tcp_link_lost(void);

/* The listeners' queue (tcp_listen.c). */
/* Queue fd (first: at the head, as a call gives it back); -1 when full. */
int pd_tcp_listen_add(int fd, const char *peer, bool first);
/* The oldest that takes peer's calls, its own filter into filter; or -1. */
int pd_tcp_listen_take(const char *peer, char *filter, size_t cap);
/* Those whose program has gone: their control slots are freed. */
void pd_tcp_listen_sweep(void);
unsigned int pd_tcp_listeners(void);

#endif
