// SPDX-License-Identifier: GPL-2.0-or-later
/* NAT descriptions: the signaling word and names for people. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"

static const char *const map_words[] = {
	[PD_MAP_UNKNOWN] = "unknown", [PD_MAP_OPEN] = "open",
	[PD_MAP_EIM] = "eim", [PD_MAP_ADM] = "adm", [PD_MAP_APDM] = "apdm",
};
static const char *const filter_words[] = {
	[PD_FILTER_UNKNOWN] = "unknown", [PD_FILTER_EIF] = "eif",
	[PD_FILTER_ADF] = "adf", [PD_FILTER_APDF] = "apdf",
};
static const char *const alloc_words[] = {
	[PD_ALLOC_UNKNOWN] = "unknown", [PD_ALLOC_PRESERVE] = "preserve",
	[PD_ALLOC_SEQ] = "seq", [PD_ALLOC_RANDOM] = "random",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_DELTA 64
/* Others' mappings between two consecutive ones of ours, at most. */
#define MAX_BETWEEN 8

/*
 * A symmetric NAT's allocator from the ports of consecutive mappings
 * (discovery's walk): sequential if the steps between them are one small
 * step, or whole multiples of it, that step at least twice. A multiple
 * is mappings made in between by others (the household's other hosts,
 * our own sockets); *between counts them. Two equal small steps out of a
 * random allocator are a chance in millions. 0: not sequential.
 */
int pd_nat_seq_step(const int d[3], unsigned int *between)
{
	int i, j, step = 0;

	*between = 0;
	for (i = 0; i < 3 && !step; i++)
		for (j = i + 1; j < 3; j++)
			if (d[i] == d[j] && d[i] && abs(d[i]) <= MAX_DELTA) {
				step = d[i];
				break;
			}
	if (!step)
		return 0;
	for (i = 0; i < 3; i++) {
		if (d[i] % step || d[i] / step < 1 ||
		    d[i] / step > MAX_BETWEEN + 1)
			return 0;
		*between += (unsigned int)(d[i] / step - 1);
	}
	return step;
}

/*
 * A sequential NAT read as random once is more likely a walk that more
 * of others' mappings crossed than pd_nat_seq_step() takes (a punch's, a
 * busy household's): believed when the next run agrees. True if found
 * keeps last's allocation; *doubted carries the doubt to the next run.
 */
bool pd_nat_doubt(const struct pd_nat *last, struct pd_nat *found,
		  bool *doubted)
{
	if (!last || last->alloc != PD_ALLOC_SEQ ||
	    found->alloc != PD_ALLOC_RANDOM || found->map != last->map ||
	    *doubted) {
		*doubted = false;
		return false;
	}
	*doubted = true;
	found->alloc = PD_ALLOC_SEQ;
	found->delta = last->delta;
	return true;
}

char *pd_nat_format(const struct pd_nat *n, char *buf, size_t cap)
{
	if (n->alloc == PD_ALLOC_SEQ)
		snprintf(buf, cap, "%s.%s.seq%d", map_words[n->map],
			 filter_words[n->filter], n->delta);
	else
		snprintf(buf, cap, "%s.%s.%s", map_words[n->map],
			 filter_words[n->filter], alloc_words[n->alloc]);
	return buf;
}

static int word_index(const char *const *words, size_t n, const char *s,
		      size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(words[i]) == len && !memcmp(words[i], s, len))
			return (int)i;
	return -1;
}

int pd_nat_parse(const char *s, struct pd_nat *n)
{
	const char *d1 = strchr(s, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	int map, filter, alloc;
	char *end;
	long delta;

	memset(n, 0, sizeof(*n));
	if (!d2)
		return -1;
	map = word_index(map_words, N(map_words), s, (size_t)(d1 - s));
	filter = word_index(filter_words, N(filter_words), d1 + 1,
			    (size_t)(d2 - d1 - 1));
	alloc = word_index(alloc_words, N(alloc_words), d2 + 1, strlen(d2 + 1));
	if (alloc < 0 && !strncmp(d2 + 1, "seq", 3)) {
		delta = strtol(d2 + 4, &end, 10);
		if (*end || end == d2 + 4 || !delta || labs(delta) > MAX_DELTA)
			return -1;
		alloc = PD_ALLOC_SEQ;
		n->delta = (int)delta;
	}
	if (map < 0 || filter < 0 || alloc < 0 ||
	    (alloc == PD_ALLOC_SEQ && !n->delta)) {
		n->delta = 0;
		return -1;
	}
	n->map = map;
	n->filter = filter;
	n->alloc = alloc;
	return 0;
}

const char *pd_nat_map_name(enum pd_nat_map m)
{
	return map_words[m];
}

const char *pd_nat_filter_name(enum pd_nat_filter f)
{
	return filter_words[f];
}

const char *pd_nat_alloc_name(enum pd_nat_alloc a)
{
	return alloc_words[a];
}

/*
 * Only upward steps: a window is probed in ascending order, and two
 * predicting peers meet because both walk their windows the same way.
 */
bool pd_nat_predictable(const struct pd_nat *n)
{
	return n->map == PD_MAP_APDM || n->map == PD_MAP_ADM ?
	       n->alloc == PD_ALLOC_SEQ && n->delta > 0 && n->delta <= 16 :
	       false;
}
