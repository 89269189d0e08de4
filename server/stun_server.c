// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The STUN binding service's sockets. Per listen address one socket on
 * the STUN port; with a second address of the same family (RFC 5780) the
 * grid of both addresses times both ports, because CHANGE-REQUEST asks
 * for the answer to come from the other IP, the other port, or both.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "rdv.h"
#include "stun_answer.h"
#include "source_rate.h"

struct rdv_stun_sock {
	struct rdv_io io;	/* first: epoll hands us this */
	unsigned int view;
	int ip, port;
};

static struct rdv_stun_view views[RDV_MAX_LISTEN];
static struct rdv_stun_sock socks[RDV_MAX_LISTEN][2][2];
static struct source_rate *limit;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static int open_udp(const struct sockaddr_storage *ss)
{
	char a[SIG_EP_STRLEN];
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
			SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, sa_len(ss)) < 0) {
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

int rdv_stun_open(void)
{
	const struct sockaddr_storage *other;
	char a[SIG_EP_STRLEN];
	unsigned int i;
	int ip, port;

	limit = source_rate_new(rdv_cfg->lim.stun_rate);
	if (!limit)
		return -1;
	for (i = 0; i < rdv_cfg->n_listen; i++) {
		struct rdv_stun_view *v = &views[i];

		other = other_of(&rdv_cfg->listen[i]);
		v->rfc5780 = other != NULL;
		for (ip = 0; ip < 2; ip++) {
			for (port = 0; port < 2; port++) {
				struct rdv_stun_sock *s = &socks[i][ip][port];

				s->io.fd = -1;
				v->local[ip][port] = ip ? (other ? *other :
					rdv_cfg->listen[i]) : rdv_cfg->listen[i];
				sa_set_port(&v->local[ip][port], port ?
					 rdv_cfg->alt_port : rdv_cfg->stun_port);
				if ((ip || port) && !v->rfc5780)
					continue;
				s->io.kind = RDV_STUN;
				s->view = i;
				s->ip = ip;
				s->port = port;
				s->io.fd = open_udp(&v->local[ip][port]);
				if (s->io.fd < 0 || rdv_epoll_add(&s->io, EPOLLIN))
					return -1;
				rdv_log(RDV_LOG_INFO, "listen", "proto=udp service=stun addr=%s",
					rdv_addr_str(&v->local[ip][port], a, sizeof(a)));
			}
		}
	}
	return 0;
}

void rdv_stun_input(struct rdv_io *io)
{
	struct rdv_stun_sock *s = (struct rdv_stun_sock *)io;
	const struct rdv_stun_view *v = &views[s->view];
	uint8_t req[1500], out[512];
	struct sockaddr_storage from;
	struct rdv_stun_reply r;
	char a[SIG_EP_STRLEN];
	socklen_t flen;
	ssize_t n;
	int budget;

	/* Bounded: one busy socket must not starve the others. */
	for (budget = 0; budget < 64; budget++) {
		flen = sizeof(from);
		n = recvfrom(io->fd, req, sizeof(req), 0,
			     (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		rdv_stun_answer(req, (size_t)n, &from, v, s->ip, s->port,
				out, sizeof(out), &r);
		if (!r.len)
			rdv_count(RDV_C_STUN_IGNORED, 1);
		if (r.drop)
			rdv_log_limited("stun-reject", "from=%s len=%zd reason=\"%s\"%s",
					rdv_addr_str(&from, a, sizeof(a)), n,
					r.drop, r.len ? " answer=error" : "");
		if (!r.len)
			continue;
		if (!source_rate_take(limit, &from, now_ns())) {
			rdv_count(RDV_C_STUN_LIMITED, 1);
			rdv_log_limited("stun-limit", "from=%s rate=%u",
					rdv_addr_str(&from, a, sizeof(a)),
					rdv_cfg->lim.stun_rate);
			continue;
		}
		if (r.to_port)
			sa_set_port(&from, r.to_port);
		if (sendto(socks[s->view][r.ip][r.port].io.fd, out, r.len, 0,
			   (struct sockaddr *)&from, flen) < 0) {
			rdv_log_limited("stun-send", "to=%s error=\"%s\"",
					rdv_addr_str(&from, a, sizeof(a)),
					strerror(errno));
			continue;
		}
		rdv_count(RDV_C_STUN_ANSWERS, 1);
		rdv_log(RDV_LOG_DEBUG, "stun-binding", "from=%s classic=%d ip=%d port=%d",
			rdv_addr_str(&from, a, sizeof(a)), r.classic, r.ip, r.port);
	}
}

void rdv_stun_close(void)
{
	unsigned int i;
	int ip, port;

	for (i = 0; i < rdv_cfg->n_listen; i++)
		for (ip = 0; ip < 2; ip++)
			for (port = 0; port < 2; port++)
				if (socks[i][ip][port].io.fd >= 0)
					close(socks[i][ip][port].io.fd);
	source_rate_free(limit);
	limit = NULL;
}

