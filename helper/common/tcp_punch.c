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

/* Exactly len bytes in or out of a non-blocking fd, by the deadline. */
static int io_all(int fd, void *buf, size_t len, bool out, int64_t deadline)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = out ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (!n) {
			errno = ECONNRESET;
			return -1;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		n = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
		if (n <= 0) {
			errno = n ? errno : ETIMEDOUT;
			return -1;
		}
	}
	return 0;
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
 */
static int prove(int fd, const struct tcp_punch *p, int64_t deadline)
{
	uint8_t nonces[2][NONCE_LEN], ours[PROOF_LEN], theirs[PROOF_LEN],
		got[PROOF_LEN];
	int me = p->controlling ? 0 : 1;

	if (sig_random(nonces[me], NONCE_LEN))
		return -1;
	if (io_all(fd, nonces[me], NONCE_LEN, true, deadline) ||
	    io_all(fd, nonces[!me], NONCE_LEN, false, deadline))
		return -1;
	if (proof(p, p->controlling, nonces, ours) ||
	    proof(p, !p->controlling, nonces, theirs)) {
		errno = EINVAL;
		return -1;
	}
	if (io_all(fd, ours, sizeof(ours), true, deadline) ||
	    io_all(fd, got, sizeof(got), false, deadline))
		return -1;
	if (CRYPTO_memcmp(got, theirs, sizeof(got))) {
		errno = EACCES;
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
	struct pollfd pf[TCP_PUNCH_PORTS_MAX];
	struct sockaddr_storage to[TCP_PUNCH_PORTS_MAX];
	bool primed[TCP_PUNCH_PORTS_MAX] = { false };
	int64_t next[TCP_PUNCH_PORTS_MAX];
	uint8_t addr[16];
	int fd = -1, err = 0, n;
	uint16_t port;
	socklen_t len;

	*res = (struct tcp_punch_result){ .ms = -1 };
	port = sa_get(&p->peer, addr);
	if (p->secret_len < 16 || p->secret_len > 64 || p->prime_ttl < 0 ||
	    p->prime_ttl > 255 || p->timeout_ms <= 0 ||
	    ports > TCP_PUNCH_PORTS_MAX || port + ports - 1 > 65535) {
		errno = EINVAL;
		return -1;
	}
	/* A window: one connection under way to each port, all from ours. */
	for (i = 0; i < ports; i++) {
		sa_set(&to[i], p->peer.ss_family, addr, (uint16_t)(port + i));
		pf[i] = (struct pollfd){ .fd = -1, .events = POLLOUT };
		next[i] = start;
	}
	while (fd < 0) {
		int64_t now = now_ms(), until = deadline;
		bool watch = false;

		if (now >= deadline)
			break;
		for (i = 0; i < ports; i++) {
			if (pf[i].fd < 0 && now >= next[i]) {
				/* Fails only here (bind, TTL, route): nothing to retry. */
				pf[i].fd = start_connect(p, &to[i], res);
				if (pf[i].fd < 0)
					goto fail;
				primed[i] = p->prime_ttl > 0;
			}
			if (pf[i].fd < 0 && next[i] < until)
				until = next[i];
			watch |= primed[i];
		}
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
			if (n <= 0 || !pf[i].revents)
				continue;
			len = sizeof(err);
			if (!getsockopt(pf[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) && !err) {
				fd = pf[i].fd;
				pf[i].fd = -1;
				break;
			}
			/* A RST or an ICMP error: the peer's side is not open yet. */
			res->refused++;
			close(pf[i].fd);
			pf[i].fd = -1;
			next[i] = now_ms() + RETRY_MS;
		}
	}
	for (i = 0; i < ports; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	if (fd < 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	/* A connection made at the last moment still gets time to prove. */
	if (deadline < now_ms() + PROVE_MS)
		deadline = now_ms() + PROVE_MS;
	if ((p->prime_ttl && set_ttl(fd, p->local.ss_family, -1)) ||
	    prove(fd, p, deadline) || set_nonblock(fd, false)) {
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
