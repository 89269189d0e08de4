// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd's NAT words and its strategy table: every pair of the zoo's
 * NAT kinds, seen from both sides, must give matching roles, and relay
 * exactly where no direct path can exist.
 */
#include <stdio.h>
#include <string.h>

#include "ktap.h"
#include "nat.h"

static const struct {
	const char *kind;
	struct pd_nat nat;
} zoo[] = {
	{ "public", { PD_MAP_OPEN, PD_FILTER_EIF, PD_ALLOC_PRESERVE, 0 } },
	{ "pp", { PD_MAP_EIM, PD_FILTER_APDF, PD_ALLOC_PRESERVE, 0 } },
	{ "random", { PD_MAP_APDM, PD_FILTER_APDF, PD_ALLOC_RANDOM, 0 } },
	{ "seq", { PD_MAP_APDM, PD_FILTER_APDF, PD_ALLOC_SEQ, 1 } },
	{ "arc", { PD_MAP_EIM, PD_FILTER_ADF, PD_ALLOC_PRESERVE, 0 } },
	{ "fc", { PD_MAP_EIM, PD_FILTER_EIF, PD_ALLOC_PRESERVE, 0 } },
	{ "dbl", { PD_MAP_EIM, PD_FILTER_APDF, PD_ALLOC_PRESERVE, 0 } },
};
#define N_ZOO (sizeof(zoo) / sizeof(zoo[0]))

/* Steps between discovery's four mappings, and the allocator they show. */
static const struct {
	int d[3];
	int step;
	unsigned int between;
	const char *why;
} steps[] = {
	{ { 1, 1, 1 }, 1, 0, "sequential" },
	{ { 2, 2, 2 }, 2, 0, "sequential by two" },
	{ { -1, -1, -1 }, -1, 0, "sequential downwards" },
	{ { 1, 3, 1 }, 1, 2, "two mappings of others in between" },
	{ { 4, 1, 1 }, 1, 3, "three, first" },
	{ { 2, 6, 2 }, 2, 2, "by two, others in between" },
	{ { 1, 10, 1 }, 0, 0, "too many in between: not trusted" },
	{ { 1, 2, 3 }, 0, 0, "no step twice" },
	{ { 1, -1, 1 }, 0, 0, "a step back" },
	{ { 2, 3, 2 }, 0, 0, "not a multiple" },
	{ { 65, 65, 65 }, 0, 0, "too wide a step" },
	{ { 0, 0, 0 }, 0, 0, "one port for all (not symmetric)" },
	{ { -1, -3, -1 }, -1, 2, "downwards, others in between" },
	{ { -1, 3, -1 }, 0, 0, "downwards, then a step up" },
	{ { -2, -2, -3 }, 0, 0, "downwards, not a multiple" },
	{ { 64, 64, 576 }, 64, 8, "the widest step, the most in between" },
	{ { 64, 64, 640 }, 0, 0, "one more in between: not trusted" },
	{ { 8123, -31000, 11877 }, 0, 0, "random" },
	{ { 37, 37, 20411 }, 0, 0, "a lucky repeat, then random" },
};
#define N_STEPS (sizeof(steps) / sizeof(steps[0]))

static bool hopeless(const char *a, const char *b)
{
	bool ra = !strcmp(a, "random"), rb = !strcmp(b, "random");
	bool sa = !strcmp(a, "seq"), sb = !strcmp(b, "seq");

	return (ra && (rb || sb)) || (rb && sa);
}

static enum pd_strategy run(const struct pd_nat *mine,
			    const struct pd_nat *theirs, bool spray)
{
	struct pd_strategy_in in = { *mine, *theirs, false, spray };
	struct pd_strategy_out out;

	pd_strategy(&in, &out);
	return out.strategy;
}

static bool roles_match(enum pd_strategy a, enum pd_strategy b)
{
	if (a == PD_STRAT_SPRAY_PORTS)
		return b == PD_STRAT_SPRAY_TARGETS;
	if (a == PD_STRAT_SPRAY_TARGETS)
		return b == PD_STRAT_SPRAY_PORTS;
	return a == b;
}

int main(void)
{
	static const char *const bad[] = {
		"", "eim", "eim.apdf", "eim.apdf.", "eim.apdf.seq", "eim.apdf.seq0",
		"eim.apdf.seq65", "eim.apdf.seq1x", "cone.apdf.preserve",
		"eim.none.preserve", "eim.apdf.preserve.x",
	};
	char w[PD_NAT_STRLEN];
	struct pd_nat n;
	unsigned int i, j, direct = 0, possible = 0;

	ktap_start();

	for (i = 0; i < N_ZOO; i++) {
		pd_nat_format(&zoo[i].nat, w, sizeof(w));
		CHECK(!pd_nat_parse(w, &n) && !memcmp(&n, &zoo[i].nat, sizeof(n)),
			"%s: \"%s\" reads back the same", zoo[i].kind, w);
		CHECK(strlen(w) < PD_NAT_STRLEN && strlen(w) <= 32,
			"%s: a signaling word", zoo[i].kind);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(pd_nat_parse(bad[i], &n) == -1 && n.map == PD_MAP_UNKNOWN,
			"\"%s\" is refused", bad[i]);

	for (i = 0; i < N_STEPS; i++) {
		unsigned int between = 99;
		int got = pd_nat_seq_step(steps[i].d, &between);

		CHECK(got == steps[i].step &&
		      (!got || between == steps[i].between),
		      "steps %d,%d,%d: %s (step %d, %u between)",
		      steps[i].d[0], steps[i].d[1], steps[i].d[2], steps[i].why,
		      got, got ? between : 0);
	}

	{
		const struct pd_nat seq = { PD_MAP_APDM, PD_FILTER_APDF, PD_ALLOC_SEQ, 1 };
		const struct pd_nat rnd = { PD_MAP_APDM, PD_FILTER_APDF, PD_ALLOC_RANDOM, 0 };
		const struct pd_nat adm = { PD_MAP_ADM, PD_FILTER_APDF, PD_ALLOC_RANDOM, 0 };
		struct pd_nat f = rnd;
		bool doubted = false;

		CHECK(pd_nat_doubt(&seq, &f, &doubted) && doubted &&
		      f.alloc == PD_ALLOC_SEQ && f.delta == 1,
		      "doubt: a sequential NAT read random once stays seq1");
		f = rnd;
		CHECK(!pd_nat_doubt(&seq, &f, &doubted) && !doubted &&
		      f.alloc == PD_ALLOC_RANDOM,
		      "doubt: read random a second time in a row, it is random");
		f = seq;
		CHECK(!pd_nat_doubt(&seq, &f, &doubted) && !doubted &&
		      !memcmp(&f, &seq, sizeof(f)),
		      "doubt: read sequential, nothing to doubt");
		f = seq;
		pd_nat_doubt(&seq, &f, &doubted);
		f = rnd;
		CHECK(pd_nat_doubt(&seq, &f, &doubted) && f.alloc == PD_ALLOC_SEQ,
		      "doubt: sequential again in between: the next random read is doubted anew");
		f = rnd;
		doubted = false;
		CHECK(!pd_nat_doubt(NULL, &f, &doubted) && f.alloc == PD_ALLOC_RANDOM,
		      "doubt: the first run on a network is believed");
		f = adm;
		CHECK(!pd_nat_doubt(&seq, &f, &doubted) && f.map == PD_MAP_ADM &&
		      f.alloc == PD_ALLOC_RANDOM,
		      "doubt: another mapping behaviour is another NAT: believed");
		f = seq;
		f.delta = 2;
		CHECK(!pd_nat_doubt(&seq, &f, &doubted) && f.delta == 2,
		      "doubt: a new step is believed");
	}

	for (i = 0; i < N_ZOO; i++) {
		for (j = 0; j < N_ZOO; j++) {
			enum pd_strategy a = run(&zoo[i].nat, &zoo[j].nat, true);
			enum pd_strategy b = run(&zoo[j].nat, &zoo[i].nat, true);
			bool relay = a == PD_STRAT_RELAY;

			CHECK(roles_match(a, b) &&
				relay == hopeless(zoo[i].kind, zoo[j].kind),
				"%s vs %s: %s / %s", zoo[i].kind, zoo[j].kind,
				pd_strategy_name(a), pd_strategy_name(b));
			possible += !hopeless(zoo[i].kind, zoo[j].kind);
			direct += !relay;
		}
	}
	CHECK(direct == possible && possible == N_ZOO * N_ZOO - 3,
		"direct in %u of %u ordered pairs, every possible one", direct,
		(unsigned int)(N_ZOO * N_ZOO));
	CHECK(run(&zoo[1].nat, &zoo[2].nat, false) == PD_STRAT_RELAY &&
		run(&zoo[2].nat, &zoo[1].nat, false) == PD_STRAT_RELAY,
		"no spraying without both peers' consent: relay");
	memset(&n, 0, sizeof(n));
	CHECK(run(&zoo[2].nat, &n, true) == PD_STRAT_PLAIN,
		"an unknown peer NAT: plain punch, the relay after the timeout");
	{
		struct pd_strategy_in in = { zoo[2].nat, zoo[2].nat, true, true };
		struct pd_strategy_out out;

		pd_strategy(&in, &out);
		CHECK(out.strategy == PD_STRAT_PLAIN && !strcmp(out.why, "same-nat"),
			"behind the same NAT: host candidates, even when random");
	}
	return ktap_finish();
}
