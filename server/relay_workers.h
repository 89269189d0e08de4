/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The threads that forward relayed datagrams (relay_workers.c), and what
 * of relay.c they run.
 */
#ifndef RDV_RELAY_WORKERS_H
#define RDV_RELAY_WORKERS_H

#include "rdv.h"

#define RDV_RELAY_WORKERS_MAX	64

struct rdv_relay_worker;

/* Something a worker frees for the main loop, once no event can name it. */
struct rdv_retired {
	struct rdv_retired *next;
	void (*destroy)(struct rdv_retired *node);
};

/* Start --relay-workers threads; stop them (every retired node freed). */
int rdv_relay_workers_start(void);
void rdv_relay_workers_stop(void);

/* Main loop only. The worker with the fewest relays, counted as one more. */
struct rdv_relay_worker *rdv_relay_worker_pick(void);
/* Which worker w is (0 to n - 1), for the logs. */
unsigned int rdv_relay_worker_index(const struct rdv_relay_worker *w);
/* A relay port's datagrams go to w (EPOLLIN), or no longer. */
int rdv_relay_worker_watch(struct rdv_relay_worker *w, struct rdv_io *io);
void rdv_relay_worker_unwatch(struct rdv_relay_worker *w, struct rdv_io *io);
/* Its ports unwatched: w frees node between two of its epoll rounds, and
 * counts one relay fewer. */
void rdv_relay_worker_retire(struct rdv_relay_worker *w, struct rdv_retired *node);

/* relay.c, in a worker: the datagrams waiting on a relay port. */
struct rdv_relay_batch;
struct rdv_relay_batch *rdv_relay_batch_new(void);
void rdv_relay_input(struct rdv_io *io, struct rdv_relay_batch *b);

#endif
