/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef RDV_STUN_STEER_H
#define RDV_STUN_STEER_H

/*
 * Attach to fd's SO_REUSEPORT group a program that hands each datagram to
 * socket (source address hash) % workers, the sockets counted in the
 * order they were bound. 0, or -1 with errno.
 */
int rdv_stun_steer(int fd, int family, unsigned int workers);

#endif
