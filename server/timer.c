// SPDX-License-Identifier: GPL-2.0-or-later
/* A binary min-heap of timers, each knowing its place for O(log n) moves. */
#include <stdlib.h>

#include "timer.h"

static struct rdv_timer **heap;
static unsigned int n, cap;

static void place(unsigned int i, struct rdv_timer *t)
{
	heap[i] = t;
	t->slot = i + 1;
}

static void up(unsigned int i)
{
	struct rdv_timer *t = heap[i];

	while (i > 0 && heap[(i - 1) / 2]->at > t->at) {
		place(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(i, t);
}

static void down(unsigned int i)
{
	struct rdv_timer *t = heap[i];
	unsigned int c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && heap[c + 1]->at < heap[c]->at)
			c++;
		if (heap[c]->at >= t->at)
			break;
		place(i, heap[c]);
		i = c;
	}
	place(i, t);
}

int rdv_timer_arm(struct rdv_timer *t, uint64_t at)
{
	struct rdv_timer **h;
	unsigned int i;

	if (t->slot) {
		i = t->slot - 1;
		t->at = at;
		up(i);
		down(t->slot - 1);
		return 0;
	}
	if (n == cap) {
		h = reallocarray(heap, cap ? 2 * cap : 256, sizeof(*h));
		if (!h)
			return -1;
		heap = h;
		cap = cap ? 2 * cap : 256;
	}
	t->at = at;
	place(n++, t);
	up(n - 1);
	return 0;
}

void rdv_timer_cancel(struct rdv_timer *t)
{
	struct rdv_timer *last;
	unsigned int i;

	if (!t->slot)
		return;
	i = t->slot - 1;
	t->slot = 0;
	if (i == --n)
		return;
	/* The last one fills the hole, then finds its place either way. */
	last = heap[n];
	place(i, last);
	up(i);
	down(last->slot - 1);
}

void rdv_timers_run(uint64_t now)
{
	struct rdv_timer *t;

	while (n && heap[0]->at <= now) {
		t = heap[0];
		rdv_timer_cancel(t);
		t->fire(t, now);
	}
}

unsigned int rdv_timers_count(void)
{
	return n;
}

void rdv_timers_free(void)
{
	free(heap);
	heap = NULL;
	n = cap = 0;
}
