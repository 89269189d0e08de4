// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket (a unix stream socket, root only): "punchd connect
 * bob" and other local programs send one command line and read result
 * lines until we close. A connect's answer comes when the exchange ends,
 * so the connection stays open meanwhile; nothing here blocks the loop.
 *
 *   connect PEER     -> "ok peer=P mode=direct|relay endpoint=E ms=N"
 *                       or "error peer=P reason=R"
 *   connect PEER tcp -> "ok peer=P mode=tcp endpoint=E ..." with the
 *                       connected socket attached (SCM_RIGHTS), or an error
 *   accept tcp [PEER] -> the same, for the next TCP call a peer (PEER) makes
 *   disconnect PEER  -> "ok"; the flow is removed
 *   discover         -> NAT discovery and the hop walk again, now; when
 *                       they end, the "nat ..." line of status, or
 *                       "error reason=no-answer"
 *   status           -> "server ..." and one "peer ..." line per peer
 *   status json      -> the same as one JSON document (punchd(8))
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "punchd.h"
#include "tcp.h"

#define PD_MAX_CONTROL	16
#define CMD_MAX		128

struct pd_ctl {
	int fd;
	char in[CMD_MAX];
	size_t len;
	bool waiting;	/* a peer holds it until the result */
	bool discover;	/* waits for NAT discovery */
};

static int listen_fd = -1;
static struct pd_ctl ctl[PD_MAX_CONTROL];

int pd_control_open(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char *slash;
	mode_t old;
	int i;

	for (i = 0; i < PD_MAX_CONTROL; i++)
		ctl[i].fd = -1;
	if (strlen(pd_cfg.socket_path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, pd_cfg.socket_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -1;
	unlink(pd_cfg.socket_path);
	old = umask(077);
	/* The default lives in /run/punchd, which systemd makes; by hand, we do. */
	slash = strrchr(sun.sun_path, '/');
	if (slash && slash != sun.sun_path) {
		*slash = '\0';
		if (mkdir(sun.sun_path, 0755) && errno != EEXIST) {
			umask(old);
			return -1;
		}
		*slash = '/';
	}
	if (bind(listen_fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(listen_fd, 16)) {
		umask(old);
		return -1;
	}
	umask(old);
	return 0;
}

int pd_control_fd(void)
{
	return listen_fd;
}

void pd_control_close(void)
{
	int i;

	for (i = 0; i < PD_MAX_CONTROL; i++)
		if (ctl[i].fd >= 0)
			close(ctl[i].fd);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(pd_cfg.socket_path);
	}
}

void pd_reply(int fd, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!send(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n :
			    sizeof(buf) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
}

void pd_reply_all(int fd, const void *buf, size_t len)
{
	int need = len > (1 << 24) ? 1 << 24 : 2 * (int)len + 65536, have;
	socklen_t sl = sizeof(have);
	ssize_t n;

	/*
	 * Room for all of it now, so the loop never waits on a slow reader:
	 * FORCE passes net.core.wmem_max (we hold CAP_NET_ADMIN anyway).
	 */
	if (!getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &sl) && have < need &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &need, sizeof(need)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &need, sizeof(need));
	n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 || (size_t)n < len)
		pd_log("control-short", "sent=%zd of=%zu error=\"%s\"", n, len,
		       n < 0 ? strerror(errno) : "short");
}

void pd_reply_done(int fd)
{
	int i;

	for (i = 0; i < PD_MAX_CONTROL; i++)
		if (ctl[i].fd == fd) {
			close(fd);
			ctl[i].fd = -1;
		}
}

void pd_control_accept(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < PD_MAX_CONTROL; i++) {
		if (ctl[i].fd < 0) {
			ctl[i].fd = fd;
			ctl[i].len = 0;
			ctl[i].waiting = false;
			ctl[i].discover = false;
			return;
		}
	}
	pd_reply(fd, "error reason=too-many-control-connections\n");
	close(fd);
}

/*
 * "connect PEER [tcp]": true when the call is under way and c waits for
 * its answer; false after an error line.
 */
static bool connect_peer(struct pd_ctl *c, const char *peer, bool tcp)
{
	struct pd_peer *p = NULL;
	const char *why = NULL;

	if (!strcmp(peer, pd_cfg.id))
		why = "self";
	else if (!pd_policy_allowed(peer))
		why = "not-allowed";
	else if (!tcp && !(p = pd_peer_get(peer, true)))
		why = "too-many-peers";
	else if (!tcp && pd_peer_spent(p))
		why = "peer-probes";
	if (why) {
		pd_reply(c->fd, "error peer=%s reason=%s\n", peer, why);
		return false;
	}
	c->waiting = true;
	pd_log("control", "command=connect peer=%s%s", peer, tcp ? " proto=tcp" : "");
	if (tcp)
		pd_tcp_connect(peer, c->fd);
	else
		pd_peer_connect(p, c->fd);
	return true;
}

static void command(struct pd_ctl *c, char *line)
{
	char *verb, *arg, *extra, *more, *save;
	struct pd_peer *p;

	verb = strtok_r(line, " ", &save);
	arg = strtok_r(NULL, " ", &save);
	extra = strtok_r(NULL, " ", &save);
	more = extra ? strtok_r(NULL, " ", &save) : NULL;
	if (more) {
		pd_reply(c->fd, "error reason=bad-command\n");
	} else if (verb && arg && !strcmp(verb, "connect") && sig_word_ok(arg) &&
		   (!extra || !strcmp(extra, "tcp"))) {
		if (connect_peer(c, arg, extra != NULL))
			return;
	} else if (verb && arg && !strcmp(verb, "accept") && !strcmp(arg, "tcp") &&
		   (!extra || sig_word_ok(extra))) {
		c->waiting = true;
		pd_log("control", "command=accept proto=tcp");
		pd_tcp_accept(c->fd, extra);
		return;
	} else if (verb && !strcmp(verb, "discover") && !arg) {
		if (!pd_nat_rediscover()) {
			pd_log("control", "command=discover");
			c->waiting = c->discover = true;
			return;
		}
		pd_reply(c->fd, "error reason=not-started\n");
	} else if (verb && !strcmp(verb, "status") && !arg) {
		pd_status_text(c->fd);
	} else if (verb && !strcmp(verb, "status") && arg && !strcmp(arg, "json") &&
		   !extra) {
		pd_status_json(c->fd);
	} else if (verb && arg && !extra && !strcmp(verb, "disconnect") &&
		   sig_word_ok(arg)) {
		p = pd_peer_get(arg, false);
		if (p) {
			pd_log("control", "command=disconnect peer=%s", arg);
			pd_peer_forget(p);
			pd_reply(c->fd, "ok\n");
		} else {
			pd_reply(c->fd, "error peer=%s reason=unknown-peer\n", arg);
		}
	} else {
		pd_reply(c->fd, "error reason=bad-command\n");
	}
	pd_reply_done(c->fd);
}

static void control_read(struct pd_ctl *c)
{
	ssize_t n = recv(c->fd, c->in + c->len, sizeof(c->in) - 1 - c->len, 0);
	char *nl;

	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		/* A waiter that hangs up keeps its slot until the result. */
		if (!c->waiting)
			pd_reply_done(c->fd);
		return;
	}
	if (n < 0 || c->waiting)
		return;
	c->len += (size_t)n;
	c->in[c->len] = '\0';
	nl = strchr(c->in, '\n');
	if (nl) {
		*nl = '\0';
		command(c, c->in);
	} else if (c->len == sizeof(c->in) - 1) {
		pd_reply(c->fd, "error reason=line-too-long\n");
		pd_reply_done(c->fd);
	}
}

/* The poll set: fds[] gets the control clients, returns how many. */
int pd_control_fds(int *fds, int max)
{
	int i, n = 0;

	for (i = 0; i < PD_MAX_CONTROL && n < max; i++)
		if (ctl[i].fd >= 0 && !ctl[i].waiting)
			fds[n++] = ctl[i].fd;
	return n;
}

void pd_control_input(int fd)
{
	int i;

	for (i = 0; i < PD_MAX_CONTROL; i++)
		if (ctl[i].fd == fd) {
			control_read(&ctl[i]);
			return;
		}
}

void pd_control_discovered(void)
{
	int i;

	for (i = 0; i < PD_MAX_CONTROL; i++) {
		if (ctl[i].fd < 0 || !ctl[i].discover)
			continue;
		if (pd_nat_last_failed())
			pd_reply(ctl[i].fd, "error reason=no-answer\n");
		else
			pd_status_nat(ctl[i].fd);
		pd_reply_done(ctl[i].fd);
	}
}
