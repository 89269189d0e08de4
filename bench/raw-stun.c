// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * raw-stun - learn the public endpoint of a UDP port that another socket
 * owns (WireGuard's), the way the userspace tools do it without nfpunch
 * (wireguard-tools' contrib nat-hole-punching, natpunch-go): a STUN
 * Binding Request written on a raw socket with that port as its source,
 * and the answer picked out of a raw socket that sees every UDP datagram
 * arriving, by a classic BPF filter on the destination port and then by
 * transaction id. bench/wg-time.sh uses it as the baseline nfpunch is
 * measured against.
 *
 *   raw-stun LOCAL-ADDR PORT SERVER-ADDR:PORT [TIMEOUT-MS]
 *
 * IPv4 only. Prints the mapped ADDR:PORT, or exits 1 after TIMEOUT-MS
 * (default 3000), resending every 250 ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stun.h"

#define RESEND_MS	250

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int parse_server(const char *s, struct sockaddr_in *sin)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || colon - s >= (long)sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/* Only UDP to our port reaches userspace: ip[9] == 17, udp dport == port. */
static int attach_port_filter(int fd, uint16_t port)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 5),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 2),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]),
				   .filter = code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/* The answer to tid from the server to our port: its mapped address. */
static int take_answer(const uint8_t *pkt, ssize_t len, const struct sockaddr_in *server,
		       uint16_t port, const uint8_t *tid, struct stun_addr *mapped)
{
	const struct iphdr *ip = (const void *)pkt;
	const struct udphdr *udp;
	struct stun_msg m;
	size_t ihl;

	if (len < (ssize_t)sizeof(*ip))
		return -1;
	ihl = ip->ihl * 4u;
	if (ihl < sizeof(*ip) || (size_t)len < ihl + sizeof(*udp) ||
	    ip->saddr != server->sin_addr.s_addr)
		return -1;
	udp = (const void *)(pkt + ihl);
	if (udp->source != server->sin_port || udp->dest != htons(port))
		return -1;
	if (stun_parse(&m, pkt + ihl + sizeof(*udp), len - ihl - sizeof(*udp)) ||
	    m.type != STUN_BINDING_SUCCESS || memcmp(m.tid, tid, STUN_TID_LEN) ||
	    !(m.seen & STUN_SEEN_XOR_MAPPED) || m.xor_mapped.family != STUN_AF_IPV4)
		return -1;
	*mapped = m.xor_mapped;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in local = { .sin_family = AF_INET }, server, to;
	uint8_t req[sizeof(struct udphdr) + STUN_HDR_LEN + 8], tid[STUN_TID_LEN];
	struct udphdr *udp = (void *)req;
	long long deadline, next_send = 0;
	struct stun_builder b;
	struct stun_addr mapped;
	int tx, rx, len, timeout_ms = 3000;
	char *end;
	long port;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: raw-stun LOCAL-ADDR PORT SERVER-ADDR:PORT [TIMEOUT-MS]\n");
		return 2;
	}
	port = strtol(argv[2], &end, 10);
	if (*end || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, argv[1], &local.sin_addr) != 1 ||
	    parse_server(argv[3], &server) ||
	    (argc == 5 && (timeout_ms = atoi(argv[4])) <= 0)) {
		fprintf(stderr, "raw-stun: bad arguments\n");
		return 2;
	}
	if (getrandom(tid, sizeof(tid), 0) != sizeof(tid))
		return perror("getrandom"), 1;
	stun_build_start(&b, req + sizeof(*udp), sizeof(req) - sizeof(*udp),
			 STUN_BINDING_REQUEST, tid);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	if (len <= 0)
		return 1;
	/* Checksum 0: none, as IPv4 allows. */
	udp->source = htons(port);
	udp->dest = server.sin_port;
	udp->len = htons(sizeof(*udp) + len);
	udp->check = 0;

	/* The kernel writes the IP header; the bind picks its source. */
	tx = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	rx = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	if (tx < 0 || rx < 0)
		return perror("raw socket"), 1;
	if (bind(tx, (struct sockaddr *)&local, sizeof(local)) ||
	    attach_port_filter(rx, port))
		return perror("raw socket setup"), 1;
	to = server;
	to.sin_port = 0;	/* raw sockets take no port: it is in our header */
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd = { .fd = rx, .events = POLLIN };
		long long now = now_ms();
		uint8_t pkt[1500];
		ssize_t n;

		if (now >= deadline) {
			fprintf(stderr, "raw-stun: no answer in %d ms\n", timeout_ms);
			return 1;
		}
		if (now >= next_send) {
			if (sendto(tx, req, sizeof(*udp) + len, 0,
				   (struct sockaddr *)&to, sizeof(to)) < 0)
				perror("sendto");
			next_send = now + RESEND_MS;
		}
		if (poll(&pfd, 1, (int)(next_send < deadline ? next_send - now : deadline - now)) <= 0)
			continue;
		n = recv(rx, pkt, sizeof(pkt), 0);
		if (n < 0 && errno != EINTR)
			return perror("recv"), 1;
		if (n > 0 && !take_answer(pkt, n, &server, port, tid, &mapped)) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, mapped.ip, a, sizeof(a));
			printf("%s:%u\n", a, mapped.port);
			return 0;
		}
	}
}
