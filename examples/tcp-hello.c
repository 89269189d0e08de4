// SPDX-License-Identifier: MIT
/*
 * tcp-hello - a TCP connection to a peer behind NAT, through punchd:
 * libnfpunch asks the local punchd, which punches the connection through
 * both NATs, proves the session secret on it, and hands the socket over.
 *
 *   tcp-hello [-u SOCKET] connect PEER [SECONDS]
 *   tcp-hello [-u SOCKET] accept
 *
 * "connect" says hello and prints the peer's answer; it waits for punchd
 * in a poll() loop, the way an event-driven program would (SECONDS, 30 by
 * default, bounds the wait). "accept" blocks until a peer calls, answers
 * its hello, and exits. punchd's result line goes to stderr. Only the
 * start of the connection is proven: a real application protects what it
 * sends (TLS with a key from its own exchange, say).
 *
 * Build against an installed libnfpunch:
 *   cc -o tcp-hello tcp-hello.c $(pkg-config --cflags --libs libnfpunch)
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libnfpunch.h>

static int usage(void)
{
	fprintf(stderr, "usage: tcp-hello [-u SOCKET] connect PEER [SECONDS]\n"
			"       tcp-hello [-u SOCKET] accept\n");
	return 2;
}

/* One line from a blocking socket, without its newline. */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1) {
		n = read(fd, buf + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return 0;
}

static int send_line(int fd, const char *line)
{
	size_t len = strlen(line);

	return write(fd, line, len) == (ssize_t)len ? 0 : -1;
}

static int call(const char *path, const char *peer, int seconds)
{
	char info[512], line[256], host[64] = "?";
	struct pollfd p;
	int req, sock;

	req = nfp_tcp_request(path, NFP_TCP_CONNECT, peer);
	if (req < 0) {
		fprintf(stderr, "tcp-hello: punchd: %s\n", strerror(-req));
		return 1;
	}
	/* An event loop would watch this along with everything else. */
	p = (struct pollfd){ .fd = req, .events = POLLIN };
	if (poll(&p, 1, seconds * 1000) <= 0) {
		fprintf(stderr, "tcp-hello: no answer from punchd in %d s\n", seconds);
		close(req);
		return 1;
	}
	sock = nfp_tcp_finish(req, info, sizeof(info));
	fprintf(stderr, "%s\n", info);
	if (sock < 0)
		return 1;
	gethostname(host, sizeof(host) - 1);
	snprintf(line, sizeof(line), "hello from %s\n", host);
	if (send_line(sock, line) || read_line(sock, line, sizeof(line))) {
		fprintf(stderr, "tcp-hello: connection lost\n");
		close(sock);
		return 1;
	}
	printf("%s\n", line);
	close(sock);
	return 0;
}

static int answer(const char *path)
{
	char info[512], line[256], reply[300];
	int sock = nfp_tcp_accept(path, NULL, info, sizeof(info));

	if (sock < 0) {
		fprintf(stderr, "%s\n", sock == -ECONNABORTED ? info : strerror(-sock));
		return 1;
	}
	fprintf(stderr, "%s\n", info);
	if (read_line(sock, line, sizeof(line))) {
		fprintf(stderr, "tcp-hello: connection lost\n");
		close(sock);
		return 1;
	}
	printf("%s\n", line);
	snprintf(reply, sizeof(reply), "hello back to '%s'\n", line);
	send_line(sock, reply);
	close(sock);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int seconds = 30;

	if (argc > 2 && !strcmp(argv[1], "-u")) {
		path = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "connect")) {
		if (argc == 4 && (seconds = atoi(argv[3])) <= 0)
			return usage();
		return call(path, argv[2], seconds);
	}
	if (argc == 2 && !strcmp(argv[1], "accept"))
		return answer(path);
	return usage();
}
