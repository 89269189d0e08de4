// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TCP connections through punchd (libnfpunch.h, since 1.4): one line on
 * its control socket, one line back with the socket attached.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "internal.h"

#define PUNCHD_SOCKET	"/run/punchd/punchd.sock"
#define LINE_MAX_LEN	512

/* punchd's rule for ids (1..32 of [A-Za-z0-9._-]): no space or newline slips in. */
static bool id_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i == 32 || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
				 (s[i] >= '0' && s[i] <= '9') ||
				 s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return i > 0;
}

NFP_EXPORT int nfp_tcp_request(const char *socket_path, int how, const char *peer)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char line[128];
	int fd, n, err;
	ssize_t sent;

	if (!socket_path)
		socket_path = PUNCHD_SOCKET;
	if ((how != NFP_TCP_CONNECT && how != NFP_TCP_ACCEPT) ||
	    (how == NFP_TCP_CONNECT && !peer))
		return -EINVAL;
	if (strlen(socket_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (peer && !id_ok(peer))
		return -EINVAL;
	if (how == NFP_TCP_CONNECT)
		n = snprintf(line, sizeof(line), "connect %s tcp\n", peer);
	else
		n = snprintf(line, sizeof(line), "accept tcp%s%s\n", peer ? " " : "",
			     peer ? peer : "");
	strcpy(sun.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = errno;
		close(fd);
		return -err;
	}
	sent = send(fd, line, (size_t)n, MSG_NOSIGNAL);
	if (sent != n) {
		err = sent < 0 ? errno : EIO;
		close(fd);
		return -err;
	}
	return fd;
}

NFP_EXPORT int nfp_tcp_finish(int request, char *info, size_t info_len)
{
	char line[LINE_MAX_LEN];
	size_t len = 0;
	int sock = -1, err = 0;
	ssize_t n;
	char *nl = NULL;

	while (!nl && len < sizeof(line) - 1) {
		n = fdpass_recv(request, line + len, sizeof(line) - 1 - len, &sock);
		if (n < 0 && errno == EAGAIN) {
			/* A non-blocking request: wait for the rest. */
			struct pollfd p = { .fd = request, .events = POLLIN };

			if (poll(&p, 1, -1) < 0 && errno != EINTR) {
				err = errno;
				break;
			}
			continue;
		}
		if (n <= 0) {
			err = n < 0 ? errno : EPROTO;
			break;
		}
		len += (size_t)n;
		line[len] = '\0';
		nl = strchr(line, '\n');
	}
	line[len] = '\0';
	if (nl)
		*nl = '\0';
	close(request);
	if (info && info_len)
		snprintf(info, info_len, "%s", line);
	if (!err && !nl)
		err = EPROTO;
	if (!err && strncmp(line, "ok ", 3))
		err = ECONNABORTED;
	if (!err && sock < 0)
		err = EPROTO;
	if (err) {
		if (sock >= 0)
			close(sock);
		return -err;
	}
	return sock;
}

NFP_EXPORT int nfp_tcp_connect(const char *socket_path, const char *peer,
			       char *info, size_t info_len)
{
	int r = nfp_tcp_request(socket_path, NFP_TCP_CONNECT, peer);

	return r < 0 ? r : nfp_tcp_finish(r, info, info_len);
}

NFP_EXPORT int nfp_tcp_accept(const char *socket_path, const char *peer,
			      char *info, size_t info_len)
{
	int r = nfp_tcp_request(socket_path, NFP_TCP_ACCEPT, peer);

	return r < 0 ? r : nfp_tcp_finish(r, info, info_len);
}
