// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "punchd.h"

#define MAX_LOGGED	64

/* --peer: as many as a host may keep (a hub's whole mesh). */
static char (*allow)[SIG_ID_MAX + 1];
static unsigned int n_allow;
/* Refused callers already logged: a ring, so its memory is bounded. */
static char logged[MAX_LOGGED][SIG_ID_MAX + 1];
static unsigned int next_logged;

static bool listed(char (*list)[SIG_ID_MAX + 1], unsigned int n,
		   const char *id)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], id))
			return true;
	return false;
}

int pd_policy_add_peer(const char *id)
{
	char (*more)[SIG_ID_MAX + 1];

	if (!sig_word_ok(id))
		return -1;
	if (listed(allow, n_allow, id))
		return 0;
	if (n_allow == PD_MAX_PEERS_LIMIT)
		return -1;
	more = realloc(allow, (n_allow + 1) * sizeof(*allow));
	if (!more)
		return -1;
	allow = more;
	snprintf(allow[n_allow++], sizeof(allow[0]), "%s", id);
	return 0;
}

bool pd_policy_allowed(const char *id)
{
	return !n_allow || listed(allow, n_allow, id);
}

void pd_policy_refused(const char *id)
{
	if (listed(logged, MAX_LOGGED, id))
		return;
	snprintf(logged[next_logged], sizeof(logged[0]), "%s", id);
	next_logged = (next_logged + 1) % MAX_LOGGED;
	pd_log("offer-refused", "peer=%s reason=not-allowed (logged once)", id);
}

/* A new minute starts the count again. */
static void roll(struct pd_window *w, uint64_t now)
{
	if (!w->start || now - w->start >= 60000) {
		w->start = now ? now : 1;
		w->n = 0;
	}
}

void pd_window_add(struct pd_window *w, uint64_t n, uint64_t now)
{
	roll(w, now);
	w->n += n;
}

uint64_t pd_window_count(struct pd_window *w, uint64_t now)
{
	roll(w, now);
	return w->n;
}

bool pd_window_take(struct pd_window *w, unsigned int max, uint64_t now,
		    bool *first)
{
	*first = false;
	roll(w, now);
	if (w->n < max) {
		w->n++;
		return true;
	}
	*first = w->n == max;
	w->n = max + 1;
	return false;
}
