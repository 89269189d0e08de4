// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hiredis on rendezvousd's epoll loop (redis_loop.h). hiredis calls the
 * ev hooks when it wants to read or write; the loop calls it back when
 * the socket is ready. It frees a context itself when the connection
 * ends (after onConnect reports a failure; before onDisconnect, which
 * still gets it): its cleanup hook is where ac is forgotten, never to be
 * touched again.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/sds.h>

#include "redis_loop.h"

#define CONNECT_MS	3000
#define BACKOFF_MIN_MS	250
#define BACKOFF_MAX_MS	8000

static void watch(struct rdv_redis *r, uint32_t events)
{
	if (!r->ac || events == r->events)
		return;
	r->events = events;
	rdv_epoll_mod(&r->io, events);
}

static void add_read(void *p)
{
	struct rdv_redis *r = p;

	watch(r, r->events | EPOLLIN);
}

static void del_read(void *p)
{
	struct rdv_redis *r = p;

	watch(r, r->events & ~(uint32_t)EPOLLIN);
}

static void add_write(void *p)
{
	struct rdv_redis *r = p;

	watch(r, r->events | EPOLLOUT);
}

static void del_write(void *p)
{
	struct rdv_redis *r = p;

	watch(r, r->events & ~(uint32_t)EPOLLOUT);
}

/* The context is being freed: its socket leaves the loop before it closes. */
static void cleanup(void *p)
{
	struct rdv_redis *r = p;

	rdv_epoll_del(&r->io);
	r->io.fd = -1;
	r->events = 0;
	r->ac = NULL;
}

static void retry_later(struct rdv_redis *r)
{
	r->backoff_ms = r->backoff_ms ? 2 * r->backoff_ms : BACKOFF_MIN_MS;
	if (r->backoff_ms > BACKOFF_MAX_MS)
		r->backoff_ms = BACKOFF_MAX_MS;
	rdv_timer_arm(&r->timer, rdv_now_ms() + r->backoff_ms);
}

static void lost(struct rdv_redis *r, const char *why)
{
	bool was_up = r->up;

	r->up = false;
	retry_later(r);
	rdv_log(was_up ? RDV_LOG_WARN : RDV_LOG_INFO, "redis-down",
		"conn=%s reason=\"%s\" retry_ms=%u", r->name, why, r->backoff_ms);
}

/* Connected, and authenticated if it must be: commands may go. */
static void ready(struct rdv_redis *r)
{
	rdv_timer_cancel(&r->timer);
	r->up = true;
	r->backoff_ms = 0;
	rdv_log(RDV_LOG_INFO, "redis-up", "conn=%s", r->name);
	if (r->on_up)
		r->on_up(r);
}

static void auth_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rdv_redis *r = priv;
	redisReply *rep = reply;

	if (rep && rep->type == REDIS_REPLY_STATUS) {
		ready(r);
		return;
	}
	if (rep)
		rdv_log(RDV_LOG_ERR, "redis-auth-failed", "conn=%s error=\"%s\"", r->name,
			rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
	/* No reply: the connection is already going. */
	if (rep)
		redisAsyncDisconnect(ac);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct rdv_redis *r = ac->ev.data;

	if (status != REDIS_OK) {
		/* hiredis frees ac after this: cleanup() has forgotten it. */
		lost(r, ac->errstr);
		return;
	}
	/* The connect deadline holds until AUTH is answered too. */
	if (r->password)
		redisAsyncCommand(r->ac, auth_reply, r, "AUTH %s", r->password);
	else
		ready(r);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rdv_redis *r = ac->ev.data;

	lost(r, status == REDIS_OK ? "closed" : ac->errstr);
}

static void connect_now(struct rdv_redis *r)
{
	redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
	int err;

	if (!ac || ac->err) {
		lost(r, ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		return;
	}
	r->ac = ac;
	r->io.fd = ac->c.fd;
	r->events = 0;
	ac->ev.data = r;
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	if (rdv_epoll_add(&r->io, 0) ||
	    redisAsyncSetConnectCallback(ac, on_connect) != REDIS_OK ||
	    redisAsyncSetDisconnectCallback(ac, on_disconnect) != REDIS_OK) {
		err = errno;
		redisAsyncFree(ac);	/* calls cleanup() */
		lost(r, strerror(err));
		return;
	}
	/* A Redis host that dies silently is noticed (cluster.c pings too). */
	redisEnableKeepAlive(&ac->c);
	/* hiredis waits for writability to see the connect done. */
	add_write(r);
	rdv_timer_arm(&r->timer, rdv_now_ms() + CONNECT_MS);
}

/* The connect deadline, or the time to try again. */
static void timer_fired(struct rdv_timer *t, uint64_t now)
{
	struct rdv_redis *r = rdv_container_of(t, struct rdv_redis, timer);

	(void)now;
	if (r->ac && !r->up) {
		/* Not connected in time: give up this one (no callback runs). */
		redisAsyncContext *ac = r->ac;

		ac->onDisconnect = NULL;
		redisAsyncFree(ac);
		lost(r, "connect timeout");
		return;
	}
	if (!r->ac)
		connect_now(r);
}

int rdv_redis_start(struct rdv_redis *r, const char *host, int port)
{
	r->host = host;
	r->port = port;
	r->io.kind = RDV_REDIS;
	r->io.fd = -1;
	r->timer.fire = timer_fired;
	connect_now(r);
	return 0;
}

void rdv_redis_event(struct rdv_io *io, uint32_t events)
{
	struct rdv_redis *r = (struct rdv_redis *)io;

	if (r->ac && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		redisAsyncHandleRead(r->ac);
	if (r->ac && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		redisAsyncHandleWrite(r->ac);
}

void rdv_redis_drain(struct rdv_redis *r, unsigned int ms)
{
	uint64_t until = rdv_now_ms() + ms, now;
	struct pollfd p;

	while (r->ac && r->up && (r->ac->replies.head || sdslen(r->ac->c.obuf))) {
		now = rdv_now_ms();
		if (now >= until) {
			rdv_log(RDV_LOG_WARN, "redis-drain", "conn=%s waited_ms=%u", r->name, ms);
			return;
		}
		p = (struct pollfd){ .fd = r->ac->c.fd,
				     .events = POLLIN | (sdslen(r->ac->c.obuf) ? POLLOUT : 0) };
		if (poll(&p, 1, (int)(until - now)) <= 0)
			continue;
		if (p.revents & (POLLIN | POLLERR | POLLHUP))
			redisAsyncHandleRead(r->ac);
		if (r->ac && (p.revents & (POLLOUT | POLLERR | POLLHUP)))
			redisAsyncHandleWrite(r->ac);
	}
}

void rdv_redis_stop(struct rdv_redis *r)
{
	rdv_timer_cancel(&r->timer);
	if (r->ac) {
		r->ac->onDisconnect = NULL;
		redisAsyncFree(r->ac);
	}
	r->up = false;
}
