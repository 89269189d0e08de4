// SPDX-License-Identifier: GPL-2.0
/* Many signaling clients on one epoll loop: see sig_clients.h. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sig_clients.h"
#include "sig_tls.h"

static int ep = -1;
static struct ssl_ctx_st *tls_ctx;
static const char *tls_name;
static const uint8_t *secret;
static size_t secret_len;
static const struct sc_ops *ops;

void sc_setup(int epfd, struct ssl_ctx_st *tls, const char *name,
	      const uint8_t *s, size_t len, const struct sc_ops *o)
{
	ep = epfd;
	tls_ctx = tls;
	tls_name = name;
	secret = s;
	secret_len = len;
	ops = o;
}

int sc_server_parse(const char *s, struct sockaddr_in *sa)
{
	struct sig_ep e;

	if (sig_ep_parse(s, strlen(s), &e) || e.family != AF_INET)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(e.port);
	memcpy(&sa->sin_addr, e.addr, 4);
	return 0;
}

double sc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void watch(struct sc_client *c)
{
	struct epoll_event ev = { .data.u32 = c->token };
	bool wr = c->st == SC_CONNECTING || c->out_len ||
		  (c->tls && (c->st == SC_HANDSHAKE ? sig_tls_want_write(c->tls) :
			      sig_tls_read_wants_write(c->tls)));

	ev.events = wr ? EPOLLIN | EPOLLOUT : EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

void sc_drop(struct sc_client *c, const char *why)
{
	uint32_t token = c->token;

	if (ops->dropped)
		ops->dropped(c, why);
	if (c->tls)
		sig_tls_free(c->tls);
	close(c->fd);
	*c = (struct sc_client){ .fd = -1, .st = SC_IDLE, .token = token };
}

static void flush(struct sc_client *c)
{
	ssize_t n;

	while (c->out_len) {
		n = c->tls ? sig_tls_write(c->tls, c->out, c->out_len) :
			     send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			sc_drop(c, "write");
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	watch(c);
}

void sc_send(struct sc_client *c, const struct sig_msg *m)
{
	int n = sig_format(m, c->out + c->out_len, sizeof(c->out) - c->out_len);

	if (c->fd < 0)
		return;
	if (n < 0) {
		sc_drop(c, "output full");
		return;
	}
	c->out_len += (size_t)n;
	flush(c);
}

int sc_start(struct sc_client *c, const char *id, uint32_t token,
	     const struct sockaddr_in *local, const struct sockaddr_in *server)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = token };
	int one = 1;

	*c = (struct sc_client){ .st = SC_CONNECTING, .token = token };
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	/* The port is connect()'s choice, with the whole 4-tuple in view. */
	setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((local && bind(c->fd, (const struct sockaddr *)local, sizeof(*local))) ||
	    (connect(c->fd, (const struct sockaddr *)server, sizeof(*server)) &&
	     errno != EINPROGRESS) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev)) {
		close(c->fd);
		c->fd = -1;
		c->st = SC_IDLE;
		return -1;
	}
	return 0;
}

static void on_line(struct sc_client *c, const char *line, size_t len, double now)
{
	struct sig_msg m, r;

	if (sig_parse(&m, line, len)) {
		sc_drop(c, "malformed line");
		return;
	}
	switch (m.type) {
	case SIG_HELLO:
		sig_init(&r, SIG_REGISTER);
		snprintf(r.id, sizeof(r.id), "%s", c->id);
		sig_register_mac(secret, secret_len, m.nonce, c->binding, r.id, r.mac);
		r.has |= SIG_K_ID | SIG_K_MAC;
		c->st = SC_REGISTERING;
		sc_send(c, &r);
		break;
	case SIG_REGISTERED:
		c->st = SC_READY;
		if (ops->registered)
			ops->registered(c, now);
		break;
	case SIG_PING:
		sig_init(&r, SIG_PONG);
		sc_send(c, &r);
		break;
	default:
		if (ops->message)
			ops->message(c, &m, now);
	}
}

static void input(struct sc_client *c, double now)
{
	size_t i, start;
	ssize_t n;

	for (;;) {
		n = c->tls ? sig_tls_read(c->tls, c->in + c->in_len,
					  sizeof(c->in) - c->in_len) :
			     recv(c->fd, c->in + c->in_len,
				  sizeof(c->in) - c->in_len, 0);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			sc_drop(c, n ? "read" : "closed by the server");
			return;
		}
		c->in_len += (size_t)n;
		for (i = 0, start = 0; i < c->in_len; i++) {
			if (c->in[i] != '\n')
				continue;
			on_line(c, c->in + start, i - start, now);
			if (c->fd < 0)
				return;
			start = i + 1;
		}
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		if (c->in_len == sizeof(c->in)) {
			sc_drop(c, "line too long");
			return;
		}
	}
	watch(c);
}

void sc_event(struct sc_client *c, double now)
{
	socklen_t len = sizeof(int);
	int err = 0, r;

	if (c->st == SC_CONNECTING) {
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			sc_drop(c, strerror(err));
			return;
		}
		c->st = SC_HELLO;
		if (tls_ctx) {
			c->tls = sig_tls_new(tls_ctx, c->fd, false, tls_name);
			if (!c->tls) {
				sc_drop(c, "tls setup");
				return;
			}
			c->st = SC_HANDSHAKE;
		}
	}
	if (c->st == SC_HANDSHAKE) {
		r = sig_tls_handshake(c->tls);
		if (r < 0) {
			sc_drop(c, sig_tls_error(c->tls));
			return;
		}
		if (!r) {
			watch(c);
			return;
		}
		sig_tls_exporter(c->tls, c->binding);
		c->st = SC_HELLO;
	}
	if (c->out_len)
		flush(c);
	if (c->fd >= 0)
		input(c, now);
}
