/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnfpunch - drive the nfpunch kernel module from a program.
 *
 * Errors: every function returning int returns 0 (or a count) on success and
 * a negative errno on failure; nfp_strerror() then gives the kernel's own
 * explanation (its extended ack message) when there was one.
 *
 * Threads and descriptors: a handle owns one netlink socket and is not
 * thread-safe; use one handle per thread. The handle acts in the network
 * namespace the calling thread was in when nfp_open() ran.
 *
 * No libnl type appears here, so callers do not depend on libnl.
 */
#ifndef LIBNFPUNCH_H
#define LIBNFPUNCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct nfp_handle;

/* Connect to the module (the kernel loads it on demand when it can). */
int nfp_open(struct nfp_handle **hp);
void nfp_close(struct nfp_handle *h);

/*
 * Text for the last failure on this handle: the kernel's extended ack
 * message when it sent one, otherwise strerror() of the error.
 */
const char *nfp_strerror(const struct nfp_handle *h);

struct nfp_stats {
	char version[32];	/* module version */
	uint32_t flows;		/* flows alive in this namespace */
};

int nfp_stats_get(struct nfp_handle *h, struct nfp_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* LIBNFPUNCH_H */
