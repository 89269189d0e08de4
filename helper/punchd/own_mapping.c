// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Our punch port's public endpoint, remembered between calls.
 *
 * Asking the server for it (the module's STUN from the port) costs the
 * caller a round trip to the server before its offer, and the callee
 * another before its answer: on 50 ms links, 200 ms of a plain punch's
 * 700. Behind an endpoint-independent NAT the answer is the same for
 * every destination, and stays so while the network and the NAT's entry
 * do, so a call offers the last answer at once. Its punch asks again as
 * it starts (trickle.c): should the NAT have moved the port meanwhile,
 * the new endpoint goes to the peer as a trickled candidate, or, when
 * the peer cannot take one, the caller calls again with it. So a
 * remembered endpoint is offered only where that correction can follow:
 * trickle on, a server that passes it on (v=4), and a NAT that discovery
 * says maps endpoint-independently, or no NAT.
 *
 * Only answers to punchd's own queries count (they carry our mark and go
 * to our server), and discovery asks once when it finds such a NAT, so
 * the first call is fast too. The endpoint is forgotten on a network
 * change or a new public address, and goes stale: a port-preserving NAT
 * gives the port back as it was after its entry expires, so the endpoint
 * holds as long as discovery's result; another NAT's entry lives only as
 * long as the NAT keeps idle mappings.
 */
#include <errno.h>
#include <string.h>

#include "nat.h"
#include "peer_flows.h"
#include "punchd.h"

/* Held at most until discovery runs again (--rediscover) and asks anew. */
#define KEEP_PRESERVED_MS	pd_cfg.rediscover_ms
#define KEEP_UNMEASURED_MS	25000	/* under Linux's 30 s UDP timeout */
#define ASKED_MAX		8	/* our latest queries: older answers go unremembered */

static struct pd_mapping known;
static struct nfp_endpoint known_local;	/* the port it is of */
static uint64_t known_at;		/* ms; 0: nothing known */
static uint32_t prefetch_id;		/* our own query out, 0: none */
static uint64_t prefetch_at;
/*
 * Our own queries out (pd_mapping_ask()'s): only their answers count.
 * Another program's query from our port may go elsewhere (unmarked, into
 * a full tunnel, or to another server), and one asked before a network
 * change answers for the old network.
 */
static uint32_t asked[ASKED_MAX];
static unsigned int asked_next;

void pd_own_mapping_asked(uint32_t id)
{
	asked[asked_next] = id;
	asked_next = (asked_next + 1) % ASKED_MAX;
}

static bool take_asked(uint32_t id)
{
	unsigned int i;

	for (i = 0; i < ASKED_MAX; i++)
		if (id && asked[i] == id) {
			asked[i] = 0;
			return true;
		}
	return false;
}

void pd_own_mapping_forget(void)
{
	known_at = 0;
	prefetch_id = 0;
	memset(asked, 0, sizeof(asked));
}

static bool same_endpoint(const struct nfp_endpoint *a, const struct nfp_endpoint *b)
{
	struct sig_ep x, y;

	pd_ep_to_sig(&x, a);
	pd_ep_to_sig(&y, b);
	return sig_ep_equal(&x, &y);
}

/* How long an answer holds behind this NAT, in ms; 0: not at all. */
static uint64_t keep_ms(const struct pd_nat *nat, const struct pd_mapping *m,
			const struct nfp_endpoint *local)
{
	unsigned int lo, hi;
	uint64_t ms;

	/*
	 * Preserving, as discovery saw it from its own port, and for this
	 * port too: a port another host holds is mapped elsewhere, and only
	 * for as long as that NAT entry lives.
	 */
	if (nat->map == PD_MAP_OPEN ||
	    (nat->map == PD_MAP_EIM && nat->alloc == PD_ALLOC_PRESERVE &&
	     (!m || m->mapped.port == local->port)))
		return KEEP_PRESERVED_MS;
	if (nat->map != PD_MAP_EIM)
		return 0;
	if (!pd_nat_lifetime(&lo, &hi) || !lo)
		return KEEP_UNMEASURED_MS;
	ms = (uint64_t)lo * 1000;
	return ms < KEEP_PRESERVED_MS ? ms : KEEP_PRESERVED_MS;
}

/* A remembered endpoint can be corrected only by trickle (trickle.c). */
static bool usable(void)
{
	return pd_cfg.trickle && pd_link_trickle();
}

bool pd_own_mapping_get(struct pd_mapping *out)
{
	struct nfp_endpoint local;
	struct pd_nat nat;
	uint64_t keep;

	if (!known_at || !usable() || !pd_nat_mine(&nat) || pd_link_local(&local) ||
	    !same_endpoint(&local, &known_local))
		return false;
	keep = keep_ms(&nat, &known, &known_local);
	if (pd_now_ms() - known_at >= keep)
		return false;
	*out = known;
	return true;
}

bool pd_own_mapping_answer(const struct nfp_mapping *mp, bool *was_asked)
{
	const struct nfp_endpoint *mapped = nfp_mapping_get_endpoint(mp, NFP_MAPPING_MAPPED);
	const struct nfp_endpoint *local = nfp_mapping_get_endpoint(mp, NFP_MAPPING_LOCAL);
	const struct nfp_endpoint *server = nfp_mapping_get_endpoint(mp, NFP_MAPPING_SERVER);
	uint32_t id = nfp_mapping_get_u32(mp, NFP_MAPPING_ID);
	char ep[NFP_ENDPOINT_STRLEN];
	struct nfp_endpoint stun;
	bool ours = prefetch_id && id == prefetch_id;

	if (ours)
		prefetch_id = 0;
	*was_asked = take_asked(id);
	if (!*was_asked || nfp_mapping_get_u32(mp, NFP_MAPPING_ERROR) ||
	    !mapped || !local || local->port != pd_cfg.port || !server ||
	    pd_server_stun(&stun) || !same_endpoint(server, &stun))
		return ours;
	memset(&known, 0, sizeof(known));
	known.mapped = *mapped;
	known.rtt_us = nfp_mapping_get_u32(mp, NFP_MAPPING_RTT_US);
	known_local = *local;
	known_at = pd_now_ms();
	if (ours)
		pd_log("mapping", "peer=- mapped=%s rtt_us=%u",
		       nfp_endpoint_format(mapped, ep, sizeof(ep)), known.rtt_us);
	return ours;
}

void pd_own_mapping_prefetch(void)
{
	struct pd_mapping m;
	struct pd_nat nat;
	int ret;

	/* One out at a time, unless its answer was lost (events overflow). */
	if (prefetch_id && pd_now_ms() < prefetch_at + PD_MAPPING_LOST_MS)
		return;
	prefetch_id = 0;
	if (!usable() || !pd_nat_mine(&nat) || !keep_ms(&nat, NULL, NULL) ||
	    pd_own_mapping_get(&m))
		return;
	ret = pd_mapping_ask(&prefetch_id);
	prefetch_at = pd_now_ms();
	if (ret < 0) {
		prefetch_id = 0;
		if (ret != -ENOTCONN)
			pd_log("mapping-failed", "peer=- error=\"%s\"",
			       pd_mapping_strerror(ret));
	}
}

void pd_own_mapping_registered(const struct sig_ep *observed)
{
	/*
	 * The server sees us at another public address than our endpoint's:
	 * the NAT's address changed (a new lease, another gateway) without a
	 * change netwatch can see on this host.
	 */
	if (known_at && known.mapped.family == observed->family &&
	    !pd_ep_same_address(&known.mapped, observed)) {
		pd_log("mapping-forgotten", "reason=public-address-changed");
		pd_own_mapping_forget();
	}
	pd_own_mapping_prefetch();
}
