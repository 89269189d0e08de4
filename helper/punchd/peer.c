// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One peer's exchange, both ways:
 *
 *   caller: MAPPING -> CONNECT -> OFFERED -> ACCEPTED -> PUNCHING
 *   callee: OFFER -> MAPPING -> ANSWER -> PUNCHING
 *   then:   PUNCHING -> UP                  (the module says ESTABLISHED)
 *           PUNCHING -> RELAY_WAIT -> RELAYING -> UP (relayed)
 *           UP -> DEAD -> the caller punches again after a pause
 *
 * The module does the sending and the timing; this file only decides.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "punchd.h"

#define MAPPING_TIMEOUT_MS	2000
#define SERVER_WAIT_MS		15000	/* for ACCEPTED or RELAYED */
#define REPUNCH_MS		2000

static struct pd_peer peers[PD_MAX_PEERS];

static const char *const state_names[] = {
	[PD_IDLE] = "idle",
	[PD_MAPPING] = "mapping",
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

struct pd_peer *pd_peer_get(const char *name, bool create)
{
	struct pd_peer *free_slot = NULL;
	unsigned int i;

	for (i = 0; i < PD_MAX_PEERS; i++) {
		if (peers[i].used && !strcmp(peers[i].name, name))
			return &peers[i];
		if (!peers[i].used && !free_slot)
			free_slot = &peers[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	return free_slot;
}

static struct pd_peer *peer_by_sid(const uint8_t *sid)
{
	unsigned int i;

	for (i = 0; i < PD_MAX_PEERS; i++)
		if (peers[i].used && !memcmp(peers[i].sid, sid, SIG_SID_LEN))
			return &peers[i];
	return NULL;
}

static struct pd_peer *peer_by_flow(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < PD_MAX_PEERS; i++)
		if (peers[i].used && peers[i].flow_id == id &&
		    peers[i].state >= PD_PUNCHING)
			return &peers[i];
	return NULL;
}

static unsigned int elapsed(const struct pd_peer *p)
{
	return (unsigned int)(pd_now_ms() - p->started);
}

/* Tell whoever asked (punchd connect) and free their slot. */
static void answer_waiters(struct pd_peer *p, const char *result)
{
	char ep[SIG_EP_STRLEN];
	unsigned int i;

	for (i = 0; i < p->n_waiters; i++) {
		if (p->state == PD_UP)
			pd_reply(p->waiters[i], "ok peer=%s mode=%s endpoint=%s ms=%u\n",
				 p->name, p->relayed ? "relay" : "direct",
				 sig_ep_format(&p->remote, ep, sizeof(ep)),
				 p->up_ms);
		else
			pd_reply(p->waiters[i], "error peer=%s reason=%s\n",
				 p->name, result);
		pd_reply_done(p->waiters[i]);
	}
	p->n_waiters = 0;
}

static void drop_flow(struct pd_peer *p)
{
	int ret = p->flow_id ? nfp_flow_del(pd_nfp, p->flow_id) : 0;

	if (ret < 0 && ret != -ENOENT)
		pd_log("flow-del-failed", "peer=%s flow=%u error=\"%s\"",
		       p->name, p->flow_id, nfp_strerror(pd_nfp));
	p->flow_id = 0;
}

static void fail(struct pd_peer *p, const char *why)
{
	pd_log("failed", "peer=%s reason=%s ms=%u", p->name, why, elapsed(p));
	drop_flow(p);
	p->state = PD_FAILED;
	pd_hook("failed", p, elapsed(p));
	answer_waiters(p, why);
	pd_state_save();
}

void pd_peer_forget(struct pd_peer *p)
{
	answer_waiters(p, "cancelled");
	drop_flow(p);
	p->used = false;
	pd_state_save();
}

/* Ask the module for our public endpoint (STUN from our own port). */
static void start_mapping(struct pd_peer *p)
{
	struct nfp_endpoint local, server;
	int id;

	p->state = PD_MAPPING;
	p->deadline = pd_now_ms() + MAPPING_TIMEOUT_MS + 1000;
	if (pd_link_local(&local) || pd_server_stun(&server)) {
		fail(p, "no-server-link");
		return;
	}
	id = nfp_mapping_start(pd_nfp, &local, &server, MAPPING_TIMEOUT_MS);
	if (id < 0) {
		pd_log("mapping-failed", "peer=%s error=\"%s\"", p->name,
		       nfp_strerror(pd_nfp));
		fail(p, "module");
		return;
	}
	p->mapping_id = (uint32_t)id;
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
	if (p->state == PD_UP && waiter >= 0) {
		answer_waiters(p, "up");
		return;
	}
	if (p->state != PD_IDLE && p->state != PD_FAILED && p->state != PD_UP)
		return;	/* already on its way: the waiter gets the result */
	if (!pd_link_up()) {
		fail(p, "server-unreachable");
		return;
	}
	drop_flow(p);
	p->caller = true;
	p->relayed = false;
	p->started = pd_now_ms();
	p->attempts++;
	pd_log("connect", "peer=%s attempt=%u", p->name, p->attempts);
	start_mapping(p);
}

static void add_flow(struct pd_peer *p, const struct sig_ep *cands,
		     unsigned int n, bool relay)
{
	struct nfp_flow f, out;
	unsigned int i;

	memset(&f, 0, sizeof(f));
	if (pd_link_local(&f.local)) {
		fail(p, "no-server-link");
		return;
	}
	for (i = 0; i < n && i < NFP_MAX_PEERS; i++)
		pd_ep_from_sig(&f.peers[f.n_peers++], &cands[i]);
	memcpy(f.secret, p->secret, SIG_SECRET_LEN);
	f.secret_len = SIG_SECRET_LEN;
	f.keepalive_ms = pd_cfg.keepalive_ms;
	f.timeout_ms = pd_cfg.timeout_ms;
	f.punch_timeout_ms = pd_cfg.punch_timeout_ms;
	drop_flow(p);
	if (nfp_flow_add(pd_nfp, &f, &out) < 0) {
		pd_log("flow-add-failed", "peer=%s error=\"%s\"", p->name,
		       nfp_strerror(pd_nfp));
		fail(p, "module");
		return;
	}
	p->flow_id = out.id;
	p->state = relay ? PD_RELAYING : PD_PUNCHING;
	pd_log(relay ? "relaying" : "punching", "peer=%s flow=%u candidates=%u",
	       p->name, p->flow_id, f.n_peers);
	pd_state_save();
}

/* Our candidates: the public mapping (if we got one) and host addresses. */
static void send_candidates(struct pd_peer *p, const struct nfp_mapping *mp)
{
	struct nfp_endpoint local;
	struct sig_msg m;
	struct sig_ep ep;

	sig_init(&m, p->caller ? SIG_CONNECT : SIG_ANSWER);
	if (mp && !mp->error && mp->mapped.family) {
		pd_ep_to_sig(&ep, &mp->mapped);
		sig_add_cand(&m, &ep);
	}
	if (pd_cfg.host_candidates && !pd_link_local(&local))
		pd_host_candidates(&local, &m);
	if (!m.n_cand) {
		fail(p, "no-candidates");
		return;
	}
	if (p->caller) {
		snprintf(m.peer, sizeof(m.peer), "%s", p->name);
		m.has |= SIG_K_PEER;
		p->state = PD_OFFERED;
		p->deadline = pd_now_ms() + SERVER_WAIT_MS;
	} else {
		memcpy(m.sid, p->sid, SIG_SID_LEN);
		m.has |= SIG_K_SID;
	}
	if (pd_link_send(&m)) {
		fail(p, "server-unreachable");
		return;
	}
	if (!p->caller)
		add_flow(p, p->offer.cand, p->offer.n_cand, false);
}

static void on_offer(const struct sig_msg *m)
{
	struct pd_peer *p = pd_peer_get(m->peer, true);

	if (!p) {
		struct sig_msg r;

		sig_init(&r, SIG_REJECT);
		memcpy(r.sid, m->sid, SIG_SID_LEN);
		snprintf(r.code, sizeof(r.code), "too-many-peers");
		r.has |= SIG_K_SID | SIG_K_CODE;
		pd_link_send(&r);
		return;
	}
	/* A new offer replaces whatever we had with this peer. */
	drop_flow(p);
	p->caller = false;
	p->relayed = false;
	p->offer = *m;
	memcpy(p->sid, m->sid, SIG_SID_LEN);
	memcpy(p->secret, m->secret, SIG_SECRET_LEN);
	p->started = pd_now_ms();
	pd_log("offer", "peer=%s candidates=%u", p->name, m->n_cand);
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
	pd_log("accepted", "peer=%s candidates=%u", p->name, m->n_cand);
	add_flow(p, m->cand, m->n_cand, false);
}

static void on_relayed(const struct sig_msg *m)
{
	struct pd_peer *p = peer_by_sid(m->sid);
	char ep[SIG_EP_STRLEN];

	if (!p || (p->state != PD_RELAY_WAIT && p->state != PD_PUNCHING)) {
		pd_log("unexpected", "verb=RELAYED peer=%s", m->peer);
		return;
	}
	pd_log("relay", "peer=%s relay=%s", p->name,
	       sig_ep_format(&m->relay, ep, sizeof(ep)));
	p->relayed = true;
	add_flow(p, &m->relay, 1, true);
}

static void on_error(const struct sig_msg *m)
{
	struct pd_peer *p = NULL;

	if (m->has & SIG_K_SID)
		p = peer_by_sid(m->sid);
	if (!p && (m->has & SIG_K_PEER))
		p = pd_peer_get(m->peer, false);
	pd_log("server-error", "code=%s peer=%s", m->code,
	       p ? p->name : "-");
	if (!p || p->state == PD_UP || p->state == PD_IDLE)
		return;
	fail(p, m->code);
}

void pd_peers_signal(const struct sig_msg *m)
{
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
	default:
		pd_log("unexpected", "verb=%s", sig_verb_name(m->type));
	}
}

static void ask_relay(struct pd_peer *p)
{
	struct sig_msg m;

	if (!pd_cfg.relay) {
		fail(p, "punch-timeout");
		return;
	}
	sig_init(&m, SIG_RELAY);
	memcpy(m.sid, p->sid, SIG_SID_LEN);
	m.has |= SIG_K_SID;
	pd_log("relay-request", "peer=%s after_ms=%u", p->name, elapsed(p));
	if (pd_link_send(&m)) {
		fail(p, "server-unreachable");
		return;
	}
	p->state = PD_RELAY_WAIT;
	p->deadline = pd_now_ms() + SERVER_WAIT_MS;
}

static void on_mapping(const struct nfp_mapping *mp)
{
	char ep[NFP_ENDPOINT_STRLEN];
	unsigned int i;

	for (i = 0; i < PD_MAX_PEERS; i++) {
		struct pd_peer *p = &peers[i];

		if (!p->used || p->state != PD_MAPPING ||
		    p->mapping_id != mp->id)
			continue;
		if (mp->error)
			pd_log("mapping-failed", "peer=%s error=\"%s\"", p->name,
			       strerror(mp->error));
		else
			pd_log("mapping", "peer=%s mapped=%s rtt_us=%u", p->name,
			       nfp_endpoint_format(&mp->mapped, ep, sizeof(ep)),
			       mp->rtt_us);
		send_candidates(p, mp);
		return;
	}
}

static void went_up(struct pd_peer *p, const struct nfp_flow *f)
{
	char ep[SIG_EP_STRLEN];

	pd_ep_to_sig(&p->remote, &f->remote);
	p->state = PD_UP;
	p->attempts = 0;
	p->up_ms = elapsed(p);
	pd_log("up", "peer=%s mode=%s endpoint=%s ms=%u flow=%u", p->name,
	       p->relayed ? "relay" : "direct",
	       sig_ep_format(&p->remote, ep, sizeof(ep)), p->up_ms,
	       p->flow_id);
	pd_hook("up", p, p->up_ms);
	answer_waiters(p, "up");
	pd_state_save();
}

static void went_dead(struct pd_peer *p, const struct nfp_flow *f)
{
	switch (p->state) {
	case PD_PUNCHING:
		pd_log("punch-timeout", "peer=%s ms=%u", p->name, elapsed(p));
		ask_relay(p);
		break;
	case PD_RELAYING:
		fail(p, "relay-timeout");
		break;
	case PD_UP:
		pd_log("down", "peer=%s reason=%s", p->name,
		       nfp_dead_reason_name(f->dead_reason));
		pd_hook("down", p, 0);
		drop_flow(p);
		p->state = PD_IDLE;
		/* One side punches again, the caller; the other waits for it. */
		if (p->caller)
			p->retry_at = pd_now_ms() + REPUNCH_MS;
		pd_state_save();
		break;
	default:
		break;
	}
}

void pd_peers_event(const struct nfp_event *e)
{
	struct pd_peer *p;
	char ep[SIG_EP_STRLEN];

	if (e->type == NFP_EVENT_MAPPING) {
		on_mapping(&e->mapping);
		return;
	}
	p = peer_by_flow(e->flow.id);
	if (!p)
		return;
	switch (e->type) {
	case NFP_EVENT_ESTABLISHED:
		if (p->state == PD_PUNCHING || p->state == PD_RELAYING)
			went_up(p, &e->flow);
		break;
	case NFP_EVENT_REMOTE_CHANGED:
		pd_ep_to_sig(&p->remote, &e->flow.remote);
		pd_log("changed", "peer=%s endpoint=%s", p->name,
		       sig_ep_format(&p->remote, ep, sizeof(ep)));
		pd_hook("changed", p, 0);
		pd_state_save();
		break;
	case NFP_EVENT_DEAD:
		went_dead(p, &e->flow);
		break;
	case NFP_EVENT_DELETED:
		/* Someone else removed it (punchctl flow del). */
		p->flow_id = 0;
		if (p->state == PD_UP) {
			pd_log("down", "peer=%s reason=deleted", p->name);
			pd_hook("down", p, 0);
		}
		p->state = PD_IDLE;
		pd_state_save();
		break;
	}
}

void pd_peers_tick(uint64_t now, uint64_t *next)
{
	unsigned int i;

	for (i = 0; i < PD_MAX_PEERS; i++) {
		struct pd_peer *p = &peers[i];

		if (!p->used)
			continue;
		if (p->state == PD_IDLE && p->retry_at && now >= p->retry_at) {
			p->retry_at = 0;
			if (pd_link_up())
				pd_peer_connect(p, -1);
			else
				p->retry_at = now + REPUNCH_MS;
		}
		if ((p->state == PD_MAPPING || p->state == PD_OFFERED ||
		     p->state == PD_RELAY_WAIT) && now >= p->deadline)
			fail(p, p->state == PD_MAPPING ? "mapping-timeout" :
			     "server-timeout");
		if (p->retry_at && p->retry_at < *next)
			*next = p->retry_at;
	}
}

/* Exchanges that wait for the server cannot finish without it. */
void pd_peers_link_lost(void)
{
	unsigned int i;

	for (i = 0; i < PD_MAX_PEERS; i++) {
		struct pd_peer *p = &peers[i];

		if (p->used && (p->state == PD_MAPPING ||
				p->state == PD_OFFERED ||
				p->state == PD_RELAY_WAIT))
			fail(p, "server-lost");
	}
}

void pd_peer_status(int fd)
{
	char ep[SIG_EP_STRLEN];
	unsigned int i;

	pd_reply(fd, "server %s %s\n", pd_cfg.server,
		 pd_link_up() ? "registered" : "unreachable");
	for (i = 0; i < PD_MAX_PEERS; i++) {
		const struct pd_peer *p = &peers[i];

		if (!p->used)
			continue;
		pd_reply(fd, "peer %s state=%s mode=%s endpoint=%s flow=%u\n",
			 p->name, pd_state_name(p->state),
			 p->relayed ? "relay" : "direct",
			 p->state == PD_UP ? sig_ep_format(&p->remote, ep,
							    sizeof(ep)) : "-",
			 p->flow_id);
	}
}

/* Restart recovery: state.c hands back what the module still has. */
struct pd_peer *pd_peer_resume(const char *name, uint32_t flow_id,
			       const uint8_t *sid, bool caller, bool relayed)
{
	struct pd_peer *p = pd_peer_get(name, true);
	struct nfp_flow f;

	if (!p)
		return NULL;
	p->caller = caller;
	p->relayed = relayed;
	p->flow_id = flow_id;
	memcpy(p->sid, sid, SIG_SID_LEN);
	p->started = pd_now_ms();
	if (nfp_flow_get(pd_nfp, flow_id, &f) < 0) {
		pd_log("resume", "peer=%s flow=%u found=no", name, flow_id);
		p->flow_id = 0;
		p->state = PD_IDLE;
		if (caller)
			p->retry_at = pd_now_ms() + REPUNCH_MS;
		return p;
	}
	p->state = f.state == NFP_STATE_ESTABLISHED ? PD_UP :
		   f.state == NFP_STATE_PUNCHING ?
		   (relayed ? PD_RELAYING : PD_PUNCHING) : PD_IDLE;
	if (f.state == NFP_STATE_ESTABLISHED)
		pd_ep_to_sig(&p->remote, &f.remote);
	if (f.state == NFP_STATE_DEAD) {
		drop_flow(p);
		if (caller)
			p->retry_at = pd_now_ms() + REPUNCH_MS;
	}
	pd_log("resume", "peer=%s flow=%u found=yes state=%s", name, flow_id,
	       pd_state_name(p->state));
	return p;
}

unsigned int pd_peers_each(void (*fn)(const struct pd_peer *p, void *arg),
			   void *arg)
{
	unsigned int i, n = 0;

	for (i = 0; i < PD_MAX_PEERS; i++) {
		if (!peers[i].used)
			continue;
		fn(&peers[i], arg);
		n++;
	}
	return n;
}
