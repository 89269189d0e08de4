// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The STUN binding service, on every core. Per listen address one socket
 * on the STUN port; with a second address of the same family (RFC 5780)
 * the grid of both addresses times both ports, because CHANGE-REQUEST
 * asks for the answer to come from the other IP, the other port, or both.
 *
 * --stun-workers threads (default: one per online CPU) each own a copy of
 * that grid, bound with SO_REUSEPORT, an epoll loop, and a per-source
 * rate limit of their own: stun_steer.c makes the kernel hand all of one
 * source's datagrams to the same worker, so the limit stays exact and
 * the workers share nothing but the counters (atomic, added once per
 * batch). Datagrams come and go in batches (recvmmsg, sendmmsg). The
 * signaling and relays stay in the main loop: their state is shared.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "rdv.h"
#include "source_rate.h"
#include "stun_answer.h"
#include "stun_steer.h"

#define STUN_BATCH	32	/* datagrams per recvmmsg/sendmmsg */
#define STUN_ROUNDS	4	/* batches per socket per wakeup: fairness */
#define STUN_REQ_MAX	1500
#define STUN_OUT_MAX	512

struct stun_sock {
	int fd;
	unsigned int view;
	int ip, port;
};

struct stun_worker {
	unsigned int index;
	pthread_t thread;
	bool running;
	int epfd, stop_fd;
	struct stun_sock socks[RDV_MAX_LISTEN][2][2];
	struct source_rate *limit;
	uint64_t answers, limited, ignored;	/* not yet added to the counters */
	/* One batch in, and the answers that leave by the socket it came on. */
	struct mmsghdr in[STUN_BATCH], out[STUN_BATCH];
	struct iovec in_iov[STUN_BATCH], out_iov[STUN_BATCH];
	struct sockaddr_storage from[STUN_BATCH];
	uint8_t req[STUN_BATCH][STUN_REQ_MAX];
	uint8_t ans[STUN_BATCH][STUN_OUT_MAX];
};

static struct rdv_stun_view views[RDV_MAX_LISTEN];
static struct stun_worker *workers;
static unsigned int n_workers;
static struct rdv_steer_key steer_key;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static int open_udp(const struct sockaddr_storage *ss, bool shared)
{
	char a[SIG_EP_STRLEN];
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Only with several workers: one socket keeps the port its own. */
	if ((shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				  sizeof(one))) ||
	    bind(fd, (const struct sockaddr *)ss, sa_len(ss)) < 0) {
		rdv_log(RDV_LOG_ERR, "bind", "proto=udp addr=%s error=\"%s\"",
			rdv_addr_str(ss, a, sizeof(a)), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static const struct sockaddr_storage *other_of(const struct sockaddr_storage *l)
{
	unsigned int i;

	for (i = 0; i < rdv_cfg->n_other; i++)
		if (rdv_cfg->other[i].ss_family == l->ss_family)
			return &rdv_cfg->other[i];
	return NULL;
}

/* Add what a worker counted to the shared counters. */
static void flush_counts(struct stun_worker *w)
{
	if (w->answers)
		rdv_count(RDV_C_STUN_ANSWERS, w->answers);
	if (w->limited)
		rdv_count(RDV_C_STUN_LIMITED, w->limited);
	if (w->ignored)
		rdv_count(RDV_C_STUN_IGNORED, w->ignored);
	w->answers = w->limited = w->ignored = 0;
}

/*
 * Answer datagram i of the batch that came in on s at now (ns). An
 * answer from s itself joins the outgoing batch (*k); one from another
 * address or port of the grid (CHANGE-REQUEST) leaves at once.
 */
static void answer_one(struct stun_worker *w, const struct stun_sock *s,
		       unsigned int i, uint64_t now, unsigned int *k)
{
	const struct rdv_stun_view *v = &views[s->view];
	struct sockaddr_storage *from = &w->from[i];
	socklen_t flen = w->in[i].msg_hdr.msg_namelen;
	size_t n = w->in[i].msg_len;
	struct rdv_stun_reply r;
	char a[SIG_EP_STRLEN];
	unsigned int j;

	/* Larger than any Binding request we answer: not one. */
	if (w->in[i].msg_hdr.msg_flags & MSG_TRUNC) {
		w->ignored++;
		return;
	}
	rdv_stun_answer(w->req[i], n, from, v, s->ip, s->port, w->ans[i],
			STUN_OUT_MAX, &r);
	if (!r.len)
		w->ignored++;
	/* The log's room first: a flood must not format, nor queue on
	 * the log's lock, for lines that are suppressed anyway. */
	if (r.drop && rdv_log_limited_room())
		rdv_log_limited("stun-reject", "from=%s len=%zu reason=\"%s\"%s",
				rdv_addr_str(from, a, sizeof(a)), n, r.drop,
				r.len ? " answer=error" : "");
	if (!r.len)
		return;
	if (!source_rate_take(w->limit, from, now)) {
		w->limited++;
		if (rdv_log_limited_room())
			rdv_log_limited("stun-limit", "from=%s rate=%u",
					rdv_addr_str(from, a, sizeof(a)),
					rdv_cfg->lim.stun_rate);
		return;
	}
	if (r.to_port)
		sa_set_port(from, r.to_port);
	if (rdv_log_level >= RDV_LOG_DEBUG)
		rdv_log(RDV_LOG_DEBUG, "stun-binding",
			"from=%s classic=%d ip=%d port=%d worker=%u",
			rdv_addr_str(from, a, sizeof(a)), r.classic, r.ip,
			r.port, w->index);
	if (r.ip != s->ip || r.port != s->port) {
		if (sendto(w->socks[s->view][r.ip][r.port].fd, w->ans[i], r.len,
			   0, (struct sockaddr *)from, flen) < 0) {
			if (rdv_log_limited_room())
				rdv_log_limited("stun-send", "to=%s error=\"%s\"",
						rdv_addr_str(from, a, sizeof(a)),
						strerror(errno));
		} else {
			w->answers++;
		}
		return;
	}
	j = (*k)++;
	w->out_iov[j] = (struct iovec){ w->ans[i], r.len };
	w->out[j].msg_hdr = (struct msghdr){
		.msg_name = from, .msg_namelen = flen,
		.msg_iov = &w->out_iov[j], .msg_iovlen = 1,
	};
}

/*
 * Send the batch. A datagram the kernel refuses is logged and skipped;
 * a full socket (EAGAIN, ENOBUFS) drops the rest of the batch at once.
 */
static void send_batch(struct stun_worker *w, int fd, unsigned int k)
{
	char a[SIG_EP_STRLEN];
	unsigned int done = 0;
	int n, err;

	while (done < k) {
		n = sendmmsg(fd, w->out + done, k - done, 0);
		if (n > 0) {
			done += (unsigned int)n;
			w->answers += (unsigned int)n;
			continue;
		}
		err = n < 0 ? errno : EIO;
		if (rdv_log_limited_room())
			rdv_log_limited("stun-send", "to=%s error=\"%s\" dropped=%u",
					rdv_addr_str(w->out[done].msg_hdr.msg_name,
						     a, sizeof(a)),
					strerror(err),
					err == EAGAIN || err == ENOBUFS ?
					k - done : 1);
		if (err == EAGAIN || err == ENOBUFS)
			return;
		done++;
	}
}

static void sock_input(struct stun_worker *w, const struct stun_sock *s)
{
	unsigned int i, k, round;
	uint64_t now;
	int n;

	/* Bounded: one busy socket must not starve the others. */
	for (round = 0; round < STUN_ROUNDS; round++) {
		for (i = 0; i < STUN_BATCH; i++) {
			w->in_iov[i] = (struct iovec){ w->req[i], STUN_REQ_MAX };
			w->in[i].msg_hdr = (struct msghdr){
				.msg_name = &w->from[i],
				.msg_namelen = sizeof(w->from[i]),
				.msg_iov = &w->in_iov[i], .msg_iovlen = 1,
			};
		}
		n = recvmmsg(s->fd, w->in, STUN_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		/* One clock read for the batch: it came in at once. */
		now = now_ns();
		for (i = 0, k = 0; i < (unsigned int)n; i++)
			answer_one(w, s, i, now, &k);
		send_batch(w, s->fd, k);
		if (n < STUN_BATCH)
			return;
	}
}

static void *worker_run(void *arg)
{
	struct epoll_event ev[RDV_MAX_LISTEN * 4 + 1];
	struct stun_worker *w = arg;
	int i, n;

	for (;;) {
		n = epoll_wait(w->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])), -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rdv_log(RDV_LOG_ERR, "stun-worker", "worker=%u error=\"%s\"",
				w->index, strerror(errno));
			return NULL;
		}
		for (i = 0; i < n; i++) {
			if (!ev[i].data.ptr)
				return NULL;	/* rdv_stun_close() */
			sock_input(w, ev[i].data.ptr);
		}
		flush_counts(w);
	}
}

static int watch(int epfd, int fd, void *ptr)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ptr };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* 0: one per CPU this process may run on. */
static unsigned int workers_wanted(void)
{
	return rdv_cfg->stun_workers ? rdv_cfg->stun_workers :
	       rdv_cpus_usable(RDV_STUN_WORKERS_MAX);
}

/* Nothing open yet: what rdv_stun_close() may meet after a failure. */
static void worker_reset(struct stun_worker *w, unsigned int index)
{
	unsigned int i;
	int ip, port;

	w->index = index;
	w->epfd = w->stop_fd = -1;
	for (i = 0; i < RDV_MAX_LISTEN; i++)
		for (ip = 0; ip < 2; ip++)
			for (port = 0; port < 2; port++)
				w->socks[i][ip][port].fd = -1;
}

static int worker_init(struct stun_worker *w)
{
	w->limit = source_rate_new(rdv_cfg->lim.stun_rate);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!w->limit || w->epfd < 0 || w->stop_fd < 0 ||
	    watch(w->epfd, w->stop_fd, NULL))
		return -1;
	return 0;
}

/*
 * One grid socket, the same in every worker, bound in worker order so
 * that the steering program's index is the worker's. Then the program.
 */
static int open_grid_sock(unsigned int view, int ip, int port)
{
	const struct sockaddr_storage *ss = &views[view].local[ip][port];
	char a[SIG_EP_STRLEN];
	unsigned int i;

	/*
	 * Nobody may hold the port already, not even another socket that
	 * shares it (another view of ours, another process of our user):
	 * the group must be exactly our workers' sockets, in their order.
	 */
	if (n_workers > 1) {
		int probe = open_udp(ss, false);

		if (probe < 0)
			return -1;
		close(probe);
	}
	for (i = 0; i < n_workers; i++) {
		struct stun_sock *s = &workers[i].socks[view][ip][port];

		*s = (struct stun_sock){ .view = view, .ip = ip, .port = port };
		s->fd = open_udp(ss, n_workers > 1);
		if (s->fd < 0 || watch(workers[i].epfd, s->fd, s))
			return -1;
	}
	if (n_workers > 1 &&
	    rdv_stun_steer(workers[0].socks[view][ip][port].fd, ss->ss_family,
			   n_workers, &steer_key))
		/* Still served, but each worker limits a source on its own. */
		rdv_log(RDV_LOG_WARN, "stun-steer", "addr=%s error=\"%s\"",
			rdv_addr_str(ss, a, sizeof(a)), strerror(errno));
	rdv_log(RDV_LOG_INFO, "listen", "proto=udp service=stun addr=%s workers=%u",
		rdv_addr_str(ss, a, sizeof(a)), n_workers);
	return 0;
}

int rdv_stun_open(void)
{
	const struct sockaddr_storage *other;
	char name[16];
	unsigned int i;
	int ip, port, err;

	n_workers = workers_wanted();
	workers = calloc(n_workers, sizeof(*workers));
	if (!workers)
		return -1;
	for (i = 0; i < n_workers; i++)
		worker_reset(&workers[i], i);
	if (rdv_stun_steer_key(&steer_key))
		return -1;
	for (i = 0; i < n_workers; i++)
		if (worker_init(&workers[i]))
			return -1;
	for (i = 0; i < rdv_cfg->n_listen; i++) {
		struct rdv_stun_view *v = &views[i];

		other = other_of(&rdv_cfg->listen[i]);
		v->rfc5780 = other != NULL;
		for (ip = 0; ip < 2; ip++) {
			for (port = 0; port < 2; port++) {
				v->local[ip][port] = ip ? (other ? *other :
					rdv_cfg->listen[i]) : rdv_cfg->listen[i];
				sa_set_port(&v->local[ip][port], port ?
					 rdv_cfg->alt_port : rdv_cfg->stun_port);
				if ((ip || port) && !v->rfc5780)
					continue;
				if (open_grid_sock(i, ip, port))
					return -1;
			}
		}
	}
	/* The threads inherit the main thread's blocked signals. */
	for (i = 0; i < n_workers; i++) {
		err = pthread_create(&workers[i].thread, NULL, worker_run,
				     &workers[i]);
		if (err) {
			errno = err;
			return -1;
		}
		workers[i].running = true;
		snprintf(name, sizeof(name), "rdv-stun%u", i % 100);
		pthread_setname_np(workers[i].thread, name);
	}
	return 0;
}

void rdv_stun_close(void)
{
	const uint64_t one = 1;
	unsigned int i, v;
	int ip, port;

	if (!workers)
		return;
	for (i = 0; i < n_workers; i++)
		if (workers[i].running &&
		    write(workers[i].stop_fd, &one, sizeof(one)) == sizeof(one))
			pthread_join(workers[i].thread, NULL);
	for (i = 0; i < n_workers; i++) {
		struct stun_worker *w = &workers[i];

		flush_counts(w);
		for (v = 0; v < RDV_MAX_LISTEN; v++)
			for (ip = 0; ip < 2; ip++)
				for (port = 0; port < 2; port++)
					if (w->socks[v][ip][port].fd >= 0)
						close(w->socks[v][ip][port].fd);
		if (w->epfd >= 0)
			close(w->epfd);
		if (w->stop_fd >= 0)
			close(w->stop_fd);
		source_rate_free(w->limit);
	}
	free(workers);
	workers = NULL;
	n_workers = 0;
}
