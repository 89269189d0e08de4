// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp - the application side of the tests: a plain UDP socket on a flow's
 * port.
 *
 *   udp send LOCAL_ADDR LOCAL_PORT REMOTE_ADDR REMOTE_PORT TEXT [COUNT]
 *   udp recv LOCAL_ADDR LOCAL_PORT SECONDS [COUNT]
 *   udp stream LOCAL_ADDR LOCAL_PORT HOOK_LOG PEER SECONDS
 *
 * send sends TEXT COUNT times (1), 50 ms apart. recv prints
 * "SOURCE_ADDR SOURCE_PORT TEXT" per datagram (anything but printable
 * ASCII as "<binary N bytes>") and stops after COUNT datagrams (1) or
 * SECONDS; it exits 1 when fewer came. stream sends "seq-N" every 50 ms
 * for SECONDS to where punchd's hook last said PEER's path goes (lines
 * "up|changed PEER ENDPOINT ..." in HOOK_LOG), from the first such line
 * on, and prints "N ENDPOINT" per datagram: an application that follows
 * the path as punchd moves it.
 *
 * C rather than a script: the VM runs it thousands of times, and under
 * emulation an interpreter's start alone took a second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GAP_MS		50
#define MAX_DGRAM	2048

static void usage(void)
{
	fputs("usage: udp send LOCAL_ADDR LOCAL_PORT REMOTE_ADDR REMOTE_PORT TEXT [COUNT]\n"
	      "       udp recv LOCAL_ADDR LOCAL_PORT SECONDS [COUNT]\n"
	      "       udp stream LOCAL_ADDR LOCAL_PORT HOOK_LOG PEER SECONDS\n", stderr);
	exit(2);
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "udp: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static double seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0 && v <= 86400)) {
		fprintf(stderr, "udp: bad seconds '%s'\n", s);
		exit(2);
	}
	return v;
}

/* An address, with or without the brackets of "[fd00::1]:4000". */
static bool parse_addr(const char *s, int port, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return true;
	}
	return false;
}

static void addr_or_die(const char *addr, const char *port,
			struct sockaddr_storage *ss, socklen_t *len)
{
	if (!parse_addr(addr, number(port, 0, 65535), ss, len)) {
		fprintf(stderr, "udp: bad address '%s'\n", addr);
		exit(2);
	}
}

/* A socket bound to the flow's port, beside whoever else has it. */
static int bound(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	addr_or_die(addr, port, &ss, &len);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "udp: %s:%s: %s\n", addr, port, strerror(errno));
		exit(1);
	}
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pause_gap(void)
{
	struct timespec ts = { 0, GAP_MS * 1000000L };

	nanosleep(&ts, NULL);
}

static int do_send(char **argv, int argc)
{
	int fd = bound(argv[2], argv[3]);
	long i, count = argc > 7 ? number(argv[7], 1, 100000) : 1;
	struct sockaddr_storage to;
	socklen_t len;

	addr_or_die(argv[4], argv[5], &to, &len);
	for (i = 0; i < count; i++) {
		if (sendto(fd, argv[6], strlen(argv[6]), 0, (struct sockaddr *)&to, len) < 0) {
			fprintf(stderr, "udp: send: %s\n", strerror(errno));
			return 1;
		}
		pause_gap();
	}
	return 0;
}

static bool printable(const unsigned char *p, ssize_t n)
{
	ssize_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

static int do_recv(char **argv, int argc)
{
	int fd = bound(argv[2], argv[3]);
	double deadline = now() + seconds(argv[4]);
	long got = 0, want = argc > 5 ? number(argv[5], 1, 100000000) : 1;
	unsigned char buf[MAX_DGRAM];
	char host[INET6_ADDRSTRLEN];
	struct sockaddr_storage from;

	while (got < want) {
		double left = deadline - now();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		socklen_t len = sizeof(from);
		const void *a;
		ssize_t n;
		int port;

		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			break;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0)
			continue;	/* an ICMP error of an earlier send */
		if (from.ss_family == AF_INET6) {
			a = &((struct sockaddr_in6 *)&from)->sin6_addr;
			port = ntohs(((struct sockaddr_in6 *)&from)->sin6_port);
		} else {
			a = &((struct sockaddr_in *)&from)->sin_addr;
			port = ntohs(((struct sockaddr_in *)&from)->sin_port);
		}
		inet_ntop(from.ss_family, a, host, sizeof(host));
		if (printable(buf, n))
			printf("%s %d %.*s\n", host, port, (int)n, buf);
		else
			printf("%s %d <binary %zd bytes>\n", host, port, n);
		got++;
	}
	return got >= want ? 0 : 1;
}

/* Where HOOK_LOG last said PEER's path goes: "ADDR:PORT", or false. */
static bool hook_endpoint(const char *log, const char *peer, char *ep, size_t size)
{
	char line[512], ev[32], name[128], where[128];
	bool found = false;
	FILE *f = fopen(log, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %127s %127s", ev, name, where) != 3 ||
		    (strcmp(ev, "up") && strcmp(ev, "changed")) || strcmp(name, peer))
			continue;
		snprintf(ep, size, "%s", where);
		found = true;
	}
	fclose(f);
	return found;
}

static int do_stream(char **argv)
{
	int fd = bound(argv[2], argv[3]);
	double deadline = now() + seconds(argv[6]);
	char ep[128], text[32];
	long seq = 0;

	while (now() < deadline) {
		struct sockaddr_storage to;
		char *colon, *end;
		socklen_t len;
		long port;

		if (hook_endpoint(argv[4], argv[5], ep, sizeof(ep)) &&
		    (colon = strrchr(ep, ':'))) {
			/* Printed as ADDR:PORT, an IPv6 address without brackets. */
			const char *host = ep;
			int hlen;

			*colon = 0;
			hlen = strlen(ep);
			if (hlen >= 2 && ep[0] == '[' && ep[hlen - 1] == ']') {
				host++;
				hlen -= 2;
			}
			port = strtol(colon + 1, &end, 10);
			if (*end || port < 1 || port > 65535 ||
			    !parse_addr(ep, port, &to, &len)) {
				fprintf(stderr, "udp: bad endpoint in %s\n", argv[4]);
				return 1;
			}
			snprintf(text, sizeof(text), "seq-%ld", seq);
			/* Only what left is counted as sent. */
			if (sendto(fd, text, strlen(text), 0, (struct sockaddr *)&to, len) < 0) {
				fprintf(stderr, "udp: send: %s\n", strerror(errno));
				return 1;
			}
			printf("%ld %.*s:%s\n", seq, hlen, host, colon + 1);
			seq++;
		}
		pause_gap();
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 7 && !strcmp(argv[1], "send"))
		return do_send(argv, argc);
	if (argc >= 5 && !strcmp(argv[1], "recv"))
		return do_recv(argv, argc);
	if (argc == 7 && !strcmp(argv[1], "stream"))
		return do_stream(argv);
	usage();
	return 2;
}
