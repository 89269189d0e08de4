/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef RDV_STUN_STEER_H
#define RDV_STUN_STEER_H

#include <stdint.h>

/* The hash's secret: one per process, the same for every port. */
struct rdv_steer_key {
	uint32_t salt, mul;	/* mul odd */
};

int rdv_stun_steer_key(struct rdv_steer_key *k);
/*
 * Attach to fd's SO_REUSEPORT group a program that hands each datagram to
 * socket (keyed hash of the source address) % workers, the sockets
 * counted in the order they were bound. 0, or -1 with errno.
 */
int rdv_stun_steer(int fd, int family, unsigned int workers,
		   const struct rdv_steer_key *k);

#endif
