/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What punchd knows of a NAT (RFC 4787 terms) and what it decides from
 * two of them. Descriptions travel in signaling as one word,
 * "<mapping>.<filtering>.<allocation>", e.g. "eim.apdf.preserve" or
 * "apdm.apdf.seq1"; the peer's word is only ever an input to the
 * strategy, so a lying peer can at worst waste its own session.
 */
#ifndef PUNCHD_NAT_H
#define PUNCHD_NAT_H

#include <stdbool.h>
#include <stddef.h>

enum pd_nat_map {
	PD_MAP_UNKNOWN,
	PD_MAP_OPEN,	/* no NAT: the server saw our own address and port */
	PD_MAP_EIM,	/* endpoint-independent mapping */
	PD_MAP_ADM,	/* address-dependent */
	PD_MAP_APDM,	/* address-and-port-dependent ("symmetric") */
};

enum pd_nat_filter {
	PD_FILTER_UNKNOWN,
	PD_FILTER_EIF,	/* anyone may send to a mapping ("full cone") */
	PD_FILTER_ADF,	/* any port of an address we sent to */
	PD_FILTER_APDF,	/* only the exact address and port we sent to */
};

enum pd_nat_alloc {
	PD_ALLOC_UNKNOWN,
	PD_ALLOC_PRESERVE,	/* the public port is the local port */
	PD_ALLOC_SEQ,		/* each new mapping: the last one plus delta */
	PD_ALLOC_RANDOM,
};

struct pd_nat {
	enum pd_nat_map map;
	enum pd_nat_filter filter;
	enum pd_nat_alloc alloc;
	int delta;			/* PD_ALLOC_SEQ: port step, never 0 */
};

#define PD_NAT_STRLEN	33	/* a signaling word: 32 characters */

/* "eim.apdf.preserve"; always a valid signaling word. */
char *pd_nat_format(const struct pd_nat *n, char *buf, size_t cap);
/* The reverse; 0, or -1 (n is then all unknown). */
int pd_nat_parse(const char *s, struct pd_nat *n);
/* "endpoint-independent mapping, ..." for people. */
const char *pd_nat_map_name(enum pd_nat_map m);
const char *pd_nat_filter_name(enum pd_nat_filter f);
const char *pd_nat_alloc_name(enum pd_nat_alloc a);

/*
 * From the steps between four consecutive mappings' ports: the
 * allocator's step if sequential (others' mappings in between are
 * counted in *between), else 0.
 */
int pd_nat_seq_step(const int d[3], unsigned int *between);
/*
 * A run found *found after last (NULL: none on this network): true if
 * one random reading of a sequential NAT is put down to others' mappings
 * and found keeps last's allocation (*doubted: the doubt, run to run).
 */
bool pd_nat_doubt(const struct pd_nat *last, struct pd_nat *found,
		  bool *doubted);
/* A sequential allocator we can predict the next public ports of. */
bool pd_nat_predictable(const struct pd_nat *n);

/*
 * How one side takes part in a session. Both peers run pd_strategy() on
 * the same two descriptions (mine, theirs swapped on the other side) and
 * arrive at matching roles.
 */
enum pd_strategy {
	PD_STRAT_PLAIN,		/* probe the peer's candidates (ICE-like) */
	PD_STRAT_PREDICT,	/* the peer offered a predicted window */
	PD_STRAT_SPRAY_PORTS,	/* open many local ports towards the peer */
	PD_STRAT_SPRAY_TARGETS,	/* probe many ports of the peer's address */
	PD_STRAT_RELAY,		/* nothing direct has a real chance */
};

struct pd_strategy_in {
	struct pd_nat mine, theirs;
	bool same_public_ip;	/* behind one NAT: host candidates decide */
	bool spray_ok;		/* both sides consented to spraying */
};

struct pd_strategy_out {
	enum pd_strategy strategy;
	const char *why;	/* one word for logs, hooks and status */
};

void pd_strategy(const struct pd_strategy_in *in, struct pd_strategy_out *out);
const char *pd_strategy_name(enum pd_strategy s);

#endif
