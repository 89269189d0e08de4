// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Relay first (--relay-first, both sides agreed): a flow through the
 * relay runs beside the direct punch, from the same port, under the
 * session's relay secret (relay_secret.h). The peer is up relayed as soon
 * as that flow is, and up direct when the punch is; the relay is held
 * RELAY_HOLD_MS after that, for the peer to move too and for a direct path
 * that dies early to fall back to. A relayed peer punches for direct again
 * now and then. peer.c calls in at each event of the relay's flow.
 */
#include <string.h>

#include "peer_flows.h"

/* The relay outlives the move to direct by this much, so the peer moves
 * too before it goes, and a direct path dying early falls back. */
#define RELAY_HOLD_MS		15000
/* Relayed: punch for direct again after 30 s, then twice as late, up to
 * 5 min. No jitter: both sides count from the same punch's end. */
#define UPGRADE_FIRST_MS	30000
#define UPGRADE_MAX_MS		300000

/* We run the relay beside the punch, and the server passes that on. */
bool pd_rf_ok(void)
{
	return pd_cfg.relay_first && pd_cfg.relay && pd_link_relay_first();
}

/*
 * Relay first: the caller asks for the relay as the punch starts; the
 * server tells both sides (RELAYED), and each runs the relay's flow
 * beside its punch.
 */
void pd_rf_ask(struct pd_peer *p)
{
	struct sig_msg m;

	if (!p->relay_first || !p->caller || p->state != PD_PUNCHING)
		return;
	sig_init(&m, SIG_RELAY);
	memcpy(m.sid, p->sid, SIG_SID_LEN);
	m.has |= SIG_K_SID;
	pd_log("relay-request", "peer=%s after_ms=%u beside=punch", p->name,
	       pd_peer_elapsed(p));
	/* The punch goes on; a lost link fails the session anyway. */
	if (pd_link_send(&m))
		pd_log("relay-request-failed", "peer=%s", p->name);
}

/* Relay first: the relay's flow from our port, beside the punch. */
void pd_rf_open(struct pd_peer *p)
{
	struct nfp_endpoint local = p->local;	/* the punch's */
	unsigned int ttl = p->prime_ttl;

	if (p->relay_flow)
		return;		/* RELAYED again: the same relay */
	p->relay_flow = pd_peer_flow_open(p, pd_cfg.port, &p->relay, 1, NULL,
					  pd_cfg.punch_timeout_ms, PD_FLOW_RELAY);
	p->local = local;
	p->prime_ttl = ttl;
	pd_log("relaying", "peer=%s flow=%u beside=%u", p->name, p->relay_flow,
	       p->flow_id);
	/* Nothing else is left to make a path. */
	if (!p->relay_flow && p->state == PD_PUNCHING && !p->flow_id && !p->n_spray)
		pd_peer_fail(p, "module");
}

/* Relay first: the relay's flow is up. */
void pd_rf_up(struct pd_peer *p, const struct nfp_flow *f)
{
	if (p->state != PD_PUNCHING)
		return;		/* direct already, or falling back (below) */
	p->relayed = true;
	pd_peer_path_up(p, f);
	/* The punch ended before the relay was up: punch again later. */
	if (!p->flow_id && !p->n_spray)
		pd_rf_direct_failed(p);
}

/*
 * Relayed, the punch for direct is over without a path: punch again
 * later, but only where the candidates stay valid (a plain punch; a
 * prediction's window and a spray are of their moment).
 */
void pd_rf_direct_failed(struct pd_peer *p)
{
	unsigned int shift = p->upgrades < 4 ? p->upgrades : 4;
	uint64_t in = (uint64_t)UPGRADE_FIRST_MS << shift;

	pd_peer_drop_direct(p);
	if (in > UPGRADE_MAX_MS)
		in = UPGRADE_MAX_MS;
	if (p->strategy != PD_STRAT_PLAIN || !p->n_cands) {
		pd_log("direct-failed", "peer=%s again=no strategy=%s", p->name,
		       pd_strategy_name(p->strategy));
		return;
	}
	p->upgrade_at = pd_now_ms() + in;
	pd_log("direct-failed", "peer=%s again_in_ms=%llu attempt=%u", p->name,
	       (unsigned long long)in, p->upgrades + 1);
}

/* Relayed: the upgrade is due. */
static void punch_for_direct(struct pd_peer *p)
{
	struct nfp_endpoint local = p->local;

	p->upgrade_at = 0;
	if (pd_peer_spent(p)) {
		pd_rf_direct_failed(p);
		return;
	}
	p->upgrades++;
	p->flow_id = pd_peer_flow_open(p, pd_cfg.port, p->cands, p->n_cands,
				       NULL, pd_cfg.punch_timeout_ms, PD_FLOW_PUNCH);
	p->local = local;
	pd_log("punching", "peer=%s flow=%u candidates=%u strategy=%s prime_ttl=%u upgrade=%u",
	       p->name, p->flow_id, p->n_cands, pd_strategy_name(p->strategy),
	       p->prime_ttl, p->upgrades);
	if (!p->flow_id)
		pd_rf_direct_failed(p);
}

/* The relay's flow beside the punch ended (dead, or deleted: gone). */
void pd_rf_gone(struct pd_peer *p, bool gone)
{
	uint32_t id = p->relay_flow;
	bool was_path = p->state == PD_UP && p->relayed;

	pd_log("relay-gone", "peer=%s flow=%u state=%s", p->name, id,
	       pd_state_name(p->state));
	if (was_path) {
		/* Said while the relay is still the path the hook is told of. */
		pd_log("down", "peer=%s reason=relay-gone", p->name);
		pd_result("down", p, 0);
	}
	p->relay_flow = 0;
	p->relay_until = 0;
	p->upgrade_at = 0;
	if (!gone)
		pd_peer_flow_gone(p, id);
	pd_peer_release_relay(p);	/* a new RELAY asks for it again */
	if (p->state == PD_PUNCHING && !p->flow_id && !p->n_spray) {
		pd_peer_fail(p, "relay-timeout");	/* the punch had ended before */
		return;
	}
	if (!was_path)
		return;
	p->relayed = false;
	if (p->flow_id || p->n_spray) {
		/* A punch for direct is running: it may still make it. */
		pd_peer_set_state(p, PD_PUNCHING);
		p->deadline = pd_now_ms() + pd_cfg.punch_timeout_ms + PUNCH_SLACK_MS;
	} else {
		pd_peer_set_state(p, PD_IDLE);
		pd_peer_schedule_retry(p, p->caller ? REPUNCH_MS : 3 * REPUNCH_MS);
	}
	pd_state_save();
}

/* Whether the relay's flow beside a direct path is up (can take over). */
bool pd_rf_fall_back(struct pd_peer *p)
{
	struct nfp_flow *f = p->relay_flow ? nfp_flow_alloc() : NULL;
	bool ok = f && !nfp_flow_lookup(pd_nfp, p->relay_flow, f) &&
		  nfp_flow_get_u32(f, NFP_FLOW_STATE) == NFP_STATE_ESTABLISHED;

	if (ok) {
		/* Back on the relay: the hook hears "up" with mode=relay. */
		pd_peer_drop_direct(p);
		p->relayed = true;
		p->relay_until = 0;
		pd_log("fall-back", "peer=%s to=relay", p->name);
		pd_peer_path_up(p, f);
		pd_rf_direct_failed(p);
	}
	nfp_flow_free(f);
	return ok;
}

void pd_rf_drop(struct pd_peer *p)
{
	pd_peer_flow_gone(p, p->relay_flow);
	p->relay_flow = 0;
	p->relay_until = 0;
}

void pd_rf_went_direct(struct pd_peer *p)
{
	p->relay_until = pd_now_ms() + RELAY_HOLD_MS;
	p->upgrade_at = 0;
	p->upgrades = 0;
}

/* Its timers: each is cleared when due, whatever the state. */
void pd_rf_tick(struct pd_peer *p, uint64_t now, uint64_t *next)
{
	if (p->relay_until && now >= p->relay_until) {
		if (p->relay_flow && p->state == PD_UP && !p->relayed) {
			pd_log("relay-released", "peer=%s flow=%u", p->name,
			       p->relay_flow);
			pd_rf_drop(p);
			pd_peer_release_relay(p);
		}
		p->relay_until = 0;
	}
	if (p->upgrade_at && now >= p->upgrade_at) {
		p->upgrade_at = 0;
		if (p->state == PD_UP && p->relayed && p->relay_flow)
			punch_for_direct(p);
	}
	if (p->relay_until && p->relay_until < *next)
		*next = p->relay_until;
	if (p->upgrade_at && p->upgrade_at < *next)
		*next = p->upgrade_at;
}
