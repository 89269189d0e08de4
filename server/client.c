// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Signaling connections: accept, the challenge, line framing, per-client
 * rate and output limits, timeouts. A client that breaks a rule is told
 * why (when it can still be told) and dropped; nothing it sends can block
 * the loop or make us buffer more than the limits allow.
 *
 * With TLS, a connection whose first byte starts a STUN message is a
 * STUN over TCP one instead (stun_tcp.h): answered here, never signaling.
 *
 * Clients are closed at the end of an event round, never inside a
 * handler, so a handler may kill any client (its peer included) safely.
 *
 * Until a client has registered, everything about it is an unknown
 * host's doing: its connections are limited per source address (in all,
 * unregistered, and new ones per second), and what it makes us log goes
 * through the rate-limited log.
 */
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cluster.h"
#include "metrics.h"
#include "sig_tls.h"
#include "source_count.h"
#include "source_rate.h"
#include "stun_tcp.h"

struct rdv_listener {
	struct rdv_io io;
	bool paused;		/* until the next tick, after an accept error */
};

static struct rdv_listener listeners[RDV_MAX_LISTEN];
static struct rdv_client *clients, *dead_clients;
static void *by_id;
static unsigned int n_clients, n_handshakes, n_stun;
static struct source_rate *connects;
static struct ssl_ctx_st *tls_ctx;	/* NULL: --plaintext-testing-only */
/*
 * A descriptor kept for the moment the process has none left: closing it
 * lets us accept (and close) a pending connection, so the listener does
 * not stay readable and spin the loop.
 */
static int reserve_fd = -1;
/* An unknown id's REGISTER is checked against this: a known id's work. */
static uint8_t nobody_secret[32];

static int id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rdv_client *)a)->id,
		      ((const struct rdv_client *)b)->id);
}

unsigned int rdv_clients_count(void)
{
	return n_clients;
}

unsigned int rdv_clients_handshaking(void)
{
	return n_handshakes;
}

unsigned int rdv_clients_stun(void)
{
	return n_stun;
}

const char *rdv_client_id(const struct rdv_client *c)
{
	return c->id;
}

const struct sockaddr_storage *rdv_client_addr(const struct rdv_client *c)
{
	return &c->addr;
}

void rdv_clients_each(void (*fn)(struct rdv_client *c, void *arg), void *arg)
{
	struct rdv_client *c;

	for (c = clients; c; c = c->next)
		if (c->id[0] && !c->dead)
			fn(c, arg);
}

struct rdv_client *rdv_client_by_id(const char *id)
{
	struct rdv_client key, **found;

	snprintf(key.id, sizeof(key.id), "%s", id);
	found = tfind(&key, &by_id, id_cmp);
	return found && !(*found)->dead ? *found : NULL;
}

int rdv_listen_open(void)
{
	char a[SIG_EP_STRLEN];
	unsigned int i;
	int one = 1;

	if (!rdv_cfg->plaintext) {
		char err[200];

		tls_ctx = sig_tls_server_ctx(rdv_cfg->tls_cert, rdv_cfg->tls_key,
					     err, sizeof(err));
		if (!tls_ctx) {
			rdv_log(RDV_LOG_ERR, "tls", "error=\"%s\"", err);
			return -1;
		}
	}
	connects = source_rate_new(rdv_cfg->lim.ip_connects);
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!connects || reserve_fd < 0 ||
	    sig_random(nobody_secret, sizeof(nobody_secret)))
		return -1;
	for (i = 0; i < rdv_cfg->n_listen; i++) {
		struct sockaddr_storage ss = rdv_cfg->listen[i];
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);

		sa_set_port(&ss, rdv_cfg->signal_port);
		listeners[i].io.kind = RDV_LISTENER;
		listeners[i].io.fd = fd;
		if (fd < 0)
			return -1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				   sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sa_len(&ss)) < 0 ||
		    listen(fd, 512) < 0) {
			rdv_log(RDV_LOG_ERR, "bind", "proto=tcp addr=%s error=\"%s\"",
				rdv_addr_str(&ss, a, sizeof(a)), strerror(errno));
			return -1;
		}
		if (rdv_epoll_add(&listeners[i].io, EPOLLIN))
			return -1;
		rdv_log(RDV_LOG_INFO, "listen", "proto=tcp service=signal addr=%s",
			rdv_addr_str(&ss, a, sizeof(a)));
	}
	return 0;
}

/* Wait for input, and for room to write while anything waits to go out. */
static void client_wait(struct rdv_client *c)
{
	bool out = c->out_len || (c->tls && sig_tls_want_write(c->tls));

	if (c->dead)
		return;
	if (c->tls && sig_tls_read_wants_write(c->tls))
		rdv_epoll_mod(&c->io, EPOLLOUT);
	else
		rdv_epoll_mod(&c->io, EPOLLIN | (out ? EPOLLOUT : 0));
}

static void client_flush(struct rdv_client *c)
{
	ssize_t n;

	while (c->out_len && !c->handshaking) {
		n = c->tls ? sig_tls_write(c->tls, c->out, c->out_len) :
		    send(c->io.fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	client_wait(c);
}

/* Queue n bytes for c and write what the socket takes: 0, or -1 (killed). */
static int client_queue(struct rdv_client *c, const void *buf, size_t n)
{
	size_t cap;
	char *p;

	if (c->dead)
		return -1;
	if (c->out_len + n > rdv_cfg->lim.max_outbuf) {
		rdv_client_kill(c, "slow-reader");
		return -1;
	}
	if (c->out_len + n > c->out_cap) {
		cap = c->out_len + n + SIG_LINE_MAX;
		p = realloc(c->out, cap);
		if (!p) {
			rdv_client_kill(c, "out-of-memory");
			return -1;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, n);
	c->out_len += n;
	client_flush(c);
	return 0;
}

int rdv_client_send(struct rdv_client *c, const struct sig_msg *m)
{
	char line[SIG_LINE_MAX + 1];
	int n = sig_format(m, line, sizeof(line));

	if (c->dead || n < 0)
		return -1;
	rdv_log(RDV_LOG_DEBUG, "send", "id=%s verb=%s", c->id[0] ? c->id : "-",
		sig_verb_name(m->type));
	if (rdv_client_is_stub(c))
		return rdv_cluster_deliver(c, line, (size_t)n);
	return client_queue(c, line, (size_t)n);
}

static void send_error(struct rdv_client *c, const char *code)
{
	struct sig_msg m;

	sig_init(&m, SIG_ERROR);
	snprintf(m.code, sizeof(m.code), "%s", code);
	m.has |= SIG_K_CODE;
	rdv_client_send(c, &m);
}

void rdv_client_kill(struct rdv_client *c, const char *reason)
{
	char a[SIG_EP_STRLEN];

	if (c->dead)
		return;
	if (rdv_client_is_stub(c)) {
		/* No connection: it goes with the round. */
		rdv_cluster_stub_unlist(c);
		c->dead = true;
		c->next_dead = dead_clients;
		dead_clients = c;
		return;
	}
	rdv_count_reason(RDV_R_DISCONNECTS, reason);
	if (c->id[0])
		rdv_log(RDV_LOG_INFO, "disconnect", "id=%s addr=%s reason=%s",
			c->id, rdv_addr_str(&c->addr, a, sizeof(a)), reason);
	else
		rdv_log_limited("disconnect", "id=- addr=%s reason=%s",
				rdv_addr_str(&c->addr, a, sizeof(a)), reason);
	/*
	 * Only marked here: the caller may be inside session code that is
	 * still using the sessions this client is in. reap() ends them.
	 */
	c->dead = true;
	c->next_dead = dead_clients;
	dead_clients = c;
}

/* A connection starts (1) or ends (-1) being an unregistered one. */
static void count_handshake(struct rdv_client *c, int delta)
{
	c->src->handshakes += (unsigned int)delta;
	if (c->site)
		c->site->handshakes += (unsigned int)delta;
	n_handshakes += (unsigned int)delta;
}

/*
 * Its one timer: the register deadline until it registers, then the idle
 * one, checked against the last line only when it comes due (a line does
 * not move the timer: that would cost a heap operation per line).
 */
static uint64_t idle_due(const struct rdv_client *c)
{
	return c->last_rx + rdv_cfg->lim.idle_timeout * 1000ull + 1;
}

static uint64_t register_due(const struct rdv_client *c)
{
	return c->since + rdv_cfg->lim.register_timeout * 1000ull + 1;
}

/* The idle deadline holds before REGISTER too, if it is the earlier. */
static uint64_t client_due(const struct rdv_client *c)
{
	if (c->id[0] || idle_due(c) < register_due(c))
		return idle_due(c);
	return register_due(c);
}

static void client_deadline(struct rdv_timer *t, uint64_t now)
{
	struct rdv_client *c = rdv_container_of(t, struct rdv_client, timer);

	if (c->dead)
		return;
	if (now < client_due(c)) {
		if (rdv_timer_arm(t, client_due(c)))
			rdv_client_kill(c, "out-of-memory");
		return;
	}
	rdv_client_kill(c, !c->id[0] && now >= register_due(c) ?
			"register-timeout" : "idle-timeout");
}

static void client_free(struct rdv_client *c)
{
	struct rdv_client **found;

	if (c->id[0]) {
		found = tfind(c, &by_id, id_cmp);
		if (found && *found == c)
			tdelete(c, &by_id, id_cmp);
	}
	client_flush(c);	/* a last word, e.g. the reason, if it fits */
	if (c->tls) {
		sig_tls_close(c->tls);
		sig_tls_free(c->tls);
	}
	/*
	 * Closing with unread input makes the kernel send a reset, and the
	 * client would lose that last word: say FIN, drop what is queued.
	 */
	shutdown(c->io.fd, SHUT_WR);
	while (recv(c->io.fd, c->in, sizeof(c->in), MSG_DONTWAIT) > 0)
		;
	close(c->io.fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	n_clients--;
	if (c->stun)
		n_stun--;
	c->src->conns--;
	if (c->site)
		c->site->conns--;
	if (!c->id[0])
		count_handshake(c, -1);
	rdv_timer_cancel(&c->timer);
	source_count_put(c->src);
	if (c->site)
		source_count_put(c->site);
	free(c->out);
	free(c);
}

/*
 * Between handlers: end the dead clients' sessions (which may tell their
 * peers, and a peer that cannot take it dies too: the loop goes on until
 * no new one is queued), then free them.
 */
static void reap(void)
{
	struct rdv_client *c, *gone = NULL;

	while ((c = dead_clients)) {
		dead_clients = c->next_dead;
		if (c->id[0] && rdv_client_is_stub(c) && c->revoked) {
			/* Revoked on its instance: nothing of it stays here either. */
			rdv_sig_client_revoked(c);
			rdv_relays_revoke(c->id);
		} else if (c->id[0]) {
			rdv_sig_client_gone(c);
		}
		if (c->id[0] && !rdv_client_is_stub(c))
			rdv_cluster_gone(c);
		c->next_dead = gone;
		gone = c;
	}
	while ((c = gone)) {
		gone = c->next_dead;
		if (rdv_client_is_stub(c))
			free(c);	/* nothing else is its */
		else
			client_free(c);
	}
}

static void send_hello(struct rdv_client *c)
{
	struct sig_msg hello;

	sig_init(&hello, SIG_HELLO);
	memcpy(hello.nonce, c->nonce, sizeof(hello.nonce));
	hello.has |= SIG_K_NONCE;
	rdv_client_send(c, &hello);
}

/*
 * accept4() failed with err: 1 to go on accepting, 0 to stop for this
 * round. Out of descriptors, the pending connection is taken with the
 * reserve one and closed; on other errors the listener rests a second.
 */
static int accept_failed(struct rdv_listener *l, int err)
{
	char a[SIG_EP_STRLEN];
	struct sockaddr_storage addr;
	socklen_t alen = sizeof(addr);
	int fd;

	switch (err) {
	case EAGAIN:
	case EINTR:
		return 0;
	case ECONNABORTED:
	case EPERM:		/* a firewall said no */
		return 1;
	case EMFILE:
	case ENFILE:
		if (reserve_fd < 0)
			break;
		close(reserve_fd);
		fd = accept4(l->io.fd, (struct sockaddr *)&addr, &alen,
			     SOCK_CLOEXEC);
		if (fd >= 0) {
			rdv_count_reason(RDV_R_REFUSED, "fd-limit");
			rdv_log_limited("refuse", "addr=%s reason=fd-limit",
					rdv_addr_str(&addr, a, sizeof(a)));
			close(fd);
		}
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (reserve_fd < 0)
			break;
		/* Without a pending connection the listener is not readable. */
		return fd >= 0;
	}
	rdv_log_limited("accept", "error=\"%s\" action=pause-1s", strerror(err));
	l->paused = true;
	rdv_epoll_mod(&l->io, 0);
	return 0;
}

/*
 * Why a new connection from addr is refused, or NULL. An IPv6 site (/48)
 * may hold four times what one /64 may: its many /64s cannot add up to
 * the whole server. Unregistered connections never take more than
 * --max-handshakes of the --max-clients slots, so users that register
 * always find room.
 */
static const char *admit(const struct sockaddr_storage *addr,
			 struct source_count **src, struct source_count **site)
{
	const struct rdv_limits *lim = &rdv_cfg->lim;

	if (!source_rate_take(connects, addr, rdv_now_ms() * 1000000))
		return "ip-connects";
	if (n_clients >= lim->max_clients)
		return "max-clients";
	if (n_handshakes >= lim->max_handshakes)
		return "max-handshakes";
	*src = source_count_get(addr, false);
	if (!*src)
		return "out-of-memory";
	if (addr->ss_family == AF_INET6) {
		*site = source_count_get(addr, true);
		if (!*site)
			return "out-of-memory";
		if ((*site)->conns >= 4 * lim->ip_clients)
			return "ip-clients";
		if ((*site)->handshakes >= 4 * lim->ip_handshakes)
			return "ip-handshakes";
	}
	if ((*src)->conns >= lim->ip_clients)
		return "ip-clients";
	if ((*src)->handshakes >= lim->ip_handshakes)
		return "ip-handshakes";
	return NULL;
}

void rdv_listen_accept(struct rdv_io *io)
{
	struct source_count *src = NULL, *site = NULL;
	struct sockaddr_storage addr;
	struct rdv_client *c;
	char a[SIG_EP_STRLEN];
	const char *why;
	socklen_t alen;
	int fd, budget;

	for (budget = 0; budget < 64; budget++) {
		alen = sizeof(addr);
		fd = accept4(io->fd, (struct sockaddr *)&addr, &alen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (accept_failed((struct rdv_listener *)io, errno))
				continue;
			return;
		}
		src = site = NULL;
		why = admit(&addr, &src, &site);
		c = why ? NULL : calloc(1, sizeof(*c));
		if (!c) {
			rdv_count_reason(RDV_R_REFUSED, why ? why : "out-of-memory");
			rdv_log_limited("refuse", "addr=%s reason=%s",
					rdv_addr_str(&addr, a, sizeof(a)),
					why ? why : "out-of-memory");
			if (src)
				source_count_put(src);
			if (site)
				source_count_put(site);
			close(fd);
			continue;
		}
		c->src = src;
		c->site = site;
		src->conns++;
		if (site)
			site->conns++;
		count_handshake(c, 1);
		c->io.kind = RDV_CLIENT;
		c->io.fd = fd;
		c->addr = addr;
		c->since = c->last_rx = c->tokens_at = rdv_now_ms();
		c->timer.fire = client_deadline;
		c->tokens = 2.0 * rdv_cfg->lim.msg_rate;
		c->next = clients;
		if (clients)
			clients->prev = c;
		clients = c;
		n_clients++;
		if (rdv_epoll_add(&c->io, EPOLLIN) || sig_random(c->nonce,
							  sizeof(c->nonce)) ||
		    rdv_timer_arm(&c->timer, client_due(c))) {
			rdv_client_kill(c, "setup-failed");
			continue;
		}
		rdv_log(RDV_LOG_DEBUG, "connect", "addr=%s",
			rdv_addr_str(&addr, a, sizeof(a)));
		if (tls_ctx) {
			/* TLS or STUN: the client's first byte tells. */
			c->sniffing = true;
			continue;	/* HELLO once the handshake is done */
		}
		send_hello(c);
	}
}

static void do_register(struct rdv_client *c, const struct sig_msg *m)
{
	struct rdv_client **slot, *old;
	const uint8_t *secret;
	char a[SIG_EP_STRLEN];
	struct sig_msg ok;
	size_t slen = 0;
	bool known;

	if (c->id[0]) {
		send_error(c, "already-registered");
		return;
	}
	secret = rdv_users_secret(m->id, &slen);
	known = secret != NULL;
	if (!known) {
		secret = nobody_secret;
		slen = sizeof(nobody_secret);
	}
	if (!sig_register_check(secret, slen, c->nonce, c->binding, m->id,
				m->mac) || !known) {
		rdv_count(RDV_C_AUTH_FAILURES, 1);
		rdv_log_limited("auth-failed", "id=%s addr=%s", m->id,
				rdv_addr_str(&c->addr, a, sizeof(a)));
		send_error(c, "auth");
		rdv_client_kill(c, "auth-failed");
		return;
	}
	/* The nonce is spent: a second REGISTER cannot reuse it. */
	memset(c->nonce, 0, sizeof(c->nonce));
	snprintf(c->id, sizeof(c->id), "%s", m->id);
	c->version = (m->has & SIG_K_V) ? m->version : 0;
	count_handshake(c, -1);
	slot = tsearch(c, &by_id, id_cmp);
	if (!slot) {
		c->id[0] = '\0';
		count_handshake(c, 1);
		rdv_client_kill(c, "out-of-memory");
		return;
	}
	if (*slot != c) {
		/* The same id again (a reconnect): the newest connection wins. */
		old = *slot;
		*slot = c;
		rdv_client_kill(old, "replaced");
	}
	rdv_count(RDV_C_REGISTERED, 1);
	/* From now on the idle deadline counts. */
	if (rdv_timer_arm(&c->timer, client_due(c))) {
		rdv_client_kill(c, "out-of-memory");
		return;
	}
	rdv_log(RDV_LOG_INFO, "register", "id=%s addr=%s", c->id,
		rdv_addr_str(&c->addr, a, sizeof(a)));
	rdv_cluster_registered(c);
	sig_init(&ok, SIG_REGISTERED);
	snprintf(ok.id, sizeof(ok.id), "%s", c->id);
	rdv_ep_from_ss(&ok.observed, &c->addr);
	ok.has |= SIG_K_ID | SIG_K_OBSERVED;
	rdv_client_send(c, &ok);
}

static bool rate_ok(struct rdv_client *c, uint64_t now)
{
	double burst = 2.0 * rdv_cfg->lim.msg_rate;

	c->tokens += (double)(now - c->tokens_at) * rdv_cfg->lim.msg_rate / 1000;
	c->tokens_at = now;
	if (c->tokens > burst)
		c->tokens = burst;
	if (c->tokens < 1)
		return false;
	c->tokens -= 1;
	return true;
}

static void client_line(struct rdv_client *c, const char *line, size_t len)
{
	char a[SIG_EP_STRLEN];
	struct sig_msg m;
	int err;

	if (len && line[len - 1] == '\r')
		len--;
	if (!rate_ok(c, c->last_rx)) {
		rdv_log_limited("flood", "id=%s addr=%s", c->id[0] ? c->id : "-",
				rdv_addr_str(&c->addr, a, sizeof(a)));
		send_error(c, "rate-limit");
		rdv_client_kill(c, "rate-limit");
		return;
	}
	err = sig_parse(&m, line, len);
	if (err) {
		rdv_log_limited("bad-message", "id=%s addr=%s error=\"%s\"",
				c->id[0] ? c->id : "-",
				rdv_addr_str(&c->addr, a, sizeof(a)),
				sig_strerror(err));
		send_error(c, "malformed");
		rdv_client_kill(c, "malformed");
		return;
	}
	if (m.type == SIG_PING) {
		sig_init(&m, SIG_PONG);
		rdv_client_send(c, &m);
	} else if (m.type == SIG_PONG) {
		/* liveness only: last_rx is already updated */
	} else if (m.type == SIG_REGISTER) {
		do_register(c, &m);
	} else if (!c->id[0]) {
		send_error(c, "not-registered");
		rdv_client_kill(c, "not-registered");
	} else {
		rdv_sig_input(c, &m);
	}
}

/* The TLS handshake went on: 1 when done (HELLO sent), 0 to wait, -1. */
static int client_handshake(struct rdv_client *c)
{
	char a[SIG_EP_STRLEN];
	int r = sig_tls_handshake(c->tls);

	if (r < 0) {
		rdv_log_limited("tls-failed", "addr=%s error=\"%s\"",
				rdv_addr_str(&c->addr, a, sizeof(a)),
				sig_tls_error(c->tls));
		rdv_client_kill(c, "tls-failed");
		return -1;
	}
	if (!r) {
		client_wait(c);
		return 0;
	}
	c->handshaking = false;
	if (sig_tls_exporter(c->tls, c->binding)) {
		rdv_client_kill(c, "tls-failed");
		return -1;
	}
	send_hello(c);
	return 1;
}

/*
 * Read what there is into c->in: >0 bytes taken, 0 when the socket must
 * be waited for (epoll set up again), -1 when c was killed.
 */
static ssize_t client_fill(struct rdv_client *c)
{
	char a[SIG_EP_STRLEN];
	ssize_t n = c->tls ? sig_tls_read(c->tls, c->in + c->in_len,
					  sizeof(c->in) - c->in_len) :
		    recv(c->io.fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (n && c->tls)
			rdv_log_limited("tls-failed", "addr=%s error=\"%s\"",
					rdv_addr_str(&c->addr, a, sizeof(a)),
					sig_tls_error(c->tls));
		/* A STUN client may close with a RST (SO_LINGER 0: no
		 * TIME_WAIT on its punch port): that is a close too. */
		rdv_client_kill(c, n == 0 || (c->stun && errno == ECONNRESET) ?
				"closed" : "read-error");
		return -1;
	}
	if (n < 0) {
		client_wait(c);
		return 0;
	}
	c->last_rx = rdv_now_ms();
	c->in_len += (size_t)n;
	return n;
}

/*
 * What the connection speaks, from its first byte (stun_tcp.h): 1 once
 * known, 0 to wait, -1 when it is killed. Only peeked at: a TLS client's
 * byte is the handshake's.
 */
static int client_sniff(struct rdv_client *c)
{
	char a[SIG_EP_STRLEN];
	socklen_t len = sizeof(c->local);
	uint8_t first;
	ssize_t n = recv(c->io.fd, &first, 1, MSG_PEEK);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		rdv_client_kill(c, n == 0 ? "closed" : "read-error");
		return -1;
	}
	if (n < 0) {
		client_wait(c);
		return 0;
	}
	c->sniffing = false;
	switch (rdv_stun_tcp_sniff(first)) {
	case RDV_FIRST_TLS:
		c->tls = sig_tls_new(tls_ctx, c->io.fd, true, NULL);
		if (!c->tls) {
			rdv_client_kill(c, "out-of-memory");
			return -1;
		}
		c->handshaking = true;
		return 1;
	case RDV_FIRST_STUN:
		if (getsockname(c->io.fd, (struct sockaddr *)&c->local, &len)) {
			rdv_client_kill(c, "read-error");
			return -1;
		}
		c->stun = true;
		n_stun++;
		return 1;
	default:
		rdv_log_limited("bad-first-byte", "addr=%s byte=0x%02x",
				rdv_addr_str(&c->addr, a, sizeof(a)), first);
		rdv_client_kill(c, "not-tls-or-stun");
		return -1;
	}
}

/*
 * A STUN connection: Binding requests back to back, each answered on
 * the connection (its source is what the client wants to learn). It is
 * an unregistered connection: counted and limited as one, and closed at
 * the register deadline.
 */
static void client_stun_read(struct rdv_client *c)
{
	uint8_t ans[512];
	char a[SIG_EP_STRLEN];
	const char *why;
	size_t alen;
	ssize_t m;

	while (!c->dead) {
		if (client_fill(c) <= 0)
			return;
		while (!c->dead &&
		       (m = rdv_stun_tcp_frame((const uint8_t *)c->in, c->in_len,
					       sizeof(c->in)))) {
			if (m < 0) {
				rdv_count(RDV_C_STUN_IGNORED, 1);
				rdv_log_limited("stun-reject", "proto=tcp addr=%s reason=\"not STUN or too long\"",
						rdv_addr_str(&c->addr, a, sizeof(a)));
				rdv_client_kill(c, "not-stun");
				return;
			}
			if (!rate_ok(c, c->last_rx)) {
				rdv_count(RDV_C_STUN_LIMITED, 1);
				rdv_log_limited("flood", "id=- addr=%s proto=stun",
						rdv_addr_str(&c->addr, a, sizeof(a)));
				rdv_client_kill(c, "rate-limit");
				return;
			}
			alen = rdv_stun_tcp_answer((const uint8_t *)c->in, (size_t)m,
						   &c->addr, &c->local, ans,
						   sizeof(ans), &why);
			if (why)
				rdv_log_limited("stun-reject", "proto=tcp addr=%s reason=\"%s\"%s",
						rdv_addr_str(&c->addr, a, sizeof(a)),
						why, alen ? " answer=error" : "");
			if (alen && !client_queue(c, ans, alen)) {
				rdv_count(RDV_C_STUN_ANSWERS, 1);
				rdv_log(RDV_LOG_DEBUG, "stun-binding", "proto=tcp addr=%s",
					rdv_addr_str(&c->addr, a, sizeof(a)));
			} else if (!alen) {
				rdv_count(RDV_C_STUN_IGNORED, 1);
			}
			memmove(c->in, c->in + m, c->in_len - (size_t)m);
			c->in_len -= (size_t)m;
		}
	}
}

/*
 * Everything there is to read: TLS may hold records the socket no longer
 * shows, so read until it says to wait.
 */
static void client_read(struct rdv_client *c)
{
	size_t start, i;

	if (c->sniffing && client_sniff(c) <= 0)
		return;
	if (c->stun) {
		client_stun_read(c);
		return;
	}
	if (c->handshaking && client_handshake(c) <= 0)
		return;
	while (!c->dead) {
		if (client_fill(c) <= 0)
			return;
		start = 0;
		for (i = 0; i < c->in_len && !c->dead; i++) {
			if (c->in[i] != '\n')
				continue;
			client_line(c, c->in + start, i - start);
			start = i + 1;
		}
		if (c->dead)
			return;
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		if (c->in_len == sizeof(c->in)) {
			send_error(c, "line-too-long");
			rdv_client_kill(c, "line-too-long");
			return;
		}
	}
}

void rdv_client_event(struct rdv_io *io, uint32_t events)
{
	struct rdv_client *c = (struct rdv_client *)io;

	if (c->dead)
		return;
	if (events & (EPOLLERR | EPOLLHUP)) {
		rdv_client_kill(c, "hangup");
		return;
	}
	/* A TLS read may wait for the socket to be writable, and the reverse. */
	if ((events & EPOLLOUT) && !c->handshaking)
		client_flush(c);
	if ((events & EPOLLIN) || c->handshaking ||
	    (c->tls && (events & EPOLLOUT)))
		client_read(c);
}

void rdv_client_revoke(const char *id)
{
	struct rdv_client *c = rdv_client_by_id(id);

	/* Relays outlive their sessions' connections: by id, all of them. */
	rdv_relays_revoke(id);
	rdv_cluster_revoke(id);
	if (!c)
		return;
	c->revoked = true;
	rdv_sig_client_revoked(c);
	send_error(c, "revoked");
	rdv_client_kill(c, "revoked");
}

void rdv_clients_tick(void)
{
	unsigned int i;

	/* The reserve may have been lost to a failed reopen: try again. */
	if (reserve_fd < 0)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < rdv_cfg->n_listen; i++) {
		if (!listeners[i].paused)
			continue;
		listeners[i].paused = false;
		rdv_epoll_mod(&listeners[i].io, EPOLLIN);
	}

	/* Deadlines are client_deadline()'s, through the timer heap. */
	reap();
}

/* Called after every event round. */
void rdv_clients_reap(void)
{
	reap();
}

void rdv_clients_shutdown(void)
{
	unsigned int i;

	while (clients) {
		rdv_client_kill(clients, "shutdown");
		reap();
	}
	tdestroy(by_id, NULL);
	by_id = NULL;
	for (i = 0; i < rdv_cfg->n_listen; i++)
		if (listeners[i].io.fd >= 0)
			close(listeners[i].io.fd);
	if (reserve_fd >= 0)
		close(reserve_fd);
	source_rate_free(connects);
	sig_tls_ctx_free(tls_ctx);
}
