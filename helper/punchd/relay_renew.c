// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Relay renewal: a server with --relay-lifetime ends each relay at a
 * fixed time, however busy. RELAYED says when (signaling v=6), and a
 * relayed path asks for a successor in the relay's second half (RELAY
 * with the port it has). The server makes one and tells both sides; each
 * opens a flow through it beside the old one, and moves the path to it
 * once it is up (the hook hears "up" with the new port), and lets the
 * old one go RENEW_HOLD_MS later (RELEASE by its port: the server ends
 * it once both did). The old relay serves on meanwhile, so nothing is
 * lost; should its flow die first, the successor's takes its place.
 *
 * The caller asks; the callee asks a little later, should the caller's
 * link be down (the server makes one successor, whoever asks). Should the
 * server refuse, or no successor come up, the old relay's end is a
 * "down" as before. peer.c calls in at each RELAYED and at each event of
 * the successor's flow.
 */
#include <string.h>

#include "peer_flows.h"

/* Shorter lifetimes leave no time to move: they end as before. */
#define RENEW_MIN_LIFETIME_MS	4000
/* Ask this long after the server's half-way point (its rounding). */
#define RENEW_SLACK_MS		1000
/* The callee asks later than the caller, only if the caller did not. */
#define RENEW_CALLEE_LAG_MS	2000
/* An early or lost renewal asks again this much later, a few times. */
#define RENEW_RETRY_MS		2000
#define RENEW_TRIES		4
/* The old relay outlives the move this long: both sides' applications
 * follow their hooks, and what they sent meanwhile still arrives. */
#define RENEW_HOLD_MS		3000
/* After our release, the peer's reaches the server within this and two
 * round trips, and the old relay is gone. */
#define REPOINT_SLACK_MS	200

/* The flow through the relay: beside the punch, or the path itself. */
static uint32_t *relay_flow_of(struct pd_peer *p)
{
	if (p->relay_flow)
		return &p->relay_flow;
	return p->relayed && p->flow_id ? &p->flow_id : NULL;
}

static void set_renew_at(struct pd_peer *p, uint64_t at)
{
	p->renew_at = at + RENEW_SLACK_MS < p->relay_end ? at : 0;
}

/* A relay we now use (its first RELAYED, or a successor up): its end. */
static void relay_granted(struct pd_peer *p, uint64_t end)
{
	uint64_t now = pd_now_ms();

	p->relay_end = end;
	p->renew_at = 0;
	p->renew_tries = 0;
	p->relay_waiting = false;
	if (!end || end < now + RENEW_MIN_LIFETIME_MS)
		return;
	set_renew_at(p, now + (end - now) / 2 + RENEW_SLACK_MS +
			(p->caller ? 0 : RENEW_CALLEE_LAG_MS));
}

static uint64_t end_of(const struct sig_msg *m)
{
	return (m->has & SIG_K_LIFETIME) ? pd_now_ms() + m->lifetime * 1000ull : 0;
}

/* RELAYED that peer.c handled as usual: note when this relay ends. */
void pd_rr_granted(struct pd_peer *p, const struct sig_msg *m)
{
	relay_granted(p, end_of(m));
}

/*
 * RELAYED for a peer that has a flow through a relay: a successor (or
 * the one we have, answering an early renewal). True if it was one of
 * those; false leaves it to peer.c.
 */
bool pd_rr_relayed(struct pd_peer *p, const struct sig_msg *m)
{
	struct nfp_endpoint local = p->local;
	unsigned int ttl = p->prime_ttl;
	char ep[SIG_EP_STRLEN];

	if (!relay_flow_of(p))
		return false;
	if (sig_ep_equal(&m->relay, &p->relay)) {
		if (p->state != PD_UP)
			return false;	/* asked again while punching: peer.c's */
		if (p->renew_tries)
			p->relay_end = end_of(m);	/* early: renew_at retries */
		else
			relay_granted(p, end_of(m));	/* taken back: its end */
		return true;
	}
	if (p->relay_next_flow && sig_ep_equal(&m->relay, &p->relay_next))
		return true;		/* told again: the peer asked too */
	pd_rr_drop(p);
	/* Its own secret (relay_secret.h): flows open from now on use it. */
	p->relay_gen = (m->has & SIG_K_GEN) ? m->gen : 0;
	p->relay_next = m->relay;
	p->relay_next_end = end_of(m);
	p->relay_next_flow = pd_peer_flow_open(p, pd_cfg.port, &m->relay, 1,
					       NULL, pd_cfg.punch_timeout_ms,
					       PD_FLOW_RELAY);
	p->local = local;	/* the path's, until it moves */
	p->prime_ttl = ttl;
	pd_log("relay-renewing", "peer=%s relay=%s flow=%u old_flow=%u", p->name,
	       sig_ep_format(&m->relay, ep, sizeof(ep)), p->relay_next_flow,
	       *relay_flow_of(p));
	/* The module refused it: ask again later (the server tells the same). */
	if (!p->relay_next_flow)
		set_renew_at(p, pd_now_ms() + RENEW_RETRY_MS);
	return true;
}

/* We moved off the renewed relay: the server may end it (lost: it ends
 * by its lifetime). */
static void release_old(struct pd_peer *p)
{
	if (!p->relay_old_at)
		return;
	p->relay_old_at = 0;
	pd_peer_send_release(p, p->sid, &p->relay_old);
}

/* The successor's flow is the relay's now: its port, its end. */
static uint32_t take_successor(struct pd_peer *p, uint32_t *slot)
{
	uint32_t old = *slot;

	release_old(p);		/* one renewed before: long moved off */
	p->relay_old = p->relay;
	p->relay_old_at = pd_now_ms() + RENEW_HOLD_MS;
	*slot = p->relay_next_flow;
	p->relay = p->relay_next;
	p->relay_next_flow = 0;
	return old;
}

/* The successor's flow is up: the path moves to it. */
bool pd_rr_flow_up(struct pd_peer *p, const struct nfp_flow *f)
{
	uint32_t id = nfp_flow_get_u32(f, NFP_FLOW_ID), *slot = relay_flow_of(p);
	uint32_t old = 0;
	char ep[SIG_EP_STRLEN];

	if (p->relay_waiting && slot && *slot == id) {
		p->relay_waiting = false;	/* it had taken the old one's place */
	} else if (p->relay_next_flow && id == p->relay_next_flow && slot) {
		old = take_successor(p, slot);
	} else {
		return false;
	}
	relay_granted(p, p->relay_next_end);
	pd_log("relay-renewed", "peer=%s relay=%s flow=%u old_flow=%u", p->name,
	       sig_ep_format(&p->relay, ep, sizeof(ep)), id, old);
	/* On the relay: the path (and the hook, and WireGuard) moves. */
	if (p->state == PD_UP && p->relayed)
		pd_peer_path_up(p, f);
	pd_peer_flow_gone(p, old);
	pd_state_save();
	return true;
}

/*
 * The old relay's flow ended before its successor's came up: the
 * successor takes its place now, and the path waits for it rather than
 * going down. True if that was it.
 */
static bool old_ended(struct pd_peer *p, uint32_t id)
{
	uint32_t *slot = relay_flow_of(p);

	if (!p->relay_next_flow || !slot || *slot != id)
		return false;
	pd_log("relay-renew-early", "peer=%s old_flow=%u flow=%u", p->name, id,
	       p->relay_next_flow);
	pd_peer_flow_gone(p, take_successor(p, slot));
	p->relay_waiting = true;
	p->renew_at = 0;
	pd_state_save();
	return true;
}

/* The successor's flow died or went: the old relay serves to its end. */
bool pd_rr_flow_ended(struct pd_peer *p, uint32_t id)
{
	if (old_ended(p, id))
		return true;
	if (!p->relay_next_flow || id != p->relay_next_flow)
		return false;
	pd_log("relay-renew-failed", "peer=%s flow=%u", p->name, id);
	pd_peer_flow_gone(p, id);
	p->relay_next_flow = 0;
	/* Asked again, the server names the same successor: one more try. */
	set_renew_at(p, pd_now_ms() + RENEW_RETRY_MS);
	return true;
}

/*
 * ERROR code=renew-...: the server makes no successor (full, or the
 * session cannot have one). Not asked again: the relay serves to its end.
 */
bool pd_rr_refused(struct pd_peer *p, const struct sig_msg *m)
{
	if (strncmp(m->code, "renew-", 6))
		return false;
	if (p) {
		pd_log("relay-renew-refused", "peer=%s code=%s", p->name, m->code);
		p->renew_at = 0;
	}
	return true;
}

/* The successor's flow, if any, and the renewal's timer. */
void pd_rr_drop(struct pd_peer *p)
{
	release_old(p);
	if (p->relay_next_flow)
		pd_peer_flow_gone(p, p->relay_next_flow);
	p->relay_next_flow = 0;
	p->renew_at = 0;
	p->repoint_at = 0;
	p->relay_waiting = false;
}

/*
 * RELAY naming the relay we are on, by its port for us: a successor if
 * it is due, else the server answers with that relay and its lifetime.
 */
static int send_relay(const struct pd_peer *p)
{
	struct sig_msg m;

	sig_init(&m, SIG_RELAY);
	memcpy(m.sid, p->sid, SIG_SID_LEN);
	m.relay = p->relay;
	m.has |= SIG_K_SID | SIG_K_RELAY;
	return pd_link_send(&m);
}

/*
 * A relayed path's session outlives our link to the server (its relay
 * carries the path), but no longer has us as a side: the server tells
 * us of no successor, refuses ours, and ignores our RELEASE, so the
 * relay would end with its lifetime and the path with it. A new link
 * (or a new punchd resuming the path) names it: RELAY with the relay's
 * port, answered early as the relay there is, with its lifetime (a
 * second-half one renews at once). The answer times the renewal anew.
 */
void pd_rr_reattach(struct pd_peer *p)
{
	char ep[SIG_EP_STRLEN];

	if (p->state != PD_UP || !p->relayed || !relay_flow_of(p) ||
	    p->relay_next_flow || p->relay_waiting || !pd_link_reattach())
		return;
	p->renew_tries = 0;
	p->renew_at = 0;
	pd_log("relay-reattach", "peer=%s relay=%s", p->name,
	       sig_ep_format(&p->relay, ep, sizeof(ep)));
	/* Only a lost link loses it: the next registration names it again. */
	if (send_relay(p))
		pd_log("relay-reattach-failed", "peer=%s reason=link", p->name);
}

bool pd_rr_holds(const struct pd_peer *p, uint32_t id)
{
	return id && p->relay_next_flow == id;
}

static void ask(struct pd_peer *p, uint64_t now)
{
	char ep[SIG_EP_STRLEN];

	/* Answered early (our clock against the server's): a few more. */
	if (++p->renew_tries < RENEW_TRIES)
		set_renew_at(p, now + RENEW_RETRY_MS);
	else
		p->renew_at = 0;
	pd_log("relay-renew", "peer=%s relay=%s ends_in_ms=%llu", p->name,
	       sig_ep_format(&p->relay, ep, sizeof(ep)),
	       (unsigned long long)(p->relay_end > now ? p->relay_end - now : 0));
	if (send_relay(p))
		pd_log("relay-renew-failed", "peer=%s reason=link", p->name);
}

/* WireGuard's peer at the path (pd_rr_tick() says why). */
static void repoint(const struct pd_peer *p)
{
	if (p->state == PD_UP && p->relayed)
		pd_wgctl_follow("up", p);
}

void pd_rr_tick(struct pd_peer *p, uint64_t now, uint64_t *next)
{
	/*
	 * WireGuard follows the source of what it authenticates: a packet
	 * the peer sent through the old relay as it moved takes our wg peer
	 * back there, and if both sides end up there when the old relay
	 * ends, neither hears the other until wgctl's next look. So point it
	 * at the path again as we release the old relay, and once more when
	 * the server has surely ended it (both sides released: two round
	 * trips on), after which nothing can take it back.
	 */
	if (p->relay_old_at && now >= p->relay_old_at) {
		repoint(p);
		release_old(p);
		p->repoint_at = now + 2ull * pd_link_rtt_ms() + REPOINT_SLACK_MS;
	}
	if (p->repoint_at && now >= p->repoint_at) {
		p->repoint_at = 0;
		repoint(p);
	}
	if (p->relay_old_at && p->relay_old_at < *next)
		*next = p->relay_old_at;
	if (p->repoint_at && p->repoint_at < *next)
		*next = p->repoint_at;
	if (!p->renew_at)
		return;
	if (now >= p->renew_at) {
		/*
		 * Only a relay that is the path asks. One beside a punch or
		 * held beside a direct path may become the path: look again.
		 */
		if (!relay_flow_of(p) || p->relay_next_flow || p->relay_waiting)
			p->renew_at = 0;
		else if (p->state == PD_UP && p->relayed && pd_link_renew())
			ask(p, now);
		else
			set_renew_at(p, now + RENEW_RETRY_MS);
	}
	if (p->renew_at && p->renew_at < *next)
		*next = p->renew_at;
}
