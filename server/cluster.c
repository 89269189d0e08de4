// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Several rendezvousd on one Redis (cluster.h).
 *
 * Redis holds, per registered client, nfpunch:presence:ID = "INSTANCE GEN
 * VERSION" with a TTL: GEN is random per registration, so an instance
 * tells its own registration from a later one elsewhere. Per session with
 * a relay, nfpunch:session:SID = its home's NAME, also with a TTL, so that
 * a side registered again anywhere finds it. Each instance subscribes to
 * nfpunch:instance:NAME and takes, one message each:
 *
 *   kick ID GEN            ID registered elsewhere since: close it here
 *   deliver HOME ID\nL     send line L to local client ID (an OFFER's
 *                          session is remembered as HOME's)
 *   from INST ID OBS [V]\nL
 *                          ID, on INST and seen at OBS, says L about a
 *                          session that lives here; V, its signaling
 *                          version, also says that INST passes renewals
 *                          on and lets sides move (older instances
 *                          send none, and ignore it)
 *   gone INST ID [revoked] ID left INST (revoked: and may keep nothing):
 *                          its sessions here end
 *
 * Without Redis (down, slow, or not yet up) an instance serves its own
 * clients as a single server does; calls to others time out as if they
 * were offline, and presence is written again once Redis is back.
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "hex.h"
#include "redis_loop.h"

#define PRESENCE	"nfpunch:presence:"
#define SESSION		"nfpunch:session:"
#define SESSION_KEY_LEN	(sizeof(SESSION) + 2 * SIG_SID_LEN)
#define CHANNEL		"nfpunch:instance:"
#define PRESENCE_TTL_S	60
#define REFRESH_MS	20000
#define MSG_MAX		(SIG_LINE_MAX + 3 * SIG_ID_MAX + SIG_EP_STRLEN + 16)
/* Sessions of other instances a local client was offered, remembered. */
#define FOREIGN_MAX	64
/* At exit, Redis gets this long to take what the clients' ends queued. */
#define DRAIN_MS	1000
/* Lookups waiting for Redis at most: past that, callees look offline. */
#define LOOKUPS_MAX	4096
/* Homes of sessions looked up at once: never at the calls' expense. */
#define HOMES_MAX	1024
/* Of them, one client's: a flood of unknown ids cannot take them all. */
#define HOMES_PER_CLIENT 4
/*
 * Redis could not say (down, an error, or up again so recently that the
 * homes may not have written their keys yet): asked again, this often,
 * this many times, and the client told nothing meanwhile, as the session
 * may well exist.
 */
#define HOME_RETRY_MS	1000
#define HOME_TRIES	10
#define HOME_FRESH_MS	3000

struct rdv_foreign {
	uint8_t sid[SIG_SID_LEN];
	char home[SIG_ID_MAX + 1];
	uint64_t until;
};

static struct rdv_redis cmd = { .name = "commands" }, sub = { .name = "subscriber" };
static char me[SIG_ID_MAX + 1];
static bool on;
static struct rdv_timer refresh;
static void *stubs;			/* tsearch tree, by instance then id */
static unsigned int lookups;		/* waiting for Redis */
static unsigned int homes;		/* sessions' homes, waiting for Redis */
static struct home_req *homes_later;	/* to ask again (HOME_RETRY_MS) */
static struct rdv_timer homes_timer;
static uint64_t cmd_up_at;		/* when the command connection came up */
static unsigned int refreshing;		/* refreshes of the last round unanswered */
static bool ping_waiting;		/* the health PING of the last round */

/* Delete the presence key only if it is still this registration's. */
static const char del_script[] =
	"if redis.call('get', KEYS[1]) == ARGV[1] then "
	"return redis.call('del', KEYS[1]) end return 0";
/* Refresh it, or make it again after a Redis restart; 0 if a later one holds it. */
static const char refresh_script[] =
	"local v = redis.call('get', KEYS[1]) "
	"if v == false or v == ARGV[1] then "
	"redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end return 0";

bool rdv_cluster_on(void)
{
	return on;
}

/* Presence is written only while we can also hear what is sent to us. */
static bool ready(void)
{
	return cmd.up && sub.up;
}

static bool failed(const redisReply *r, const char *what)
{
	if (r && r->type == REDIS_REPLY_ERROR) {
		rdv_log_limited("redis-error", "command=%s error=\"%s\"", what, r->str);
		return true;
	}
	return !r;
}

/*
 * The next word of *p into out (at most cap - 1 bytes, a valid id or
 * instance name unless any): false if there is none or it does not fit.
 */
static bool word(const char **p, char *out, size_t cap, bool any)
{
	size_t n = strcspn(*p, " \n");

	if (!n || n >= cap)
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n + ((*p)[n] == ' ');
	return any || sig_word_ok(out);
}

/* c's presence key and the value this registration gives it. */
struct presence {
	char key[sizeof(PRESENCE) + SIG_ID_MAX];
	char value[SIG_ID_MAX + 32];
};

static void presence(const struct rdv_client *c, struct presence *p)
{
	snprintf(p->key, sizeof(p->key), PRESENCE "%s", c->id);
	snprintf(p->value, sizeof(p->value), "%s %016llx %u", me,
		 (unsigned long long)c->gen, c->version);
}

static void publish(const char *instance, const char *msg, size_t len,
		    redisCallbackFn *fn, void *priv)
{
	if (!cmd.up || redisAsyncCommand(cmd.ac, fn, priv, "PUBLISH " CHANNEL "%s %b",
					 instance, msg, len) != REDIS_OK)
		free(priv);
}

/* --- presence ----------------------------------------------------------- */

struct reg_req {
	char id[SIG_ID_MAX + 1];
	uint64_t gen;
};

static struct reg_req *reg_req(const struct rdv_client *c)
{
	struct reg_req *q = calloc(1, sizeof(*q));

	if (q) {
		snprintf(q->id, sizeof(q->id), "%s", c->id);
		q->gen = c->gen;
	}
	return q;
}

/* SET ... GET answered: the registration it replaced, if another instance's. */
static void registered_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	char inst[SIG_ID_MAX + 1], gen[17], msg[2 * SIG_ID_MAX + 32];
	struct reg_req *q = priv;
	redisReply *r = reply;
	const char *p;
	int n;

	(void)ac;
	if (!failed(r, "set") && r->type == REDIS_REPLY_STRING) {
		p = r->str;
		if (word(&p, inst, sizeof(inst), false) && word(&p, gen, sizeof(gen), true) &&
		    strcmp(inst, me)) {
			n = snprintf(msg, sizeof(msg), "kick %s %s", q->id, gen);
			publish(inst, msg, (size_t)n, NULL, NULL);
		}
	}
	free(q);
}

void rdv_cluster_registered(struct rdv_client *c)
{
	struct presence p;
	struct reg_req *q;

	if (!on)
		return;
	if (sig_random(&c->gen, sizeof(c->gen)))
		c->gen = (uint64_t)rdv_now_ms();
	if (!ready() || !(q = reg_req(c)))
		return;		/* the refresh writes it once Redis is back */
	presence(c, &p);
	if (redisAsyncCommand(cmd.ac, registered_reply, q, "SET %s %s EX %d GET", p.key,
			      p.value, PRESENCE_TTL_S) != REDIS_OK)
		free(q);
}

/* Tell each home of c's offered sessions that c is gone (once each). */
static void foreign_gone(struct rdv_client *c)
{
	char msg[2 * SIG_ID_MAX + 24];
	unsigned int i, j;
	int n;

	if (!c->foreign)
		return;
	for (i = 0; i < FOREIGN_MAX; i++) {
		const char *home = c->foreign[i].home;

		if (!home[0])
			continue;
		for (j = 0; j < i; j++)
			if (!strcmp(c->foreign[j].home, home))
				break;
		if (j < i)
			continue;
		n = snprintf(msg, sizeof(msg), "gone %s %s%s", me, c->id,
			     c->revoked ? " revoked" : "");
		publish(home, msg, (size_t)n, NULL, NULL);
	}
	free(c->foreign);
	c->foreign = NULL;
}

void rdv_cluster_gone(struct rdv_client *c)
{
	struct presence p;

	if (!on)
		return;
	foreign_gone(c);
	if (!cmd.up)
		return;
	presence(c, &p);
	redisAsyncCommand(cmd.ac, NULL, NULL, "EVAL %s 1 %s %s", del_script, p.key, p.value);
}

static void refresh_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct reg_req *q = priv;
	redisReply *r = reply;
	struct rdv_client *c;

	(void)ac;
	refreshing--;
	/* A later registration holds the key (its kick went missing). */
	if (!failed(r, "refresh") && r->type == REDIS_REPLY_INTEGER && r->integer == 0 &&
	    (c = rdv_client_by_id(q->id)) && c->gen == q->gen)
		rdv_client_kill(c, "replaced");
	free(q);
}

static void refresh_one(struct rdv_client *c, void *arg)
{
	struct presence p;
	struct reg_req *q = reg_req(c);

	(void)arg;
	if (!q)
		return;
	presence(c, &p);
	if (redisAsyncCommand(cmd.ac, refresh_reply, q, "EVAL %s 1 %s %s %d", refresh_script,
			      p.key, p.value, PRESENCE_TTL_S) != REDIS_OK)
		free(q);
	else
		refreshing++;
}

static void refresh_now(void)
{
	if (!ready())
		return;
	rdv_clients_each(refresh_one, NULL);
	rdv_sessions_each_relayed(rdv_cluster_session_here);
}

static void ping_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)ac;
	(void)priv;
	if (!failed(reply, "ping"))
		ping_waiting = false;
}

/*
 * Every round: Redis must have answered the last round's PING (a host
 * that died silently leaves a connection that looks up), and presence
 * is refreshed unless the last round's refreshes are still unanswered.
 */
static void refresh_round(struct rdv_timer *t, uint64_t now)
{
	if (cmd.up && ping_waiting) {
		rdv_log(RDV_LOG_WARN, "redis-stalled", "conn=commands waited_ms=%d", REFRESH_MS);
		redisAsyncDisconnect(cmd.ac);
		if (sub.up)
			redisAsyncDisconnect(sub.ac);
	} else if (cmd.up) {
		ping_waiting = redisAsyncCommand(cmd.ac, ping_reply, NULL, "PING") == REDIS_OK;
		if (refreshing)
			rdv_log_limited("redis-slow", "refreshes_waiting=%u", refreshing);
		else
			refresh_now();
	}
	rdv_timer_arm(t, now + REFRESH_MS);
}

/* --- where a client is ----------------------------------------------------- */

struct lookup_req {
	void (*cb)(void *arg, const char *instance, unsigned int version);
	void *arg;
};

static void lookup_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	char inst[SIG_ID_MAX + 1], gen[17], version[11];
	struct lookup_req *q = priv;
	redisReply *r = reply;
	const char *p;

	(void)ac;
	lookups--;
	if (!failed(r, "get") && r->type == REDIS_REPLY_STRING && (p = r->str) &&
	    word(&p, inst, sizeof(inst), false) && word(&p, gen, sizeof(gen), true) &&
	    word(&p, version, sizeof(version), true))
		q->cb(q->arg, inst, (unsigned int)strtoul(version, NULL, 10));
	else
		q->cb(q->arg, NULL, 0);
	free(q);
}

int rdv_cluster_lookup(const char *id,
		       void (*cb)(void *arg, const char *instance, unsigned int version),
		       void *arg)
{
	struct lookup_req *q;

	if (!on || !ready() || lookups >= LOOKUPS_MAX)
		return -1;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -1;
	q->cb = cb;
	q->arg = arg;
	if (redisAsyncCommand(cmd.ac, lookup_reply, q, "GET " PRESENCE "%s", id) != REDIS_OK) {
		free(q);
		return -1;
	}
	lookups++;
	return 0;
}

/* --- where relayed sessions live -------------------------------------------- */

static void session_key(const uint8_t *sid, char out[SESSION_KEY_LEN])
{
	memcpy(out, SESSION, sizeof(SESSION) - 1);
	hex_encode(out + sizeof(SESSION) - 1, sid, SIG_SID_LEN);
}

void rdv_cluster_session_here(const uint8_t *sid)
{
	char key[SESSION_KEY_LEN];

	if (!on || !ready())
		return;		/* the refresh writes it once Redis is back */
	session_key(sid, key);
	redisAsyncCommand(cmd.ac, NULL, NULL, "SET %s %s EX %d", key, me, PRESENCE_TTL_S);
}

void rdv_cluster_session_gone(const uint8_t *sid)
{
	char key[SESSION_KEY_LEN];

	if (!on || !cmd.up)
		return;
	session_key(sid, key);
	redisAsyncCommand(cmd.ac, NULL, NULL, "EVAL %s 1 %s %s", del_script, key, me);
}

/* --- stubs: clients of other instances, as sessions here see them ----------- */

static int stub_cmp(const void *a, const void *b)
{
	const struct rdv_client *x = a, *y = b;
	int r = strcmp(x->remote, y->remote);

	return r ? r : strcmp(x->id, y->id);
}

static struct rdv_client *stub_find(const char *id, const char *instance)
{
	struct rdv_client key = { 0 }, **slot;

	snprintf(key.id, sizeof(key.id), "%s", id);
	snprintf(key.remote, sizeof(key.remote), "%s", instance);
	slot = tfind(&key, &stubs, stub_cmp);
	return slot ? *slot : NULL;
}

struct rdv_client *rdv_cluster_stub(const char *id, const char *instance)
{
	struct rdv_client *c = stub_find(id, instance);

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->io.kind = RDV_CLIENT;
	c->io.fd = -1;
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->remote, sizeof(c->remote), "%s", instance);
	if (!tsearch(c, &stubs, stub_cmp)) {
		free(c);
		return NULL;
	}
	return c;
}

void rdv_cluster_stub_unlist(struct rdv_client *stub)
{
	struct rdv_client **slot = tfind(stub, &stubs, stub_cmp);

	if (slot && *slot == stub)
		tdelete(stub, &stubs, stub_cmp);
}

/* A stub's id and instance, for a reply that comes after it may be gone. */
struct stub_ref {
	char id[SIG_ID_MAX + 1];
	char instance[SIG_ID_MAX + 1];
};

/* Nobody listens on the instance's channel: it is gone, and its clients. */
static void delivered(redisAsyncContext *ac, void *reply, void *priv)
{
	struct stub_ref *ref = priv;
	redisReply *r = reply;
	struct rdv_client *stub;

	(void)ac;
	if (!failed(r, "publish") && r->type == REDIS_REPLY_INTEGER && r->integer == 0 &&
	    (stub = stub_find(ref->id, ref->instance))) {
		rdv_log(RDV_LOG_INFO, "cluster-instance-gone", "instance=%s id=%s",
			ref->instance, ref->id);
		rdv_client_kill(stub, "instance-gone");
	}
	free(ref);
}

int rdv_cluster_deliver(struct rdv_client *stub, const char *line, size_t len)
{
	struct stub_ref *ref;
	char msg[MSG_MAX];
	int n;

	if (len && line[len - 1] == '\n')
		len--;
	n = snprintf(msg, sizeof(msg), "deliver %s %s\n%.*s", me, stub->id, (int)len, line);
	if (n < 0 || (size_t)n >= sizeof(msg) || !cmd.up)
		return -1;
	ref = calloc(1, sizeof(*ref));
	if (ref) {
		snprintf(ref->id, sizeof(ref->id), "%s", stub->id);
		snprintf(ref->instance, sizeof(ref->instance), "%s", stub->remote);
	}
	publish(stub->remote, msg, (size_t)n, ref ? delivered : NULL, ref);
	return 0;
}

/* The stubs of id: revoked here too (every instance reloads the same users). */
static const char *revoke_id;
static struct rdv_client *revoke_found[64];
static unsigned int n_revoke;

static void revoke_visit(const void *node, VISIT v, int depth)
{
	struct rdv_client *c = *(struct rdv_client *const *)node;

	(void)depth;
	if ((v == postorder || v == leaf) && !strcmp(c->id, revoke_id) &&
	    n_revoke < sizeof(revoke_found) / sizeof(revoke_found[0]))
		revoke_found[n_revoke++] = c;
}

void rdv_cluster_revoke(const char *id)
{
	unsigned int i;

	if (!on)
		return;
	revoke_id = id;
	n_revoke = 0;
	twalk(stubs, revoke_visit);
	for (i = 0; i < n_revoke; i++) {
		rdv_sig_client_revoked(revoke_found[i]);
		rdv_client_kill(revoke_found[i], "revoked");
	}
}

/* --- sessions of other instances that local clients were offered ------------ */

static void foreign_add(struct rdv_client *c, const uint8_t *sid, const char *home,
			uint64_t until)
{
	uint64_t now = rdv_now_ms();
	unsigned int i, pick = 0;

	if (!c->foreign) {
		c->foreign = calloc(FOREIGN_MAX, sizeof(*c->foreign));
		if (!c->foreign)
			return;
	}
	/* A free or expired entry, else the one that expires first. */
	for (i = 0; i < FOREIGN_MAX; i++) {
		if (!c->foreign[i].home[0] || c->foreign[i].until <= now) {
			pick = i;
			break;
		}
		if (c->foreign[i].until < c->foreign[pick].until)
			pick = i;
	}
	memcpy(c->foreign[pick].sid, sid, SIG_SID_LEN);
	snprintf(c->foreign[pick].home, sizeof(c->foreign[pick].home), "%s", home);
	c->foreign[pick].until = until;
}

/* m, from local client c, to the instance its session lives on. */
static bool send_home(const struct rdv_client *c, const struct sig_msg *m, const char *home)
{
	char line[SIG_LINE_MAX + 1], msg[MSG_MAX], obs[SIG_EP_STRLEN];
	struct sig_ep ep;
	int len, n;

	len = sig_format(m, line, sizeof(line));
	if (len <= 0)
		return false;
	rdv_ep_from_ss(&ep, &c->addr);
	n = snprintf(msg, sizeof(msg), "from %s %s %s %u\n%.*s", me, c->id,
		     sig_ep_format(&ep, obs, sizeof(obs)), c->version, len - 1, line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return false;
	publish(home, msg, (size_t)n, NULL, NULL);
	return true;
}

/* A session's home looked up for a local client's message about it. */
struct home_req {
	char id[SIG_ID_MAX + 1];
	uint64_t gen;
	struct sig_msg m;
	unsigned int tries;
	struct home_req *next;		/* in homes_later */
};

/* The connection that asked, not a later one of the same id; or NULL. */
static struct rdv_client *home_asker(const struct home_req *q)
{
	struct rdv_client *c = rdv_client_by_id(q->id);

	return c && c->gen == q->gen ? c : NULL;
}

/* Done with q: the asker may look up again. */
static void home_done(struct home_req *q)
{
	struct rdv_client *c = home_asker(q);

	if (c && c->homes)
		c->homes--;
	free(q);
}

static void home_again(struct home_req *q)
{
	if (++q->tries >= HOME_TRIES || !home_asker(q)) {
		rdv_log_limited("cluster-home-unanswered", "id=%s tries=%u", q->id, q->tries);
		home_done(q);
		return;
	}
	q->next = homes_later;
	homes_later = q;
	if (!homes_timer.slot && rdv_timer_arm(&homes_timer, rdv_now_ms() + HOME_RETRY_MS))
		rdv_log_limited("cluster-home-timer", "error=\"no memory\"");
}

static void home_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	char home[SIG_ID_MAX + 1];
	struct home_req *q = priv;
	redisReply *r = reply;
	struct rdv_client *c;
	const char *p;

	(void)ac;
	homes--;
	c = home_asker(q);
	if (!c) {
		free(q);
		return;
	}
	/* No answer, or none yet that the homes wrote since Redis came back. */
	if (failed(r, "get") || (r->type == REDIS_REPLY_NIL &&
				 rdv_now_ms() < cmd_up_at + HOME_FRESH_MS)) {
		home_again(q);
		return;
	}
	if (r->type == REDIS_REPLY_STRING && (p = r->str) &&
	    word(&p, home, sizeof(home), false) && strcmp(home, me) &&
	    send_home(c, &q->m, home))
		foreign_add(c, q->m.sid, home,
			    rdv_now_ms() + rdv_cfg->lim.session_lifetime * 1000ull);
	else
		rdv_sig_unknown_session(c, &q->m);	/* no key, or ours */
	home_done(q);
}

/* Ask Redis where q's session lives (home_reply() goes on), or later. */
static void home_ask(struct home_req *q)
{
	char key[SESSION_KEY_LEN];

	if (!ready() || homes >= HOMES_MAX) {
		home_again(q);
		return;
	}
	session_key(q->m.sid, key);
	if (redisAsyncCommand(cmd.ac, home_reply, q, "GET %s", key) != REDIS_OK) {
		home_again(q);
		return;
	}
	homes++;
}

static void homes_retry(struct rdv_timer *t, uint64_t now)
{
	struct home_req *q = homes_later, *next;

	(void)t;
	(void)now;
	homes_later = NULL;
	for (; q; q = next) {
		next = q->next;
		q->next = NULL;
		home_ask(q);
	}
}

/*
 * Where m's session lives, for local client c: 0 if asked (now or once
 * Redis can say), -1 if c has too many such questions open already.
 */
static int home_lookup(struct rdv_client *c, const struct sig_msg *m)
{
	struct home_req *q;

	if (c->homes >= HOMES_PER_CLIENT)
		return -1;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -1;
	snprintf(q->id, sizeof(q->id), "%s", c->id);
	q->gen = c->gen;
	q->m = *m;
	c->homes++;
	home_ask(q);
	return 0;
}

bool rdv_cluster_forward(struct rdv_client *c, const struct sig_msg *m)
{
	struct rdv_foreign *f;
	unsigned int i;

	/* A stub's messages came from its own instance, which looked already. */
	if (!on || rdv_client_is_stub(c) || !(m->has & SIG_K_SID))
		return false;
	for (i = 0; c->foreign && i < FOREIGN_MAX; i++) {
		f = &c->foreign[i];
		if (!f->home[0] || f->until <= rdv_now_ms() ||
		    memcmp(f->sid, m->sid, SIG_SID_LEN))
			continue;
		if (!send_home(c, m, f->home))
			return false;
		/* Answered: the session lives on at its home (a relay later). */
		if (m->type == SIG_ANSWER)
			f->until = rdv_now_ms() + rdv_cfg->lim.session_lifetime * 1000ull;
		return true;
	}
	/* A relayed session of a side that registered here since it began. */
	if (m->type != SIG_RELAY && m->type != SIG_RELEASE && m->type != SIG_CANDIDATE)
		return false;
	if (home_lookup(c, m))
		rdv_log_limited("cluster-home-busy", "id=%s open=%u", c->id, c->homes);
	return true;	/* taken: answered once Redis says, or not at all */
}

/* --- what other instances send us --------------------------------------------- */

static void on_kick(const char *p)
{
	char id[SIG_ID_MAX + 1], gen[17], mine[17];
	struct rdv_client *c;

	if (!word(&p, id, sizeof(id), false) || !word(&p, gen, sizeof(gen), true) ||
	    !(c = rdv_client_by_id(id)))
		return;
	snprintf(mine, sizeof(mine), "%016llx", (unsigned long long)c->gen);
	if (!strcmp(mine, gen))
		rdv_client_kill(c, "replaced");
}

static void on_deliver(const char *p, const char *line, size_t len)
{
	char home[SIG_ID_MAX + 1], id[SIG_ID_MAX + 1], msg[2 * SIG_ID_MAX + 16];
	struct rdv_client *c;
	struct sig_msg m;
	int n;

	if (!word(&p, home, sizeof(home), false) || !word(&p, id, sizeof(id), false) ||
	    sig_parse(&m, line, len) != SIG_OK)
		return;
	c = rdv_client_by_id(id);
	if (!c) {
		/* Gone from here: the home ends its sessions with it now. */
		n = snprintf(msg, sizeof(msg), "gone %s %s", me, id);
		publish(home, msg, (size_t)n, NULL, NULL);
		return;
	}
	if (m.type == SIG_OFFER) {
		/* Our users file decides too: one reloaded late cannot let it in. */
		if (!rdv_users_may_call(m.peer, id))
			return;
		/* Unanswered, it is worth keeping only as long as the home waits. */
		foreign_add(c, m.sid, home,
			    rdv_now_ms() + rdv_cfg->lim.answer_timeout * 1000ull);
	}
	rdv_client_send(c, &m);
}

static void on_from(const char *p, const char *line, size_t len)
{
	char inst[SIG_ID_MAX + 1], id[SIG_ID_MAX + 1], obs[SIG_EP_STRLEN], v[11];
	struct rdv_client *stub;
	bool versioned, made = false;
	struct sig_ep ep;
	struct sig_msg m;

	if (!word(&p, inst, sizeof(inst), false) || !word(&p, id, sizeof(id), false) ||
	    !word(&p, obs, sizeof(obs), true) || sig_ep_parse(obs, strlen(obs), &ep) ||
	    sig_parse(&m, line, len) != SIG_OK ||
	    (m.type != SIG_ANSWER && m.type != SIG_REJECT && m.type != SIG_RELAY &&
	     m.type != SIG_CANDIDATE && m.type != SIG_RELEASE))
		return;
	versioned = word(&p, v, sizeof(v), true) && strspn(v, "0123456789") == strlen(v);
	stub = stub_find(id, inst);
	if (!stub) {
		/*
		 * Its sessions here ended, or a side of one registered on inst
		 * since: that it may take back (session.c's reattach()).
		 */
		if (!versioned || m.type == SIG_ANSWER || m.type == SIG_REJECT ||
		    !(stub = rdv_cluster_stub(id, inst)))
			return;
		made = true;
	}
	if (versioned) {
		stub->version = (uint32_t)strtoul(v, NULL, 10);
		stub->renews = true;
	}
	sa_set(&stub->addr, ep.family, ep.addr, ep.port);
	rdv_sig_input(stub, &m);
	/* A stub lives as long as its sessions here: none took this one. */
	if (made && !stub->sessions)
		rdv_client_kill(stub, "no-sessions");
}

static void on_gone(const char *p)
{
	char inst[SIG_ID_MAX + 1], id[SIG_ID_MAX + 1], why[8] = "";
	struct rdv_client *stub;

	if (!word(&p, inst, sizeof(inst), false) || !word(&p, id, sizeof(id), false) ||
	    !(stub = stub_find(id, inst)))
		return;
	/* Its relays end when it is reaped: not inside the event round. */
	stub->revoked = word(&p, why, sizeof(why), true) && !strcmp(why, "revoked");
	rdv_client_kill(stub, "gone");
}

static void on_message(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;
	const char *p, *nl;
	size_t len;

	(void)ac;
	(void)priv;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "message") ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return;
	p = r->element[2]->str;
	len = r->element[2]->len;
	nl = memchr(p, '\n', len);
	if (!nl && strlen(p) != len)
		return;		/* a NUL in it */
	if (!strncmp(p, "kick ", 5))
		on_kick(p + 5);
	else if (!strncmp(p, "gone ", 5))
		on_gone(p + 5);
	else if (nl && !strncmp(p, "deliver ", 8))
		on_deliver(p + 8, nl + 1, len - (size_t)(nl + 1 - p));
	else if (nl && !strncmp(p, "from ", 5))
		on_from(p + 5, nl + 1, len - (size_t)(nl + 1 - p));
	else
		rdv_log_limited("cluster-bad-message", "len=%zu", len);
}

/* --- the two connections -------------------------------------------------------- */

static void cmd_up(struct rdv_redis *r)
{
	(void)r;
	cmd_up_at = rdv_now_ms();
	ping_waiting = false;
	refreshing = 0;
	/* Presence again at once: Redis may have restarted empty. */
	refresh_now();
}

static void sub_up(struct rdv_redis *r)
{
	redisAsyncCommand(r->ac, on_message, NULL, "SUBSCRIBE " CHANNEL "%s", me);
	refresh_now();
}

void rdv_cluster_event(struct rdv_io *io, uint32_t events)
{
	rdv_redis_event(io, events);
}

int rdv_cluster_open(const char *redis_host, int redis_port, const char *instance,
		     const char *password)
{
	if (!redis_host)
		return 0;
	snprintf(me, sizeof(me), "%s", instance);
	on = true;
	cmd.on_up = cmd_up;
	sub.on_up = sub_up;
	cmd.password = sub.password = password;
	refresh.fire = refresh_round;
	homes_timer.fire = homes_retry;
	if (rdv_redis_start(&cmd, redis_host, redis_port) ||
	    rdv_redis_start(&sub, redis_host, redis_port) ||
	    rdv_timer_arm(&refresh, rdv_now_ms() + REFRESH_MS))
		return -1;
	rdv_log(RDV_LOG_INFO, "cluster", "instance=%s redis=%s:%d", me, redis_host,
		redis_port);
	return 0;
}

void rdv_cluster_close(void)
{
	if (!on)
		return;
	rdv_timer_cancel(&refresh);
	/* What the clients' ends queued (presence deleted, "gone" to their
	 * sessions' homes) goes out now, not 60 s later by expiry. */
	rdv_redis_drain(&cmd, DRAIN_MS);
	rdv_redis_stop(&cmd);
	rdv_redis_stop(&sub);
	/* After the stops: their callbacks put what was asked here. */
	rdv_timer_cancel(&homes_timer);
	while (homes_later) {
		struct home_req *q = homes_later;

		homes_later = q->next;
		free(q);
	}
	/* Every stub went with its sessions (rdv_sessions_shutdown, reaped). */
	tdestroy(stubs, free);
	stubs = NULL;
	on = false;
}
