// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The programs waiting in "accept tcp [PEER]" (tcp.h): a queue in the
 * order they came. A call takes the oldest that accepts its peer, and
 * gives it back if the call fails before the hand-over, so a peer that
 * offers and never punches costs a listener nothing.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "punchd.h"
#include "tcp.h"

struct tcp_listener {
	int fd;				/* the control client */
	char peer[SIG_ID_MAX + 1];	/* only from it; "": anyone */
};

static struct tcp_listener queue[PD_TCP_LISTENERS];
static unsigned int n_queued;

/*
 * Gone: the program closed its end (a unix stream socket then polls
 * POLLHUP); one that only shut down its writing still waits.
 */
static bool listener_gone(int fd)
{
	struct pollfd p = { .fd = fd };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

void pd_tcp_listen_sweep(void)
{
	unsigned int i = 0;

	while (i < n_queued) {
		if (!listener_gone(queue[i].fd)) {
			i++;
			continue;
		}
		pd_reply_done(queue[i].fd);
		memmove(queue + i, queue + i + 1, (n_queued - i - 1) * sizeof(queue[0]));
		n_queued--;
	}
}

unsigned int pd_tcp_listeners(void)
{
	return n_queued;
}

int pd_tcp_listen_add(int fd, const char *peer, bool first)
{
	unsigned int at;

	pd_tcp_listen_sweep();
	if (n_queued == PD_TCP_LISTENERS)
		return -1;
	at = first ? 0 : n_queued;
	memmove(queue + at + 1, queue + at, (n_queued - at) * sizeof(queue[0]));
	queue[at].fd = fd;
	snprintf(queue[at].peer, sizeof(queue[at].peer), "%s", peer ? peer : "");
	n_queued++;
	return 0;
}

int pd_tcp_listen_take(const char *peer, char *filter, size_t cap)
{
	unsigned int i;
	int fd;

	pd_tcp_listen_sweep();
	for (i = 0; i < n_queued; i++) {
		if (queue[i].peer[0] && strcmp(queue[i].peer, peer))
			continue;
		fd = queue[i].fd;
		snprintf(filter, cap, "%s", queue[i].peer);
		memmove(queue + i, queue + i + 1, (n_queued - i - 1) * sizeof(queue[0]));
		n_queued--;
		return fd;
	}
	return -1;
}
