// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which strategy has a real chance, from both NATs' behaviours. Pure, so
 * the unit test walks every pair and bench/nat-zoo prints the same table
 * as "theoretical best". The reasoning, per RFC 4787 terms:
 *  - A side whose mapping is endpoint-independent and whose filter lets
 *    in any port of an address it sent to (or anyone) can be reached at
 *    its server-reflexive address by whatever the other side's NAT
 *    allocates; its answer goes back to the peer-reflexive source.
 *  - Two endpoint-independent mappings meet at their reflexive addresses.
 *  - A sequential allocator can be predicted: it offers a window of its
 *    next public ports, which the other side probes.
 *  - A random allocator behind port-restricted filtering can only be met
 *    by chance: it opens many mappings, the other side (which must have a
 *    single public endpoint) probes many ports, and the birthday bound
 *    makes a hit likely. Only with both peers' consent.
 *  - Two unpredictable sides never meet: relay.
 */
#include "nat.h"

static bool mapping_fixed(const struct pd_nat *n)
{
	return n->map == PD_MAP_OPEN || n->map == PD_MAP_EIM;
}

/* Reachable at its reflexive address by a peer we have not sent to. */
static bool permissive(const struct pd_nat *n)
{
	return mapping_fixed(n) &&
	       (n->filter == PD_FILTER_EIF || n->filter == PD_FILTER_ADF);
}

void pd_strategy(const struct pd_strategy_in *in, struct pd_strategy_out *out)
{
	const struct pd_nat *m = &in->mine, *t = &in->theirs;
	bool hard_m = !mapping_fixed(m), hard_t = !mapping_fixed(t);

	out->strategy = PD_STRAT_PLAIN;
	if (in->same_public_ip) {
		out->why = "same-nat";
		return;
	}
	if (m->map == PD_MAP_UNKNOWN || t->map == PD_MAP_UNKNOWN) {
		out->why = "nat-unknown";
		return;
	}
	if (!hard_m && !hard_t) {
		out->why = "both-fixed-mapping";
		return;
	}
	if (permissive(m) || permissive(t)) {
		out->why = "permissive-filter";
		return;
	}
	if (hard_m && hard_t) {
		if (pd_nat_predictable(m) && pd_nat_predictable(t)) {
			out->strategy = PD_STRAT_PREDICT;
			out->why = "both-sequential";
		} else {
			out->strategy = PD_STRAT_RELAY;
			out->why = "both-symmetric";
		}
		return;
	}
	/* One side symmetric, the other fixed but port-restricted. */
	if (pd_nat_predictable(hard_m ? m : t)) {
		out->strategy = PD_STRAT_PREDICT;
		out->why = "sequential";
	} else if (!in->spray_ok) {
		out->strategy = PD_STRAT_RELAY;
		out->why = "no-spray-consent";
	} else {
		out->strategy = hard_m ? PD_STRAT_SPRAY_PORTS :
					 PD_STRAT_SPRAY_TARGETS;
		out->why = "birthday";
	}
}

const char *pd_strategy_name(enum pd_strategy s)
{
	static const char *const names[] = {
		[PD_STRAT_PLAIN] = "plain",
		[PD_STRAT_PREDICT] = "predict",
		[PD_STRAT_SPRAY_PORTS] = "spray-ports",
		[PD_STRAT_SPRAY_TARGETS] = "spray-targets",
		[PD_STRAT_RELAY] = "relay",
	};

	return s <= PD_STRAT_RELAY ? names[s] : "?";
}
