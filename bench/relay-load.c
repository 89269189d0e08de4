// SPDX-License-Identifier: GPL-2.0
/*
 * relay-load - datagrams per second a relay forwards, rendezvousd's or a
 * TURN server's, measured the same way for both.
 *
 *   relay-load nfpunch A B RELAY_A RELAY_B SECRET_HEX SECONDS [SIZE [WINDOW]]
 *   relay-load turn A B SERVER SECONDS [SIZE [WINDOW]]
 *
 * Two UDP sockets, on addresses A and B (any port), talk to
 * each other through the relay, both ways at once; each datagram is
 * received once and sent once by the relay:
 * - nfpunch: A and B are a session's two peers. Each takes its relay port
 *   (RELAY_A, RELAY_B: what the server's RELAYED told each) with a probe
 *   authenticated as its role's (SECRET_HEX: the session's secret; A
 *   controls), as punchd's module would, then sends to it;
 * - turn: A allocates on SERVER (RFC 8656, no authentication: coturn
 *   --no-auth) and binds channel 0x4000 to B; A sends ChannelData to
 *   SERVER, B sends plain datagrams to A's relayed address.
 * SIZE bytes of payload per datagram (default 100; a ChannelData header
 * is not counted), WINDOW datagrams in flight each way (default 64):
 * every arrival sends the next. A direction that heard nothing for 20 ms
 * has lost its window and sends a new one. The first half second is not
 * counted. Prints "forwarded N seconds S per_second R mbit_per_second M
 * lost L". One thread: pin it to a CPU of its own (taskset) and the
 * server to another, and the figure is the server's per core (a lower
 * bound if this side is the slower).
 */
#define _GNU_SOURCE	/* recvmmsg, sendmmsg */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "punch_keys.h"
#include "sig.h"
#include "sig_auth.h"
#include "sockaddr.h"
#include "stun.h"
#include "stun_hmac.h"

#define BATCH		64
#define MAX_WINDOW	1024
#define MAX_SIZE	1400
#define WARMUP		0.5
#define LOST_AFTER	0.020
#define CHANNEL		0x4000
#define CHANNEL_HDR	4
#define TURN_ALLOCATE		0x0003
#define TURN_CHANNEL_BIND	0x0009
#define TURN_A_CHANNEL_NUMBER	0x000C
#define TURN_A_XOR_PEER		0x0012
#define TURN_A_XOR_RELAYED	0x0016
#define TURN_A_TRANSPORT	0x0019

/* One direction: datagrams from fd to dst, heard on the other socket. */
struct dir {
	int fd;
	struct sockaddr_storage dst;
	size_t hdr;		/* ChannelData header on what is sent */
	unsigned int inflight;
	double last_rx;
	unsigned long long heard, lost;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "relay-load: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

static void endpoint(const char *s, struct sockaddr_storage *ss)
{
	struct sig_ep ep;

	if (sig_ep_parse(s, strlen(s), &ep)) {
		fprintf(stderr, "relay-load: bad endpoint '%s'\n", s);
		exit(2);
	}
	sa_set(ss, ep.family, ep.addr, ep.port);
}

/* addr, any port. */
static void address(const char *s, struct sockaddr_storage *ss)
{
	if (sa_parse(ss, s, 0) < 0) {
		fprintf(stderr, "relay-load: bad address '%s'\n", s);
		exit(2);
	}
}

static int udp_socket(const struct sockaddr_storage *local)
{
	int fd = socket(local->ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int sz = 4 << 20;

	if (fd < 0)
		die("socket");
	/* Deep buffers: a burst must not be lost here rather than at the relay. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	if (bind(fd, (const struct sockaddr *)local, sa_len(local)))
		die("bind");
	return fd;
}

static void local_of(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	if (getsockname(fd, (struct sockaddr *)ss, &len))
		die("getsockname");
}

/* The next datagram on fd within ms, or -1. */
static ssize_t recv_wait(int fd, uint8_t *buf, size_t cap, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) <= 0)
		return -1;
	return recv(fd, buf, cap, 0);
}

static void drain(int fd)
{
	uint8_t buf[2048];

	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		;
}

static void stun_tid(uint8_t *tid)
{
	if (getrandom(tid, STUN_TID_LEN, 0) != STUN_TID_LEN)
		die("getrandom");
}

/* --- nfpunch: each side takes its port with its role's probe -------------- */

static void probe(int fd, const struct sockaddr_storage *to, const uint8_t *secret,
		  size_t secret_len, int role)
{
	char user[sizeof("nfpunch:") + 2 * PUNCH_TAG_LEN];
	struct stun_builder b;
	struct punch_dir d;
	uint8_t buf[256], tid[STUN_TID_LEN];
	unsigned int i;
	int len;

	if (punch_dir_derive(&d, secret, secret_len, role, stun_hmac_openssl, NULL))
		die("key derivation");
	i = (unsigned int)snprintf(user, sizeof(user), "nfpunch:");
	for (unsigned int k = 0; k < PUNCH_TAG_LEN; k++)
		i += (unsigned int)snprintf(user + i, sizeof(user) - i, "%02x", d.tag[k]);
	stun_tid(tid);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, tid);
	stun_add_bytes(&b, STUN_A_USERNAME, user, (uint16_t)i);
	stun_add_integrity(&b, d.key, sizeof(d.key), stun_hmac_openssl, NULL);
	len = stun_build_end(&b);
	if (len < 0 || sendto(fd, buf, (size_t)len, 0, (const struct sockaddr *)to,
			      sa_len(to)) < 0)
		die("probe");
}

/* One datagram each way gets through: both ports are taken. */
static void nfpunch_setup(struct dir *ab, struct dir *ba, const char *secret_hex)
{
	uint8_t secret[SIG_CLIENT_SECRET_MAX], buf[2048], ping = 0xAA;
	int len = sig_secret_hex(secret_hex, secret), tries;

	if (len < 16) {
		fprintf(stderr, "relay-load: bad secret\n");
		exit(2);
	}
	for (tries = 0; tries < 10; tries++) {
		probe(ab->fd, &ab->dst, secret, (size_t)len, PUNCH_ROLE_CONTROLLING);
		probe(ba->fd, &ba->dst, secret, (size_t)len, PUNCH_ROLE_CONTROLLED);
		usleep(50000);
		drain(ab->fd);
		drain(ba->fd);
		sendto(ab->fd, &ping, 1, 0, (struct sockaddr *)&ab->dst, sa_len(&ab->dst));
		if (recv_wait(ba->fd, buf, sizeof(buf), 200) != 1)
			continue;
		sendto(ba->fd, &ping, 1, 0, (struct sockaddr *)&ba->dst, sa_len(&ba->dst));
		if (recv_wait(ab->fd, buf, sizeof(buf), 200) == 1)
			return;
	}
	fprintf(stderr, "relay-load: the relay forwards nothing (ports not taken)\n");
	exit(1);
}

/* --- TURN: allocate, bind a channel to B ------------------------------------ */

/* The transaction's success response on fd, or exit with what came instead. */
static size_t turn_ask(int fd, const struct sockaddr_storage *server, const uint8_t *req,
		       size_t len, uint16_t type, uint8_t *resp, size_t cap)
{
	ssize_t n = -1;
	int tries;

	for (tries = 0; tries < 5 && n < 0; tries++) {
		if (sendto(fd, req, len, 0, (const struct sockaddr *)server, sa_len(server)) < 0)
			die("sendto (TURN)");
		n = recv_wait(fd, resp, cap, 500);
	}
	if (n < STUN_HDR_LEN || memcmp(resp + 8, req + 8, STUN_TID_LEN)) {
		fprintf(stderr, "relay-load: no TURN answer to 0x%04x\n", type);
		exit(1);
	}
	if (((resp[0] << 8) | resp[1]) != (type | 0x0100)) {
		fprintf(stderr, "relay-load: TURN 0x%04x refused (0x%02x%02x): start the "
			"server without authentication (coturn: --no-auth)\n", type,
			resp[0], resp[1]);
		exit(1);
	}
	return (size_t)n;
}

/* XOR-RELAYED-ADDRESS of an Allocate success response (IPv4 or IPv6). */
static void turn_relayed(const uint8_t *m, size_t len, struct sockaddr_storage *out)
{
	size_t off = STUN_HDR_LEN;
	uint8_t ip[16];
	unsigned int i;

	while (off + 4 <= len) {
		uint16_t t = (uint16_t)(m[off] << 8 | m[off + 1]);
		uint16_t l = (uint16_t)(m[off + 2] << 8 | m[off + 3]);
		const uint8_t *v = m + off + 4;

		if (off + 4 + l > len)
			break;
		if (t == TURN_A_XOR_RELAYED && l >= 8) {
			uint16_t port = (uint16_t)((v[2] << 8 | v[3]) ^ (STUN_MAGIC >> 16));
			int six = v[1] == STUN_AF_IPV6 && l >= 20;

			/* The address is xored with the cookie, then the id. */
			for (i = 0; i < (six ? 16u : 4u); i++)
				ip[i] = v[4 + i] ^ m[4 + i];
			sa_set(out, six ? AF_INET6 : AF_INET, ip, port);
			return;
		}
		off += 4 + ((l + 3u) & ~3u);
	}
	fprintf(stderr, "relay-load: the Allocate response has no relayed address\n");
	exit(1);
}

static void turn_setup(struct dir *ab, struct dir *ba, const struct sockaddr_storage *server)
{
	struct sockaddr_storage peer;
	struct stun_builder b;
	struct stun_addr pa = { 0 };
	uint8_t req[256], resp[1024], tid[STUN_TID_LEN], ping[CHANNEL_HDR + 1];
	size_t n;
	int len;

	stun_tid(tid);
	stun_build_start(&b, req, sizeof(req), TURN_ALLOCATE, tid);
	stun_add_u32(&b, TURN_A_TRANSPORT, 17u << 24);	/* UDP */
	len = stun_build_end(&b);
	if (len < 0)
		die("Allocate");
	n = turn_ask(ab->fd, server, req, (size_t)len, TURN_ALLOCATE, resp, sizeof(resp));
	turn_relayed(resp, n, &ba->dst);

	local_of(ba->fd, &peer);
	pa.family = peer.ss_family == AF_INET6 ? STUN_AF_IPV6 : STUN_AF_IPV4;
	pa.port = sa_get(&peer, pa.ip);
	stun_tid(tid);
	stun_build_start(&b, req, sizeof(req), TURN_CHANNEL_BIND, tid);
	stun_add_u32(&b, TURN_A_CHANNEL_NUMBER, (uint32_t)CHANNEL << 16);
	stun_add_xor_addr(&b, TURN_A_XOR_PEER, &pa);
	len = stun_build_end(&b);
	if (len < 0)
		die("ChannelBind");
	turn_ask(ab->fd, server, req, (size_t)len, TURN_CHANNEL_BIND, resp, sizeof(resp));
	ab->dst = *server;
	ab->hdr = CHANNEL_HDR;

	/* One each way, as for nfpunch. */
	ping[0] = CHANNEL >> 8;
	ping[1] = 0;
	ping[2] = 0;
	ping[3] = 1;
	ping[4] = 0xAA;
	sendto(ab->fd, ping, sizeof(ping), 0, (struct sockaddr *)&ab->dst, sa_len(&ab->dst));
	if (recv_wait(ba->fd, resp, sizeof(resp), 500) != 1)
		goto silent;
	sendto(ba->fd, ping + CHANNEL_HDR, 1, 0, (struct sockaddr *)&ba->dst, sa_len(&ba->dst));
	if (recv_wait(ab->fd, resp, sizeof(resp), 500) == CHANNEL_HDR + 1)
		return;
silent:
	fprintf(stderr, "relay-load: the TURN relay forwards nothing (loopback peers "
		"refused? coturn: --allow-loopback-peers)\n");
	exit(1);
}

/* --- the load ------------------------------------------------------------------ */

static uint8_t payload[MAX_SIZE + CHANNEL_HDR];
static size_t size = 100;

static void send_burst(struct dir *d, unsigned int n)
{
	struct iovec iov[BATCH];
	struct mmsghdr m[BATCH];
	unsigned int i, k;
	int sent;

	while (n) {
		k = n < BATCH ? n : BATCH;
		for (i = 0; i < k; i++) {
			iov[i].iov_base = payload + (d->hdr ? 0 : CHANNEL_HDR);
			iov[i].iov_len = size + d->hdr;
			memset(&m[i], 0, sizeof(m[i]));
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_name = &d->dst;
			m[i].msg_hdr.msg_namelen = sa_len(&d->dst);
		}
		sent = sendmmsg(d->fd, m, k, 0);
		if (sent <= 0)
			return;		/* a full buffer: the 20 ms rule sends again */
		d->inflight += (unsigned int)sent;
		n -= (unsigned int)sent;
	}
}

/* What arrived on fd: d's datagrams. */
static unsigned int receive(int fd, struct dir *d, bool counting)
{
	static uint8_t buf[BATCH][MAX_SIZE + 64];
	struct iovec iov[BATCH];
	struct mmsghdr m[BATCH];
	unsigned int i;
	int got;

	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	got = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
	if (got <= 0)
		return 0;
	d->inflight -= d->inflight < (unsigned int)got ? d->inflight : (unsigned int)got;
	if (counting)
		d->heard += (unsigned int)got;
	return (unsigned int)got;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage la, lb, server;
	struct dir ab = { 0 }, ba = { 0 };
	unsigned int window = 64, got;
	double secs, start, t, counted_from;
	struct pollfd p[2];
	int turn, a = 6;

	if (argc < 6 || (strcmp(argv[1], "nfpunch") && strcmp(argv[1], "turn"))) {
		fprintf(stderr, "usage: relay-load nfpunch A B RELAY_A RELAY_B SECRET_HEX "
			"SECONDS [SIZE [WINDOW]]\n"
			"       relay-load turn A B SERVER SECONDS [SIZE [WINDOW]]\n");
		return 2;
	}
	turn = !strcmp(argv[1], "turn");
	address(argv[2], &la);
	address(argv[3], &lb);
	ab.fd = udp_socket(&la);
	ba.fd = udp_socket(&lb);
	if (turn) {
		endpoint(argv[4], &server);
		a = 5;
	} else {
		if (argc < 8)
			return 2;
		endpoint(argv[4], &ab.dst);
		endpoint(argv[5], &ba.dst);
		a = 7;
	}
	secs = atof(argv[a]);
	if (argc > a + 1)
		size = strtoul(argv[a + 1], NULL, 10);
	if (argc > a + 2)
		window = (unsigned int)strtoul(argv[a + 2], NULL, 10);
	if (secs <= 0 || size < 1 || size > MAX_SIZE || window < 1 || window > MAX_WINDOW) {
		fprintf(stderr, "relay-load: SECONDS > 0, SIZE 1..%d, WINDOW 1..%d\n",
			MAX_SIZE, MAX_WINDOW);
		return 2;
	}
	/* Neither STUN (0x00, 0x01) nor ChannelData (0x40-0x7f) where it is raw. */
	memset(payload, 0xAA, sizeof(payload));
	payload[0] = CHANNEL >> 8;
	payload[1] = CHANNEL & 0xff;
	payload[2] = (uint8_t)(size >> 8);
	payload[3] = (uint8_t)size;
	if (turn)
		turn_setup(&ab, &ba, &server);
	else
		nfpunch_setup(&ab, &ba, argv[6]);

	start = now_s();
	counted_from = start + WARMUP;
	ab.last_rx = ba.last_rx = start;
	send_burst(&ab, window);
	send_burst(&ba, window);
	p[0] = (struct pollfd){ .fd = ab.fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = ba.fd, .events = POLLIN };
	while ((t = now_s()) < counted_from + secs) {
		bool counting = t >= counted_from;

		poll(p, 2, 5);
		/* B hears A's direction, A hears B's. */
		while ((got = receive(ba.fd, &ab, counting))) {
			ab.last_rx = t;
			send_burst(&ab, got);
		}
		while ((got = receive(ab.fd, &ba, counting))) {
			ba.last_rx = t;
			send_burst(&ba, got);
		}
		for (struct dir *d = &ab; d; d = d == &ab ? &ba : NULL) {
			if (now_s() - d->last_rx > LOST_AFTER) {
				if (counting)
					d->lost += d->inflight;
				d->inflight = 0;
				d->last_rx = now_s();
				send_burst(d, window);
			}
		}
	}
	t = ab.heard + ba.heard;
	printf("forwarded %.0f seconds %.2f per_second %.0f mbit_per_second %.1f lost %llu\n",
	       t, secs, t / secs, t * size * 8 / secs / 1e6, ab.lost + ba.lost);
	return ab.heard && ba.heard ? 0 : 1;
}
