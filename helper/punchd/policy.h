/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who may call us, and how often. Any registered user can send us an
 * OFFER, and each one makes this host send probes wherever its candidates
 * say; so callers can be limited to a list (--peer), and offers are
 * counted per minute, in all and per peer.
 */
#ifndef PD_POLICY_H
#define PD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* --peer ID: 0, or -1 when the id is not a word or the list is full. */
int pd_policy_add_peer(const char *id);
/* With no --peer, any user of the server may call. */
bool pd_policy_allowed(const char *id);
/* Log that id was refused, once per id (a bounded memory). */
void pd_policy_refused(const char *id);

/* Events in the current minute, up to a maximum. */
struct pd_window {
	uint64_t start;
	uint64_t n;
};
/*
 * May one more happen at now (ms)? Sets *first when this is the minute's
 * first refusal (to log it once).
 */
bool pd_window_take(struct pd_window *w, unsigned int max, uint64_t now,
		    bool *first);
/* Count n more this minute; how many there were this minute. */
void pd_window_add(struct pd_window *w, uint64_t n, uint64_t now);
uint64_t pd_window_count(struct pd_window *w, uint64_t now);

#endif
