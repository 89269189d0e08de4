// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libnfpunch's TCP calls (nfp_tcp_*) against a stand-in for punchd's
 * control socket: what is asked, and every kind of answer (a socket, an
 * error, a line without a socket, a line in pieces, silence), blocking
 * and through poll(). The real punchd is in kernel/punchd-tcp.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "libnfpunch.h"
#include "ktap.h"

enum answer {
	A_ERROR,	/* an error line */
	A_NO_FD,	/* an ok line without a socket */
	A_SOCKET,	/* an ok line with a socket */
	A_PIECES,	/* the same in two writes, the socket with the first */
	A_SILENCE,	/* close without a word */
	A_LATE,		/* a socket, after a pause */
};

static const enum answer script[] = {
	A_ERROR, A_NO_FD, A_SOCKET, A_SOCKET, A_PIECES, A_SILENCE, A_LATE,
};
#define STEPS (sizeof(script) / sizeof(script[0]))
#define OK_LINE "ok peer=bob mode=tcp endpoint=203.0.113.1:40000 ms=5\n"

/*
 * The stand-in: for each step, one control connection; what it was asked
 * goes to report, and a socket it hands over echoes one message back.
 */
static void stand_in(int lfd, int report)
{
	unsigned int i;

	for (i = 0; i < STEPS; i++) {
		char cmd[128], buf[64];
		int c = accept(lfd, NULL, NULL), sp[2];
		ssize_t n;

		if (c < 0)
			_exit(1);
		n = read(c, cmd, sizeof(cmd) - 1);
		if (n < 0)
			_exit(1);
		(void)!write(report, cmd, (size_t)n);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
			_exit(1);
		switch (script[i]) {
		case A_ERROR:
			(void)!write(c, "error peer=bob reason=rejected\n", 31);
			break;
		case A_NO_FD:
			(void)!write(c, OK_LINE, strlen(OK_LINE));
			break;
		case A_LATE:
			usleep(200000);
			/* fall through */
		case A_SOCKET:
			fdpass_send(c, OK_LINE, strlen(OK_LINE), sp[0]);
			break;
		case A_PIECES:
			fdpass_send(c, "ok peer=bob ", 12, sp[0]);
			usleep(50000);
			(void)!write(c, "mode=tcp\n", 9);
			break;
		case A_SILENCE:
			break;
		}
		close(sp[0]);
		close(c);
		n = read(sp[1], buf, sizeof(buf));
		if (n > 0)
			(void)!write(sp[1], buf, (size_t)n);
		close(sp[1]);
	}
	_exit(0);
}

/* What the stand-in was asked last. */
static const char *asked(int report)
{
	static char cmd[128];
	ssize_t n = read(report, cmd, sizeof(cmd) - 1);

	cmd[n > 0 ? n : 0] = '\0';
	return cmd;
}

/* The connection works: a message goes out and comes back. */
static int echoes(int sock)
{
	char buf[8];

	return write(sock, "ping", 4) == 4 && read(sock, buf, sizeof(buf)) == 4 &&
	       !memcmp(buf, "ping", 4);
}

int main(void)
{
	char dir[] = "/tmp/nfp-tcp-XXXXXX", path[64], info[256];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd, rep[2], fd, req, st;
	struct pollfd p;
	pid_t pid;

	ktap_start();
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir) || pipe(rep))
		return 1;
	snprintf(path, sizeof(path), "%s/punchd.sock", dir);
	CHECK(nfp_tcp_connect(path, "bob", info, sizeof(info)) == -ENOENT,
	      "no punchd there: -ENOENT");
	CHECK(nfp_tcp_connect(path, NULL, info, sizeof(info)) == -EINVAL &&
	      nfp_tcp_request(path, NFP_TCP_CONNECT, "bo b") == -EINVAL &&
	      nfp_tcp_request(path, NFP_TCP_CONNECT, "bob\nstatus") == -EINVAL &&
	      nfp_tcp_request(path, NFP_TCP_CONNECT, "") == -EINVAL &&
	      nfp_tcp_request(path, NFP_TCP_ACCEPT, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") == -EINVAL &&
	      nfp_tcp_request(path, 7, "bob") == -EINVAL,
	      "a missing peer, one that is not an id, or an unknown request is refused before asking");
	CHECK(nfp_tcp_request("/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock",
			      NFP_TCP_CONNECT, "bob") == -ENAMETOOLONG,
	      "a socket path too long for a unix address: -ENAMETOOLONG");

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) || listen(lfd, 4))
		return 1;
	pid = fork();
	if (pid == 0)
		stand_in(lfd, rep[1]);
	close(lfd);

	fd = nfp_tcp_connect(path, "bob", info, sizeof(info));
	CHECK(!strcmp(asked(rep[0]), "connect bob tcp\n"), "connect asks 'connect bob tcp'");
	CHECK(fd == -ECONNABORTED && !strcmp(info, "error peer=bob reason=rejected"),
	      "punchd's error: -ECONNABORTED, its line in info (%d, '%s')", fd, info);

	fd = nfp_tcp_connect(path, "bob", info, sizeof(info));
	asked(rep[0]);
	CHECK(fd == -EPROTO, "an ok line without a socket: -EPROTO (%d)", fd);

	fd = nfp_tcp_connect(path, "bob", info, sizeof(info));
	asked(rep[0]);
	CHECK(fd >= 0 && !strncmp(info, "ok peer=bob mode=tcp ", 21) && !strchr(info, '\n'),
	      "ok with a socket: the socket, and the line without its newline");
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "the socket is close-on-exec");
	CHECK(fd >= 0 && echoes(fd), "and it is the one punchd sent");
	if (fd >= 0)
		close(fd);

	fd = nfp_tcp_accept(path, NULL, NULL, 0);
	CHECK(!strcmp(asked(rep[0]), "accept tcp\n"), "accept asks 'accept tcp'");
	CHECK(fd >= 0 && echoes(fd), "and gets the socket (info may be NULL)");
	if (fd >= 0)
		close(fd);

	fd = nfp_tcp_connect(path, "bob", info, 8);
	asked(rep[0]);
	CHECK(fd >= 0 && !strcmp(info, "ok peer"), "an answer in pieces is read whole; "
	      "info is cut to its size (%d, '%s')", fd, info);
	if (fd >= 0)
		close(fd);

	fd = nfp_tcp_connect(path, "bob", info, sizeof(info));
	asked(rep[0]);
	CHECK(fd == -EPROTO && !info[0], "punchd hangs up without a word: -EPROTO (%d)", fd);

	req = nfp_tcp_request(path, NFP_TCP_ACCEPT, "alice");
	CHECK(!strcmp(asked(rep[0]), "accept tcp alice\n"),
	      "an accept from one peer asks 'accept tcp alice'");
	p = (struct pollfd){ .fd = req, .events = POLLIN };
	CHECK(req >= 0 && poll(&p, 1, 0) == 0, "a request returns at once, nothing to read yet");
	CHECK(poll(&p, 1, 5000) == 1, "its descriptor turns readable when punchd answers");
	fd = nfp_tcp_finish(req, info, sizeof(info));
	CHECK(fd >= 0 && echoes(fd), "and finish returns the socket");
	if (fd >= 0)
		close(fd);

	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st),
	      "the stand-in saw every step");
	unlink(path);
	rmdir(dir);
	return ktap_finish();
}
