// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sessions: one CONNECT from a caller to a callee. The server mints the
 * session id and the secret the two modules will authenticate their
 * probes with (or, proto=tcp, the two sides their TCP connection), hands each side the other's candidates and the address it
 * saw the other connect from, and later serves RELAY requests for it.
 *
 *   CONNECT --> OFFER to callee --> ANSWER --> ACCEPTED to caller
 *                                \-> REJECT --> ERROR to caller
 *   then, while they punch: CANDIDATE from either side --> to the other
 *   RELAY from either side --> RELAYED to both; RELEASE from both --> ends it
 *
 * A session is tied to the two connections that made it and is listed
 * in both, so a disconnect touches only its own sessions. A pending one
 * ends when either side goes (the other is told, code=peer-gone); an
 * accepted one ends too unless it has a relay, which carries the traffic
 * of flows that live in the hosts' kernels: it stays while the relay does,
 * and the side that left takes it back when it names it again from a new
 * connection with the same id (a reconnect). A caller has at most
 * --client-sessions of them.
 *
 * Calling an id that is not online, does not exist, or shares no group
 * with the caller (users.c) looks like calling one that does not answer:
 * code=timeout after --answer-timeout. So a registered user cannot learn
 * who exists or who is online, and reaches only its groups.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cluster.h"
#include "hex.h"
#include "timer.h"
#include "metrics.h"

/* CANDIDATEs one side of a session may send: each costs the other probes. */
#define RDV_TRICKLE_MAX	4
/*
 * Relays one session may have, one after the other: a path falls back to
 * the relay a few times in a session's life, while a hostile side that
 * asks for one and releases it in a loop would churn ports without end.
 */
#define RDV_SESSION_RELAYS	8
/*
 * Relays shorter-lived than this are not renewed: the move to a successor
 * takes seconds, and each renewal is two ports more. Renewals do not count
 * against RDV_SESSION_RELAYS: there is one per half a lifetime at most.
 */
#define RDV_RENEW_MIN_LIFETIME	10

struct rdv_session {
	uint8_t sid[SIG_SID_LEN];
	char caller[SIG_ID_MAX + 1], callee[SIG_ID_MAX + 1];
	/* caller's and callee's connections, NULL once gone (or never) */
	struct rdv_client *c[2];
	struct rdv_session *cnext[2], *cprev[2];	/* in c[i]->sessions */
	struct sockaddr_storage obs[2];		/* caller's, callee's */
	uint8_t secret[SIG_SECRET_LEN];
	bool accepted;
	uint8_t trickled[2];		/* CANDIDATEs passed on, by side */
	/* relayfirst=1 in CONNECT (caller_rf), then in ANSWER too */
	bool caller_rf, relay_first;
	uint32_t proto;			/* the CONNECT's, enum sig_proto */
	uint64_t deadline;
	struct rdv_timer timer;		/* at deadline, or at once (see below) */
	struct rdv_relay *relay;
	struct rdv_relay *relay_old;	/* renewed, serving until both moved */
	bool released[2];		/* RELEASE of relay, by side */
	bool released_old[2];		/* and of relay_old */
	unsigned int relays_made;	/* up to RDV_SESSION_RELAYS */
	unsigned int renewals;		/* successors made, each's gen */
	struct rdv_session *next, *prev;
	struct rdv_session *hnext;	/* in its by_sid bucket */
};

/*
 * Sessions by id: a hash table (ids are the server's random bytes, so
 * their first eight are a fine hash), doubled as sessions grow.
 */
static struct rdv_session **by_sid;
static size_t sid_buckets;
static struct rdv_session *sessions;
static unsigned int n_sessions;

unsigned int rdv_sessions_count(void)
{
	return n_sessions;
}

static size_t sid_bucket(const uint8_t sid[SIG_SID_LEN], size_t buckets)
{
	uint64_t h;

	memcpy(&h, sid, sizeof(h));
	return (size_t)(h & (buckets - 1));
}

static struct rdv_session *session_find(const uint8_t sid[SIG_SID_LEN])
{
	struct rdv_session *s;

	if (!sid_buckets)
		return NULL;
	for (s = by_sid[sid_bucket(sid, sid_buckets)]; s; s = s->hnext)
		if (!memcmp(s->sid, sid, SIG_SID_LEN))
			return s;
	return NULL;
}

/* Room for one more: 0, or -1 (out of memory) with nothing changed. */
static int sid_grow(void)
{
	size_t n = sid_buckets ? 2 * sid_buckets : 1024, i;
	struct rdv_session **t, *s, *next;

	if (n_sessions < sid_buckets)
		return 0;
	t = calloc(n, sizeof(*t));
	if (!t)
		return sid_buckets ? 0 : -1;	/* longer chains, still right */
	for (i = 0; i < sid_buckets; i++) {
		for (s = by_sid[i]; s; s = next) {
			next = s->hnext;
			s->hnext = t[sid_bucket(s->sid, n)];
			t[sid_bucket(s->sid, n)] = s;
		}
	}
	free(by_sid);
	by_sid = t;
	sid_buckets = n;
	return 0;
}

static void sid_insert(struct rdv_session *s)
{
	struct rdv_session **head = &by_sid[sid_bucket(s->sid, sid_buckets)];

	s->hnext = *head;
	*head = s;
}

static void sid_remove(struct rdv_session *s)
{
	struct rdv_session **p = &by_sid[sid_bucket(s->sid, sid_buckets)];

	while (*p && *p != s)
		p = &(*p)->hnext;
	if (*p)
		*p = s->hnext;
}

static void sid_hex(const uint8_t *sid, char out[2 * SIG_SID_LEN + 1])
{
	hex_encode(out, sid, SIG_SID_LEN);
}

/* Which side of s connection c is (c is one of them). */
static int side_of(const struct rdv_session *s, const struct rdv_client *c)
{
	return s->c[0] == c ? 0 : 1;
}

static void link_side(struct rdv_session *s, int side, struct rdv_client *c)
{
	s->c[side] = c;
	s->cprev[side] = NULL;
	s->cnext[side] = c->sessions;
	if (c->sessions)
		c->sessions->cprev[side_of(c->sessions, c)] = s;
	c->sessions = s;
	if (side == 0) {
		c->calls++;
		if (!s->accepted)
			c->pending++;
	}
}

static void unlink_side(struct rdv_session *s, int side)
{
	struct rdv_client *c = s->c[side];
	struct rdv_session *prev = s->cprev[side], *next = s->cnext[side];

	if (!c)
		return;
	if (prev)
		prev->cnext[side_of(prev, c)] = next;
	else
		c->sessions = next;
	if (next)
		next->cprev[side_of(next, c)] = prev;
	if (side == 0) {
		c->calls--;
		if (!s->accepted)
			c->pending--;
	}
	s->c[side] = NULL;
	/* A stub lives as long as its sessions here. */
	if (rdv_client_is_stub(c) && !c->sessions)
		rdv_client_kill(c, "no-sessions");
}

static void session_free(struct rdv_session *s, const char *why)
{
	char h[2 * SIG_SID_LEN + 1];

	sid_hex(s->sid, h);
	rdv_log(RDV_LOG_INFO, "session-end", "sid=%s caller=%s callee=%s reason=%s",
		h, s->caller, s->callee, why);
	if (s->relay)
		rdv_relay_free(s->relay, "session-end");
	if (s->relay_old)
		rdv_relay_free(s->relay_old, "session-end");
	unlink_side(s, 0);
	unlink_side(s, 1);
	if (s->relays_made)
		rdv_cluster_session_gone(s->sid);
	sid_remove(s);
	rdv_timer_cancel(&s->timer);
	if (s->prev)
		s->prev->next = s->next;
	else
		sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	n_sessions--;
	free(s);
}

/* A relay calls this when it ends (lifetime, idle, release, renewal). */
void rdv_session_relay_gone(struct rdv_session *s, struct rdv_relay *r)
{
	if (r == s->relay_old) {
		s->relay_old = NULL;	/* its successor carries on */
		return;
	}
	s->relay = NULL;
	/* Without its relay it may have to end now: the deadline decides. */
	rdv_timer_arm(&s->timer, rdv_now_ms());
}

/* proto: of the call it answers, so that a client tells its calls apart. */
static void send_error(struct rdv_client *c, const char *code,
		       const char *peer, const uint8_t *sid, uint32_t proto)
{
	struct sig_msg m;

	if (!c)
		return;
	sig_init(&m, SIG_ERROR);
	snprintf(m.code, sizeof(m.code), "%s", code);
	m.has |= SIG_K_CODE;
	if (peer) {
		snprintf(m.peer, sizeof(m.peer), "%s", peer);
		m.has |= SIG_K_PEER;
	}
	if (sid) {
		memcpy(m.sid, sid, SIG_SID_LEN);
		m.has |= SIG_K_SID;
	}
	if (proto != SIG_PROTO_UDP) {
		m.proto = proto;
		m.has |= SIG_K_PROTO;
	}
	rdv_client_send(c, &m);
}

/* OFFER and ACCEPTED carry the same facts about the other side. */
static void send_offer(struct rdv_client *to, int type,
		       const struct rdv_session *s, const char *peer,
		       const struct sockaddr_storage *peer_obs,
		       const struct sig_msg *cands)
{
	struct sig_msg m;
	unsigned int i;

	sig_init(&m, type);
	memcpy(m.sid, s->sid, SIG_SID_LEN);
	snprintf(m.peer, sizeof(m.peer), "%s", peer);
	memcpy(m.secret, s->secret, SIG_SECRET_LEN);
	rdv_ep_from_ss(&m.observed, peer_obs);
	m.has |= SIG_K_SID | SIG_K_PEER | SIG_K_SECRET | SIG_K_OBSERVED;
	for (i = 0; i < cands->n_cand; i++)
		sig_add_cand(&m, &cands->cand[i]);
	/* What the other side says of its NAT is for the peer to judge. */
	memcpy(m.nat, cands->nat, sizeof(m.nat));
	m.spray = cands->spray;
	m.relay_first = cands->relay_first;
	m.rtt = cands->rtt;
	m.has |= cands->has & (SIG_K_NAT | SIG_K_SPRAY | SIG_K_RELAY_FIRST | SIG_K_RTT);
	/* Only tcp is ever said: a client older than v=3 knows no proto. */
	if (s->proto == SIG_PROTO_TCP) {
		m.proto = SIG_PROTO_TCP;
		m.has |= SIG_K_PROTO;
	}
	rdv_client_send(to, &m);
}

/*
 * A session's timer: its deadline (the answer timeout, then the session
 * lifetime), or at once when its relay ended. A session with a relay
 * lives as long as the relay, whose end re-arms this.
 */
static void session_deadline(struct rdv_timer *t, uint64_t now)
{
	struct rdv_session *s = rdv_container_of(t, struct rdv_session, timer);

	if (s->accepted && !s->relay && (!s->c[0] || !s->c[1])) {
		session_free(s, "relay-gone");
		return;
	}
	if (s->accepted && s->relay)
		return;
	if (now < s->deadline) {
		rdv_timer_arm(t, s->deadline);	/* cannot fail: just taken out */
		return;
	}
	if (!s->accepted) {
		send_error(s->c[0], "timeout", s->callee, s->sid, s->proto);
		send_error(s->c[1], "timeout", s->caller, s->sid, s->proto);
		session_free(s, "answer-timeout");
	} else {
		session_free(s, "lifetime");
	}
}

/* A call to a client of another instance (cluster.h), while Redis answers. */
struct remote_call {
	uint8_t sid[SIG_SID_LEN];
	struct sig_msg connect;		/* its candidates, for the OFFER */
};

static void remote_found(void *arg, const char *instance, unsigned int version)
{
	struct remote_call *rc = arg;
	struct rdv_session *s = session_find(rc->sid);
	struct rdv_client *stub;

	/* Nowhere, or here after all (a stale key): it times out as offline. */
	if (!s || s->accepted || s->c[1] || !s->c[0] || !instance ||
	    !strcmp(instance, rdv_cfg->instance)) {
		free(rc);
		return;
	}
	if (s->proto == SIG_PROTO_TCP && version < 3) {
		send_error(s->c[0], "peer-without-tcp", s->callee, NULL, s->proto);
		session_free(s, "peer-without-tcp");
	} else if ((stub = rdv_cluster_stub(s->callee, instance))) {
		stub->version = version;
		link_side(s, 1, stub);
		send_offer(stub, SIG_OFFER, s, s->caller, &s->obs[0], &rc->connect);
	}
	free(rc);
}

static void do_connect(struct rdv_client *c, const struct sig_msg *m)
{
	struct rdv_client *callee = rdv_client_by_id(m->peer);
	char h[2 * SIG_SID_LEN + 1];
	struct remote_call *rc;
	struct rdv_session *s;
	bool remote;

	if (callee == c) {
		send_error(c, "self", m->peer, NULL, m->proto);
		return;
	}
	/* Not allowed looks the same as offline, to the caller. */
	if (callee && !rdv_users_may_call(c->id, callee->id)) {
		rdv_log(RDV_LOG_INFO, "connect-refused", "caller=%s callee=%s reason=no-shared-group",
			c->id, callee->id);
		callee = NULL;
	}
	/* Not here: perhaps on another instance, which Redis knows. */
	remote = !callee && rdv_cluster_on() && strcmp(m->peer, c->id) &&
		 rdv_users_may_call(c->id, m->peer);
	/* A TCP call only to a client that knows them (v=3 REGISTER). */
	if (callee && m->proto == SIG_PROTO_TCP && callee->version < 3) {
		send_error(c, "peer-without-tcp", m->peer, NULL, m->proto);
		return;
	}
	if (c->pending >= rdv_cfg->lim.max_pending) {
		send_error(c, "busy", m->peer, NULL, m->proto);
		return;
	}
	if (c->calls >= rdv_users_limit(c->id, RDV_USER_SESSIONS)) {
		send_error(c, "too-many-sessions", m->peer, NULL, m->proto);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->timer.fire = session_deadline;
	if (!s || sig_random(s->sid, sizeof(s->sid)) ||
	    sig_random(s->secret, sizeof(s->secret)) ||
	    session_find(s->sid) || sid_grow() ||
	    rdv_timer_arm(&s->timer, rdv_now_ms() +
			  rdv_cfg->lim.answer_timeout * 1000ull)) {
		free(s);
		send_error(c, "server-error", m->peer, NULL, m->proto);
		return;
	}
	sid_insert(s);
	snprintf(s->caller, sizeof(s->caller), "%s", c->id);
	snprintf(s->callee, sizeof(s->callee), "%s", m->peer);
	link_side(s, 0, c);
	s->obs[0] = c->addr;
	s->caller_rf = (m->has & SIG_K_RELAY_FIRST) && m->relay_first;
	s->proto = m->proto;
	s->deadline = s->timer.at;
	s->next = sessions;
	if (sessions)
		sessions->prev = s;
	sessions = s;
	n_sessions++;
	rdv_count(RDV_C_SESSIONS, 1);
	sid_hex(s->sid, h);
	rdv_log(RDV_LOG_INFO, "offer", "sid=%s caller=%s callee=%s cands=%u online=%s proto=%s",
		h, s->caller, s->callee, m->n_cand,
		callee ? "1" : remote ? "elsewhere?" : "0",
		s->proto == SIG_PROTO_TCP ? "tcp" : "udp");
	if (remote && (rc = malloc(sizeof(*rc)))) {
		memcpy(rc->sid, s->sid, SIG_SID_LEN);
		rc->connect = *m;
		if (rdv_cluster_lookup(m->peer, remote_found, rc))
			free(rc);
	}
	if (!callee)
		return;		/* it times out like an offer nobody answers */
	link_side(s, 1, callee);
	s->obs[1] = callee->addr;
	send_offer(callee, SIG_OFFER, s, c->id, &c->addr, m);
}

/*
 * A session kept for its relay after one side's connection went, named
 * by a new connection of that side's id (a reconnect: the newest
 * connection of an id wins, so it is the same host): the side is c's
 * again, so that it hears of renewals and may release and renew. True if
 * c is a side of s now. With --redis the new connection may be on another
 * instance (c a stub, whose instance checked the id), and the side may
 * still be held by the stub of an instance that died without a word, or
 * by a connection closed in this round, before the reaping: replaced here
 * by c's REGISTER, or (cluster) by the kick c's registration sent, which
 * can come in one round with c's message. Never one whose user was
 * revoked: the reaping must still find its sessions and end them.
 */
static bool reattach(struct rdv_session *s, struct rdv_client *c)
{
	char h[2 * SIG_SID_LEN + 1];
	struct rdv_client *was;
	int side;

	if (s->c[0] == c || s->c[1] == c)
		return true;
	if (!s->accepted)
		return false;
	for (side = 0; side < 2; side++) {
		was = s->c[side];
		if (!strcmp(side ? s->callee : s->caller, c->id) &&
		    (!was || ((was->dead || rdv_client_is_stub(was)) && !was->revoked)))
			break;
	}
	if (side == 2)
		return false;
	unlink_side(s, side);
	link_side(s, side, c);
	s->obs[side] = c->addr;		/* its family picks a successor's port */
	sid_hex(s->sid, h);
	rdv_log(RDV_LOG_INFO, "session-reattach", "sid=%s id=%s side=%s instance=%s", h,
		c->id, side ? "callee" : "caller", c->remote[0] ? c->remote : "here");
	return true;
}

/*
 * The session id names a session of this connection: as its callee, or
 * (callee_only false) as either side, which it may take back (reattach()).
 * Otherwise c is told so, with the code unknown.
 */
static struct rdv_session *my_session(struct rdv_client *c,
				      const struct sig_msg *m, bool callee_only,
				      const char *unknown)
{
	struct rdv_session *s = session_find(m->sid);

	if (s && (s->c[1] == c || (!callee_only && reattach(s, c))))
		return s;
	/* A session of another instance's that c was offered: sent there. */
	if (!s && rdv_cluster_forward(c, m))
		return NULL;
	send_error(c, unknown, NULL, m->sid, m->proto);
	return NULL;
}

static void do_answer(struct rdv_client *c, const struct sig_msg *m)
{
	struct rdv_session *s = my_session(c, m, true, "unknown-session");
	char h[2 * SIG_SID_LEN + 1];

	if (!s)
		return;
	if (s->accepted) {
		send_error(c, "already-answered", NULL, m->sid, s->proto);
		return;
	}
	/*
	 * A TCP call is answered with TCP endpoints, and a UDP one with UDP:
	 * anything else ends the call, as a rejection would.
	 */
	if (m->proto != s->proto) {
		send_error(c, "wrong-proto", NULL, m->sid, s->proto);
		send_error(s->c[0], "rejected", s->callee, s->sid, s->proto);
		session_free(s, "wrong-proto");
		return;
	}
	s->accepted = true;
	s->relay_first = s->caller_rf && (m->has & SIG_K_RELAY_FIRST) &&
			 m->relay_first;
	s->c[0]->pending--;
	s->obs[1] = c->addr;
	s->deadline = rdv_now_ms() + rdv_cfg->lim.session_lifetime * 1000ull;
	/* Cannot fail: it is armed, so it only moves. */
	rdv_timer_arm(&s->timer, s->deadline);
	sid_hex(s->sid, h);
	rdv_log(RDV_LOG_INFO, "accept", "sid=%s caller=%s callee=%s cands=%u",
		h, s->caller, s->callee, m->n_cand);
	send_offer(s->c[0], SIG_ACCEPTED, s, c->id, &c->addr, m);
	/* A TCP session has nothing more for the server (no relay). */
	if (s->proto == SIG_PROTO_TCP)
		session_free(s, "tcp-accepted");
}

static void do_reject(struct rdv_client *c, const struct sig_msg *m)
{
	struct rdv_session *s = my_session(c, m, true, "unknown-session");

	if (!s)
		return;
	if (s->accepted) {
		send_error(c, "already-answered", NULL, m->sid, s->proto);
		return;
	}
	/* Glare (both called) is the one reason the caller acts on. */
	send_error(s->c[0], (m->has & SIG_K_CODE) && !strcmp(m->code, "glare") ?
		   "glare" : "rejected", s->callee, s->sid, s->proto);
	session_free(s, m->code);
}

/*
 * Whether the session's relay can be renewed: a fixed lifetime long
 * enough to move in, both sides connected to hear of a successor, and
 * both of v=6 (an older client knows no gen). A client of another
 * instance only if that instance said it passes renewals on: an older
 * one would drop what it cannot parse.
 */
static bool renewable(const struct rdv_session *s)
{
	int i;

	if (rdv_cfg->lim.relay_lifetime < RDV_RENEW_MIN_LIFETIME)
		return false;
	for (i = 0; i < 2; i++)
		if (!s->c[i] || s->c[i]->version < 6 ||
		    (rdv_client_is_stub(s->c[i]) && !s->c[i]->renews))
			return false;
	return true;
}

static void send_relayed(struct rdv_session *s, int side)
{
	struct rdv_client *to = s->c[side];
	struct sig_ep ep[2];
	struct sig_msg m;

	if (!to)
		return;
	rdv_relay_endpoints(s->relay, ep);
	sig_init(&m, SIG_RELAYED);
	memcpy(m.sid, s->sid, SIG_SID_LEN);
	snprintf(m.peer, sizeof(m.peer), "%s", side ? s->caller : s->callee);
	m.relay = ep[side];
	m.has |= SIG_K_SID | SIG_K_PEER | SIG_K_RELAY;
	/* Its end is said where a renewal can follow (renewing clients
	 * parse it), and only then. */
	m.lifetime = rdv_relay_lifetime_left(s->relay);
	if (renewable(s))
		m.has |= SIG_K_LIFETIME;
	m.gen = rdv_relay_gen(s->relay);
	if (m.gen && to->version >= 6)
		m.has |= SIG_K_GEN;	/* only renewed sessions have one */
	rdv_client_send(to, &m);
}

/*
 * side's RELEASE of the session's relay (old: the renewed one), or its
 * taking it back: for the session's own logic, and for the relay, which
 * then sends that side nothing. A peer's datagram through a relay we
 * left would take a roaming application there (WireGuard follows the
 * source of what it authenticates), to a relay about to end.
 */
static void mark_released(struct rdv_session *s, bool old, int side,
			  bool released)
{
	(old ? s->released_old : s->released)[side] = released;
	rdv_relay_side_released(old ? s->relay_old : s->relay, side, released);
}

/*
 * RELAY with relay= of the session's relay in its second half: another
 * relay takes its place, and both sides hear of it (RELAYED). The old
 * one serves on until both sides RELEASE it by its port (they moved) or
 * its lifetime ends, so nothing is lost while they move. Refusals say
 * renew-CODE: the old relay still works, and a client must not take one
 * for the end of its session.
 */
static void renew_relay(struct rdv_session *s, struct rdv_client *c)
{
	struct rdv_relay *old = s->relay, *r;
	const struct sockaddr_storage *obs[2] = { &s->obs[0], &s->obs[1] };
	const char *ids[2] = { s->caller, s->callee }, *code = NULL;
	char h[2 * SIG_SID_LEN + 1], refused[SIG_ID_MAX + 1];

	sid_hex(s->sid, h);
	/* Its quota passes on to the successor (whoever asks). */
	if (rdv_relay_alloc(s, ids, rdv_relay_owner_id(old), obs, s->secret,
			    sizeof(s->secret), s->relay_first, s->renewals + 1,
			    &r, &code)) {
		rdv_log(RDV_LOG_INFO, "relay-renew", "sid=%s by=%s result=refused code=%s",
			h, c->id, code);
		snprintf(refused, sizeof(refused), "renew-%s", code);
		send_error(c, refused, NULL, s->sid, s->proto);
		return;
	}
	/* One renewed relay at a time: one renewed before is done by now. */
	if (s->relay_old)
		rdv_relay_free(s->relay_old, "superseded");
	s->renewals++;
	s->relay_old = old;
	s->relay = r;
	s->released_old[0] = s->released[0];
	s->released_old[1] = s->released[1];
	s->released[0] = s->released[1] = false;
	rdv_log(RDV_LOG_INFO, "relay-renew", "sid=%s by=%s result=ok", h, c->id);
	send_relayed(s, 0);
	send_relayed(s, 1);
}

static void do_relay(struct rdv_client *c, const struct sig_msg *m)
{
	struct rdv_session *s = my_session(c, m, false, "unknown-session");
	const struct sockaddr_storage *obs[2];
	const char *ids[2], *code = NULL;

	if (!s)
		return;
	/* The relay carries datagrams; a TCP session has nothing for it. */
	if (s->proto != SIG_PROTO_UDP) {
		send_error(c, "no-relay", NULL, m->sid, s->proto);
		return;
	}
	if (!s->accepted) {
		send_error(c, "not-accepted", NULL, m->sid, s->proto);
		return;
	}
	/* A relay kept for traffic is used, not made again, once a side left. */
	if (!s->relay && (!s->c[0] || !s->c[1])) {
		send_error(c, "peer-gone", NULL, m->sid, s->proto);
		return;
	}
	if (s->relay && (m->has & SIG_K_RELAY)) {
		if (!renewable(s)) {
			send_error(c, "renew-unavailable", NULL, m->sid, s->proto);
			return;
		}
		if (rdv_relay_port_is(s->relay, side_of(s, c), &m->relay) &&
		    rdv_relay_second_half(s->relay)) {
			renew_relay(s, c);
			return;
		}
		/* Early, or renewed already (by the other side): see below. */
	}
	if (s->relay) {
		/*
		 * Asked again, e.g. by the other side, or a renewal that is
		 * early or was done already: the relay there is now.
		 */
		mark_released(s, false, side_of(s, c), false);
		send_relayed(s, side_of(s, c));
		return;
	}
	if (s->relays_made >= RDV_SESSION_RELAYS) {
		send_error(c, "relay-limit", NULL, m->sid, s->proto);
		return;
	}
	ids[0] = s->caller;
	ids[1] = s->callee;
	obs[0] = &s->obs[0];
	obs[1] = &s->obs[1];
	if (rdv_relay_alloc(s, ids, c->id, obs, s->secret, sizeof(s->secret),
			    s->relay_first, 0, &s->relay, &code)) {
		send_error(c, code, NULL, m->sid, s->proto);
		return;
	}
	s->relays_made++;
	s->released[0] = s->released[1] = false;
	rdv_cluster_session_here(s->sid);
	send_relayed(s, 0);
	send_relayed(s, 1);
}

/*
 * side no longer uses the session's relay (old: the renewed one): it ends
 * once both sides said so.
 */
static void release_side(struct rdv_session *s, int side, bool old)
{
	bool *released = old ? s->released_old : s->released;
	char h[2 * SIG_SID_LEN + 1];

	if (released[side])
		return;
	mark_released(s, old, side, true);
	sid_hex(s->sid, h);
	rdv_log(RDV_LOG_INFO, "relay-release", "sid=%s by=%s both=%s%s", h,
		side ? s->callee : s->caller, released[!side] ? "yes" : "no",
		old ? " renewed=yes" : "");
	/* The relay's end calls rdv_session_relay_gone(): the pointer goes. */
	if (released[!side])
		rdv_relay_free(old ? s->relay_old : s->relay, "released");
}

/*
 * A side no longer uses the session's relay: it ends once both said so,
 * rather than after --relay-idle (its quota and ports are free again).
 * One side cannot end the other's path. Nothing to release (no relay, an
 * ended or unknown session) is no error: the side's intent is met, and a
 * client must never take a late release's answer for its live call's.
 */
static void do_release(struct rdv_client *c, const struct sig_msg *m)
{
	struct rdv_session *s = session_find(m->sid);
	int side;

	if (!s && rdv_cluster_forward(c, m))
		return;
	if (!s || !reattach(s, c) || !s->relay)
		return;
	side = side_of(s, c);
	/* relay= (v=6): the renewed relay, by the sender's port of it. */
	if ((m->has & SIG_K_RELAY) && !rdv_relay_port_is(s->relay, side, &m->relay)) {
		if (s->relay_old && rdv_relay_port_is(s->relay_old, side, &m->relay))
			release_side(s, side, true);
		return;
	}
	release_side(s, side, false);
}

/*
 * A candidate one side learned while punching (its mapping moved), for
 * the other: passed on with who sent it and where this server sees it,
 * as an OFFER is, so the peer checks it the same way. A few per side and
 * session: each makes the other side punch one more endpoint. Refusals
 * have codes of their own (trickle-...): a client must not take one for
 * the end of the punch it is running.
 */
static void do_candidate(struct rdv_client *c, const struct sig_msg *m)
{
	struct rdv_session *s = my_session(c, m, false, "trickle-unknown-session");
	char h[2 * SIG_SID_LEN + 1];
	const char *code = NULL;
	struct rdv_client *to;
	struct sig_msg fwd;
	int side;

	if (!s)
		return;
	side = side_of(s, c);
	to = s->c[!side];
	/* The server says who and where, never the sender; one at a time. */
	if ((m->has & (SIG_K_PEER | SIG_K_OBSERVED)) || m->n_cand != 1)
		code = "trickle-bad";
	else if (s->proto != SIG_PROTO_UDP || !s->accepted)
		code = "trickle-not-accepted";
	else if (!to)
		code = "trickle-peer-gone";
	/* Older clients close the link on a verb they do not know. */
	else if (to->version < 4)
		code = "trickle-old-peer";
	else if (s->trickled[side] >= RDV_TRICKLE_MAX)
		code = "trickle-too-many";
	if (code) {
		send_error(c, code, NULL, m->sid, SIG_PROTO_UDP);
		return;
	}
	s->trickled[side]++;
	sig_init(&fwd, SIG_CANDIDATE);
	memcpy(fwd.sid, s->sid, SIG_SID_LEN);
	snprintf(fwd.peer, sizeof(fwd.peer), "%s", side ? s->callee : s->caller);
	rdv_ep_from_ss(&fwd.observed, &c->addr);
	fwd.has |= SIG_K_SID | SIG_K_PEER | SIG_K_OBSERVED;
	sig_add_cand(&fwd, &m->cand[0]);
	sid_hex(s->sid, h);
	rdv_log(RDV_LOG_INFO, "trickle", "sid=%s from=%s", h, fwd.peer);
	rdv_count(RDV_C_TRICKLES, 1);
	rdv_client_send(to, &fwd);
}

void rdv_sig_unknown_session(struct rdv_client *c, const struct sig_msg *m)
{
	if (m->type != SIG_RELEASE)
		send_error(c, m->type == SIG_CANDIDATE ? "trickle-unknown-session" :
			   "unknown-session", NULL, m->sid, m->proto);
}

void rdv_sessions_each_relayed(void (*fn)(const uint8_t *sid))
{
	struct rdv_session *s;

	for (s = sessions; s; s = s->next)
		if (s->relay)
			fn(s->sid);
}

void rdv_sig_input(struct rdv_client *c, const struct sig_msg *m)
{
	switch (m->type) {
	case SIG_CONNECT:
		do_connect(c, m);
		break;
	case SIG_ANSWER:
		do_answer(c, m);
		break;
	case SIG_REJECT:
		do_reject(c, m);
		break;
	case SIG_RELAY:
		do_relay(c, m);
		break;
	case SIG_CANDIDATE:
		do_candidate(c, m);
		break;
	case SIG_RELEASE:
		do_release(c, m);
		break;
	default:
		/* Server-to-client verbs are not for clients to send. */
		send_error(c, "unexpected", NULL, NULL, SIG_PROTO_UDP);
		rdv_client_kill(c, "unexpected-verb");
	}
}

/*
 * End c's sessions (a pending one's other side is told); one with a relay
 * only loses c, unless everything goes (revocation).
 */
static void end_sessions(struct rdv_client *c, bool keep_relayed)
{
	struct rdv_session *s;
	int side;

	while ((s = c->sessions)) {
		side = side_of(s, c);
		if (!s->accepted)
			send_error(s->c[!side], "peer-gone",
				   side ? s->callee : s->caller, s->sid, s->proto);
		if (keep_relayed && s->accepted && s->relay) {
			/* Its relay still carries the flows' traffic. */
			unlink_side(s, side);
			continue;
		}
		session_free(s, !keep_relayed ? "revoked" :
			     side ? "callee-gone" : "caller-gone");
	}
}

void rdv_sig_client_gone(struct rdv_client *c)
{
	end_sessions(c, true);
}

/* Relays too: a revoked user keeps nothing of this server's. */
void rdv_sig_client_revoked(struct rdv_client *c)
{
	end_sessions(c, false);
}

void rdv_sessions_shutdown(void)
{
	while (sessions)
		session_free(sessions, "shutdown");
	free(by_sid);
	by_sid = NULL;
	sid_buckets = 0;
}
