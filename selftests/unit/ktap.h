/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal KTAP output for the C unit tests: one line per case. */
#ifndef NFPUNCH_UNIT_KTAP_H
#define NFPUNCH_UNIT_KTAP_H

#include <stdio.h>

static int ktap_n, ktap_failed;

static inline void ktap_start(void)
{
	printf("KTAP version 1\n");
}

/* Evaluates cond once: conditions may have side effects. */
#define CHECK(cond, ...) do {						\
	int ktap_ok_ = !!(cond);					\
									\
	ktap_n++;							\
	if (ktap_ok_) {							\
		printf("ok %d ", ktap_n);				\
	} else {							\
		ktap_failed++;						\
		printf("not ok %d ", ktap_n);				\
	}								\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!ktap_ok_)							\
		printf("# %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
} while (0)

static inline int ktap_finish(void)
{
	printf("1..%d\n", ktap_n);
	return ktap_failed ? 1 : 0;
}

#endif
