/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCP hole punching (issue 18), the part that needs no kernel module:
 * learn a local port's TCP mapping (STUN over TCP, RFC 8489 section 6.2),
 * then open a connection to a peer behind a NAT.
 *
 * Linux NATs punish the wrong order for TCP as for UDP: a SYN that
 * reaches a plain masquerade gateway before anything left from behind
 * it is answered with a RST by the gateway itself, and conntrack keeps
 * an entry for it, so the peer's own SYN then leaves from another port.
 * Hence priming: the side that starts first sends its SYNs with a TTL
 * that crosses its own NAT and dies at the router beyond it, so its NAT
 * expects the peer while nothing reaches the peer's NAT; the other side
 * connects as usual, its SYN finds the way open, and the primed socket
 * turns to full TTL as soon as that SYN has come (simultaneous open:
 * conntrack SYN_SENT -> SYN_SENT2, TCP SYN_SENT -> SYN_RECV). Without
 * priming only a NAT with a firewall forgives a SYN that is early. The
 * module's TCP prime (kmod/tcp_prime.h) does priming properly; the
 * socket option here (prime_ttl) is userspace's own try. Then
 * each side proves the session secret in its own direction before the
 * socket is handed over.
 *
 * Blocking calls with a deadline: a daemon runs them in a thread.
 */
#ifndef NFPUNCH_TCP_PUNCH_H
#define NFPUNCH_TCP_PUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A TCP socket bound to local with SO_REUSEADDR and SO_REUSEPORT, so the
 * mapping query and the punch can use the same port. -1 with errno.
 */
int tcp_punch_socket(const struct sockaddr_storage *local);

/*
 * Ask a STUN server over TCP which public endpoint local maps to.
 * 0 with *mapped set, or -1 with errno (ETIMEDOUT, EPROTO for a bad
 * answer).
 */
int tcp_punch_mapping(const struct sockaddr_storage *local,
		      const struct sockaddr_storage *server, int timeout_ms,
		      struct sockaddr_storage *mapped);

/* A predicted window's ports, each a socket and a train of SYNs. */
#define TCP_PUNCH_PORTS_MAX	16

struct tcp_punch {
	struct sockaddr_storage local;	/* the port we announced */
	struct sockaddr_storage peer;	/* the endpoint the peer announced */
	/*
	 * 0 or 1: that endpoint. More: its port and the next ones, every
	 * peer_step-th (0 or 1: each), up to TCP_PUNCH_PORTS_MAX of them:
	 * the window a sequential NAT's next mapping falls in; one
	 * connect() goes to each at once, all from local.
	 * The first connection that proves the secret is the punch (the
	 * others are closed); a port whose connection does not prove it is
	 * someone else's and is not tried again.
	 */
	unsigned int peer_ports;
	unsigned int peer_step;
	const uint8_t *secret;		/* the session's, 16..64 bytes */
	size_t secret_len;
	bool controlling;		/* the caller's side */
	int prime_ttl;			/* 0, or SYNs with this TTL until the peer's */
	int timeout_ms;			/* the whole punch */
};

/* What a punch did, for logs and measurements. */
struct tcp_punch_result {
	unsigned int attempts;		/* connect() calls */
	unsigned int refused;		/* of them ended by a RST or ICMP */
	unsigned int unproven;		/* connected to a port, but not to the peer */
	int ms;				/* to the proven connection */
};

/*
 * Punch and prove: the connected socket, or -1 with errno (ETIMEDOUT: no
 * connection in time; EACCES: on every port the other end did not prove
 * the secret, or sent our own proof; EINVAL: bad parameters; a local
 * error as is).
 * The socket is blocking, without timeouts. Only the connection's start
 * is proven: what follows has no integrity of its own, so an application
 * protects its data with keys from the secret (TLS with a PSK, say).
 */
int tcp_punch_connect(const struct tcp_punch *p, struct tcp_punch_result *res);

#endif
