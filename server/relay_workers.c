// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The relays on every core. --relay-workers threads (default: one per
 * CPU this process may run on) each run an epoll loop of their own. A
 * new relay's two ports go to the worker with the fewest relays, and
 * only that worker reads them: relay.c forwards each batch under the
 * relay's lock, which the main loop takes only to read a relay's
 * deadline and figures. Everything else about a relay (allocation,
 * quotas, deadlines, its end) stays in the main loop. A relay that ends
 * has its ports taken out of the worker's epoll by the main loop and is
 * then handed to the worker to free: the worker may hold an event that
 * names it from an earlier epoll_wait, so it frees it only after it has
 * handled that whole round.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "relay_workers.h"

#define EVENTS_MAX	64

struct rdv_relay_worker {
	pthread_t thread;
	bool running;
	int epfd, wake_fd;
	unsigned int relays;		/* main loop only */
	struct rdv_relay_batch *batch;
	pthread_mutex_t lock;		/* retired, stop */
	struct rdv_retired *retired;
	bool stop;
};

static struct rdv_relay_worker *workers;
static unsigned int n_workers;

/* Free what the main loop retired; true if the worker is to stop. */
static bool worker_reap(struct rdv_relay_worker *w)
{
	struct rdv_retired *list, *next;
	bool stop;

	pthread_mutex_lock(&w->lock);
	list = w->retired;
	w->retired = NULL;
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	for (; list; list = next) {
		next = list->next;
		list->destroy(list);
	}
	return stop;
}

/* The main loop's wakeups, counted in the eventfd: taken all at once. */
static void wake_drain(struct rdv_relay_worker *w)
{
	uint64_t v;

	if (read(w->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		rdv_log(RDV_LOG_ERR, "relay-worker", "worker=%u error=\"%s\"",
			rdv_relay_worker_index(w), strerror(errno));
}

static void *worker_run(void *arg)
{
	struct rdv_relay_worker *w = arg;
	struct epoll_event ev[EVENTS_MAX];
	int n, i;

	for (;;) {
		n = epoll_wait(w->epfd, ev, EVENTS_MAX, -1);
		if (n < 0 && errno != EINTR) {
			rdv_log(RDV_LOG_ERR, "relay-worker", "worker=%u error=\"%s\"",
				rdv_relay_worker_index(w), strerror(errno));
			usleep(100000);		/* not a spin */
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.ptr)
				rdv_relay_input(ev[i].data.ptr, w->batch);
			else
				wake_drain(w);
		}
		/* Every event of the round handled: what was retired is named by none. */
		if (worker_reap(w))
			return NULL;
	}
}

static void wake(struct rdv_relay_worker *w)
{
	uint64_t one = 1;

	/* A full counter is a wakeup pending too. */
	if (write(w->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		rdv_log(RDV_LOG_ERR, "relay-worker", "error=\"%s\"", strerror(errno));
}

/* 0: one per CPU this process may run on (its affinity, its cpuset). */
static unsigned int workers_wanted(void)
{
	return rdv_cfg->relay_workers ? rdv_cfg->relay_workers :
	       rdv_cpus_usable(RDV_RELAY_WORKERS_MAX);
}

static int worker_start(struct rdv_relay_worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int err;

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->batch = rdv_relay_batch_new();
	if (w->epfd < 0 || w->wake_fd < 0 || !w->batch ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &ev))
		return -1;
	err = pthread_mutex_init(&w->lock, NULL);
	if (err) {
		errno = err;
		return -1;
	}
	err = pthread_create(&w->thread, NULL, worker_run, w);
	if (err) {
		pthread_mutex_destroy(&w->lock);
		errno = err;
		return -1;
	}
	w->running = true;
	return 0;
}

int rdv_relay_workers_start(void)
{
	unsigned int i, want = workers_wanted();

	workers = calloc(want, sizeof(*workers));
	if (!workers)
		return -1;
	for (i = 0; i < want; i++)
		workers[i].epfd = workers[i].wake_fd = -1;
	n_workers = want;
	for (i = 0; i < want; i++) {
		if (worker_start(&workers[i])) {
			int err = errno;

			rdv_log(RDV_LOG_ERR, "relay-workers", "started=%u wanted=%u error=\"%s\"",
				i, want, strerror(err));
			errno = err;
			return -1;
		}
	}
	rdv_log(RDV_LOG_INFO, "relay-workers", "workers=%u", want);
	return 0;
}

void rdv_relay_workers_stop(void)
{
	struct rdv_relay_worker *w;
	unsigned int i;

	for (i = 0; i < n_workers; i++) {
		w = &workers[i];
		if (w->running) {
			pthread_mutex_lock(&w->lock);
			w->stop = true;
			pthread_mutex_unlock(&w->lock);
			wake(w);
			pthread_join(w->thread, NULL);
			/* Joined: whatever came after its last round is ours to free. */
			worker_reap(w);
			pthread_mutex_destroy(&w->lock);
		}
		if (w->epfd >= 0)
			close(w->epfd);
		if (w->wake_fd >= 0)
			close(w->wake_fd);
		free(w->batch);		/* rdv_relay_batch_new(): one block */
	}
	free(workers);
	workers = NULL;
	n_workers = 0;
}

struct rdv_relay_worker *rdv_relay_worker_pick(void)
{
	struct rdv_relay_worker *best = NULL;
	unsigned int i;

	for (i = 0; i < n_workers; i++)
		if (workers[i].running && (!best || workers[i].relays < best->relays))
			best = &workers[i];
	if (best)
		best->relays++;
	return best;
}

unsigned int rdv_relay_worker_index(const struct rdv_relay_worker *w)
{
	return (unsigned int)(w - workers);
}

int rdv_relay_worker_watch(struct rdv_relay_worker *w, struct rdv_io *io)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = io };

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, io->fd, &ev);
}

/*
 * Cannot fail for a port watched and still open; if it did, the port
 * leaves the epoll when its worker closes it, and the worker's next
 * round could name a relay it has just freed: say so loudly.
 */
void rdv_relay_worker_unwatch(struct rdv_relay_worker *w, struct rdv_io *io)
{
	if (epoll_ctl(w->epfd, EPOLL_CTL_DEL, io->fd, NULL))
		rdv_log(RDV_LOG_ERR, "relay-unwatch", "worker=%u fd=%d error=\"%s\"",
			rdv_relay_worker_index(w), io->fd, strerror(errno));
}

void rdv_relay_worker_retire(struct rdv_relay_worker *w, struct rdv_retired *node)
{
	pthread_mutex_lock(&w->lock);
	node->next = w->retired;
	w->retired = node;
	pthread_mutex_unlock(&w->lock);
	w->relays--;
	wake(w);
}
