/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef PD_RETRY_H
#define PD_RETRY_H

#include <stdbool.h>
#include <stdint.h>

/* The longest wait between two attempts at a peer. */
#define PD_RETRY_MAX_MS	300000

/* The wait before attempt (1: the first retry): base doubling per
 * attempt up to PD_RETRY_MAX_MS, with +-25% jitter. */
uint64_t pd_retry_delay_ms(unsigned int attempt, unsigned int base_ms);

/*
 * Two sides called each other at once (each holds an offer of the
 * other's while its own is pending): the one with the smaller id keeps
 * calling, the other answers (RFC 8445 7.3.1.1 settles ICE's role
 * conflict the same way, by a value both sides know).
 */
bool pd_glare_we_call(const char *me, const char *peer);

#endif /* PD_RETRY_H */
