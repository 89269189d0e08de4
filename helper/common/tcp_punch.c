// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TCP hole punching: the mapping query and the simultaneous open
 * (tcp_punch.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sig_auth.h"
#include "sockaddr.h"
#include "stun.h"
#include "tcp_punch.h"

/* After a RST or an ICMP error, the next connect() waits this long. */
#define RETRY_MS	200
#define PROOF_LEN	32	/* HMAC-SHA256 */
/* The proof's own time, when the connection came late. */
#define PROVE_MS	3000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* TTL (IPv4) or hop limit (IPv6) of what fd sends; -1: the route's. */
static int set_ttl(int fd, int family, int ttl)
{
	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
				  sizeof(ttl));
	return setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
}

int tcp_punch_socket(const struct sockaddr_storage *local)
{
	int one = 1;
	int fd = socket(local->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)local, sa_len(local))) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Wait for events on fd until deadline: >0 ready, 0 timed out, -1. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* A non-blocking connect() under way: 0 once done, or -1 with errno
 * (ETIMEDOUT at deadline). */
static int finish_connect(int fd, int64_t deadline)
{
	socklen_t len = sizeof(int);
	int err = 0, r;

	r = wait_fd(fd, POLLOUT, deadline);
	if (r <= 0) {
		errno = r ? errno : ETIMEDOUT;
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -1;
	errno = err;
	return err ? -1 : 0;
}

/* Connect a non-blocking fd: 0, or -1 with errno (ETIMEDOUT at deadline). */
static int connect_by(int fd, const struct sockaddr_storage *to, int64_t deadline)
{
	if (!connect(fd, (const struct sockaddr *)to, sa_len(to)))
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	return finish_connect(fd, deadline);
}

/*
 * Bytes *done..len of buf into or out of a non-blocking fd, as far as it
 * goes now: 0 (all moved, or fd would block), or -1 with errno
 * (ECONNRESET: the other end closed).
 */
static int io_now(int fd, uint8_t *buf, size_t len, size_t *done, bool out)
{
	ssize_t n;

	while (*done < len) {
		n = out ? send(fd, buf + *done, len - *done, MSG_NOSIGNAL) :
			  recv(fd, buf + *done, len - *done, 0);
		if (n > 0) {
			*done += (size_t)n;
		} else if (!n) {
			errno = ECONNRESET;
			return -1;
		} else if (errno == EAGAIN) {
			return 0;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}

/* Exactly len bytes in or out of a non-blocking fd, by the deadline. */
static int io_all(int fd, void *buf, size_t len, bool out, int64_t deadline)
{
	size_t done = 0;
	int n;

	while (!io_now(fd, buf, len, &done, out)) {
		if (done == len)
			return 0;
		n = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
		if (n <= 0) {
			errno = n ? errno : ETIMEDOUT;
			return -1;
		}
	}
	return -1;
}

static void to_sockaddr(const struct stun_addr *a, struct sockaddr_storage *ss)
{
	sa_set(ss, a->family == STUN_AF_IPV6 ? AF_INET6 : AF_INET, a->ip,
	       a->port);
}

int tcp_punch_mapping(const struct sockaddr_storage *local,
		      const struct sockaddr_storage *server, int timeout_ms,
		      struct sockaddr_storage *mapped)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint8_t req[STUN_HDR_LEN], tid[STUN_TID_LEN], ans[512];
	struct stun_builder b;
	struct stun_msg m;
	size_t body;
	int fd, err = EPROTO;

	if (sig_random(tid, sizeof(tid)))
		return -1;
	stun_build_start(&b, req, sizeof(req), STUN_BINDING_REQUEST, tid);
	if (stun_build_end(&b) != STUN_HDR_LEN) {
		errno = EINVAL;
		return -1;
	}
	fd = tcp_punch_socket(local);
	if (fd < 0)
		return -1;
	if (set_nonblock(fd, true) || connect_by(fd, server, deadline) ||
	    io_all(fd, req, sizeof(req), true, deadline) ||
	    io_all(fd, ans, STUN_HDR_LEN, false, deadline)) {
		err = errno;
		goto out;
	}
	body = (size_t)ans[2] << 8 | ans[3];
	if (STUN_HDR_LEN + body > sizeof(ans) ||
	    io_all(fd, ans + STUN_HDR_LEN, body, false, deadline)) {
		err = STUN_HDR_LEN + body > sizeof(ans) ? EPROTO : errno;
		goto out;
	}
	if (stun_parse(&m, ans, STUN_HDR_LEN + body) != STUN_OK ||
	    m.type != STUN_BINDING_SUCCESS || memcmp(m.tid, tid, sizeof(tid)) ||
	    !(m.seen & STUN_SEEN_XOR_MAPPED))
		goto out;
	to_sockaddr(&m.xor_mapped, mapped);
	err = 0;
out:
	/* Close with a RST: no TIME_WAIT holds (port, server), so the next
	 * query from this port can come at once. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 },
		   sizeof(struct linger));
	close(fd);
	errno = err;
	return err ? -1 : 0;
}

#define NONCE_LEN	16

/*
 * What one direction sends to prove the session secret: an HMAC of its
 * label and both sides' fresh nonces (controlling's first), so that a
 * proof seen in one attempt is worth nothing in the next.
 */
static int proof(const struct tcp_punch *p, bool controlling,
		 const uint8_t nonces[2][NONCE_LEN], uint8_t out[PROOF_LEN])
{
	const char *label = controlling ? "nfpunch-tcp controlling" :
					  "nfpunch-tcp controlled";
	uint8_t msg[32 + 2 * NONCE_LEN];
	unsigned int len = PROOF_LEN;
	size_t n = strlen(label);

	memcpy(msg, label, n);
	memcpy(msg + n, nonces, 2 * NONCE_LEN);
	return HMAC(EVP_sha256(), p->secret, (int)p->secret_len, msg,
		    n + 2 * NONCE_LEN, out, &len) && len == PROOF_LEN ? 0 : -1;
}

/*
 * Each side sends a nonce, then its direction's proof over both nonces,
 * and checks the other's: our own proof coming back (a reflector, a
 * connection to ourselves) is no proof, nor is one from another attempt.
 * Without blocking, so that every connection of a window proves itself
 * at once: a listener that is not the peer and stalls holds up only its
 * own port.
 */
struct proving {
	uint8_t nonces[2][NONCE_LEN];
	uint8_t out[NONCE_LEN + PROOF_LEN];	/* our nonce, then our proof */
	uint8_t in[NONCE_LEN + PROOF_LEN];	/* theirs */
	uint8_t theirs[PROOF_LEN];		/* what their proof must be */
	size_t out_len, sent, got;
	int64_t until;
};

static int proving_start(struct proving *v, const struct tcp_punch *p)
{
	memset(v, 0, sizeof(*v));
	if (sig_random(v->nonces[p->controlling ? 0 : 1], NONCE_LEN))
		return -1;
	memcpy(v->out, v->nonces[p->controlling ? 0 : 1], NONCE_LEN);
	v->out_len = NONCE_LEN;
	v->until = now_ms() + PROVE_MS;
	return 0;
}

/* As far as fd allows now: 1 proven, 0 not yet, -1 with errno. */
static int proving_step(int fd, const struct tcp_punch *p, struct proving *v)
{
	int them = p->controlling ? 1 : 0;

	if (io_now(fd, v->out, v->out_len, &v->sent, true) ||
	    io_now(fd, v->in, sizeof(v->in), &v->got, false))
		return -1;
	if (v->got >= NONCE_LEN && v->out_len == NONCE_LEN) {
		memcpy(v->nonces[them], v->in, NONCE_LEN);
		if (proof(p, p->controlling, v->nonces, v->out + NONCE_LEN) ||
		    proof(p, !p->controlling, v->nonces, v->theirs)) {
			errno = EINVAL;
			return -1;
		}
		v->out_len = sizeof(v->out);
		return proving_step(fd, p, v);	/* our proof goes out now */
	}
	if (v->got == sizeof(v->in) && CRYPTO_memcmp(v->in + NONCE_LEN, v->theirs, PROOF_LEN)) {
		errno = EACCES;
		return -1;
	}
	if (v->got == sizeof(v->in) && v->sent == v->out_len)
		return 1;
	if (now_ms() >= v->until) {
		errno = ETIMEDOUT;
		return -1;
	}
	return 0;
}

/*
 * A connect() from our port to to, under way: the socket, or -1 (refused
 * now).
 */
static int start_connect(const struct tcp_punch *p, const struct sockaddr_storage *to,
			 struct tcp_punch_result *res)
{
	int fd = tcp_punch_socket(&p->local), err;

	if (fd < 0)
		return -1;
	res->attempts++;
	if (set_nonblock(fd, true) ||
	    (p->prime_ttl && set_ttl(fd, p->local.ss_family, p->prime_ttl)) ||
	    (connect(fd, (const struct sockaddr *)to, sa_len(to)) &&
	     errno != EINPROGRESS)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Has the peer's SYN reached fd (no longer SYN_SENT)? */
static bool peer_syn_seen(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return !getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) &&
	       (ti.tcpi_state == TCP_SYN_RECV || ti.tcpi_state == TCP_ESTABLISHED);
}

/*
 * Priming keeps the short TTL on every SYN (they open our NAT and die
 * before the peer's), until the peer's SYN has come through: then our
 * answers must reach it. The same socket must carry the whole exchange:
 * conntrack checks that the SYN-ACK continues the sequence of the SYN
 * that opened the NAT. Two things userspace cannot do: drop the
 * router's ICMP time exceeded, which aborts a SYN_SENT socket, and keep
 * the SYN-ACK sent the moment the peer's SYN comes (in softirq, at the
 * short TTL) from dying: dead, it still moves the NAT's entry on to
 * SYN_RECV, where the peer's next SYN meets a RST. So prime_ttl works
 * only where something else does those; the module's TCP prime does the
 * whole priming instead (nfp_tcp_prime_start(), prime_ttl 0).
 */
int tcp_punch_connect(const struct tcp_punch *p, struct tcp_punch_result *res)
{
	int64_t start = now_ms(), deadline = start + p->timeout_ms;
	unsigned int ports = p->peer_ports ? p->peer_ports : 1, i;
	unsigned int step = p->peer_step ? p->peer_step : 1;
	unsigned int live = ports;	/* ports not yet shown to be others' */
	struct sockaddr_storage to[TCP_PUNCH_PORTS_MAX];
	struct proving v[TCP_PUNCH_PORTS_MAX];
	struct pollfd pf[TCP_PUNCH_PORTS_MAX];
	bool primed[TCP_PUNCH_PORTS_MAX] = { false };
	bool connected[TCP_PUNCH_PORTS_MAX] = { false };
	int64_t next[TCP_PUNCH_PORTS_MAX];
	int fd = -1, err = 0, last_err = EACCES, n, r;
	uint8_t addr[16];
	uint16_t port;
	socklen_t len;

	*res = (struct tcp_punch_result){ .ms = -1 };
	port = sa_get(&p->peer, addr);
	if (p->secret_len < 16 || p->secret_len > 64 || p->prime_ttl < 0 ||
	    p->prime_ttl > 255 || p->timeout_ms <= 0 ||
	    ports > TCP_PUNCH_PORTS_MAX || step > 65535 ||
	    port + (uint64_t)step * (ports - 1) > 65535) {
		errno = EINVAL;
		return -1;
	}
	/* A window: one connection under way to each port, all from ours. */
	for (i = 0; i < ports; i++) {
		sa_set(&to[i], p->peer.ss_family, addr, (uint16_t)(port + step * i));
		pf[i] = (struct pollfd){ .fd = -1, .events = POLLOUT };
		next[i] = start;
	}
	while (fd < 0 && live) {
		int64_t now = now_ms(), until = now < deadline ? deadline : INT64_MAX;
		bool watch = false, busy = false;

		for (i = 0; i < ports; i++) {
			if (pf[i].fd < 0 && now >= next[i] && now < deadline) {
				/* Fails only here (bind, TTL, route): nothing to retry. */
				pf[i].fd = start_connect(p, &to[i], res);
				if (pf[i].fd < 0)
					goto fail;
				primed[i] = p->prime_ttl > 0;
			}
			if (pf[i].fd < 0 && now < deadline && next[i] < until)
				until = next[i];
			/* A connection made at the last moment still gets to prove. */
			if (connected[i]) {
				busy = true;
				if (v[i].until < until)
					until = v[i].until;
			}
			watch |= primed[i];
		}
		if (now >= deadline && !busy)
			break;
		if (watch && now + 5 < until)
			until = now + 5;	/* watch for the peer's SYN */
		n = poll(pf, ports, (int)(until - now > 0 ? until - now : 0));
		if (n < 0 && errno != EINTR)
			goto fail;
		for (i = 0; i < ports && fd < 0; i++) {
			if (pf[i].fd < 0)
				continue;
			if (primed[i] && peer_syn_seen(pf[i].fd)) {
				if (set_ttl(pf[i].fd, p->local.ss_family, -1))
					goto fail;
				primed[i] = false;
			}
			if (!connected[i]) {
				if (n <= 0 || !pf[i].revents)
					continue;
				len = sizeof(err);
				if (getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
					/* A RST or an ICMP error: the peer's side is not open yet. */
					res->refused++;
					next[i] = now_ms() + RETRY_MS;
					goto drop;
				}
				if ((p->prime_ttl && set_ttl(pf[i].fd, p->local.ss_family, -1)) ||
				    proving_start(&v[i], p))
					goto fail;
				connected[i] = true;
				primed[i] = false;
			}
			r = proving_step(pf[i].fd, p, &v[i]);
			if (r > 0) {
				fd = pf[i].fd;
				pf[i].fd = -1;
				break;
			}
			if (!r) {
				pf[i].events = POLLIN | (v[i].sent < v[i].out_len ? POLLOUT : 0);
				continue;
			}
			if (errno == EINVAL)
				goto fail;
			/*
			 * Connected, but not to the peer: something else listens
			 * on that port of its address (a window's other ports are
			 * others' mappings). That port is done; the rest go on.
			 */
			last_err = errno;
			res->unproven++;
			next[i] = INT64_MAX;
			live--;
drop:
			close(pf[i].fd);
			pf[i] = (struct pollfd){ .fd = -1, .events = POLLOUT };
			primed[i] = connected[i] = false;
		}
	}
	for (i = 0; i < ports; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	if (fd < 0) {
		errno = live ? ETIMEDOUT : last_err;
		return -1;
	}
	if (set_nonblock(fd, false)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	res->ms = (int)(now_ms() - start);
	return fd;
fail:
	err = errno;
	for (i = 0; i < ports; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	errno = err;
	return -1;
}
