// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Several rendezvousd on one Redis (cluster.h).
 *
 * Redis holds, per registered client, nfpunch:presence:ID = "INSTANCE GEN
 * VERSION" with a TTL: GEN is random per registration, so an instance
 * tells its own registration from a newer one elsewhere. Each instance
 * subscribes to nfpunch:instance:NAME and takes, one message each:
 *
 *   kick ID GEN          ID registered elsewhere since: close it here
 *   deliver HOME ID\nL   send line L to local client ID (an OFFER's
 *                        session is remembered as HOME's)
 *   from INST ID OBS\nL  ID, on INST and seen at OBS, says L about a
 *                        session that lives here
 *   gone INST ID         ID left INST: its sessions here end
 *
 * Without Redis (down, or not yet up) an instance serves its own clients
 * as a single server does; calls to others time out as if they were
 * offline, and presence is written again once Redis is back.
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "redis_loop.h"

#define PRESENCE	"nfpunch:presence:"
#define CHANNEL		"nfpunch:instance:"
#define PRESENCE_TTL_S	60
#define REFRESH_MS	20000
#define MSG_MAX		(SIG_LINE_MAX + 3 * SIG_ID_MAX + SIG_EP_STRLEN + 16)
/* Sessions of other instances a local client was offered, remembered. */
#define FOREIGN_MAX	16

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

/* Delete the presence key only if it is still this registration's. */
static const char del_script[] =
	"if redis.call('get', KEYS[1]) == ARGV[1] then "
	"return redis.call('del', KEYS[1]) end return 0";
/* Refresh it, or make it again after a Redis restart; 0 if a newer one holds it. */
static const char refresh_script[] =
	"local v = redis.call('get', KEYS[1]) "
	"if v == false or v == ARGV[1] then "
	"redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end return 0";

bool rdv_cluster_on(void)
{
	return on;
}

static void presence_value(const struct rdv_client *c, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %016llx %u", me, (unsigned long long)c->gen, c->version);
}

static void publish(const char *instance, const char *msg, size_t len)
{
	if (!cmd.up)
		return;
	redisAsyncCommand(cmd.ac, NULL, NULL, "PUBLISH " CHANNEL "%s %b", instance, msg,
			  len);
}

/* --- presence ----------------------------------------------------------- */

struct reg_req {
	char id[SIG_ID_MAX + 1];
};

/* SET ... GET answered: the registration it replaced, if another instance's. */
static void registered_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct reg_req *q = priv;
	redisReply *r = reply;
	char inst[SIG_ID_MAX + 1], gen[17], msg[2 * SIG_ID_MAX + 32];
	int n;

	(void)ac;
	if (r && r->type == REDIS_REPLY_STRING &&
	    sscanf(r->str, "%32s %16s", inst, gen) == 2 && strcmp(inst, me)) {
		n = snprintf(msg, sizeof(msg), "kick %s %s", q->id, gen);
		publish(inst, msg, (size_t)n);
	}
	free(q);
}

void rdv_cluster_registered(struct rdv_client *c)
{
	char key[sizeof(PRESENCE) + SIG_ID_MAX], value[64];
	struct reg_req *q;

	if (!on)
		return;
	if (sig_random(&c->gen, sizeof(c->gen)))
		c->gen = (uint64_t)rdv_now_ms();
	if (!cmd.up)
		return;		/* the refresh writes it once Redis is up */
	q = calloc(1, sizeof(*q));
	if (!q)
		return;
	snprintf(q->id, sizeof(q->id), "%s", c->id);
	snprintf(key, sizeof(key), PRESENCE "%s", c->id);
	presence_value(c, value, sizeof(value));
	if (redisAsyncCommand(cmd.ac, registered_reply, q, "SET %s %s EX %d GET", key,
			      value, PRESENCE_TTL_S) != REDIS_OK)
		free(q);
}

/* Tell each home of c's offered sessions that c is gone (once each). */
static void foreign_gone(struct rdv_client *c)
{
	char msg[2 * SIG_ID_MAX + 16];
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
		n = snprintf(msg, sizeof(msg), "gone %s %s", me, c->id);
		publish(home, msg, (size_t)n);
	}
	free(c->foreign);
	c->foreign = NULL;
}

void rdv_cluster_gone(struct rdv_client *c)
{
	char key[sizeof(PRESENCE) + SIG_ID_MAX], value[64];

	if (!on)
		return;
	foreign_gone(c);
	if (!cmd.up)
		return;
	snprintf(key, sizeof(key), PRESENCE "%s", c->id);
	presence_value(c, value, sizeof(value));
	redisAsyncCommand(cmd.ac, NULL, NULL, "EVAL %s 1 %s %s", del_script, key, value);
}

static void refresh_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct reg_req *q = priv;
	redisReply *r = reply;
	struct rdv_client *c;

	(void)ac;
	/* A newer registration holds the key (its kick went missing). */
	if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 0 &&
	    (c = rdv_client_by_id(q->id)))
		rdv_client_kill(c, "replaced");
	free(q);
}

static void refresh_one(struct rdv_client *c, void *arg)
{
	char key[sizeof(PRESENCE) + SIG_ID_MAX], value[64];
	struct reg_req *q = calloc(1, sizeof(*q));

	(void)arg;
	if (!q)
		return;
	snprintf(q->id, sizeof(q->id), "%s", c->id);
	snprintf(key, sizeof(key), PRESENCE "%s", c->id);
	presence_value(c, value, sizeof(value));
	if (redisAsyncCommand(cmd.ac, refresh_reply, q, "EVAL %s 1 %s %s %d", refresh_script,
			      key, value, PRESENCE_TTL_S) != REDIS_OK)
		free(q);
}

static void refresh_all(struct rdv_timer *t, uint64_t now)
{
	if (cmd.up)
		rdv_clients_each(refresh_one, NULL);
	rdv_timer_arm(t, now + REFRESH_MS);
}

/* --- where a client is ----------------------------------------------------- */

struct lookup_req {
	void (*cb)(void *arg, const char *instance, unsigned int version);
	void *arg;
};

static void lookup_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct lookup_req *q = priv;
	redisReply *r = reply;
	char inst[SIG_ID_MAX + 1], gen[17];
	unsigned int version;

	(void)ac;
	if (r && r->type == REDIS_REPLY_STRING &&
	    sscanf(r->str, "%32s %16s %u", inst, gen, &version) == 3 && sig_word_ok(inst))
		q->cb(q->arg, inst, version);
	else
		q->cb(q->arg, NULL, 0);
	free(q);
}

int rdv_cluster_lookup(const char *id,
		       void (*cb)(void *arg, const char *instance, unsigned int version),
		       void *arg)
{
	struct lookup_req *q;

	if (!on || !cmd.up)
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
	return 0;
}

/* --- stubs: clients of other instances, as sessions here see them ----------- */

static int stub_cmp(const void *a, const void *b)
{
	const struct rdv_client *x = a, *y = b;
	int r = strcmp(x->remote, y->remote);

	return r ? r : strcmp(x->id, y->id);
}

struct rdv_client *rdv_cluster_stub(const char *id, const char *instance)
{
	struct rdv_client key = { 0 }, *c, **slot;

	snprintf(key.id, sizeof(key.id), "%s", id);
	snprintf(key.remote, sizeof(key.remote), "%s", instance);
	slot = tfind(&key, &stubs, stub_cmp);
	if (slot)
		return *slot;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->io.kind = RDV_CLIENT;
	c->io.fd = -1;
	memcpy(c->id, key.id, sizeof(c->id));
	memcpy(c->remote, key.remote, sizeof(c->remote));
	slot = tsearch(c, &stubs, stub_cmp);
	if (!slot) {
		free(c);
		return NULL;
	}
	return c;
}

static struct rdv_client *stub_find(const char *id, const char *instance)
{
	struct rdv_client key = { 0 }, **slot;

	snprintf(key.id, sizeof(key.id), "%s", id);
	snprintf(key.remote, sizeof(key.remote), "%s", instance);
	slot = tfind(&key, &stubs, stub_cmp);
	return slot ? *slot : NULL;
}

void rdv_cluster_stub_unlist(struct rdv_client *stub)
{
	struct rdv_client **slot = tfind(stub, &stubs, stub_cmp);

	if (slot && *slot == stub)
		tdelete(stub, &stubs, stub_cmp);
}

int rdv_cluster_deliver(struct rdv_client *stub, const char *line, size_t len)
{
	char msg[MSG_MAX];
	int n;

	if (len && line[len - 1] == '\n')
		len--;
	n = snprintf(msg, sizeof(msg), "deliver %s %s\n%.*s", me, stub->id, (int)len, line);
	if (n < 0 || (size_t)n >= sizeof(msg) || !cmd.up)
		return -1;
	publish(stub->remote, msg, (size_t)n);
	return 0;
}

/* --- sessions of other instances that local clients were offered ------------ */

static void foreign_add(struct rdv_client *c, const uint8_t *sid, const char *home)
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
	c->foreign[pick].until = now + rdv_cfg->lim.session_lifetime * 1000ull;
}

bool rdv_cluster_forward(struct rdv_client *c, const struct sig_msg *m)
{
	char line[SIG_LINE_MAX + 1], msg[MSG_MAX], obs[SIG_EP_STRLEN];
	struct sig_ep ep;
	unsigned int i;
	int len, n;

	if (!on || !c->foreign || !(m->has & SIG_K_SID))
		return false;
	for (i = 0; i < FOREIGN_MAX; i++) {
		if (!c->foreign[i].home[0] || c->foreign[i].until <= rdv_now_ms() ||
		    memcmp(c->foreign[i].sid, m->sid, SIG_SID_LEN))
			continue;
		len = sig_format(m, line, sizeof(line));
		if (len <= 0)
			return false;
		rdv_ep_from_ss(&ep, &c->addr);
		n = snprintf(msg, sizeof(msg), "from %s %s %s\n%.*s", me, c->id,
			     sig_ep_format(&ep, obs, sizeof(obs)), len - 1, line);
		if (n < 0 || (size_t)n >= sizeof(msg))
			return false;
		publish(c->foreign[i].home, msg, (size_t)n);
		return true;
	}
	return false;
}

/* --- what other instances send us --------------------------------------------- */

static void on_kick(const char *args)
{
	char id[SIG_ID_MAX + 1], gen[17], mine[17];
	struct rdv_client *c;

	if (sscanf(args, "%32s %16s", id, gen) != 2 || !(c = rdv_client_by_id(id)))
		return;
	snprintf(mine, sizeof(mine), "%016llx", (unsigned long long)c->gen);
	if (!strcmp(mine, gen))
		rdv_client_kill(c, "replaced");
}

static void on_deliver(const char *args, const char *line, size_t len)
{
	char home[SIG_ID_MAX + 1], id[SIG_ID_MAX + 1], msg[2 * SIG_ID_MAX + 16];
	struct rdv_client *c;
	struct sig_msg m;
	int n;

	if (sscanf(args, "%32s %32s", home, id) != 2 || !sig_word_ok(home) ||
	    sig_parse(&m, line, len) != SIG_OK)
		return;
	c = rdv_client_by_id(id);
	if (!c) {
		/* Gone from here: the home ends its sessions with it now. */
		n = snprintf(msg, sizeof(msg), "gone %s %s", me, id);
		publish(home, msg, (size_t)n);
		return;
	}
	if (m.type == SIG_OFFER)
		foreign_add(c, m.sid, home);
	rdv_client_send(c, &m);
}

static void on_from(const char *args, const char *line, size_t len)
{
	char inst[SIG_ID_MAX + 1], id[SIG_ID_MAX + 1], obs[SIG_EP_STRLEN];
	struct rdv_client *stub;
	struct sig_ep ep;
	struct sig_msg m;

	if (sscanf(args, "%32s %32s %55s", inst, id, obs) != 3 ||
	    sig_ep_parse(obs, strlen(obs), &ep) || sig_parse(&m, line, len) != SIG_OK ||
	    (m.type != SIG_ANSWER && m.type != SIG_REJECT && m.type != SIG_RELAY))
		return;
	stub = stub_find(id, inst);
	if (!stub || stub->dead)
		return;		/* its sessions here have ended */
	sa_set(&stub->addr, ep.family, ep.addr, ep.port);
	rdv_sig_input(stub, &m);
}

static void on_gone(const char *args)
{
	char inst[SIG_ID_MAX + 1], id[SIG_ID_MAX + 1];
	struct rdv_client *stub;

	if (sscanf(args, "%32s %32s", inst, id) == 2 && (stub = stub_find(id, inst)))
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
	/* Presence again at once: Redis may have restarted empty. */
	rdv_clients_each(refresh_one, NULL);
}

static void sub_up(struct rdv_redis *r)
{
	redisAsyncCommand(r->ac, on_message, NULL, "SUBSCRIBE " CHANNEL "%s", me);
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
	refresh.fire = refresh_all;
	if (rdv_redis_start(&cmd, redis_host, redis_port) ||
	    rdv_redis_start(&sub, redis_host, redis_port) ||
	    rdv_timer_arm(&refresh, rdv_now_ms() + REFRESH_MS))
		return -1;
	rdv_log(RDV_LOG_INFO, "cluster", "instance=%s redis=%s:%d", me, redis_host,
		redis_port);
	return 0;
}

static void stub_drop(void *p)
{
	(void)p;	/* stubs are freed with their sessions */
}

void rdv_cluster_close(void)
{
	if (!on)
		return;
	rdv_timer_cancel(&refresh);
	rdv_redis_stop(&cmd);
	rdv_redis_stop(&sub);
	tdestroy(stubs, stub_drop);
	stubs = NULL;
	on = false;
}
