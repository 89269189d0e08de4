// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TCP calls (tcp.h), one each way:
 *
 *   caller: MAPPING -> OFFERED (CONNECT proto=tcp sent) -> PUNCHING -> hand-over
 *           OFFERED -> GLARED (the peer's call stands) -> its OFFER takes our waiter
 *   callee: OFFER proto=tcp -> MAPPING -> ANSWER sent, PUNCHING -> hand-over
 *
 * The callee would start its open one trip through the server before the
 * caller (its ANSWER goes there, and on as ACCEPTED), so its SYN could
 * reach the caller's NAT early: a NAT with a firewall drops it and
 * forgets it, but a plain masquerade gateway answers with a RST and
 * keeps an entry that moves the caller's own SYN to another port
 * (tcp_punch.h). So the callee waits that trip out, from both sides'
 * round trips to the server (the caller's comes in the OFFER), and the
 * two SYNs leave together: each crosses its own NAT before the other's
 * can arrive, as long as the skew is under the one-way delay between the
 * peers. Better, where the hop walk knows the TTL that primes our NATs
 * (hops.c), the module primes the callee's open (a TCP prime: its SYNs
 * die beyond our NATs until the caller's comes) and the callee starts at
 * once: then the order does not matter, and neither does a wrong guess
 * of the trip (asymmetric paths, a stale round trip).
 *
 * Behind a sequential NAT the connection to the peer takes the next
 * allocation after our mapping query's: we offer a window of ports from
 * the mapping on, and a peer whose own NAT maps independently of the
 * endpoint connects to each allocation in it at once, from one port (its
 * NAT gives them all the one mapping we aim at); the first connection
 * that proves the secret is the punch. Its primes, one per port, make
 * the order safe there too.
 *
 * Each call binds a fresh port and keeps it bound (hold) from the
 * mapping query to the hand-over, so two calls, or a call and a
 * connection made before, never share a four-tuple. One call to a peer
 * and one from it are under way at a time: the server's answers name
 * the peer, not our call, until the session id is known.
 *
 * The worker thread reads only what was set before it started (local,
 * server, remote and its window, secret, caller, timeout_ms,
 * start_delay_ms) and writes only its
 * results (err, mapped, conn, res); the loop reads those after joining
 * it. A call that fails meanwhile is marked dropped and freed then.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/nfpunch.h>

#include "cand_filter.h"
#include "fdpass.h"
#include "punchd.h"
#include "retry.h"
#include "sockaddr.h"
#include "tcp.h"
#include "tcp_punch.h"

#define TCP_MAPPING_MS		3000	/* the STUN query over TCP */
#define TCP_SERVER_WAIT_MS	15000	/* for ACCEPTED, or the glare's OFFER */
#define LISTENER_CHECK_MS	5000	/* a listener that hung up goes */
#define START_DELAY_MAX_MS	2000	/* a longer trip is not believed */

enum tcp_state {
	T_FREE,
	T_MAPPING,	/* the worker asks the server for our port's mapping */
	T_OFFERED,	/* CONNECT sent, waiting for ACCEPTED */
	T_GLARED,	/* the peer's call stands: waiting for its OFFER */
	T_PUNCHING,	/* the worker opens the connection */
};

static const char *const state_names[] = {
	[T_FREE] = "free",
	[T_MAPPING] = "mapping",
	[T_OFFERED] = "offered",
	[T_GLARED] = "glared",
	[T_PUNCHING] = "punching",
};

struct tcp_call {
	enum tcp_state state;
	bool caller;
	bool dropped;			/* failed while its worker ran */
	char peer[SIG_ID_MAX + 1];
	uint8_t sid[SIG_SID_LEN];
	bool have_sid;
	bool answer_due;		/* callee: OFFER taken, no ANSWER sent yet */
	uint8_t secret[SIG_SECRET_LEN];
	int waiter;			/* the control client, or -1 */
	bool listener;			/* waiter came from "accept tcp" */
	char filter[SIG_ID_MAX + 1];	/* and took calls from this peer only */
	int hold;			/* keeps our port ours */
	struct sockaddr_storage local, server, remote;
	uint64_t started, deadline;
	/* The worker's (see above). */
	pthread_t thread;
	bool running;
	atomic_bool done;
	int timeout_ms;			/* of the punch */
	unsigned int start_delay_ms;	/* before the first connect() */
	unsigned int remote_ports;	/* remote's port and the next ones: 1, or a window */
	unsigned int remote_step;	/* of the window's ports, every this many */
	uint32_t prime_ids[TCP_PUNCH_PORTS_MAX];	/* the module's TCP primes */
	unsigned int n_primes;
	int err;			/* 0, or an errno */
	int conn;			/* the connection, or -1 */
	struct sockaddr_storage mapped;
	struct tcp_punch_result res;
};

static struct tcp_call calls[PD_TCP_CALLS];
static int done_fd = -1;
static uint64_t listeners_checked;

static void tcp_call_clear(struct tcp_call *c)
{
	memset(c, 0, sizeof(*c));
	c->hold = c->waiter = c->conn = -1;
}

void pd_tcp_init(void)
{
	unsigned int i;

	for (i = 0; i < PD_TCP_CALLS; i++)
		tcp_call_clear(&calls[i]);
}

static const char *ss_str(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	struct sig_ep ep = { .family = ss->ss_family };

	ep.port = sa_get(ss, ep.addr);
	return sig_ep_format(&ep, buf, cap);
}

static unsigned int elapsed(const struct tcp_call *c)
{
	return (unsigned int)(pd_now_ms() - c->started);
}

/* The module's primes of c's open, if any, end (they would on their own). */
static void tcp_prime_stop(struct tcp_call *c)
{
	int ret;

	while (c->n_primes) {
		ret = nfp_tcp_prime_stop(pd_nfp, c->prime_ids[--c->n_primes]);
		/* -ENOENT: it ended by itself already. */
		if (ret < 0 && ret != -ENOENT)
			pd_log("tcp-prime-stop-failed", "peer=%s error=\"%s\"", c->peer,
			       nfp_strerror(pd_nfp));
	}
}

/* Its worker is done (or never ran): the slot is free again. */
static void tcp_call_release(struct tcp_call *c)
{
	tcp_prime_stop(c);
	if (c->hold >= 0)
		close(c->hold);
	if (c->conn >= 0)
		close(c->conn);
	tcp_call_clear(c);
}

static void refuse(int waiter, const char *peer, const char *reason)
{
	pd_reply(waiter, "error peer=%s reason=%s\n", peer, reason);
	pd_reply_done(waiter);
}

/*
 * End a call before its hand-over: a program that waits in "accept tcp"
 * goes back to the head of the queue to wait on; one that asked for this
 * call is told why, and so is a caller we owe an ANSWER (REJECT with the
 * reason, rather than its 15 s wait). Nothing for a slot already free (a
 * link loss inside a send ended it).
 */
static void tcp_call_fail(struct tcp_call *c, const char *reason)
{
	struct sig_msg m;
	bool reject;

	if (c->state == T_FREE || c->dropped)
		return;
	/* A call we took but have not answered is refused at once. */
	reject = !c->caller && c->answer_due;
	memset(&m, 0, sizeof(m));
	memcpy(m.sid, c->sid, SIG_SID_LEN);
	c->answer_due = false;
	pd_log("tcp-failed", "peer=%s state=%s reason=%s ms=%u", c->peer,
	       state_names[c->state], reason, elapsed(c));
	if (c->waiter >= 0 && c->listener &&
	    !pd_tcp_listen_add(c->waiter, c->filter[0] ? c->filter : NULL, true))
		c->waiter = -1;
	if (c->waiter >= 0)
		refuse(c->waiter, c->peer, reason);
	c->waiter = -1;
	if (c->running)
		c->dropped = true;
	else
		tcp_call_release(c);
	/* Last: a failed send drops the link, whose loss fails calls. */
	if (reject)
		pd_reject(&m, reason);
}

static void *work_done(struct tcp_call *c)
{
	static const uint64_t one = 1;

	atomic_store(&c->done, true);
	(void)!write(done_fd, &one, sizeof(one));
	return NULL;
}

static void *map_worker(void *arg)
{
	struct tcp_call *c = arg;

	c->err = tcp_punch_mapping(&c->local, &c->server, TCP_MAPPING_MS,
				   &c->mapped) ? errno : 0;
	return work_done(c);
}

static void *punch_worker(void *arg)
{
	struct tcp_call *c = arg;
	struct timespec ts = {
		.tv_sec = c->start_delay_ms / 1000,
		.tv_nsec = (long)(c->start_delay_ms % 1000) * 1000000,
	};
	struct tcp_punch p = {
		.local = c->local,
		.peer = c->remote,
		.peer_ports = c->remote_ports,
		.peer_step = c->remote_step,
		.secret = c->secret,
		.secret_len = sizeof(c->secret),
		.controlling = c->caller,
		.timeout_ms = c->timeout_ms,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	c->conn = tcp_punch_connect(&p, &c->res);
	c->err = c->conn < 0 ? errno : 0;
	return work_done(c);
}

/* T_MAPPING runs map_worker, T_PUNCHING punch_worker. */
static void tcp_call_run(struct tcp_call *c, enum tcp_state state)
{
	if (done_fd < 0)
		done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->state = state;
	atomic_store(&c->done, false);
	if (done_fd < 0 || pthread_create(&c->thread, NULL, state == T_MAPPING ?
					  map_worker : punch_worker, c)) {
		tcp_call_fail(c, "no-thread");
		return;
	}
	c->running = true;
}

/*
 * The call under way to peer (caller: ours, until its session id comes
 * with ACCEPTED) or from it (callee: until the hand-over); one each way.
 */
static struct tcp_call *tcp_call_pending(const char *peer, bool caller)
{
	unsigned int i;

	for (i = 0; i < PD_TCP_CALLS; i++) {
		struct tcp_call *c = &calls[i];

		if (c->state != T_FREE && !c->dropped && c->caller == caller &&
		    !(caller && c->have_sid) && !strcmp(c->peer, peer))
			return c;
	}
	return NULL;
}

static struct tcp_call *tcp_call_by_sid(const uint8_t *sid)
{
	unsigned int i;

	for (i = 0; i < PD_TCP_CALLS; i++) {
		struct tcp_call *c = &calls[i];

		if (c->state != T_FREE && !c->dropped && c->have_sid &&
		    !memcmp(c->sid, sid, SIG_SID_LEN))
			return c;
	}
	return NULL;
}

/* A free slot, with a fresh port on the address the server link uses. */
static struct tcp_call *tcp_call_new(const char *peer, bool caller, int waiter)
{
	socklen_t len = sizeof(struct sockaddr_storage);
	struct tcp_call *c = NULL;
	struct nfp_endpoint ep;
	unsigned int i;

	for (i = 0; i < PD_TCP_CALLS && !c; i++)
		if (calls[i].state == T_FREE && !calls[i].running)
			c = &calls[i];
	if (!c)
		return NULL;
	tcp_call_clear(c);
	c->state = T_MAPPING;	/* what comes next; taken from here on */
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->caller = caller;
	c->waiter = waiter;
	c->started = pd_now_ms();
	c->timeout_ms = (int)pd_cfg.punch_timeout_ms;
	if (pd_link_local(&ep) ||
	    pd_server_sockaddr(&c->server, pd_cfg.signal_port) < 0)
		return c;
	sa_set(&c->local, ep.family, ep.addr, 0);
	c->hold = tcp_punch_socket(&c->local);
	if (c->hold >= 0 && getsockname(c->hold, (struct sockaddr *)&c->local, &len)) {
		close(c->hold);
		c->hold = -1;
	}
	return c;
}

void pd_tcp_connect(const char *peer, int waiter)
{
	struct tcp_call *c;

	if (!pd_link_up()) {
		refuse(waiter, peer, "server-unreachable");
		return;
	}
	if (!pd_link_tcp()) {
		refuse(waiter, peer, "server-without-tcp");
		return;
	}
	if (tcp_call_pending(peer, true)) {
		refuse(waiter, peer, "busy");
		return;
	}
	c = tcp_call_new(peer, true, waiter);
	if (!c) {
		refuse(waiter, peer, "too-many-tcp-calls");
		return;
	}
	pd_log("tcp-connect", "peer=%s", peer);
	if (c->hold < 0) {
		tcp_call_fail(c, "no-port");
		return;
	}
	tcp_call_run(c, T_MAPPING);
}

void pd_tcp_accept(int waiter, const char *peer)
{
	if (pd_tcp_listen_add(waiter, peer, false)) {
		pd_reply(waiter, "error reason=too-many-listeners\n");
		pd_reply_done(waiter);
		return;
	}
	pd_log("tcp-listen", "listeners=%u peer=%s", pd_tcp_listeners(),
	       peer ? peer : "any");
}

/*
 * Our mapping, and before it, behind a sequential NAT, the window the
 * connection's own mapping falls in: the next allocation after the
 * query's, or a later one if other mappings come between. The window
 * starts at the mapping itself, for a NAT that allocates TCP unlike the
 * UDP discovery saw (port-preserving, say); its step is in our nat word.
 */
static void add_mapping(struct tcp_call *c, struct sig_msg *m)
{
	struct sig_ep ep = { .family = c->mapped.ss_family };
	struct pd_nat mine;
	unsigned int last;

	ep.port = sa_get(&c->mapped, ep.addr);
	if (pd_nat_mine(&mine) && pd_nat_predictable(&mine)) {
		struct sig_ep win = ep;

		last = ep.port + (unsigned int)mine.delta * (TCP_PUNCH_PORTS_MAX - 1);
		win.port_last = (uint16_t)(last > 65535 ? 65535 : last);
		sig_add_cand(m, &win);
		pd_nat_format(&mine, m->nat, sizeof(m->nat));
		m->has |= SIG_K_NAT;
		pd_log("tcp-predict", "peer=%s mapped=%u window=%u-%u", c->peer,
		       ep.port, win.port, win.port_last);
	}
	sig_add_cand(m, &ep);
	m->proto = SIG_PROTO_TCP;
	m->has |= SIG_K_PROTO;
}

static void cand_refused(const char *why, const struct sig_ep *ep, void *ctx)
{
	const struct tcp_call *c = ctx;
	char a[SIG_EP_STRLEN];

	pd_log("candidate-refused", "peer=%s cand=%s reason=%s proto=tcp", c->peer,
	       sig_ep_format(ep, a, sizeof(a)), why);
}

/*
 * Can our connections to a window of ports all leave through one
 * mapping? Only if our NAT maps independently of the endpoint (or there
 * is none): else each takes a mapping of its own, and behind a
 * sequential NAT they would spend the ports our own offer predicted.
 */
static bool window_ok(void)
{
	struct pd_nat mine;

	return pd_nat_mine(&mine) && (mine.map == PD_MAP_EIM || mine.map == PD_MAP_OPEN);
}

/*
 * The peer's mapping, where its SYNs come from: its first candidate that
 * passes the filter UDP candidates pass, on the address the server saw
 * the peer at: one port, or the window of a sequential NAT (at most
 * TCP_PUNCH_PORTS_MAX ports) where window_ok(). A hostile peer aims our
 * SYNs at itself only.
 */
static int take_remote(struct tcp_call *c, const struct sig_msg *m)
{
	struct pd_cand_view view = {
		.observed = m->observed,
		.family = c->local.ss_family,
	};
	struct sig_ep ok[SIG_MAX_CANDS];
	unsigned int n, i, ports, step;
	char a[SIG_EP_STRLEN];
	struct pd_nat theirs;

	view.sequential = (m->has & SIG_K_NAT) && !pd_nat_parse(m->nat, &theirs) &&
			  pd_nat_predictable(&theirs);
	/* A window's allocations: every delta-th port (pd_nat_predictable: 1..16). */
	step = view.sequential ? (unsigned int)theirs.delta : 1;
	n = pd_cand_filter(m->cand, m->n_cand, &view, ok, cand_refused, c);
	for (i = 0; i < n; i++) {
		ports = ok[i].port_last ? (ok[i].port_last - ok[i].port) / step + 1u : 1u;
		if (ok[i].family != m->observed.family ||
		    memcmp(ok[i].addr, m->observed.addr, sizeof(ok[i].addr))) {
			cand_refused("not-observed", &ok[i], c);
			continue;
		}
		if (ports > 1 && (ports > TCP_PUNCH_PORTS_MAX || !window_ok())) {
			cand_refused(ports > TCP_PUNCH_PORTS_MAX ? "window-too-wide" :
				     "window-needs-independent-mapping", &ok[i], c);
			continue;
		}
		sa_set(&c->remote, ok[i].family, ok[i].addr, ok[i].port);
		c->remote_ports = ports;
		c->remote_step = step;
		if (ports > 1)
			pd_log("tcp-window", "peer=%s first=%s ports=%u step=%u", c->peer,
			       ss_str(&c->remote, a, sizeof(a)), ports, step);
		return 0;
	}
	return -1;
}

/*
 * The callee starts at once, primed by the module, where the hop walk
 * found the TTL that crosses our NATs; else (no TTL known, --prime no,
 * a module without TCP primes) it keeps its timed start. A window gets
 * a prime per port, or none: a SYN at full TTL could reach the peer's
 * NAT before its own and take the port it predicted.
 */
static void tcp_prime(struct tcp_call *c)
{
	struct nfp_endpoint local = { .family = c->local.ss_family };
	struct nfp_endpoint remote = { .family = c->remote.ss_family };
	unsigned int ttl = pd_cfg.prime ? pd_hops_prime_ttl(c->local.ss_family) : 0;
	uint32_t ms = c->timeout_ms < NFPUNCH_TCP_PRIME_TIME_MAX ?
		      (uint32_t)c->timeout_ms : NFPUNCH_TCP_PRIME_TIME_MAX;
	uint16_t port;

	if (!ttl)
		return;
	local.port = sa_get(&c->local, local.addr);
	port = sa_get(&c->remote, remote.addr);
	while (c->n_primes < c->remote_ports) {
		remote.port = (uint16_t)(port + c->remote_step * c->n_primes);
		if (nfp_tcp_prime_start(pd_nfp, &local, &remote, ttl, ms,
					&c->prime_ids[c->n_primes]) < 0) {
			pd_log("tcp-prime-failed", "peer=%s error=\"%s\"", c->peer,
			       nfp_strerror(pd_nfp));
			tcp_prime_stop(c);
			return;
		}
		c->n_primes++;
	}
	pd_log("tcp-primed", "peer=%s ttl=%u ms=%u ports=%u", c->peer, ttl, ms,
	       c->n_primes);
	c->start_delay_ms = 0;
}

/* The mapping worker is done: offer (caller) or answer and open (callee). */
static void tcp_mapped(struct tcp_call *c)
{
	char a[SIG_EP_STRLEN], b[SIG_EP_STRLEN];
	struct sig_msg m;

	if (c->err) {
		pd_log("tcp-mapping-failed", "peer=%s error=\"%s\"", c->peer,
		       strerror(c->err));
		tcp_call_fail(c, "mapping-failed");
		return;
	}
	pd_log("tcp-mapping", "peer=%s local=%s mapped=%s", c->peer,
	       ss_str(&c->local, a, sizeof(a)), ss_str(&c->mapped, b, sizeof(b)));
	sig_init(&m, c->caller ? SIG_CONNECT : SIG_ANSWER);
	if (c->caller) {
		snprintf(m.peer, sizeof(m.peer), "%s", c->peer);
		m.has |= SIG_K_PEER;
	} else {
		memcpy(m.sid, c->sid, SIG_SID_LEN);
		m.has |= SIG_K_SID;
	}
	add_mapping(c, &m);
	if (c->caller && (m.rtt = pd_link_rtt_ms()))
		m.has |= SIG_K_RTT;
	/*
	 * A failed send drops the link, and the link's loss this call; an
	 * ANSWER that could not leave leaves no way to refuse either.
	 */
	c->answer_due = false;
	if (pd_link_send(&m)) {
		tcp_call_fail(c, "server-unreachable");
		return;
	}
	if (c->caller) {
		pd_log("tcp-offered", "peer=%s", c->peer);
		c->state = T_OFFERED;
		c->deadline = pd_now_ms() + TCP_SERVER_WAIT_MS;
	} else {
		tcp_prime(c);
		tcp_call_run(c, T_PUNCHING);
	}
}

/* The punch worker is done: hand the connection over, or fail. */
static void tcp_punched(struct tcp_call *c)
{
	char line[320], r[SIG_EP_STRLEN], l[SIG_EP_STRLEN];
	socklen_t len = sizeof(c->remote);
	int n;

	if (c->err) {
		tcp_call_fail(c, c->err == ETIMEDOUT ? "punch-timeout" :
			      c->err == EACCES ? "not-proven" : "punch-failed");
		return;
	}
	/* Of a window, the port that connected (else its first, logged so). */
	if (c->remote_ports > 1 && getpeername(c->conn, (struct sockaddr *)&c->remote, &len))
		pd_log("tcp-peername-failed", "peer=%s error=\"%s\"", c->peer, strerror(errno));
	ss_str(&c->remote, r, sizeof(r));
	ss_str(&c->local, l, sizeof(l));
	n = snprintf(line, sizeof(line),
		     "ok peer=%s mode=tcp endpoint=%s ms=%u local=%s attempts=%u refused=%u\n",
		     c->peer, r, elapsed(c), l, c->res.attempts, c->res.refused);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;	/* cannot be: ids and addresses are short */
	pd_log("tcp-up", "peer=%s endpoint=%s ms=%u local=%s attempts=%u refused=%u unproven=%u caller=%d",
	       c->peer, r, elapsed(c), l, c->res.attempts, c->res.refused, c->res.unproven,
	       c->caller);
	if (c->waiter < 0 || !n || fdpass_send(c->waiter, line, (size_t)n, c->conn))
		pd_log("tcp-handover-failed", "peer=%s error=\"%s\"", c->peer,
		       c->waiter < 0 ? "nobody waits" : strerror(errno));
	if (c->waiter >= 0)
		pd_reply_done(c->waiter);
	c->waiter = -1;
	tcp_call_release(c);
}

int pd_tcp_fd(void)
{
	return done_fd;
}

void pd_tcp_input(void)
{
	unsigned int i;
	uint64_t n;

	(void)!read(done_fd, &n, sizeof(n));
	for (i = 0; i < PD_TCP_CALLS; i++) {
		struct tcp_call *c = &calls[i];

		if (!c->running || !atomic_load(&c->done))
			continue;
		pthread_join(c->thread, NULL);
		c->running = false;
		if (c->dropped)
			tcp_call_release(c);
		else if (c->state == T_MAPPING)
			tcp_mapped(c);
		else
			tcp_punched(c);
	}
}

static void on_offer(const struct sig_msg *m)
{
	char filter[SIG_ID_MAX + 1] = "";
	struct tcp_call *mine, *c;
	bool listener = false;
	int waiter;

	if (!pd_offer_admit(m))
		return;
	if (tcp_call_pending(m->peer, false)) {
		pd_log("tcp-refused", "peer=%s reason=one-at-a-time", m->peer);
		pd_reject(m, "busy");
		return;
	}
	/*
	 * Glare: we call it too. The smaller id's call stands; the other
	 * side answers it, with the program that called waiting on it.
	 */
	mine = tcp_call_pending(m->peer, true);
	if (mine && mine->state != T_GLARED && pd_glare_we_call(pd_cfg.id, m->peer)) {
		pd_log("glare", "peer=%s call=ours proto=tcp", m->peer);
		pd_reject(m, "glare");
		return;
	}
	if (mine) {
		pd_log("glare", "peer=%s call=theirs proto=tcp", m->peer);
		waiter = mine->waiter;
		mine->waiter = -1;
		tcp_call_fail(mine, "glare");
	} else {
		waiter = pd_tcp_listen_take(m->peer, filter, sizeof(filter));
		listener = waiter >= 0;
	}
	if (waiter < 0) {
		pd_log("tcp-refused", "peer=%s reason=no-listener", m->peer);
		pd_reject(m, "no-listener");
		return;
	}
	c = tcp_call_new(m->peer, false, waiter);
	if (!c) {
		pd_reject(m, "busy");
		if (listener && !pd_tcp_listen_add(waiter, filter[0] ? filter : NULL, true))
			return;
		refuse(waiter, m->peer, "too-many-tcp-calls");
		return;
	}
	c->listener = listener;
	snprintf(c->filter, sizeof(c->filter), "%s", filter);
	memcpy(c->sid, m->sid, SIG_SID_LEN);
	c->have_sid = true;
	c->answer_due = true;
	memcpy(c->secret, m->secret, SIG_SECRET_LEN);
	/* Our ANSWER's way to the caller: half of each round trip. */
	if (m->has & SIG_K_RTT)
		c->start_delay_ms = (pd_link_rtt_ms() + m->rtt) / 2;
	if (c->start_delay_ms > START_DELAY_MAX_MS)
		c->start_delay_ms = START_DELAY_MAX_MS;
	pd_log("tcp-offer", "peer=%s candidates=%u start_delay_ms=%u", m->peer, m->n_cand,
	       c->start_delay_ms);
	if (c->hold < 0 || take_remote(c, m)) {
		tcp_call_fail(c, c->hold < 0 ? "no-port" : "no-candidate");
		return;
	}
	tcp_call_run(c, T_MAPPING);
}

static void on_accepted(const struct sig_msg *m)
{
	struct tcp_call *c = tcp_call_pending(m->peer, true);

	if (!c || c->state != T_OFFERED) {
		pd_log("unexpected", "verb=ACCEPTED peer=%s proto=tcp", m->peer);
		return;
	}
	memcpy(c->sid, m->sid, SIG_SID_LEN);
	c->have_sid = true;
	memcpy(c->secret, m->secret, SIG_SECRET_LEN);
	if (take_remote(c, m)) {
		tcp_call_fail(c, "no-candidate");
		return;
	}
	tcp_call_run(c, T_PUNCHING);
}

static void on_error(const struct sig_msg *m)
{
	struct tcp_call *c = NULL;

	if (m->has & SIG_K_SID)
		c = tcp_call_by_sid(m->sid);
	/* By name only our call still unanswered: we learn its id later. */
	if (!c && (m->has & SIG_K_PEER)) {
		c = tcp_call_pending(m->peer, true);
		if (c && c->state != T_OFFERED)
			c = NULL;
	}
	pd_log("server-error", "code=%s peer=%s proto=tcp", m->code, c ? c->peer : "-");
	if (!c || c->state == T_PUNCHING)
		return;
	if (!strcmp(m->code, "glare") && c->caller) {
		/* The peer's call stands: its OFFER takes our waiter. */
		c->state = T_GLARED;
		c->deadline = pd_now_ms() + TCP_SERVER_WAIT_MS;
		return;
	}
	tcp_call_fail(c, m->code);
}

bool pd_tcp_signal(const struct sig_msg *m)
{
	bool tcp = (m->has & SIG_K_PROTO) && m->proto == SIG_PROTO_TCP;

	switch (m->type) {
	case SIG_OFFER:
		if (tcp)
			on_offer(m);
		return tcp;
	case SIG_ACCEPTED:
		if (tcp)
			on_accepted(m);
		return tcp;
	case SIG_ERROR:
		if (!tcp && !((m->has & SIG_K_SID) && tcp_call_by_sid(m->sid)))
			return false;
		on_error(m);
		return true;
	default:
		return false;
	}
}

void pd_tcp_tick(uint64_t now, uint64_t *next)
{
	unsigned int i;

	for (i = 0; i < PD_TCP_CALLS; i++) {
		struct tcp_call *c = &calls[i];

		if (c->dropped || (c->state != T_OFFERED && c->state != T_GLARED))
			continue;
		if (now >= c->deadline)
			tcp_call_fail(c, c->state == T_GLARED ? "glare-timeout" :
				      "server-timeout");
		else if (c->deadline < *next)
			*next = c->deadline;
	}
	if (pd_tcp_listeners() && now >= listeners_checked + LISTENER_CHECK_MS) {
		listeners_checked = now;
		pd_tcp_listen_sweep();
	}
	if (pd_tcp_listeners() && listeners_checked + LISTENER_CHECK_MS < *next)
		*next = listeners_checked + LISTENER_CHECK_MS;
}

void pd_tcp_close(void)
{
	unsigned int i;

	/* The workers end with the process; the module's primes would not. */
	for (i = 0; i < PD_TCP_CALLS; i++)
		tcp_prime_stop(&calls[i]);
}

void pd_tcp_link_lost(void)
{
	unsigned int i;

	/* A punch under way needs the server no more. */
	for (i = 0; i < PD_TCP_CALLS; i++)
		if (calls[i].state != T_PUNCHING)
			tcp_call_fail(&calls[i], "server-unreachable");
}
