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
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libnfpunch.h"
#include "sockaddr.h"

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

/* A numeric address, with or without the brackets of "[fd00::1]". */
static void addr_or_die(const char *addr, const char *port,
			struct sockaddr_storage *ss, socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN];
	const char *a = addr;
	size_t n = strlen(addr);
	int ret = -1;

	if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
		a++;
		n -= 2;
	}
	if (n < sizeof(buf)) {
		memcpy(buf, a, n);
		buf[n] = 0;
		ret = sa_parse(ss, buf, number(port, 0, 65535));
	}
	if (ret < 0) {
		fprintf(stderr, "udp: bad address '%s'\n", addr);
		exit(2);
	}
	*len = ret;
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
		uint8_t a[16];
		uint16_t port;
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) <= 0)
			break;
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0)
			continue;	/* an ICMP error of an earlier send */
		port = sa_get(&from, a);
		inet_ntop(from.ss_family, a, host, sizeof(host));
		if (printable(buf, n))
			printf("%s %u %.*s\n", host, port, (int)n, buf);
		else
			printf("%s %u <binary %zd bytes>\n", host, port, n);
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
	char ep[128], host[INET6_ADDRSTRLEN], text[32];
	long seq = 0;

	while (now() < deadline) {
		struct sockaddr_storage to;
		struct nfp_endpoint where;

		if (hook_endpoint(argv[4], argv[5], ep, sizeof(ep))) {
			if (nfp_endpoint_parse(ep, &where, 0)) {
				fprintf(stderr, "udp: bad endpoint in %s\n", argv[4]);
				return 1;
			}
			sa_set(&to, where.family, where.addr, where.port);
			snprintf(text, sizeof(text), "seq-%ld", seq);
			/* Only what left is counted as sent. */
			if (sendto(fd, text, strlen(text), 0, (struct sockaddr *)&to,
				   sa_len(&to)) < 0) {
				fprintf(stderr, "udp: send: %s\n", strerror(errno));
				return 1;
			}
			/* ADDR:PORT, an IPv6 address without brackets. */
			inet_ntop(where.family, where.addr, host, sizeof(host));
			printf("%ld %s:%u\n", seq, host, where.port);
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
