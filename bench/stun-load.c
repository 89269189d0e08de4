// SPDX-License-Identifier: GPL-2.0
/*
 * stun-load - Binding Requests per second a STUN server answers.
 *
 *   stun-load ADDR PORT SECONDS [SOCKETS [WINDOW]]
 *
 * SOCKETS client sockets (default 4) each keep WINDOW requests (default
 * 32) in flight: every answer sends the next request. A socket that heard
 * nothing for 20 ms has lost its window (a full queue, a rate limit) and
 * sends a new one, so losses cost time, not the run. The first half
 * second is not counted. Prints "answers N seconds S per_second R".
 * One thread: run it on a CPU of its own (taskset) and the server on
 * another, and the figure is the server's per core.
 */
#define _GNU_SOURCE	/* recvmmsg, sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKS	64
#define MAX_WINDOW	256
#define WARMUP		0.5
#define LOST_AFTER	0.020

struct client {
	int fd;
	unsigned int inflight;
	double last_rx;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* n Binding Requests (20 bytes, a fresh transaction id each) in one call. */
static void send_requests(struct client *c, unsigned int n)
{
	static uint32_t seq;
	uint8_t req[MAX_WINDOW][20];
	struct iovec iov[MAX_WINDOW];
	struct mmsghdr m[MAX_WINDOW];
	unsigned int i;
	int sent;

	for (i = 0; i < n; i++) {
		uint32_t w[5] = { htonl(0x00010000), htonl(0x2112a442),
				  htonl(++seq), htonl((uint32_t)c->fd), 0 };

		memcpy(req[i], w, sizeof(w));
		iov[i] = (struct iovec){ req[i], sizeof(req[i]) };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
						      .msg_iovlen = 1 } };
	}
	sent = sendmmsg(c->fd, m, n, 0);
	if (sent > 0)
		c->inflight += (unsigned int)sent;
}

/* Answers waiting on c: counted, and as many requests sent again. */
static unsigned int read_answers(struct client *c, double now)
{
	uint8_t buf[MAX_WINDOW][128];
	struct iovec iov[MAX_WINDOW];
	struct mmsghdr m[MAX_WINDOW];
	unsigned int i, ok = 0;
	int n;

	for (i = 0; i < MAX_WINDOW; i++) {
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		m[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i],
						      .msg_iovlen = 1 } };
	}
	n = recvmmsg(c->fd, m, MAX_WINDOW, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	for (i = 0; i < (unsigned int)n; i++)
		if (m[i].msg_len >= 20 && buf[i][0] == 0x01 && buf[i][1] == 0x01)
			ok++;
	c->last_rx = now;
	c->inflight = c->inflight > (unsigned int)n ? c->inflight - (unsigned int)n : 0;
	send_requests(c, (unsigned int)n);
	return ok;
}

static int open_client(const struct sockaddr_storage *srv, socklen_t len)
{
	int fd = socket(srv->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int sz = 1 << 20;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (connect(fd, (const struct sockaddr *)srv, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct client cl[MAX_SOCKS];
	struct sockaddr_storage srv = { 0 };
	struct epoll_event ev[MAX_SOCKS];
	unsigned int socks = 4, window = 32, i;
	double secs, start, now, counted_from;
	unsigned long long answers = 0;
	socklen_t len;
	int ep, n;

	if (argc < 4 || argc > 6) {
		fprintf(stderr, "usage: stun-load ADDR PORT SECONDS [SOCKETS [WINDOW]]\n");
		return 2;
	}
	secs = atof(argv[3]);
	if (argc > 4)
		socks = (unsigned int)atoi(argv[4]);
	if (argc > 5)
		window = (unsigned int)atoi(argv[5]);
	if (secs <= 0 || !socks || socks > MAX_SOCKS || !window || window > MAX_WINDOW) {
		fprintf(stderr, "stun-load: SECONDS > 0, SOCKETS 1..%d, WINDOW 1..%d\n",
			MAX_SOCKS, MAX_WINDOW);
		return 2;
	}
	if (inet_pton(AF_INET, argv[1], &((struct sockaddr_in *)&srv)->sin_addr) == 1) {
		srv.ss_family = AF_INET;
		((struct sockaddr_in *)&srv)->sin_port = htons((uint16_t)atoi(argv[2]));
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[1],
			     &((struct sockaddr_in6 *)&srv)->sin6_addr) == 1) {
		srv.ss_family = AF_INET6;
		((struct sockaddr_in6 *)&srv)->sin6_port = htons((uint16_t)atoi(argv[2]));
		len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "stun-load: bad address %s\n", argv[1]);
		return 2;
	}
	ep = epoll_create1(0);
	if (ep < 0)
		return 1;
	start = now_s();
	for (i = 0; i < socks; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		cl[i] = (struct client){ .fd = open_client(&srv, len), .last_rx = start };
		if (cl[i].fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &e)) {
			perror("stun-load: socket");
			return 1;
		}
		send_requests(&cl[i], window);
	}
	counted_from = start + WARMUP;
	for (;;) {
		now = now_s();
		if (now - start >= secs + WARMUP)
			break;
		n = epoll_wait(ep, ev, MAX_SOCKS, 5);
		if (n < 0 && errno != EINTR)
			return 1;
		now = now_s();
		for (i = 0; n > 0 && i < (unsigned int)n; i++) {
			unsigned int got = read_answers(&cl[ev[i].data.u32], now);

			if (now >= counted_from)
				answers += got;
		}
		for (i = 0; i < socks; i++)
			if (now - cl[i].last_rx > LOST_AFTER) {
				cl[i].inflight = 0;
				cl[i].last_rx = now;
				send_requests(&cl[i], window);
			}
	}
	printf("answers %llu seconds %.3f per_second %.0f\n", answers, secs,
	       answers / secs);
	return 0;
}
