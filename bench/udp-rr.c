// SPDX-License-Identifier: GPL-2.0
/*
 * udp-rr - cost of one local UDP datagram, hooks included.
 *
 *   udp-rr ADDR PORT PACKETS [SOURCE_PORT]
 *
 * Sends PACKETS datagrams from ADDR:SOURCE_PORT (default: ephemeral) to
 * ADDR:PORT in bursts of 32
 * and reads each burst back, on one thread, so every datagram crosses
 * LOCAL_OUT and LOCAL_IN exactly once. Prints the wall time per datagram.
 * Run it with and without the module, side by side, and compare.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BURST 32

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bound_socket(int family, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, sa, len) < 0) {
		perror("udp-rr: socket");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage dst, src;
	char payload[64] = "udp-rr", buf[256];
	unsigned long packets, sent = 0;
	socklen_t len;
	double t0, dt;
	int family, rx, tx;
	char *end;

	if (argc != 4 && argc != 5) {
		fputs("Usage: udp-rr ADDR PORT PACKETS [SOURCE_PORT]\n", stderr);
		return 2;
	}
	packets = strtoul(argv[3], &end, 10);
	if (*end || !packets) {
		fputs("udp-rr: PACKETS must be a positive number\n", stderr);
		return 2;
	}
	memset(&dst, 0, sizeof(dst));
	if (inet_pton(AF_INET, argv[1], &((struct sockaddr_in *)&dst)->sin_addr) == 1) {
		family = AF_INET;
		((struct sockaddr_in *)&dst)->sin_port = htons(atoi(argv[2]));
		len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, argv[1], &((struct sockaddr_in6 *)&dst)->sin6_addr) == 1) {
		family = AF_INET6;
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(atoi(argv[2]));
		len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "udp-rr: bad address '%s'\n", argv[1]);
		return 2;
	}
	dst.ss_family = family;
	src = dst;
	if (family == AF_INET)
		((struct sockaddr_in *)&src)->sin_port = htons(argc == 5 ? atoi(argv[4]) : 0);
	else
		((struct sockaddr_in6 *)&src)->sin6_port = htons(argc == 5 ? atoi(argv[4]) : 0);

	rx = bound_socket(family, (struct sockaddr *)&dst, len);
	tx = bound_socket(family, (struct sockaddr *)&src, len);

	t0 = now_s();
	while (sent < packets) {
		int n = packets - sent < BURST ? packets - sent : BURST;

		for (int i = 0; i < n; i++) {
			if (sendto(tx, payload, sizeof(payload), 0,
				   (struct sockaddr *)&dst, len) < 0) {
				perror("udp-rr: sendto");
				return 1;
			}
		}
		for (int i = 0; i < n; i++) {
			if (recv(rx, buf, sizeof(buf), 0) < 0) {
				perror("udp-rr: recv");
				return 1;
			}
		}
		sent += n;
	}
	dt = now_s() - t0;
	printf("packets=%lu seconds=%.3f ns_per_packet=%.0f\n", packets, dt,
	       dt * 1e9 / packets);
	close(rx);
	close(tx);
	return 0;
}
