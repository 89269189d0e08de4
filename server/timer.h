/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Deadlines for clients, sessions and relays: a binary min-heap, so the
 * once-a-second tick costs what expires, not what exists, and arming or
 * cancelling one costs O(log n).
 */
#ifndef RDV_TIMER_H
#define RDV_TIMER_H

#include <stddef.h>
#include <stdint.h>

#define rdv_container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct rdv_timer {
	uint64_t at;		/* ms, rdv_now_ms() clock */
	unsigned int slot;	/* heap index + 1; 0: not armed */
	void (*fire)(struct rdv_timer *t, uint64_t now);
};

/* Arm (or move) t to at; 0, or -1 when the heap cannot grow (t unarmed). */
int rdv_timer_arm(struct rdv_timer *t, uint64_t at);
void rdv_timer_cancel(struct rdv_timer *t);
/* Fire every timer due at now, earliest first; each is disarmed before
 * its fire() runs, which may arm it again or free its owner. */
void rdv_timers_run(uint64_t now);
unsigned int rdv_timers_count(void);
void rdv_timers_free(void);

#endif /* RDV_TIMER_H */
