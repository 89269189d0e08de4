// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One peer's exchange, both ways:
 *
 *   caller: MAPPING [-> NAT_WAIT] [-> SAMPLING] -> CONNECT -> OFFERED
 *           -> ACCEPTED -> strategy
 *   callee: OFFER -> MAPPING [-> NAT_WAIT] [-> SAMPLING] -> ANSWER
 *           -> strategy
 *   strategy (strategy.c, from both NATs): PUNCHING, one flow or one per
 *           sprayed port; or straight to RELAY_WAIT when nothing direct
 *           can work
 *   then:   PUNCHING -> UP                  (the module says ESTABLISHED)
 *           PUNCHING -> RELAY_WAIT -> RELAYING -> UP (relayed)
 *           UP -> DEAD -> the caller punches again after a pause
 *   relay first (--relay-first, both sides): the relay's flow runs beside
 *           the punch from the start. PUNCHING -> UP (relayed) as soon as
 *           it is up, -> UP (direct) when the punch is, the relay kept
 *           RELAY_HOLD_MS more; a relayed peer punches again now and then,
 *           and falls back to the relay while it is held (relay_first.c).
 *   trickle: a plain punch that lasts asks for our mapping again; a moved
 *           one goes to the peer, who punches it too (trickle.c).
 *
 * The module does the sending, pacing and timing; this file only decides.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cand_filter.h"
#include "peer_flows.h"
#include "prime.h"
#include "punchd.h"
#include "relay_secret.h"
#include "retry.h"
#include "tcp.h"
#include "token_bucket.h"

#define SERVER_WAIT_MS		15000	/* for ACCEPTED or RELAYED */
#define SAMPLE_WAIT_MS		2000
/* How often a punch's probes are counted against its budget. */
#define BUDGET_CHECK_MS		250
/* A spray's first round is ~2 s at the default 1000 pps: allow three. */
#define SPRAY_PUNCH_MIN_MS	8000
#define SPRAY_PORT_BASE		49152
/* Calls of ours before the server's answer, at most (may_start()). */
#define PD_CALLS_STARTING_MAX	8
#define CALL_GATE_POLL_MS	100

/*
 * Slots allocated once (--max-peers): a peer's address is stable while
 * it is used. Scans stop at peers_end, one past the last slot ever used.
 */
static struct pd_peer *peers;
static unsigned int peers_max, peers_end;
/*
 * Slots by name: signaling messages, control requests and WireGuard's
 * checks find their peer by name, so for a hub's thousand peers that is
 * a hash away, not a scan. Chains of slot numbers; -1 ends one.
 */
static int *name_head, *name_next;
static unsigned int name_mask;

static unsigned int name_hash(const char *name)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*name)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	return h & name_mask;
}
static bool resyncing;			/* nfp_events_resync() is delivering */
static void resync_saw(uint32_t id);

static const char *const state_names[] = {
	[PD_IDLE] = "idle",
	[PD_MAPPING] = "mapping",
	[PD_NAT_WAIT] = "nat-wait",
	[PD_SAMPLING] = "sampling",
	[PD_OFFERED] = "offered",
	[PD_PUNCHING] = "punching",
	[PD_RELAY_WAIT] = "relay-wait",
	[PD_RELAYING] = "relaying",
	[PD_UP] = "up",
	[PD_FAILED] = "failed",
};

const char *pd_state_name(enum pd_state s)
{
	return state_names[s];
}

/* Every change of state goes through here: status shows how long ago. */
void pd_peer_set_state(struct pd_peer *p, enum pd_state state)
{
	if (p->state != state)
		p->since = pd_now_ms();
	p->state = state;
}

int pd_peers_init(unsigned int max)
{
	unsigned int buckets = 16, i;

	while (buckets < max)
		buckets *= 2;
	peers = calloc(max, sizeof(*peers));
	name_head = malloc(buckets * sizeof(*name_head));
	name_next = malloc(max * sizeof(*name_next));
	if (!peers || !name_head || !name_next)
		return -ENOMEM;
	for (i = 0; i < buckets; i++)
		name_head[i] = -1;
	name_mask = buckets - 1;
	peers_max = max;
	return 0;
}

static void name_unlink(const struct pd_peer *p)
{
	int *at = &name_head[name_hash(p->name)];
	int slot = (int)(p - peers);

	while (*at >= 0 && *at != slot)
		at = &name_next[*at];
	if (*at == slot)
		*at = name_next[slot];
}

struct pd_peer *pd_peer_get(const char *name, bool create)
{
	unsigned int b = name_hash(name), i;
	struct pd_peer *p = NULL;
	int slot;

	for (slot = name_head[b]; slot >= 0; slot = name_next[slot])
		if (!strcmp(peers[slot].name, name))
			return &peers[slot];
	if (!create)
		return NULL;
	/* Slots are few to scan only when one is taken: a peer is new. */
	for (i = 0; i < peers_end && !p; i++)
		if (!peers[i].used)
			p = &peers[i];
	if (!p && peers_end < peers_max)
		p = &peers[peers_end++];
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->since = pd_now_ms();
	snprintf(p->name, sizeof(p->name), "%s", name);
	/* Chained under the name kept, which name_unlink() hashes. */
	b = name_hash(p->name);
	slot = (int)(p - peers);
	name_next[slot] = name_head[b];
	name_head[b] = slot;
	return p;
}

struct pd_peer *pd_peer_by_sid(const uint8_t *sid)
{
	unsigned int i;

	for (i = 0; i < peers_end; i++)
		if (peers[i].used && !memcmp(peers[i].sid, sid, SIG_SID_LEN))
			return &peers[i];
	return NULL;
}

/* Whether flow id is one of p's: its path, its relay, a sprayed port. */
static bool holds_flow(const struct pd_peer *p, uint32_t id)
{
	unsigned int k;

	if (p->flow_id == id || p->relay_flow == id || pd_rr_holds(p, id))
		return true;
	for (k = 0; k < p->n_spray; k++)
		if (p->spray_flows[k] == id)
			return true;
	return false;
}

static struct pd_peer *peer_by_flow(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < peers_end; i++)
		if (peers[i].used && peers[i].state >= PD_PUNCHING &&
		    holds_flow(&peers[i], id))
			return &peers[i];
	return NULL;
}

/* Whether any peer, in any state, holds flow id. */
bool pd_peers_own_flow(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < peers_end; i++)
		if (peers[i].used && holds_flow(&peers[i], id))
			return true;
	return false;
}

unsigned int pd_peer_elapsed(const struct pd_peer *p)
{
	return (unsigned int)(pd_now_ms() - p->started);
}

/* Tell whoever asked (punchd connect) and free their slot. */
static void answer_waiters(struct pd_peer *p, const char *result)
{
	char ep[SIG_EP_STRLEN], local[NFP_ENDPOINT_STRLEN];
	unsigned int i;

	for (i = 0; i < p->n_waiters; i++) {
		if (p->state == PD_UP)
			pd_reply(p->waiters[i], "ok peer=%s mode=%s endpoint=%s ms=%u strategy=%s local=%s probes=%llu\n",
				 p->name, p->relayed ? "relay" : "direct",
				 sig_ep_format(&p->remote, ep, sizeof(ep)),
				 p->up_ms, pd_strategy_name(p->strategy),
				 nfp_endpoint_format(&p->local, local,
						     sizeof(local)),
				 (unsigned long long)p->probes);
		else
			pd_reply(p->waiters[i], "error peer=%s reason=%s\n",
				 p->name, result);
		pd_reply_done(p->waiters[i]);
	}
	p->n_waiters = 0;
}

static uint64_t flow_probes(uint32_t id)
{
	struct nfp_flow *f;
	uint64_t n = 0;

	if (!id)
		return 0;
	f = nfp_flow_alloc();
	if (f && !nfp_flow_lookup(pd_nfp, id, f))
		n = nfp_flow_get_u64(f, NFP_FLOW_PROBES_SENT);
	nfp_flow_free(f);
	return n;
}

/* Delete one flow of the session, keeping count of what it sent. */
int pd_peer_flow_gone(struct pd_peer *p, uint32_t id)
{
	uint64_t sent;
	int ret;

	if (!id)
		return 0;
	sent = flow_probes(id);
	ret = nfp_flow_del(pd_nfp, id);
	if (ret < 0 && ret != -ENOENT) {
		pd_log("flow-del-failed", "peer=%s flow=%u error=\"%s\"",
		       p->name, id, nfp_strerror(pd_nfp));
		return ret;
	}
	p->probes_done += sent;
	return 0;
}

/* The sprayed ports' flows, all but keep. */
static void drop_spray(struct pd_peer *p, uint32_t keep)
{
	unsigned int k;

	for (k = 0; k < p->n_spray; k++)
		if (p->spray_flows[k] != keep)
			pd_peer_flow_gone(p, p->spray_flows[k]);
	free(p->spray_flows);
	p->spray_flows = NULL;
	p->n_spray = 0;
}

/* The direct punch's flows (and the path's, unless it is the relay's). */
void pd_peer_drop_direct(struct pd_peer *p)
{
	drop_spray(p, 0);
	pd_peer_flow_gone(p, p->flow_id);
	p->flow_id = 0;
}

void pd_peer_send_release(const struct pd_peer *p, const uint8_t *sid,
			  const struct sig_ep *relay)
{
	char ep[SIG_EP_STRLEN] = "-";
	struct sig_msg m;

	if (!pd_link_release())
		return;		/* an older server: it idles out */
	sig_init(&m, SIG_RELEASE);
	memcpy(m.sid, sid, SIG_SID_LEN);
	m.has |= SIG_K_SID;
	if (relay) {
		m.relay = *relay;
		m.has |= SIG_K_RELAY;
		sig_ep_format(relay, ep, sizeof(ep));
	}
	pd_log("relay-release", "peer=%s relay=%s", p->name, ep);
	(void)pd_link_send(&m);	/* a lost link: it idles out all the same */
}

/*
 * We no longer use the relay the server gave us: say so, rather than
 * leave it to its idle time. Once per RELAYED.
 */
void pd_peer_release_relay(struct pd_peer *p)
{
	if (!p->relay_granted)
		return;
	p->relay_granted = false;
	pd_peer_send_release(p, p->relay_sid, NULL);
}

static void drop_flow(struct pd_peer *p)
{
	pd_rr_drop(p);
	pd_peer_drop_direct(p);
	pd_rf_drop(p);
	pd_peer_release_relay(p);
	p->upgrade_at = 0;
}

/* The flow of the path the peer is on (what status and the hook show). */
uint32_t pd_peer_path_flow(const struct pd_peer *p)
{
	return p->relayed && p->relay_flow ? p->relay_flow : p->flow_id;
}

/* A new session with the peer: forget the last one's numbers. */
static void session_reset(struct pd_peer *p)
{
	drop_flow(p);
	p->relayed = false;
	p->relay_first = false;
	p->retry_at = 0;	/* this session's outcome decides the next */
	p->answer_due = false;
	p->upgrades = 0;
	p->n_cands = 0;
	p->rediscover_at = 0;
	p->rediscover_wait = false;
	p->trickled_in = 0;
	p->mapping_remembered = p->remembered_checked = false;
	p->recall_at = 0;
	p->probes = p->probes_done = 0;
	p->window = 0;
	p->strategy = PD_STRAT_PLAIN;
	p->why = NULL;
	memset(&p->their_nat, 0, sizeof(p->their_nat));
	memset(&p->local, 0, sizeof(p->local));
	memset(&p->remote, 0, sizeof(p->remote));
	memset(&p->relay, 0, sizeof(p->relay));
	p->relay_end = 0;
	p->started = pd_now_ms();
}

/* Probes of the session's punch so far: gone flows and live ones. */
static uint64_t session_probes(const struct pd_peer *p)
{
	uint64_t n = p->probes_done + flow_probes(p->flow_id);
	unsigned int k;

	for (k = 0; k < p->n_spray; k++)
		n += flow_probes(p->spray_flows[k]);
	return n;
}

int pd_peer_want(const char *name)
{
	struct pd_peer *p = pd_peer_get(name, true);

	if (!p)
		return -1;
	p->wanted = true;
	/*
	 * The tick connects it once the server link is up; one resumed up
	 * (or punching) needs nothing, one resumed dead or gone has its
	 * retry already, unless we were its callee.
	 */
	if ((p->state == PD_IDLE || p->state == PD_FAILED) && !p->retry_at)
		p->retry_at = pd_now_ms();
	return 0;
}

uint64_t pd_peer_probes(const struct pd_peer *p)
{
	return p->state == PD_UP ? p->probes : session_probes(p);
}

bool pd_peer_spent(struct pd_peer *p)
{
	return pd_window_count(&p->probes_minute, pd_now_ms()) >=
	       pd_cfg.peer_probes;
}

/* The next attempt at p: REPUNCH_MS-based backoff with jitter. */
void pd_peer_schedule_retry(struct pd_peer *p, unsigned int base_ms)
{
	uint64_t in = pd_retry_delay_ms(p->attempts ? p->attempts : 1, base_ms);

	p->retry_at = pd_now_ms() + in;
	pd_log("retry", "peer=%s in_ms=%llu attempt=%u", p->name,
	       (unsigned long long)in, p->attempts + 1);
}

void pd_peer_fail(struct pd_peer *p, const char *why)
{
	/* A punch's probes count against the peer; a path's keepalives not. */
	bool punching = p->state == PD_PUNCHING || p->state == PD_RELAYING;

	pd_log("failed", "peer=%s reason=%s ms=%u", p->name, why, pd_peer_elapsed(p));
	/* A call we fail before answering is refused now, not at its timeout. */
	if (p->answer_due) {
		p->answer_due = false;
		pd_reject(&p->offer, why);
	}
	drop_flow(p);
	if (punching)
		pd_window_add(&p->probes_minute, p->probes_done, pd_now_ms());
	pd_peer_set_state(p, PD_FAILED);
	pd_result("failed", p, pd_peer_elapsed(p));
	answer_waiters(p, why);
	/* Never stuck: a peer we keep is tried again, later each time. */
	if (p->wanted)
		pd_peer_schedule_retry(p, REPUNCH_MS);
	pd_state_save();
}

void pd_peer_forget(struct pd_peer *p)
{
	answer_waiters(p, "cancelled");
	drop_flow(p);
	name_unlink(p);
	p->used = false;
	pd_state_save();
}

/* The module predates marked mapping queries (nfpunch 0.4). */
static bool mapping_mark_refused;

int pd_mapping_ask(uint32_t *id)
{
	struct nfp_endpoint local, server;
	struct nfp_mapping *m;
	int ret;

	if (pd_link_local(&local) || pd_server_stun(&server))
		return -ENOTCONN;
	m = nfp_mapping_alloc();
	if (!m)
		return -ENOMEM;
	/*
	 * With our flows' mark (WireGuard's): under a full-tunnel rule an
	 * unmarked query would go into the tunnel and ask for the wrong
	 * mapping, or none.
	 */
	nfp_mapping_set_endpoint(m, NFP_MAPPING_LOCAL, &local);
	nfp_mapping_set_endpoint(m, NFP_MAPPING_SERVER, &server);
	nfp_mapping_set_u32(m, NFP_MAPPING_TIMEOUT_MS, PD_MAPPING_TIMEOUT_MS);
	nfp_mapping_set_u32(m, NFP_MAPPING_MARK,
			    mapping_mark_refused ? 0 : pd_cfg.mark);
	ret = nfp_mapping_request(pd_nfp, m);
	/* An older module refuses the mark: ask unmarked, as before it. */
	if (ret == -EINVAL && pd_cfg.mark && !mapping_mark_refused &&
	    strstr(nfp_strerror(pd_nfp), "Unknown attribute type")) {
		pd_log("module-without-mapping-mark",
		       "error=\"%s\" fix=\"reload the nfpunch module, then restart punchd\"",
		       nfp_strerror(pd_nfp));
		mapping_mark_refused = true;
		nfp_mapping_set_u32(m, NFP_MAPPING_MARK, 0);
		ret = nfp_mapping_request(pd_nfp, m);
	}
	if (!ret) {
		*id = nfp_mapping_get_u32(m, NFP_MAPPING_ID);
		pd_own_mapping_asked(*id);
	}
	nfp_mapping_free(m);
	return ret;
}

const char *pd_mapping_strerror(int err)
{
	return err == -ENOMEM ? strerror(ENOMEM) : nfp_strerror(pd_nfp);
}

static void proceed(struct pd_peer *p);
static bool takes_trickle(struct pd_peer *p, const struct sig_msg *m);

/* Ask the module for our public endpoint (STUN from our own port). */
static void start_mapping(struct pd_peer *p)
{
	char ep[NFP_ENDPOINT_STRLEN];
	uint32_t id;
	int ret;

	pd_peer_set_state(p, PD_MAPPING);
	p->deadline = pd_now_ms() + PD_MAPPING_LOST_MS;
	/*
	 * The last answer, if it holds: the punch checks it (own_mapping.c).
	 * Called, we know the strategy already: only a punch that can take a
	 * correction (trickle) may start from a remembered endpoint.
	 */
	p->mapping_remembered = pd_own_mapping_get(&p->mapping) &&
				(p->caller || takes_trickle(p, &p->offer));
	if (p->mapping_remembered) {
		pd_log("mapping", "peer=%s mapped=%s rtt_us=%u remembered=yes",
		       p->name, nfp_endpoint_format(&p->mapping.mapped, ep, sizeof(ep)),
		       p->mapping.rtt_us);
		proceed(p);
		return;
	}
	ret = pd_mapping_ask(&id);
	if (ret == -ENOTCONN) {
		pd_peer_fail(p, "no-server-link");
		return;
	}
	if (ret < 0) {
		pd_log("mapping-failed", "peer=%s error=\"%s\"", p->name,
		       pd_mapping_strerror(ret));
		pd_peer_fail(p, "module");
		return;
	}
	p->mapping_id = id;
}

void pd_peer_connect(struct pd_peer *p, int waiter)
{
	if (waiter >= 0) {
		if (p->n_waiters == PD_MAX_WAITERS) {
			pd_reply(waiter, "error peer=%s reason=busy\n", p->name);
			pd_reply_done(waiter);
			return;
		}
		p->waiters[p->n_waiters++] = waiter;
	}
	if (waiter >= 0)
		p->wanted = true;	/* until "disconnect" */
	if (p->state == PD_UP && waiter >= 0) {
		answer_waiters(p, "up");
		return;
	}
	if (p->state != PD_IDLE && p->state != PD_FAILED && p->state != PD_UP)
		return;	/* already on its way: the waiter gets the result */
	if (!pd_link_up()) {
		pd_peer_fail(p, "server-unreachable");
		return;
	}
	session_reset(p);
	p->caller = true;
	p->retry_at = 0;
	p->recalled = false;
	p->attempts++;
	pd_log("connect", "peer=%s attempt=%u", p->name, p->attempts);
	start_mapping(p);
}

void pd_peer_recall(struct pd_peer *p)
{
	/* Not a session that ended meanwhile, or met the peer after all. */
	if (!p->caller || p->recalled || !pd_link_up() || p->state == PD_IDLE ||
	    p->state == PD_FAILED || (p->state == PD_UP && !p->relayed))
		return;
	p->recalled = true;
	pd_log("recall", "peer=%s reason=mapping-moved", p->name);
	session_reset(p);
	start_mapping(p);
}

/* A module older than priming refuses it: then punch unprimed. */
static bool prime_refused;

/*
 * Whether this punch primes (prime.h), and with which TTL: the called
 * side starts first (it punches, then answers; the caller once the answer
 * has reached it), so its probes would reach the caller's NAT first; the
 * side that sprays from many ports always does, all along. Not towards
 * the relay, nor a peer on our own site, nor a caller whose NAT lets
 * anyone in (or that has none): nothing of ours can spoil it, and our
 * first probe may be the one that makes the path.
 */
static unsigned int prime_ttl(const struct pd_peer *p, int family)
{
	bool open = p->their_nat.map == PD_MAP_OPEN ||
		    p->their_nat.filter == PD_FILTER_EIF;

	/* A trickled endpoint: the peer's NAT is open towards us already. */
	if (p->trickled_in ||
	    (p->caller && p->strategy != PD_STRAT_SPRAY_PORTS) ||
	    (!p->caller && open) || p->same_site ||
	    p->strategy == PD_STRAT_RELAY || prime_refused || !pd_cfg.prime)
		return 0;
	return pd_hops_prime_ttl(family);
}

/* Set once a module from before nomination refused a candidate. */
static bool candidate_refused;

uint32_t pd_peer_flow_open(struct pd_peer *p, uint16_t port,
			   const struct sig_ep *cands, unsigned int n,
			   const struct nfp_endpoint *extra,
			   uint32_t punch_timeout_ms, enum pd_flow_kind kind)
{
	bool relay = kind == PD_FLOW_RELAY;
	bool candidate = kind == PD_FLOW_SPRAY && !candidate_refused;
	struct nfp_flow *f = nfp_flow_alloc(), *out = nfp_flow_alloc();
	uint8_t relay_secret[RELAY_SECRET_LEN];
	struct nfp_endpoint local, ep;
	unsigned int i, ttl;
	uint32_t id = 0;
	int ret;

	if (!f || !out || pd_link_local(&local))
		goto out;
	local.port = port;
	ret = nfp_flow_set_endpoint(f, NFP_FLOW_LOCAL, &local);
	for (i = 0; !ret && i < n && i < PD_FLOW_PEERS; i++) {
		pd_ep_from_sig(&ep, &cands[i]);
		ret = nfp_flow_add_peer(f, &ep);
	}
	if (!ret && extra && n < PD_FLOW_PEERS)
		ret = nfp_flow_add_peer(f, extra);
	/*
	 * The caller controls: each direction has its own probe keys. The
	 * relay's flow beside a punch from the same port has its own secret,
	 * hence its own tags (relay_secret.h).
	 */
	if (!ret && relay && (p->relay_first || p->relay_gen))
		ret = relay_secret_derive(relay_secret, p->secret, SIG_SECRET_LEN,
					  p->relay_gen) ?
		      -EINVAL : nfp_flow_set_secret(f, relay_secret, sizeof(relay_secret));
	else if (!ret)
		ret = nfp_flow_set_secret(f, p->secret, SIG_SECRET_LEN);
	ret = ret ?: nfp_flow_set_u32(f, NFP_FLOW_ROLE, p->caller ? NFP_ROLE_CONTROLLING :
						     NFP_ROLE_CONTROLLED) ?:
	      nfp_flow_set_u32(f, NFP_FLOW_KEEPALIVE_MS, pd_keepalive_ms()) ?:
	      nfp_flow_set_u32(f, NFP_FLOW_PUNCH_TIMEOUT_MS, punch_timeout_ms);
	if (!ret && pd_cfg.timeout_ms)
		ret = nfp_flow_set_u32(f, NFP_FLOW_TIMEOUT_MS, pd_cfg.timeout_ms);
	if (!ret && pd_cfg.tag)
		ret = nfp_flow_set_u32(f, NFP_FLOW_APP_TAG, pd_cfg.tag);
	if (!ret && pd_cfg.mark)
		ret = nfp_flow_set_u32(f, NFP_FLOW_MARK, pd_cfg.mark);
	if (!ret && candidate)
		ret = nfp_flow_set_u32(f, NFP_FLOW_FLAGS, NFP_FLOW_F_CANDIDATE);
	ttl = relay ? 0 : prime_ttl(p, local.family);
	if (!ret && ttl)
		ret = nfp_flow_set_u32(f, NFP_FLOW_PRIME_TTL, ttl) ?:
		      nfp_flow_set_u32(f, NFP_FLOW_PRIME_MS,
				       pd_prime_ms(p->mapping.rtt_us, punch_timeout_ms,
						   p->strategy == PD_STRAT_SPRAY_PORTS));
	if (ret) {
		pd_log("flow-add-failed", "peer=%s port=%u error=\"%s\"",
		       p->name, port, strerror(-ret));
		goto out;
	}
	ret = nfp_flow_add(pd_nfp, f, out);
	/*
	 * An older module refuses what it does not know, each with its own
	 * reason: the candidate flag (before 0.4) and priming (before 0.3).
	 * Its flows move on any request of the peer, as they always did: a
	 * spray still works, with the race nominate() then shortens.
	 */
	while (ret == -EINVAL) {
		const char *why = nfp_strerror(pd_nfp);

		if (candidate && strstr(why, "reserved bit set")) {
			pd_log("module-without-nomination",
			       "error=\"%s\" fix=\"reload the nfpunch module, then restart punchd\"",
			       why);
			candidate_refused = true;
			candidate = false;
			nfp_flow_unset(f, NFP_FLOW_FLAGS);
		} else if (ttl && strstr(why, "Unknown attribute type")) {
			pd_log("module-without-priming",
			       "error=\"%s\" fix=\"reload the nfpunch module, then restart punchd\"",
			       why);
			prime_refused = true;
			ttl = 0;
			nfp_flow_unset(f, NFP_FLOW_PRIME_TTL);
			nfp_flow_unset(f, NFP_FLOW_PRIME_MS);
		} else {
			break;
		}
		ret = nfp_flow_add(pd_nfp, f, out);
	}
	if (ret < 0) {
		pd_log("flow-add-failed", "peer=%s port=%u error=\"%s\"",
		       p->name, port, nfp_strerror(pd_nfp));
		goto out;
	}
	p->local = local;
	p->prime_ttl = nfp_flow_get_u32(out, NFP_FLOW_PRIME_TTL);
	id = nfp_flow_get_u32(out, NFP_FLOW_ID);
	if (resyncing)		/* made after the dump: not gone */
		resync_saw(id);
out:
	memset(relay_secret, 0, sizeof(relay_secret));
	nfp_flow_free(f);
	nfp_flow_free(out);
	return id;
}

static void add_flow(struct pd_peer *p, const struct sig_ep *cands,
		     unsigned int n, const struct nfp_endpoint *extra,
		     bool relay)
{
	uint32_t timeout = pd_cfg.punch_timeout_ms;

	drop_flow(p);
	if (extra && timeout < SPRAY_PUNCH_MIN_MS)
		timeout = SPRAY_PUNCH_MIN_MS;
	p->flow_id = pd_peer_flow_open(p, pd_cfg.port, cands, n, extra, timeout,
				       relay ? PD_FLOW_RELAY : PD_FLOW_PUNCH);
	if (!p->flow_id) {
		pd_peer_fail(p, "module");
		return;
	}
	pd_peer_set_state(p, relay ? PD_RELAYING : PD_PUNCHING);
	p->deadline = pd_now_ms() + timeout + PUNCH_SLACK_MS;
	if (!relay)
		pd_trickle_punch_started(p);
	pd_log(relay ? "relaying" : "punching",
	       "peer=%s flow=%u candidates=%u strategy=%s prime_ttl=%u", p->name,
	       p->flow_id, n + !!extra, pd_strategy_name(p->strategy),
	       p->prime_ttl);
	pd_state_save();
}

static uint16_t random_below(unsigned int n)
{
	uint32_t r = 0;

	sig_random(&r, sizeof(r));
	return (uint16_t)(r % n);
}

/*
 * The random-allocating side of a birthday punch: PD_SPRAY_PORTS flows
 * from as many local ports, each opening its own mapping towards the
 * peer's single public endpoint while the peer probes PD_SPRAY_TARGETS
 * ports of our address. The first flow that meets wins; the others go.
 */
static void spray_ports(struct pd_peer *p, const struct sig_ep *cands,
			unsigned int n)
{
	uint32_t timeout = pd_cfg.punch_timeout_ms;
	uint16_t base;
	unsigned int k;

	drop_flow(p);
	if (timeout < SPRAY_PUNCH_MIN_MS)
		timeout = SPRAY_PUNCH_MIN_MS;
	p->spray_flows = calloc(PD_SPRAY_PORTS, sizeof(*p->spray_flows));
	if (!p->spray_flows) {
		pd_peer_fail(p, "no-memory");
		return;
	}
	base = SPRAY_PORT_BASE + random_below(65536 - SPRAY_PORT_BASE -
					      PD_SPRAY_PORTS);
	for (k = 0; k < PD_SPRAY_PORTS; k++) {
		uint32_t id = pd_peer_flow_open(p, (uint16_t)(base + k), cands,
						n, NULL, timeout, PD_FLOW_SPRAY);

		if (id)
			p->spray_flows[p->n_spray++] = id;
	}
	if (!p->n_spray) {
		pd_peer_fail(p, "module");
		return;
	}
	pd_peer_set_state(p, PD_PUNCHING);
	p->deadline = pd_now_ms() + timeout + PUNCH_SLACK_MS;
	pd_log("punching", "peer=%s strategy=spray-ports ports=%u-%u flows=%u prime_ttl=%u",
	       p->name, base, base + PD_SPRAY_PORTS - 1, p->n_spray, p->prime_ttl);
	pd_state_save();
}

/* Both sides run this on the same two NAT descriptions. */
/* The gateway's mapping, when the server sees us at its address. */
static bool portmap_candidate(const struct pd_peer *p, struct sig_ep *ep)
{
	struct sig_ep seen;

	if (p->mapping.error || !p->mapping.mapped.family)
		return false;
	pd_ep_to_sig(&seen, &p->mapping.mapped);
	return pd_portmap_candidate(&seen, ep);
}

/*
 * Our NAT as a peer meets it. With a mapping on the gateway, anyone
 * reaches our port at one fixed public endpoint: open and unfiltered,
 * whatever our NAT does to the packets we send.
 */
static bool nat_as_seen(const struct pd_peer *p, struct pd_nat *n)
{
	struct sig_ep ep;
	bool known = pd_nat_mine(n);

	if (!portmap_candidate(p, &ep))
		return known;
	n->map = PD_MAP_OPEN;
	n->filter = PD_FILTER_EIF;
	return true;
}

/* What the strategy is chosen from: both NATs, theirs as this offer says. */
static void strategy_in(const struct pd_peer *p, const struct pd_nat *mine,
			const struct sig_msg *m, struct pd_strategy_in *in)
{
	memset(in, 0, sizeof(*in));
	in->mine = *mine;
	if (!(m->has & SIG_K_NAT) || pd_nat_parse(m->nat, &in->theirs))
		memset(&in->theirs, 0, sizeof(in->theirs));
	in->spray_ok = pd_cfg.spray && (m->has & SIG_K_SPRAY) && m->spray;
	in->same_public_ip = !p->mapping.error && p->mapping.mapped.family &&
			     pd_ep_same_address(&p->mapping.mapped, &m->observed);
}

static void decide(struct pd_peer *p, const struct sig_msg *m)
{
	char mine[PD_NAT_STRLEN], theirs[PD_NAT_STRLEN];
	struct pd_strategy_in in;
	struct pd_strategy_out out;

	/* Ours as we sent it: the peer decides from that word too. */
	strategy_in(p, &p->sent_nat, m, &in);
	p->their_nat = in.theirs;
	p->their_spray = (m->has & SIG_K_SPRAY) && m->spray;
	p->same_site = in.same_public_ip;
	pd_strategy(&in, &out);
	p->strategy = out.strategy;
	p->why = out.why;
	pd_log("strategy", "peer=%s nat=%s peer_nat=%s spray=%s strategy=%s why=%s",
	       p->name, pd_nat_format(&in.mine, mine, sizeof(mine)),
	       pd_nat_format(&in.theirs, theirs, sizeof(theirs)),
	       in.spray_ok ? "agreed" : "no", pd_strategy_name(out.strategy),
	       out.why);
}

/* Would this offer's punch be plain or predicted, with our mapping now? */
static bool takes_trickle(struct pd_peer *p, const struct sig_msg *m)
{
	struct pd_strategy_in in;
	struct pd_strategy_out out;
	struct pd_nat mine;

	nat_as_seen(p, &mine);
	strategy_in(p, &mine, m, &in);
	pd_strategy(&in, &out);
	return out.strategy == PD_STRAT_PLAIN || out.strategy == PD_STRAT_PREDICT;
}

static void ask_relay(struct pd_peer *p);

void pd_cand_refused(const char *why, const struct sig_ep *ep, void *ctx)
{
	const struct pd_peer *p = ctx;
	char a[SIG_EP_STRLEN];

	pd_log("candidate-refused", "peer=%s cand=%s reason=%s", p->name,
	       sig_ep_format(ep, a, sizeof(a)), why);
}

static void punch_flows(struct pd_peer *p, const struct sig_msg *m,
			const struct sig_ep *cands, unsigned int n);

/* Act on the strategy with the peer's candidates, those we may probe. */
static void start_punch(struct pd_peer *p, const struct sig_msg *m)
{
	struct pd_cand_view view = {
		.observed = m->observed,
		.same_site = p->same_site,
		.sequential = p->their_nat.alloc == PD_ALLOC_SEQ,
	};
	struct sig_ep cands[SIG_MAX_CANDS];
	struct nfp_endpoint local;
	unsigned int n;

	if (!pd_link_local(&local))
		view.family = local.family;

	n = pd_cand_filter(m->cand, m->n_cand, &view, cands, pd_cand_refused, p);
	if (!n && p->strategy != PD_STRAT_SPRAY_TARGETS) {
		/* Nothing we may probe: only the relay is left. */
		p->strategy = PD_STRAT_RELAY;
	}
	/* Kept to punch for direct again while relayed. */
	memcpy(p->cands, cands, n * sizeof(cands[0]));
	p->n_cands = n;
	punch_flows(p, m, cands, n);
	pd_trickle_check_remembered(p);
	pd_rf_ask(p);
}

static void punch_flows(struct pd_peer *p, const struct sig_msg *m,
			const struct sig_ep *cands, unsigned int n)
{
	struct nfp_endpoint window;

	switch (p->strategy) {
	case PD_STRAT_RELAY:
		if (!pd_cfg.relay) {
			pd_peer_fail(p, "no-direct-path");
			return;
		}
		/* The caller asks; the called side waits for RELAYED. */
		if (p->caller) {
			ask_relay(p);
		} else {
			pd_peer_set_state(p, PD_RELAY_WAIT);
			p->deadline = pd_now_ms() + SERVER_WAIT_MS;
		}
		return;
	case PD_STRAT_SPRAY_PORTS:
		spray_ports(p, cands, n);
		return;
	case PD_STRAT_SPRAY_TARGETS:
		/*
		 * Any PD_SPRAY_TARGETS ports of the peer's public address
		 * (its first candidate) do: its allocator is uniform.
		 */
		pd_ep_from_sig(&window, &m->observed);
		window.port = 1024 + random_below(65536 - 1024 -
						  PD_SPRAY_TARGETS);
		window.port_max = (uint16_t)(window.port + PD_SPRAY_TARGETS - 1);
		add_flow(p, cands, n, &window, false);
		return;
	default:
		add_flow(p, cands, n, NULL, false);
	}
}

/*
 * Our candidates: a predicted window (sequential NAT), the public mapping
 * (if we got one) and host addresses, in the order the peer should probe
 * them: the window first, so the peer's NAT allocates in step with ours.
 */
static void send_candidates(struct pd_peer *p)
{
	const struct pd_mapping *mp = &p->mapping;
	struct nfp_endpoint local;
	struct pd_nat mine;
	struct sig_msg m;
	struct sig_ep ep;

	sig_init(&m, p->caller ? SIG_CONNECT : SIG_ANSWER);
	/* The gateway's own mapping first: it reaches us from anywhere. */
	if (portmap_candidate(p, &ep))
		sig_add_cand(&m, &ep);
	if (!mp->error && mp->mapped.family) {
		pd_ep_to_sig(&ep, &mp->mapped);
		if (p->window && pd_nat_mine(&mine)) {
			unsigned int last = p->window + (unsigned int)mine.delta *
					    (PD_PREDICT_WINDOW - 1);

			if (last > 65535)
				last = 65535;
			if (last - p->window >= SIG_MAX_RANGE)
				last = p->window + SIG_MAX_RANGE - 1;
			ep.port = p->window;
			ep.port_last = (uint16_t)last;
			sig_add_cand(&m, &ep);
			pd_ep_to_sig(&ep, &mp->mapped);
		}
		sig_add_cand(&m, &ep);
	}
	if (pd_cfg.host_candidates && !pd_link_local(&local))
		pd_host_candidates(&local, &m);
	if (!m.n_cand) {
		pd_peer_fail(p, "no-candidates");
		return;
	}
	memset(&p->sent_nat, 0, sizeof(p->sent_nat));
	if (nat_as_seen(p, &mine)) {
		pd_nat_format(&mine, m.nat, sizeof(m.nat));
		m.has |= SIG_K_NAT;
		p->sent_nat = mine;
	}
	m.spray = pd_cfg.spray;
	m.has |= SIG_K_SPRAY;
	/* Relay first if both want it (the callee answers what it agrees to). */
	if (pd_rf_ok() && (p->caller || p->offer.relay_first)) {
		m.relay_first = 1;
		m.has |= SIG_K_RELAY_FIRST;
	}
	if (!p->caller)
		p->relay_first = m.relay_first;
	if (p->caller) {
		snprintf(m.peer, sizeof(m.peer), "%s", p->name);
		m.has |= SIG_K_PEER;
		pd_peer_set_state(p, PD_OFFERED);
		p->deadline = pd_now_ms() + SERVER_WAIT_MS;
	} else {
		memcpy(m.sid, p->sid, SIG_SID_LEN);
		m.has |= SIG_K_SID;
		/*
		 * Our punch starts before our answer leaves: the peer probes
		 * only once it has the answer, so our NATs already map our
		 * port towards it (primed probes included) when its first
		 * probe comes. Answering first let a fast server and peer win
		 * that race on a slow host, and a Linux NAT then gave our own
		 * probes another port (issue 16).
		 */
		decide(p, &p->offer);
		start_punch(p, &p->offer);
		/* No punch to answer with: pd_peer_fail() refused the call. */
		if (p->state == PD_FAILED)
			return;
	}
	if (pd_link_send(&m)) {
		pd_peer_fail(p, "server-unreachable");
		return;
	}
	p->answer_due = false;
	if (p->caller)
		pd_log("offered", "peer=%s candidates=%u", p->name, m.n_cand);
	else
		pd_log("answered", "peer=%s candidates=%u", p->name, m.n_cand);
}

/* The mapping is known: wait for discovery if we must, sample, offer. */
static void proceed(struct pd_peer *p)
{
	struct pd_nat mine;

	if (pd_nat_call_waits()) {
		if (p->state != PD_NAT_WAIT)
			pd_log("nat-wait", "peer=%s", p->name);
		pd_peer_set_state(p, PD_NAT_WAIT);
		p->deadline = pd_now_ms() + SERVER_WAIT_MS;
		return;
	}
	if (pd_nat_mine(&mine) && pd_nat_predictable(&mine) &&
	    !pd_nat_sample((unsigned int)(p - peers))) {
		pd_log("sampling", "peer=%s", p->name);
		pd_peer_set_state(p, PD_SAMPLING);
		p->deadline = pd_now_ms() + SAMPLE_WAIT_MS;
		return;
	}
	send_candidates(p);
}

void pd_peers_nat_ready(void)
{
	unsigned int i;

	for (i = 0; i < peers_end; i++)
		if (peers[i].used && peers[i].state == PD_NAT_WAIT)
			proceed(&peers[i]);
}

void pd_peers_sampled(unsigned int tag, uint16_t port)
{
	struct pd_peer *p = tag < peers_end ? &peers[tag] : NULL;
	struct pd_nat mine;

	if (!p || !p->used || p->state != PD_SAMPLING)
		return;
	/* The next allocation follows the one just sampled. */
	if (port && pd_nat_mine(&mine) &&
	    (int)port + mine.delta > 0 && (int)port + mine.delta <= 65535)
		p->window = (uint16_t)(port + mine.delta);
	pd_log("predict", "peer=%s sampled=%u window=%u", p->name, port,
	       p->window);
	send_candidates(p);
}

/*
 * Between the sample of our sequential NAT's next port and the punch's
 * first probe from that port, any new mapping takes the port announced:
 * the caller offered and waits for the answer, or either side punches
 * (its primed probes open the mapping as it starts; the whole punch is
 * counted, which is simpler and costs a run at most its length).
 */
bool pd_peers_predicting(void)
{
	unsigned int i;

	for (i = 0; i < peers_end; i++) {
		const struct pd_peer *p = &peers[i];

		if (p->used && (p->state == PD_SAMPLING ||
				(p->window && (p->state == PD_OFFERED ||
					       p->state == PD_PUNCHING))))
			return true;
	}
	return false;
}

/* A new keepalive interval for one of name's flows (logged if refused). */
static int set_keepalive(const char *name, uint32_t id, uint32_t ms)
{
	struct nfp_flow *change = nfp_flow_alloc();
	int ret = -ENOMEM;

	if (change && !nfp_flow_set_u32(change, NFP_FLOW_ID, id) &&
	    !nfp_flow_set_u32(change, NFP_FLOW_KEEPALIVE_MS, ms))
		ret = nfp_flow_change(pd_nfp, change, NULL);
	nfp_flow_free(change);
	if (ret < 0)
		pd_log("keepalive-failed", "peer=%s error=\"%s\"", name,
		       nfp_strerror(pd_nfp));
	return ret;
}

/* The measured lifetime changed the keepalive: tell the live flows. */
void pd_peers_keepalive_changed(void)
{
	uint32_t ms = pd_keepalive_ms();
	unsigned int i;

	for (i = 0; i < peers_end; i++) {
		if (peers[i].used && peers[i].flow_id)
			set_keepalive(peers[i].name, peers[i].flow_id, ms);
		if (peers[i].used && peers[i].relay_flow)
			set_keepalive(peers[i].name, peers[i].relay_flow, ms);
	}
}

void pd_reject(const struct sig_msg *m, const char *code)
{
	struct sig_msg r;

	sig_init(&r, SIG_REJECT);
	memcpy(r.sid, m->sid, SIG_SID_LEN);
	snprintf(r.code, sizeof(r.code), "%s", code);
	r.has |= SIG_K_SID | SIG_K_CODE;
	pd_link_send(&r);
}

/* OFFERs accepted this minute from anyone. */
static struct pd_window all_offers;

struct pd_peer *pd_offer_admit(const struct sig_msg *m)
{
	uint64_t now = pd_now_ms();
	struct pd_peer *p;
	bool first;

	/*
	 * Not on the list: no answer at all, so the caller sees what it
	 * would see if we were offline (the server times the offer out).
	 */
	if (!pd_policy_allowed(m->peer)) {
		pd_policy_refused(m->peer);
		return NULL;
	}
	p = pd_peer_get(m->peer, true);
	if (!p) {
		pd_reject(m, "too-many-peers");
		return NULL;
	}
	/* The peer's own budget first: what it is refused costs no one else. */
	if (pd_peer_spent(p)) {
		pd_log("offer-refused", "peer=%s reason=peer-probes limit=%u/min",
		       m->peer, pd_cfg.peer_probes);
		pd_reject(m, "busy");
		return NULL;
	}
	if (!pd_window_take(&p->offers, pd_cfg.peer_offer_rate, now, &first)) {
		if (first)
			pd_log("offer-refused", "peer=%s reason=peer-offer-rate limit=%u/min",
			       m->peer, pd_cfg.peer_offer_rate);
		pd_reject(m, "busy");
		return NULL;
	}
	if (!pd_window_take(&all_offers, pd_cfg.offer_rate, now, &first)) {
		if (first)
			pd_log("offer-refused", "peer=%s reason=offer-rate limit=%u/min",
			       m->peer, pd_cfg.offer_rate);
		pd_reject(m, "busy");
		return NULL;
	}
	return p;
}

static void on_offer(const struct sig_msg *m)
{
	struct pd_peer *p = pd_offer_admit(m);

	if (!p)
		return;
	/*
	 * Glare: we are calling it too, and neither call is answered yet.
	 * Both sides settle it the same way: the smaller id's call stands.
	 */
	if (p->caller && (p->state == PD_MAPPING || p->state == PD_NAT_WAIT ||
			  p->state == PD_SAMPLING || p->state == PD_OFFERED)) {
		if (pd_glare_we_call(pd_cfg.id, m->peer)) {
			pd_log("glare", "peer=%s call=ours", m->peer);
			pd_reject(m, "glare");
			return;
		}
		pd_log("glare", "peer=%s call=theirs", m->peer);
	}
	/* A new offer replaces whatever we had with this peer. */
	session_reset(p);
	p->caller = false;
	p->answer_due = true;
	p->offer = *m;
	memcpy(p->sid, m->sid, SIG_SID_LEN);
	memcpy(p->secret, m->secret, SIG_SECRET_LEN);
	pd_log("offer", "peer=%s candidates=%u nat=%s", p->name, m->n_cand,
	       (m->has & SIG_K_NAT) ? m->nat : "-");
	start_mapping(p);
}

static void on_accepted(const struct sig_msg *m)
{
	struct pd_peer *p = pd_peer_get(m->peer, false);

	if (!p || p->state != PD_OFFERED) {
		pd_log("unexpected", "verb=ACCEPTED peer=%s", m->peer);
		return;
	}
	memcpy(p->sid, m->sid, SIG_SID_LEN);
	memcpy(p->secret, m->secret, SIG_SECRET_LEN);
	/* What we offered and the callee agreed to. */
	p->relay_first = pd_rf_ok() && (m->has & SIG_K_RELAY_FIRST) &&
			 m->relay_first;
	pd_log("accepted", "peer=%s candidates=%u nat=%s relay_first=%s", p->name,
	       m->n_cand, (m->has & SIG_K_NAT) ? m->nat : "-",
	       p->relay_first ? "yes" : "no");
	decide(p, m);
	start_punch(p, m);
}

static void on_relayed(const struct sig_msg *m)
{
	struct pd_peer *p = pd_peer_by_sid(m->sid);
	char ep[SIG_EP_STRLEN];

	/* The punch was quicker: the relay is still held, for a fall-back. */
	bool held = p && p->relay_first && p->state == PD_UP && !p->relayed &&
		    p->relay_until > pd_now_ms();

	/* A successor to the relay we use (relay_renew.c). */
	if (p && pd_rr_relayed(p, m))
		return;
	if (!p || (p->state != PD_RELAY_WAIT && p->state != PD_PUNCHING && !held)) {
		pd_log("unexpected", "verb=RELAYED peer=%s", m->peer);
		/* The peer's, e.g. after its path died: not for us. */
		if (p && !p->relayed)
			pd_peer_send_release(p, m->sid, NULL);
		return;
	}
	pd_log("relay", "peer=%s relay=%s lifetime_s=%u", p->name,
	       sig_ep_format(&m->relay, ep, sizeof(ep)),
	       (m->has & SIG_K_LIFETIME) ? m->lifetime : 0);
	p->relay = m->relay;
	p->relay_gen = (m->has & SIG_K_GEN) ? m->gen : 0;
	if (p->relay_first && p->state == PD_RELAY_WAIT) {
		/*
		 * Our punch ended before the relay came: the relay's flow as
		 * beside a punch all the same, so both sides punch for direct
		 * again later, counting from now.
		 */
		pd_peer_set_state(p, PD_PUNCHING);
		p->deadline = pd_now_ms() + pd_cfg.punch_timeout_ms + PUNCH_SLACK_MS;
	}
	if (held || (p->relay_first && p->state == PD_PUNCHING)) {
		pd_rf_open(p);
	} else {
		p->relayed = true;
		add_flow(p, &m->relay, 1, NULL, true);
	}
	/* Now: add_flow() releases the relay of before, not this one. */
	p->relay_granted = true;
	memcpy(p->relay_sid, m->sid, SIG_SID_LEN);
	pd_rr_granted(p, m);
	if (p->state == PD_FAILED)
		pd_peer_release_relay(p);	/* the module refused its flow */
}

static void on_error(const struct sig_msg *m)
{
	struct pd_peer *p = NULL;

	if (m->has & SIG_K_SID)
		p = pd_peer_by_sid(m->sid);
	/*
	 * By name only for our own call still unanswered (we learn its id
	 * with ACCEPTED): an error of a session we left is not this one's.
	 */
	if (!p && (m->has & SIG_K_PEER)) {
		p = pd_peer_get(m->peer, false);
		if (p && (m->has & SIG_K_SID) && !(p->caller && p->state == PD_OFFERED))
			p = NULL;
	}
	pd_log("server-error", "code=%s peer=%s", m->code,
	       p ? p->name : "-");
	/* One of our CANDIDATEs refused: the punch goes on as it was. */
	if (pd_trickle_refused(m))
		return;
	/* A renewal refused: the relay serves on to its end. */
	if (pd_rr_refused(p, m))
		return;
	if (!p || p->state == PD_UP || p->state == PD_IDLE)
		return;
	/* The relay beside a punch refused (quota, full): the punch goes on. */
	if (p->relay_first && p->state == PD_PUNCHING && !p->relay_flow) {
		pd_log("relay-refused", "peer=%s code=%s", p->name, m->code);
		return;
	}
	if (!strcmp(m->code, "glare")) {
		/* The peer's own call stands: answer it when it comes. */
		pd_peer_set_state(p, PD_IDLE);
		p->retry_at = pd_now_ms() + SERVER_WAIT_MS;	/* if it does not */
		return;
	}
	pd_peer_fail(p, m->code);
}

void pd_peers_signal(const struct sig_msg *m)
{
	if (pd_tcp_signal(m))
		return;
	switch (m->type) {
	case SIG_OFFER:
		on_offer(m);
		break;
	case SIG_ACCEPTED:
		on_accepted(m);
		break;
	case SIG_RELAYED:
		on_relayed(m);
		break;
	case SIG_ERROR:
		on_error(m);
		break;
	case SIG_CANDIDATE:
		pd_trickle_input(m);
		break;
	default:
		pd_log("unexpected", "verb=%s", sig_verb_name(m->type));
	}
}

static void ask_relay(struct pd_peer *p)
{
	struct sig_msg m;

	if (!pd_cfg.relay) {
		pd_peer_fail(p, "punch-timeout");
		return;
	}
	sig_init(&m, SIG_RELAY);
	memcpy(m.sid, p->sid, SIG_SID_LEN);
	m.has |= SIG_K_SID;
	pd_log("relay-request", "peer=%s after_ms=%u", p->name, pd_peer_elapsed(p));
	if (pd_link_send(&m)) {
		pd_peer_fail(p, "server-unreachable");
		return;
	}
	pd_peer_set_state(p, PD_RELAY_WAIT);
	p->deadline = pd_now_ms() + SERVER_WAIT_MS;
}

static void on_mapping(const struct nfp_mapping *mp)
{
	const struct nfp_endpoint *mapped, *local;
	char ep[NFP_ENDPOINT_STRLEN];
	unsigned int i;
	uint32_t error;
	bool asked;

	if (pd_own_mapping_answer(mp, &asked))
		return;
	if (pd_trickle_answer(mp)) {
		for (i = 0; i < peers_end; i++)
			if (peers[i].used)
				pd_trickle_mapping(&peers[i], mp);
		return;
	}
	for (i = 0; i < peers_end; i++) {
		struct pd_peer *p = &peers[i];

		if (!p->used || p->state != PD_MAPPING ||
		    p->mapping_id != nfp_mapping_get_u32(mp, NFP_MAPPING_ID))
			continue;
		error = nfp_mapping_get_u32(mp, NFP_MAPPING_ERROR);
		mapped = nfp_mapping_get_endpoint(mp, NFP_MAPPING_MAPPED);
		memset(&p->mapping, 0, sizeof(p->mapping));
		if (error || !mapped) {
			p->mapping.error = error ? error : EPROTO;
			pd_log("mapping-failed", "peer=%s error=\"%s\"", p->name,
			       strerror((int)p->mapping.error));
		} else {
			p->mapping.mapped = *mapped;
			p->mapping.rtt_us = nfp_mapping_get_u32(mp, NFP_MAPPING_RTT_US);
			pd_log("mapping", "peer=%s mapped=%s rtt_us=%u", p->name,
			       nfp_endpoint_format(mapped, ep, sizeof(ep)),
			       p->mapping.rtt_us);
		}
		proceed(p);
		return;
	}
	mapped = nfp_mapping_get_endpoint(mp, NFP_MAPPING_MAPPED);
	local = nfp_mapping_get_endpoint(mp, NFP_MAPPING_LOCAL);
	/* Another program's query from our port (one of ours too late is kept). */
	if (!asked && mapped && local && local->port == pd_cfg.port)
		pd_log("mapping-ignored", "mapped=%s id=%u",
		       nfp_endpoint_format(mapped, ep, sizeof(ep)),
		       nfp_mapping_get_u32(mp, NFP_MAPPING_ID));
}

/* f is the peer's path now (p->relayed says which kind): tell everyone. */
void pd_peer_path_up(struct pd_peer *p, const struct nfp_flow *f)
{
	char ep[SIG_EP_STRLEN], local[NFP_ENDPOINT_STRLEN];
	bool again = p->state == PD_UP;	/* relay first: moving */

	const struct nfp_endpoint *remote = nfp_flow_get_endpoint(f, NFP_FLOW_REMOTE);
	const struct nfp_endpoint *l = nfp_flow_get_endpoint(f, NFP_FLOW_LOCAL);

	if (remote)
		pd_ep_to_sig(&p->remote, remote);
	if (l)
		p->local = *l;
	pd_peer_set_state(p, PD_UP);
	p->attempts = 0;
	p->retry_at = 0;
	p->wanted = true;	/* a path that was up is kept up, either side */
	p->up_ms = pd_peer_elapsed(p);
	p->probes = p->probes_done + flow_probes(p->flow_id);
	/* The session's probes count once against the peer's budget. */
	if (!again)
		pd_window_add(&p->probes_minute, p->probes, pd_now_ms());
	pd_log("up", "peer=%s mode=%s endpoint=%s ms=%u flow=%u strategy=%s local=%s probes=%llu",
	       p->name, p->relayed ? "relay" : "direct",
	       sig_ep_format(&p->remote, ep, sizeof(ep)), p->up_ms,
	       pd_peer_path_flow(p), pd_strategy_name(p->strategy),
	       nfp_endpoint_format(&p->local, local, sizeof(local)),
	       (unsigned long long)p->probes);
	pd_result("up", p, p->up_ms);
	answer_waiters(p, "up");
	pd_state_save();
}

/*
 * The peer's single flow met our sprayed ports one by one and kept the
 * first that answered, maybe one just deleted. Nominated, the port kept
 * asks the peer with USE-CANDIDATE at once (and twice more), which moves
 * the peer's flow there; a candidate's request never does. A module
 * before 0.4 cannot nominate: the shortest keepalive for a few seconds
 * then sends requests that move a peer of that age (a newer peer stays
 * where it is until the path dies, and is punched again).
 */
#define NUDGE_KEEPALIVE_MS	1000
#define NUDGE_MS		2500

static void nominate(struct pd_peer *p)
{
	struct nfp_flow *change;
	int ret = -ENOMEM;

	if (candidate_refused) {
		if (set_keepalive(p->name, p->flow_id, NUDGE_KEEPALIVE_MS) >= 0)
			p->nudge_until = pd_now_ms() + NUDGE_MS;
		return;
	}
	change = nfp_flow_alloc();
	if (change && !nfp_flow_set_u32(change, NFP_FLOW_ID, p->flow_id) &&
	    !nfp_flow_set_u32(change, NFP_FLOW_NOMINATE, 1))
		ret = nfp_flow_change(pd_nfp, change, NULL);
	nfp_flow_free(change);
	if (ret < 0)
		pd_log("nominate-failed", "peer=%s flow=%u error=\"%s\"", p->name,
		       p->flow_id, ret == -ENOMEM ? strerror(ENOMEM) : nfp_strerror(pd_nfp));
	else
		pd_log("nominated", "peer=%s flow=%u", p->name, p->flow_id);
}

/* The punch (or, without relay first, the relay's flow) is up. */
static void went_up(struct pd_peer *p, const struct nfp_flow *f)
{
	uint32_t id = nfp_flow_get_u32(f, NFP_FLOW_ID);

	/* A sprayed port met the peer: it is the path, the rest go. */
	if (p->n_spray) {
		p->flow_id = id;
		drop_spray(p, id);
		nominate(p);
	}
	if (p->relay_first && !p->relayed)
		pd_rf_went_direct(p);
	pd_peer_path_up(p, f);
}

/* One sprayed port gave up; the spray is over when the last one has. */
static bool spray_flow_dead(struct pd_peer *p, uint32_t id)
{
	unsigned int k;

	for (k = 0; k < p->n_spray; k++) {
		if (p->spray_flows[k] != id)
			continue;
		pd_peer_flow_gone(p, id);
		p->spray_flows[k] = p->spray_flows[--p->n_spray];
		break;
	}
	return p->n_spray == 0;
}

/*
 * Relay first: flow id of the session ended (dead, or deleted: gone)
 * while the relay runs beside the punch. True if that settles it: the
 * relay's own flow, or a punch's beside the relay (punching, or relayed
 * and punching for direct).
 */
static bool ended_beside_relay(struct pd_peer *p, uint32_t id, bool gone)
{
	if (!p->relay_flow)
		return false;
	if (id == p->relay_flow) {
		pd_rf_gone(p, gone);
		return true;
	}
	if (p->state != PD_PUNCHING && !(p->state == PD_UP && p->relayed))
		return false;
	if (gone && id == p->flow_id)
		p->flow_id = 0;
	if (p->n_spray && !spray_flow_dead(p, id))
		return true;		/* the spray goes on */
	if (p->state == PD_UP) {
		pd_rf_direct_failed(p);	/* on the relay, the punch is over */
		return true;
	}
	if (!gone)
		pd_log("punch-timeout", "peer=%s ms=%u", p->name, pd_peer_elapsed(p));
	/* The relay's flow beside it decides now. */
	pd_peer_drop_direct(p);
	p->deadline = pd_now_ms() + pd_cfg.punch_timeout_ms + PUNCH_SLACK_MS;
	return true;
}

static void went_dead(struct pd_peer *p, const struct nfp_flow *f)
{
	uint32_t id = nfp_flow_get_u32(f, NFP_FLOW_ID);

	if (pd_rr_flow_ended(p, id))
		return;
	if (ended_beside_relay(p, id, false))
		return;
	switch (p->state) {
	case PD_PUNCHING:
		if (p->n_spray && !spray_flow_dead(p, id))
			break;
		pd_log("punch-timeout", "peer=%s ms=%u", p->name, pd_peer_elapsed(p));
		ask_relay(p);
		break;
	case PD_RELAYING:
		pd_peer_fail(p, "relay-timeout");
		break;
	case PD_UP:
		pd_log("down", "peer=%s reason=%s", p->name,
		       nfp_dead_reason_name(nfp_flow_get_u32(f, NFP_FLOW_DEAD_REASON)));
		if (pd_rf_fall_back(p))
			break;
		pd_result("down", p, 0);
		drop_flow(p);
		pd_peer_set_state(p, PD_IDLE);
		/*
		 * Both sides punch again: the caller first; the callee later
		 * (three times as long), so it calls only when the caller
		 * does not, and a tie is settled as glare.
		 */
		pd_peer_schedule_retry(p, p->caller ? REPUNCH_MS : 3 * REPUNCH_MS);
		pd_state_save();
		break;
	default:
		break;
	}
}

static void remote_changed(struct pd_peer *p, const struct nfp_endpoint *remote)
{
	char ep[SIG_EP_STRLEN];

	pd_ep_to_sig(&p->remote, remote);
	pd_log("changed", "peer=%s endpoint=%s", p->name,
	       sig_ep_format(&p->remote, ep, sizeof(ep)));
	pd_result("changed", p, 0);
	pd_state_save();
}

/*
 * One of the peer's flows is up: the path, or the move to it. False if
 * that changes nothing (a held relay's, or the peer is up already).
 */
static bool flow_established(struct pd_peer *p, const struct nfp_flow *f)
{
	if (pd_rr_flow_up(p, f))
		return true;
	if (p->relay_flow && nfp_flow_get_u32(f, NFP_FLOW_ID) == p->relay_flow) {
		pd_rf_up(p, f);
		return true;
	}
	if (p->state == PD_UP && p->relayed && p->relay_flow) {
		/* Relayed until now: the move to direct. */
		p->relayed = false;
		went_up(p, f);
		return true;
	}
	if (p->state == PD_PUNCHING || p->state == PD_RELAYING) {
		went_up(p, f);
		return true;
	}
	return false;
}

/*
 * A flow as a resync after lost events found it: act on what the lost
 * events would have said (went up, moved, died).
 */
static void flow_exists(struct pd_peer *p, const struct nfp_flow *f)
{
	const struct nfp_endpoint *remote = nfp_flow_get_endpoint(f, NFP_FLOW_REMOTE);
	struct sig_ep now;

	switch (nfp_flow_get_u32(f, NFP_FLOW_STATE)) {
	case NFP_STATE_ESTABLISHED:
		if (flow_established(p, f))
			break;
		if (p->state == PD_UP && remote) {
			pd_ep_to_sig(&now, remote);
			if (memcmp(&now, &p->remote, sizeof(now)))
				remote_changed(p, remote);
		}
		break;
	case NFP_STATE_DEAD:
		went_dead(p, f);
		break;
	}
}

/* Its flow id went away (deleted by someone else, or lost in a resync). */
static void flow_deleted(struct pd_peer *p, uint32_t id)
{
	if (pd_rr_flow_ended(p, id))
		return;
	/* As when it dies: the relay's flow beside it decides, or takes over. */
	if (ended_beside_relay(p, id, true))
		return;
	if (p->relay_flow && p->state == PD_UP && id == p->flow_id) {
		p->flow_id = 0;
		if (pd_rf_fall_back(p))
			return;
	}
	if (p->n_spray && id != p->flow_id) {
		if (spray_flow_dead(p, id) && p->state == PD_PUNCHING)
			ask_relay(p);
		return;
	}
	p->flow_id = 0;
	if (p->state == PD_UP) {
		pd_log("down", "peer=%s reason=deleted", p->name);
		pd_result("down", p, 0);
	}
	drop_flow(p);
	pd_peer_set_state(p, PD_IDLE);
	pd_state_save();
}

/*
 * A resync after lost events: the flows it reports are collected, and a
 * flow of ours it does not report was deleted meanwhile.
 */
static uint32_t *resync_ids;
static size_t resync_n, resync_cap;

void pd_peers_resync_begin(void)
{
	resync_n = 0;
	resyncing = true;
}

static void resync_saw(uint32_t id)
{
	uint32_t *p;

	if (resync_n == resync_cap) {
		p = reallocarray(resync_ids, resync_cap ? 2 * resync_cap : 64,
				 sizeof(*p));
		if (!p)
			return;		/* then a flow may look gone: it is re-punched */
		resync_ids = p;
		resync_cap = resync_cap ? 2 * resync_cap : 64;
	}
	resync_ids[resync_n++] = id;
}

static bool resync_seen(uint32_t id)
{
	size_t i;

	for (i = 0; i < resync_n; i++)
		if (resync_ids[i] == id)
			return true;
	return false;
}

/* ok: the resync's dump completed; otherwise nothing is concluded. */
void pd_peers_resync_end(bool ok)
{
	unsigned int i, k;

	resyncing = false;
	for (i = 0; ok && i < peers_end; i++) {
		struct pd_peer *p = &peers[i];

		if (!p->used)
			continue;
		if (p->relay_next_flow && !resync_seen(p->relay_next_flow))
			flow_deleted(p, p->relay_next_flow);
		if (p->relay_flow && !resync_seen(p->relay_flow))
			flow_deleted(p, p->relay_flow);
		for (k = p->n_spray; k-- > 0;)
			if (!resync_seen(p->spray_flows[k]))
				flow_deleted(p, p->spray_flows[k]);
		if (p->flow_id && !resync_seen(p->flow_id)) {
			pd_log("resync", "peer=%s flow=%u found=no", p->name, p->flow_id);
			flow_deleted(p, p->flow_id);
		}
	}
	/* Rare: nothing is kept between resyncs. */
	free(resync_ids);
	resync_ids = NULL;
	resync_cap = resync_n = 0;
}

void pd_peers_event(const struct nfp_event *e)
{
	const struct nfp_flow *f = nfp_event_get_flow(e);
	const struct nfp_endpoint *remote;
	struct pd_peer *p;
	uint32_t id;

	if (nfp_event_get_mapping(e)) {
		on_mapping(nfp_event_get_mapping(e));
		return;
	}
	if (!f)
		return;
	id = nfp_flow_get_u32(f, NFP_FLOW_ID);
	if (resyncing && nfp_event_get_type(e) == NFP_EVENT_EXISTS)
		resync_saw(id);
	p = peer_by_flow(id);
	if (!p)
		return;
	switch (nfp_event_get_type(e)) {
	case NFP_EVENT_ESTABLISHED:
		flow_established(p, f);
		break;
	case NFP_EVENT_REMOTE_CHANGED:
		/* Only the path's: not a held relay's, nor a punch's beside it. */
		remote = nfp_flow_get_endpoint(f, NFP_FLOW_REMOTE);
		if (remote && p->state == PD_UP && id == pd_peer_path_flow(p))
			remote_changed(p, remote);
		break;
	case NFP_EVENT_DEAD:
		went_dead(p, f);
		break;
	case NFP_EVENT_EXISTS:
		flow_exists(p, f);
		break;
	case NFP_EVENT_DELETED:
		/* Someone else removed it (punchctl flow del). */
		flow_deleted(p, id);
		break;
	}
}

/* Every state but these ends by its deadline. */
static bool has_deadline(enum pd_state st)
{
	return st != PD_IDLE && st != PD_FAILED && st != PD_UP;
}

/*
 * The loop must wake for p's deadline, not only on the next event or its
 * 5 s tick, and, while p punches, often enough to stop it soon after its
 * probe budget is spent (on a slow kernel the probes may not be done
 * before the punch's own deadline).
 */
static void peer_wake(const struct pd_peer *p, uint64_t now, uint64_t *next)
{
	if (has_deadline(p->state) && p->deadline < *next)
		*next = p->deadline > now ? p->deadline : now + 10;
	if ((p->state == PD_PUNCHING || p->state == PD_RELAYING) &&
	    now + BUDGET_CHECK_MS < *next)
		*next = now + BUDGET_CHECK_MS;
}

/* Our own calls between CONNECT and the server's answer. */
static bool starting(const struct pd_peer *p)
{
	return p->used && p->caller &&
	       (p->state == PD_MAPPING || p->state == PD_NAT_WAIT ||
		p->state == PD_SAMPLING || p->state == PD_OFFERED);
}

/*
 * A retry or a --connect that is due, unless too many calls are on their
 * way or they start too fast: a host that keeps a thousand peers (a
 * WireGuard hub) must not send a thousand CONNECTs at once, which the
 * server refuses (rendezvousd --max-pending, --msg-rate) or drops the
 * link for. A user's "punchd connect" is not held back.
 */
static bool may_start(unsigned int *n_starting, uint64_t now, uint64_t *next)
{
	static struct token_bucket calls;

	if (*n_starting < PD_CALLS_STARTING_MAX &&
	    token_bucket_take(&calls, pd_cfg.connect_rate, now * 1000000ull)) {
		(*n_starting)++;
		return true;
	}
	if (now + CALL_GATE_POLL_MS < *next)
		*next = now + CALL_GATE_POLL_MS;
	return false;
}

void pd_peers_tick(uint64_t now, uint64_t *next)
{
	/* The first one held back last time goes first: none waits long. */
	static unsigned int from;
	unsigned int i, j, n_starting = 0, held = UINT_MAX;

	for (i = 0; i < peers_end; i++)
		n_starting += starting(&peers[i]);
	for (j = 0; j < peers_end; j++) {
		struct pd_peer *p;

		i = (from + j) % peers_end;
		p = &peers[i];
		if (!p->used)
			continue;
		if ((p->state == PD_IDLE || p->state == PD_FAILED) &&
		    p->retry_at && now >= p->retry_at) {
			if (!pd_link_up()) {
				p->retry_at = now + REPUNCH_MS;
			} else if (may_start(&n_starting, now, next)) {
				p->retry_at = 0;
				pd_peer_connect(p, -1);
			} else if (held == UINT_MAX) {
				held = i;
			}
		}
		/*
		 * However the peer's candidates are made, one punch sends at
		 * most its budget (a spray's is larger: it is many flows).
		 */
		if ((p->state == PD_PUNCHING || p->state == PD_RELAYING) &&
		    session_probes(p) > (uint64_t)pd_cfg.session_probes *
		    (p->strategy == PD_STRAT_SPRAY_PORTS ||
		     p->strategy == PD_STRAT_SPRAY_TARGETS ? 12 : 1))
			pd_peer_fail(p, "probe-budget");
		if ((p->state == PD_MAPPING || p->state == PD_OFFERED ||
		     p->state == PD_NAT_WAIT || p->state == PD_RELAY_WAIT) &&
		    now >= p->deadline)
			pd_peer_fail(p, p->state == PD_MAPPING ? "mapping-timeout" :
			     p->state == PD_NAT_WAIT ? "nat-timeout" :
			     "server-timeout");
		if ((p->state == PD_PUNCHING || p->state == PD_RELAYING) &&
		    now >= p->deadline) {
			pd_log("punch-deadline", "peer=%s state=%s", p->name,
			       pd_state_name(p->state));
			if (p->state == PD_PUNCHING && !p->relay_flow)
				ask_relay(p);
			else
				pd_peer_fail(p, "relay-timeout");
		}
		/* No sample: offer what we have, unpredicted. */
		if (p->state == PD_SAMPLING && now >= p->deadline)
			send_candidates(p);
		peer_wake(p, now, next);
		if (p->nudge_until && now >= p->nudge_until) {
			p->nudge_until = 0;
			if (p->flow_id)
				set_keepalive(p->name, p->flow_id, pd_keepalive_ms());
		}
		if (p->nudge_until && p->nudge_until < *next)
			*next = p->nudge_until;
		pd_rf_tick(p, now, next);
		pd_rr_tick(p, now, next);
		pd_trickle_tick(p, now, next);
		/* Still due: held back by may_start(), which polls. */
		if (p->retry_at > now && p->retry_at < *next)
			*next = p->retry_at;
	}
	if (held != UINT_MAX)
		from = held;
}

/* Exchanges that wait for the server cannot finish without it. */
void pd_peers_link_lost(void)
{
	unsigned int i;

	for (i = 0; i < peers_end; i++) {
		struct pd_peer *p = &peers[i];

		if (p->used && (p->state == PD_MAPPING ||
				p->state == PD_NAT_WAIT ||
				p->state == PD_SAMPLING ||
				p->state == PD_OFFERED ||
				p->state == PD_RELAY_WAIT))
			pd_peer_fail(p, "server-lost");
	}
}

void pd_peers_registered(void)
{
	unsigned int i;

	for (i = 0; i < peers_end; i++)
		if (peers[i].used)
			pd_rr_reattach(&peers[i]);
}

/*
 * Our local port or mark changed (WireGuard's did): every path and punch
 * from the old one is useless. Both sides punch again, the callee later.
 */
void pd_peers_repunch_all(const char *why)
{
	unsigned int i;

	for (i = 0; i < peers_end; i++) {
		struct pd_peer *p = &peers[i];

		if (!p->used)
			continue;
		/* Waiting out a backoff of the old network: try the new one. */
		if (p->state == PD_IDLE || p->state == PD_FAILED) {
			if (p->wanted) {
				p->attempts = 0;
				pd_peer_schedule_retry(p, p->caller ? REPUNCH_MS : 3 * REPUNCH_MS);
			}
			continue;
		}
		if (p->state == PD_UP) {
			pd_log("down", "peer=%s reason=%s", p->name, why);
			pd_result("down", p, 0);
		}
		drop_flow(p);
		pd_peer_set_state(p, PD_IDLE);
		p->wanted = true;
		pd_peer_schedule_retry(p, p->caller ? REPUNCH_MS : 3 * REPUNCH_MS);
	}
	pd_state_save();
}

/*
 * The state file names a flow whose tag is not ours. Untagged on our
 * port: an earlier punchd's, from before tags, whose events our filter
 * would drop: delete it and punch again. Any other: the id was reused
 * (the module was reloaded) by another program: never touch it.
 */
static const char *resume_foreign(const struct nfp_flow *f)
{
	const struct nfp_endpoint *local = nfp_flow_get_endpoint(f, NFP_FLOW_LOCAL);
	uint32_t id = nfp_flow_get_u32(f, NFP_FLOW_ID);

	if (nfp_flow_get_u32(f, NFP_FLOW_APP_TAG) || !local ||
	    local->port != pd_cfg.port)
		return "another-program";
	if (nfp_flow_del(pd_nfp, id) < 0)
		pd_log("flow-del-failed", "flow=%u error=\"%s\"", id,
		       nfp_strerror(pd_nfp));
	return "untagged";
}

/* Restart recovery: state.c hands back what the module still has. */
struct pd_peer *pd_peer_resume(const char *name, uint32_t flow_id,
			       const uint8_t *sid, bool caller, bool relayed)
{
	struct pd_peer *p = pd_peer_get(name, true);
	const struct nfp_endpoint *remote;
	const char *found;
	struct nfp_flow *f;
	uint32_t state;

	if (!p)
		return NULL;
	p->caller = caller;
	p->relayed = relayed;
	p->wanted = true;	/* it had a path: keep it */
	p->flow_id = flow_id;
	memcpy(p->sid, sid, SIG_SID_LEN);
	p->started = pd_now_ms();
	f = nfp_flow_alloc();
	found = f && nfp_flow_lookup(pd_nfp, flow_id, f) == 0 ? "yes" : "no";
	if (!strcmp(found, "yes") &&
	    nfp_flow_get_u32(f, NFP_FLOW_APP_TAG) != pd_cfg.tag)
		found = resume_foreign(f);
	/* WireGuard's port moved while we were away: that path is useless. */
	if (!strcmp(found, "yes") && pd_cfg.wg_ifname &&
	    nfp_flow_get_endpoint(f, NFP_FLOW_LOCAL)->port != pd_cfg.port) {
		nfp_flow_del(pd_nfp, flow_id);
		found = "other-port";
	}
	if (strcmp(found, "yes")) {
		pd_log("resume", "peer=%s flow=%u found=%s", name, flow_id, found);
		nfp_flow_free(f);
		p->flow_id = 0;
		pd_peer_set_state(p, PD_IDLE);
		/* Both sides punch again, the callee later (as after a death). */
		p->retry_at = pd_now_ms() + (caller ? REPUNCH_MS : 3 * REPUNCH_MS);
		return p;
	}
	state = nfp_flow_get_u32(f, NFP_FLOW_STATE);
	remote = nfp_flow_get_endpoint(f, NFP_FLOW_REMOTE);
	pd_peer_set_state(p, state == NFP_STATE_ESTABLISHED ? PD_UP :
		     state == NFP_STATE_PUNCHING ?
		     (relayed ? PD_RELAYING : PD_PUNCHING) : PD_IDLE);
	/* A punch found going: the kernel's punch timeout ends it first. */
	p->deadline = pd_now_ms() + pd_cfg.punch_timeout_ms + PUNCH_SLACK_MS;
	if (state == NFP_STATE_ESTABLISHED && remote)
		pd_ep_to_sig(&p->remote, remote);
	/*
	 * A relayed path's remote is our relay port: what a RELEASE and a
	 * renewal name, once registered (pd_rr_reattach()).
	 */
	if (state == NFP_STATE_ESTABLISHED && remote && relayed) {
		p->relay = p->remote;
		p->relay_granted = true;
		memcpy(p->relay_sid, sid, SIG_SID_LEN);
	}
	/* A nudge (a short keepalive) the last punchd did not undo. */
	if (state == NFP_STATE_ESTABLISHED)
		set_keepalive(name, flow_id, pd_keepalive_ms());
	/* A spray's port kept, which the last punchd did not nominate. */
	if (state == NFP_STATE_ESTABLISHED && p->flow_id == flow_id &&
	    (nfp_flow_get_u32(f, NFP_FLOW_FLAGS) & NFP_FLOW_F_CANDIDATE))
		nominate(p);
	nfp_flow_free(f);
	if (state == NFP_STATE_DEAD) {
		drop_flow(p);
		/* Both sides punch again, the callee later (as after a death). */
		p->retry_at = pd_now_ms() + (caller ? REPUNCH_MS : 3 * REPUNCH_MS);
	}
	pd_log("resume", "peer=%s flow=%u found=yes state=%s", name, flow_id,
	       pd_state_name(p->state));
	return p;
}

void pd_peer_resume_drop(const char *name, uint32_t id)
{
	struct nfp_flow *f = nfp_flow_alloc();
	bool ours = f && !nfp_flow_lookup(pd_nfp, id, f) &&
		    nfp_flow_get_u32(f, NFP_FLOW_APP_TAG) == pd_cfg.tag;

	/* An id the module gave another program since is never touched. */
	if (ours && nfp_flow_del(pd_nfp, id) < 0)
		pd_log("flow-del-failed", "flow=%u error=\"%s\"", id,
		       nfp_strerror(pd_nfp));
	pd_log("resume-drop", "peer=%s flow=%u ours=%s", name, id,
	       ours ? "yes" : "no");
	nfp_flow_free(f);
}

unsigned int pd_peers_each(void (*fn)(const struct pd_peer *p, void *arg),
			   void *arg)
{
	unsigned int i, n = 0;

	for (i = 0; i < peers_end; i++) {
		if (!peers[i].used)
			continue;
		fn(&peers[i], arg);
		n++;
	}
	return n;
}
