// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The link to rendezvousd: connect, answer the challenge, stay registered
 * with pings, and when the link breaks come back with exponential backoff
 * and jitter (so a restarted server is not hit by every client at once).
 * Established paths do not depend on it: they live in the kernel.
 *
 * Signaling runs over TLS 1.3 (sig_tls.h): the server is known by a CA
 * file or a pinned key, and the registration is bound to the session.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "punchd.h"
#include "sig_tls.h"
#include "sockaddr.h"
#include "tcp.h"

#define PING_MS		20000
#define DEAD_MS		60000
#define BACKOFF_MIN_MS	500
#define BACKOFF_MAX_MS	30000

static int fd = -1;
static bool registered, connecting;
static uint32_t server_version;		/* its HELLO's v */
static char in[SIG_LINE_MAX];
static size_t in_len;
static uint64_t next_try, last_rx, last_ping;
static unsigned int backoff_ms = BACKOFF_MIN_MS;
static unsigned int server_idx;		/* of pd_cfg.servers */
static unsigned int tried;		/* servers failed since we registered */
static char last_server[INET6_ADDRSTRLEN];	/* we were registered with */
static struct sockaddr_storage server;
static struct ssl_ctx_st *tls_ctx;	/* NULL: --plaintext-testing-only */
static struct sig_tls *tls;
static bool handshaking;
static uint8_t binding[SIG_BINDING_LEN];	/* zeros without TLS */

int pd_link_setup(void)
{
	char err[200];

	if (pd_cfg.plaintext)
		return 0;
	tls_ctx = sig_tls_client_ctx(pd_cfg.tls_ca, pd_cfg.tls_pin, err,
				     sizeof(err));
	if (!tls_ctx) {
		fprintf(stderr, "punchd: TLS: %s\n", err);
		return -1;
	}
	return 0;
}

void pd_link_teardown(void)
{
	if (tls) {
		sig_tls_free(tls);
		tls = NULL;
	}
	sig_tls_ctx_free(tls_ctx);
	tls_ctx = NULL;
}

short pd_link_events(void)
{
	bool out = connecting || (tls && sig_tls_want_write(tls));

	if (tls && sig_tls_read_wants_write(tls))
		return POLLOUT;
	return (short)(POLLIN | (out ? POLLOUT : 0));
}

int pd_link_fd(void)
{
	return fd;
}

bool pd_link_up(void)
{
	return registered;
}

/* A v=1 server refuses a message with a key it does not know. */
bool pd_link_relay_first(void)
{
	return registered && server_version >= 2;
}

bool pd_link_tcp(void)
{
	return registered && server_version >= 3;
}

bool pd_link_trickle(void)
{
	return registered && server_version >= 4;
}

bool pd_link_release(void)
{
	return registered && server_version >= 5;
}

bool pd_link_renew(void)
{
	return registered && server_version >= 6;
}

bool pd_link_reattach(void)
{
	return registered && server_version >= 7;
}

unsigned int pd_link_rtt_ms(void)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (!registered || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return (ti.tcpi_rtt + 999) / 1000;
}

int pd_server_sockaddr(struct sockaddr_storage *ss, uint16_t port)
{
	return sa_parse(ss, pd_cfg.server, port);
}

static void ss_to_nfp(struct nfp_endpoint *ep, const struct sockaddr_storage *ss)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = ss->ss_family;
	ep->port = sa_get(ss, ep->addr);
}

int pd_server_stun(struct nfp_endpoint *ep)
{
	struct sockaddr_storage ss;

	if (pd_server_sockaddr(&ss, pd_cfg.stun_port) < 0)
		return -1;
	ss_to_nfp(ep, &ss);
	return 0;
}

int pd_link_local(struct nfp_endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	ss_to_nfp(ep, &ss);
	ep->port = pd_cfg.port;
	return 0;
}

/* Close the link; the caller decides when to try again, and where. */
static void link_drop(void)
{
	if (tls) {
		sig_tls_close(tls);
		sig_tls_free(tls);
		tls = NULL;
	}
	handshaking = false;
	close(fd);
	fd = -1;
	in_len = 0;
	if (registered)
		pd_peers_link_lost();
	pd_tcp_link_lost();
	registered = connecting = false;
}

static void link_close(const char *why)
{
	unsigned int jitter, delay;

	if (fd < 0)
		return;
	link_drop();
	/*
	 * Another instance of the cluster next, at once; the backoff grows
	 * once every one of them has failed since we were last registered.
	 */
	server_idx = (server_idx + 1) % pd_cfg.n_servers;
	strcpy(pd_cfg.server, pd_cfg.servers[server_idx]);
	delay = ++tried < pd_cfg.n_servers ? BACKOFF_MIN_MS : backoff_ms;
	/* Backoff with +-25% jitter. */
	if (sig_random(&jitter, sizeof(jitter)))
		jitter = 0;
	next_try = pd_now_ms() + delay * 3 / 4 + jitter % (delay / 2 + 1);
	pd_log("server-lost", "reason=%s next=%s retry_ms=%llu", why, pd_cfg.server,
	       (unsigned long long)(next_try - pd_now_ms()));
	if (tried >= pd_cfg.n_servers)
		backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			     backoff_ms * 2;
}

void pd_link_restart(const char *why)
{
	if (fd >= 0) {
		link_drop();
		pd_log("server-lost", "reason=%s next=%s retry_ms=0", why, pd_cfg.server);
	}
	/* A new network: no reason to wait before trying it. */
	backoff_ms = BACKOFF_MIN_MS;
	next_try = pd_now_ms();
}

int pd_link_send(const struct sig_msg *m)
{
	char line[SIG_LINE_MAX + 1];
	int n = sig_format(m, line, sizeof(line));

	if (fd < 0 || n < 0 || connecting || handshaking)
		return -1;
	/*
	 * Lines are small and the socket buffer is large: a short write
	 * means the server stopped reading, and the link is useless.
	 */
	if ((tls ? sig_tls_write(tls, line, (size_t)n) :
	     send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT)) != n) {
		link_close("write-failed");
		return -1;
	}
	return 0;
}

static void link_open(void)
{
	struct sockaddr_storage ss;
	int len = pd_server_sockaddr(&ss, pd_cfg.signal_port);

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	pd_mark_socket(fd);
	if (fd < 0) {
		next_try = pd_now_ms() + BACKOFF_MAX_MS;
		return;
	}
	server = ss;
	connecting = true;
	last_rx = pd_now_ms();
	if (connect(fd, (struct sockaddr *)&ss, (socklen_t)len) &&
	    errno != EINPROGRESS)
		link_close(strerror(errno));
}

static void on_line(const char *line, size_t len)
{
	struct sig_msg m, reg;
	int err = sig_parse(&m, line, len);

	if (err) {
		pd_log("server-bad-message", "error=\"%s\"", sig_strerror(err));
		link_close("malformed");
		return;
	}
	switch (m.type) {
	case SIG_HELLO:
		server_version = m.version;
		sig_init(&reg, SIG_REGISTER);
		snprintf(reg.id, sizeof(reg.id), "%s", pd_cfg.id);
		if (sig_register_mac(pd_cfg.secret, (size_t)pd_cfg.secret_len,
				     m.nonce, binding, pd_cfg.id, reg.mac)) {
			link_close("hmac-failed");
			return;
		}
		reg.has |= SIG_K_ID | SIG_K_MAC;
		/* Older servers take no v here; newer ones route TCP calls by it. */
		if (m.version >= 3) {
			reg.version = SIG_VERSION;
			reg.has |= SIG_K_V;
		}
		pd_link_send(&reg);
		break;
	case SIG_REGISTERED: {
		char obs[SIG_EP_STRLEN];

		registered = true;
		backoff_ms = BACKOFF_MIN_MS;
		tried = 0;
		/* Another instance than last time: discover the NAT with it. */
		if (last_server[0] && strcmp(last_server, pd_cfg.server))
			pd_nat_network_changed();
		strcpy(last_server, pd_cfg.server);
		pd_log("registered", "id=%s server=%s observed=%s", m.id,
		       pd_cfg.server, sig_ep_format(&m.observed, obs, sizeof(obs)));
		pd_own_mapping_registered(&m.observed);
		pd_peers_registered();
		break;
	}
	case SIG_PING:
		sig_init(&m, SIG_PONG);
		pd_link_send(&m);
		break;
	case SIG_PONG:
		break;
	case SIG_ERROR:
		if (!registered) {
			pd_log("register-failed", "code=%s", m.code);
			link_close(m.code);
			return;
		}
		pd_peers_signal(&m);
		break;
	default:
		pd_peers_signal(&m);
	}
}

/* The TCP connect finished: 0, or -1 with the link closed. */
static int connected(void)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		link_close(strerror(err));
		return -1;
	}
	connecting = false;
	memset(binding, 0, sizeof(binding));
	if (!tls_ctx)
		return 0;
	tls = sig_tls_new(tls_ctx, fd, false, pd_cfg.tls_name[0] ?
			  pd_cfg.tls_name : pd_cfg.server);
	if (!tls) {
		link_close("tls-setup");
		return -1;
	}
	handshaking = true;
	return 0;
}

/* 1 when the TLS handshake is done, 0 to wait, -1 with the link closed. */
static int handshake(void)
{
	int r = sig_tls_handshake(tls);

	if (r < 0) {
		pd_log("server-tls", "error=\"%s\"", sig_tls_error(tls));
		link_close("tls-failed");
		return -1;
	}
	if (r && sig_tls_exporter(tls, binding)) {
		link_close("tls-failed");
		return -1;
	}
	handshaking = !r;
	return r;
}

void pd_link_input(void)
{
	size_t start, i;
	ssize_t n;

	if (connecting && connected())
		return;
	if (handshaking && handshake() <= 0)
		return;
	/* TLS may hold records the socket no longer shows: read them all. */
	while (fd >= 0) {
		n = tls ? sig_tls_read(tls, in + in_len, sizeof(in) - in_len) :
		    recv(fd, in + in_len, sizeof(in) - in_len, 0);
		if (n <= 0) {
			char why[160];

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			/* Copied: closing frees the TLS object that holds it. */
			snprintf(why, sizeof(why), "%s", !n ? "closed" : tls ?
				 sig_tls_error(tls) : strerror(errno));
			link_close(why);
			return;
		}
		last_rx = pd_now_ms();
		in_len += (size_t)n;
		start = 0;
		for (i = 0; i < in_len && fd >= 0; i++) {
			if (in[i] != '\n')
				continue;
			on_line(in + start, i - start);
			start = i + 1;
		}
		if (fd < 0)
			return;
		memmove(in, in + start, in_len - start);
		in_len -= start;
		if (in_len == sizeof(in)) {
			link_close("line-too-long");
			return;
		}
	}
}

void pd_link_tick(uint64_t now, uint64_t *next)
{
	struct sig_msg ping;

	if (fd < 0) {
		if (now >= next_try)
			link_open();
		else if (next_try < *next)
			*next = next_try;
		return;
	}
	if (now - last_rx > DEAD_MS || (!registered && now - last_rx > 10000)) {
		link_close("timeout");
		return;
	}
	if (registered && now - last_ping >= PING_MS) {
		sig_init(&ping, SIG_PING);
		pd_link_send(&ping);
		last_ping = now;
	}
	if (now + 1000 < *next)
		*next = now + 1000;
}
