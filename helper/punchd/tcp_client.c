// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command side of "punchd connect PEER --tcp" and "punchd accept
 * --tcp": asked as any program asks (libnfpunch's nfp_tcp_request()), the
 * daemon answers with a result line and the connected socket. With a program after "--", it runs on the socket (its stdin
 * and stdout, as under inetd), told who called in NFPUNCH_PEER,
 * NFPUNCH_ENDPOINT and NFPUNCH_LOCAL; without, the socket is copied to
 * and from our own stdin and stdout, as nc does. The result line goes
 * to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libnfpunch.h"
#include "tcp_client.h"

#define REPLY_MAX	512
#define CHUNK		65536

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* KEY=VALUE of the result line into the environment as NAME. */
static void export_field(const char *line, const char *key, const char *name)
{
	size_t klen = strlen(key);
	const char *p = line;
	char value[128];
	size_t n;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			p += klen + 1;
			n = strcspn(p, " ");
			if (n < sizeof(value)) {
				memcpy(value, p, n);
				value[n] = '\0';
				setenv(name, value, 1);
			}
			return;
		}
		p += klen;
	}
}

/*
 * stdin to the socket and the socket to stdout. The socket never blocks,
 * so a peer that sends while it does not read cannot wedge us; what we
 * read from stdin is sent before we go. stdin's end sends our FIN (the
 * peer may still talk); the peer's end, once our data is out, ends it.
 */
static int pump(int sock)
{
	static char up[CHUNK], down[CHUNK];
	size_t up_len = 0, up_off = 0;
	bool in_open = true, sock_open = true;
	struct pollfd p[2];
	ssize_t n;

	if (fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK))
		return -1;
	while (sock_open || up_len) {
		p[0] = (struct pollfd){ .fd = sock,
			.events = (sock_open ? POLLIN : 0) | (up_len ? POLLOUT : 0) };
		p[1] = (struct pollfd){ .fd = in_open && !up_len ? STDIN_FILENO : -1,
			.events = POLLIN };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR) && sock_open) {
			n = recv(sock, down, sizeof(down), 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0)
				return -1;
			if (n == 0)
				sock_open = false;
			else if (write_all(STDOUT_FILENO, down, (size_t)n))
				return -1;
		}
		if (up_len && (p[0].revents & (POLLOUT | POLLERR))) {
			n = send(sock, up + up_off, up_len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -1;
			if (n > 0) {
				up_off += (size_t)n;
				up_len -= (size_t)n;
			}
		}
		if (p[1].fd >= 0 && p[1].revents) {
			n = read(STDIN_FILENO, up, sizeof(up));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				in_open = false;
				shutdown(sock, SHUT_WR);
			} else {
				up_off = 0;
				up_len = (size_t)n;
			}
		}
	}
	return 0;
}

int pd_tcp_client(const char *socket_path, int how, const char *peer, char *const *cmd)
{
	char line[REPLY_MAX] = "";
	int req = nfp_tcp_request(socket_path, how, peer), sock;

	if (req < 0) {
		fprintf(stderr, "punchd: %s: %s (is punchd running?)\n", socket_path,
			strerror(-req));
		return 1;
	}
	sock = nfp_tcp_finish(req, line, sizeof(line));
	if (sock < 0) {
		fprintf(stderr, "%s\n", line[0] ? line : "error reason=no-answer");
		return 1;
	}
	fprintf(stderr, "%s\n", line);
	if (cmd && cmd[0]) {
		export_field(line, "peer", "NFPUNCH_PEER");
		export_field(line, "endpoint", "NFPUNCH_ENDPOINT");
		export_field(line, "local", "NFPUNCH_LOCAL");
		if (dup2(sock, STDIN_FILENO) < 0 || dup2(sock, STDOUT_FILENO) < 0) {
			fprintf(stderr, "punchd: %s\n", strerror(errno));
			return 1;
		}
		close(sock);
		execvp(cmd[0], cmd);
		fprintf(stderr, "punchd: %s: %s\n", cmd[0], strerror(errno));
		return 127;
	}
	if (pump(sock)) {
		fprintf(stderr, "punchd: connection: %s\n", strerror(errno));
		close(sock);
		return 1;
	}
	close(sock);
	return 0;
}
