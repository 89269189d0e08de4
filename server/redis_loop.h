/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A Redis connection in rendezvousd's epoll loop: hiredis's asynchronous
 * context with this loop as its event library, a connect deadline (the
 * library has none), and reconnection with backoff when it is lost.
 */
#ifndef RDV_REDIS_LOOP_H
#define RDV_REDIS_LOOP_H

#include <hiredis/async.h>

#include "rdv.h"
#include "timer.h"

struct rdv_redis {
	struct rdv_io io;		/* first: epoll hands us this */
	const char *name;		/* for the log: "commands", "subscriber" */
	const char *password;		/* sent with AUTH first; NULL: none */
	const char *host;
	int port;
	redisAsyncContext *ac;		/* NULL while there is none */
	bool up;			/* connected */
	uint32_t events;		/* what epoll watches now */
	unsigned int backoff_ms;
	struct rdv_timer timer;		/* connect deadline, or the next try */
	/* Called on the loop once connected (and authenticated). */
	void (*on_up)(struct rdv_redis *r);
};

/* Start connecting to host:port, and again whenever it is lost. */
int rdv_redis_start(struct rdv_redis *r, const char *host, int port);
void rdv_redis_event(struct rdv_io *io, uint32_t events);
/*
 * Send what is queued and wait for its answers, ms at most, outside the
 * loop (at exit, before rdv_redis_stop()).
 */
void rdv_redis_drain(struct rdv_redis *r, unsigned int ms);
/* Disconnect for good (at exit). */
void rdv_redis_stop(struct rdv_redis *r);

#endif /* RDV_REDIS_LOOP_H */
