// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Trickle: a candidate learned while punching.
 *
 * A punch that has not met the peer after a while asks the server again
 * which public endpoint our port maps to (the module's STUN from the
 * port, as at the start), at 1, 3, 7 and 15 s. If the NAT moved it (the
 * mapping was flushed or expired, the NAT restarted, or gave the port to
 * another host in the meantime), the peer is probing an endpoint that
 * leads nowhere now: the new one goes to the peer through the server
 * (CANDIDATE, signaling v=4), and the peer punches it too, on a new flow
 * with the candidates it had plus the new one.
 *
 * What arrives is another user's word, so it is held to more than an
 * offer's candidates: one endpoint at the address the server sees the
 * peer at now (never a window, never elsewhere), a few per session, and
 * only while the punch it belongs to runs.
 */
#include <errno.h>
#include <string.h>

#include "cand_filter.h"
#include "nat.h"
#include "peer_flows.h"
#include "punchd.h"

#define REDISCOVER_FIRST_MS	1000	/* then 2, 4 and 8 s later */
#define REDISCOVER_MAX		4	/* turns in one punch (and a check) */
#define TRICKLE_IN_MAX		4	/* candidates taken in one session */
/* A moved remembered endpoint, trickled: the peer punches it by then. */
#define RECALL_WAIT_MIN_MS	2000

/*
 * The mapping is the port's, not a peer's: one query out at a time, and
 * every punch that is due takes its answer.
 */
static uint32_t query_id;
static uint64_t query_at;

/* We offered our endpoint from memory and have not asked since. */
static bool unchecked(const struct pd_peer *p)
{
	return p->mapping_remembered && !p->remembered_checked;
}

/* The first turn's wait: a path with a long round trip has not had its
 * chance by REDISCOVER_FIRST_MS. */
static unsigned int first_ms(const struct pd_peer *p)
{
	unsigned int first = REDISCOVER_FIRST_MS;

	if (p->mapping.rtt_us / 1000 * 4 > first)
		first = p->mapping.rtt_us / 1000 * 4;
	return first;
}

void pd_trickle_punch_started(struct pd_peer *p)
{
	/*
	 * An endpoint offered from memory is checked at once, in a turn of
	 * its own: the turns after it still catch a move the punch causes.
	 */
	p->rediscover_at = pd_now_ms() + (unchecked(p) ? 0 : first_ms(p));
	p->rediscovers = 0;
	p->rediscover_wait = false;
}

/*
 * Our endpoint was offered from memory (own_mapping.c): whatever the
 * strategy, the session's punch asks at once whether it still holds.
 */
void pd_trickle_check_remembered(struct pd_peer *p)
{
	if (unchecked(p) && p->strategy != PD_STRAT_RELAY && !p->rediscover_at)
		p->rediscover_at = pd_now_ms();
}

/* The session's punch, of any strategy, runs (or its relay is up beside it). */
static bool punch_running(const struct pd_peer *p)
{
	return p->state == PD_PUNCHING ||
	       (p->state == PD_UP && p->relayed && p->relay_flow);
}

/*
 * A plain or predicted punch from our port runs: one flow, ours. With
 * relay first it runs on while the relay's flow beside it is the path;
 * after a fall-back to the relay (no relay first) there is no punch.
 */
static bool punching_plain(const struct pd_peer *p)
{
	bool running = p->state == PD_PUNCHING ? !p->relayed :
		       p->state == PD_UP && p->relayed && p->relay_flow;

	return running && p->flow_id && !p->n_spray &&
	       (p->strategy == PD_STRAT_PLAIN || p->strategy == PD_STRAT_PREDICT);
}

/*
 * Whether asking again can tell the peer anything: only the mapping of an
 * endpoint-independent NAT is the one the peer sees (behind any other,
 * the server's view says nothing about the peer's), and only a v=4
 * server passes a new one on. 1: ask; 0: never in this punch; -1: not
 * yet (NAT discovery has not said).
 */
static int worth_asking(void)
{
	struct pd_nat mine;

	if (!pd_cfg.trickle || !pd_link_trickle())
		return 0;
	if (!pd_nat_mine(&mine))
		return -1;
	return mine.map == PD_MAP_EIM;
}

/* This turn is taken: the next one twice as far, or none after the last. */
static void next_turn(struct pd_peer *p, uint64_t now)
{
	p->rediscovers++;
	p->rediscover_at = p->rediscovers < REDISCOVER_MAX ?
			   now + ((uint64_t)REDISCOVER_FIRST_MS << p->rediscovers) : 0;
}

static void rediscover(struct pd_peer *p, uint64_t now)
{
	int ret;

	if (unchecked(p)) {
		p->remembered_checked = true;
		p->rediscover_at = now + first_ms(p);
	} else {
		next_turn(p, now);
	}
	p->rediscover_wait = true;
	/* One is out: its answer is ours too (unless its event was lost). */
	if (query_id && now < query_at + PD_MAPPING_LOST_MS)
		return;
	ret = pd_mapping_ask(&query_id);
	/* No link: the punch goes on as it is, and the next one may ask. */
	if (ret == -ENOTCONN)
		return;
	query_at = now;
	if (ret < 0) {
		query_id = 0;
		pd_log("rediscover-failed", "peer=%s error=\"%s\"", p->name,
		       pd_mapping_strerror(ret));
	}
}

void pd_trickle_tick(struct pd_peer *p, uint64_t now, uint64_t *next)
{
	/*
	 * A moved remembered endpoint went to the peer as a candidate: a
	 * peer that did not take it (older, or --trickle no) is still
	 * probing the old one. Call again, with the endpoint now known.
	 */
	if (p->recall_at && p->state == PD_UP && !p->relayed)
		p->recall_at = 0;
	if (p->recall_at && now >= p->recall_at) {
		p->recall_at = 0;
		pd_peer_recall(p);
		return;
	}
	if (p->recall_at && p->recall_at < *next)
		*next = p->recall_at;
	if (!p->rediscover_at ||
	    !(punching_plain(p) || (unchecked(p) && punch_running(p))))
		return;
	if (now >= p->rediscover_at) {
		switch (worth_asking()) {
		case 0:
			p->rediscover_at = 0;
			return;
		case 1:
			rediscover(p, now);
			break;
		default:	/* the next turn, if discovery has said by then */
			next_turn(p, now);
		}
	}
	if (p->rediscover_at && p->rediscover_at < *next)
		*next = p->rediscover_at;
}

static void send_candidate(struct pd_peer *p, const struct nfp_endpoint *mapped)
{
	struct sig_msg m;
	struct sig_ep ep;

	sig_init(&m, SIG_CANDIDATE);
	memcpy(m.sid, p->sid, SIG_SID_LEN);
	m.has |= SIG_K_SID;
	pd_ep_to_sig(&ep, mapped);
	sig_add_cand(&m, &ep);
	if (pd_link_send(&m))
		pd_log("trickle-unsent", "peer=%s reason=server-unreachable", p->name);
}

bool pd_trickle_answer(const struct nfp_mapping *mp)
{
	if (!query_id || query_id != nfp_mapping_get_u32(mp, NFP_MAPPING_ID))
		return false;
	query_id = 0;
	return true;
}

void pd_trickle_mapping(struct pd_peer *p, const struct nfp_mapping *mp)
{
	char was[NFP_ENDPOINT_STRLEN], now[NFP_ENDPOINT_STRLEN];
	const struct nfp_endpoint *mapped;
	struct sig_ep before, after;
	uint32_t error;

	if (!p->rediscover_wait)
		return;
	p->rediscover_wait = false;
	error = nfp_mapping_get_u32(mp, NFP_MAPPING_ERROR);
	mapped = nfp_mapping_get_endpoint(mp, NFP_MAPPING_MAPPED);
	if (error || !mapped) {
		pd_log("rediscover-failed", "peer=%s error=\"%s\"", p->name,
		       strerror(error ? (int)error : EPROTO));
		return;
	}
	nfp_endpoint_format(mapped, now, sizeof(now));
	pd_ep_to_sig(&before, &p->mapping.mapped);
	pd_ep_to_sig(&after, mapped);
	if (sig_ep_equal(&before, &after)) {
		pd_log("rediscovered", "peer=%s mapped=%s moved=no", p->name, now);
		return;
	}
	nfp_endpoint_format(&p->mapping.mapped, was, sizeof(was));
	pd_log("rediscovered", "peer=%s mapped=%s moved=yes was=%s", p->name, now, was);
	p->mapping.mapped = *mapped;
	if (punching_plain(p)) {
		send_candidate(p, mapped);
		/* Ours came from memory: should the peer not take it, call again. */
		if (p->mapping_remembered && p->caller) {
			unsigned int wait = p->mapping.rtt_us / 1000 * 4;

			p->recall_at = pd_now_ms() + (wait > RECALL_WAIT_MIN_MS ?
						      wait : RECALL_WAIT_MIN_MS);
		}
	} else if (p->mapping_remembered && p->caller) {
		/* A spray aimed at an endpoint that leads nowhere: offer again. */
		pd_peer_recall(p);
	}
}

/* The server refused one of ours (logged as server-error already). */
bool pd_trickle_refused(const struct sig_msg *m)
{
	return !strncmp(m->code, "trickle-", 8);
}

static void ignored(const char *peer, const char *why)
{
	pd_log("trickle-ignored", "peer=%s reason=%s", peer, why);
}

static bool known(const struct pd_peer *p, const struct sig_ep *ep)
{
	unsigned int i;

	for (i = 0; i < p->n_cands; i++)
		if (sig_ep_equal(&p->cands[i], ep))
			return true;
	return false;
}

/* The punch's flow, unless it met the peer meanwhile (its event is due). */
static bool flow_still_punching(uint32_t id)
{
	struct nfp_flow *f = nfp_flow_alloc();
	bool punching = false;

	if (f && !nfp_flow_lookup(pd_nfp, id, f))
		punching = nfp_flow_get_u32(f, NFP_FLOW_STATE) == NFP_STATE_PUNCHING;
	nfp_flow_free(f);
	return punching;
}

static bool take(struct pd_peer *p, const struct sig_ep *ep)
{
	char a[SIG_EP_STRLEN];

	if (known(p, ep) || p->n_cands >= SIG_MAX_CANDS || p->n_cands >= PD_FLOW_PEERS)
		return false;
	p->cands[p->n_cands++] = *ep;
	p->trickled_in++;
	pd_log("trickle", "peer=%s cand=%s", p->name, sig_ep_format(ep, a, sizeof(a)));
	return true;
}

void pd_trickle_input(const struct sig_msg *m)
{
	struct pd_peer *p = pd_peer_by_sid(m->sid);
	struct sig_ep ok[SIG_MAX_CANDS];
	struct pd_cand_view view;
	struct nfp_endpoint local;
	unsigned int i, n, added = 0;
	uint32_t id;

	if (!p) {
		ignored(m->peer, "unknown-session");
		return;
	}
	if (!pd_cfg.trickle) {
		ignored(p->name, "off");
		return;
	}
	/* A punch resumed after a restart has lost the candidates it had. */
	if (!punching_plain(p) || !p->n_cands) {
		ignored(p->name, "not-punching");
		return;
	}
	if (p->trickled_in >= TRICKLE_IN_MAX) {
		ignored(p->name, "too-many");
		return;
	}
	if (!flow_still_punching(p->flow_id)) {
		ignored(p->name, "met-already");
		return;
	}
	memset(&view, 0, sizeof(view));
	view.observed = m->observed;
	view.same_site = p->same_site;
	view.trickled = true;
	if (!pd_link_local(&local))
		view.family = local.family;
	n = pd_cand_filter(m->cand, m->n_cand, &view, ok, pd_cand_refused, p);
	for (i = 0; i < n; i++)
		if (take(p, &ok[i]))
			added++;
	if (!added) {
		ignored(p->name, "nothing-new");
		return;
	}
	/*
	 * The punch goes on from the same port, to the new one as well: a
	 * new flow (the module takes no candidate into a running one), with
	 * the old one's probes counted. Should the old one stay, so does the
	 * punch as it was: the new one could not share its port and secret.
	 */
	if (pd_peer_flow_gone(p, p->flow_id))
		return;
	id = pd_peer_flow_open(p, pd_cfg.port, p->cands, p->n_cands, NULL,
			       pd_cfg.punch_timeout_ms, PD_FLOW_PUNCH);
	p->flow_id = id;
	if (!id) {
		pd_peer_fail(p, "module");
		return;
	}
	p->deadline = pd_now_ms() + pd_cfg.punch_timeout_ms + PUNCH_SLACK_MS;
	pd_log("punching", "peer=%s flow=%u candidates=%u strategy=%s prime_ttl=%u trickled=%u",
	       p->name, id, p->n_cands, pd_strategy_name(p->strategy),
	       p->prime_ttl, p->trickled_in);
	pd_state_save();
}
