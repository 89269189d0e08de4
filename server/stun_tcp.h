/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * STUN over TCP (RFC 8489 section 6.2) on the signaling port: a TCP hole
 * punch learns its port's mapping from a connection of its own. The
 * listener tells the two protocols apart by the first byte, which the
 * client sends: a TLS record starts with 0x16 (handshake), a STUN
 * message with two zero bits. Pure functions; client.c owns the socket.
 */
#ifndef RDV_STUN_TCP_H
#define RDV_STUN_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

enum rdv_first_byte { RDV_FIRST_TLS, RDV_FIRST_STUN, RDV_FIRST_OTHER };

enum rdv_first_byte rdv_stun_tcp_sniff(uint8_t first);

/*
 * The length of the STUN message at the start of buf: 0 while it is not
 * all there, -1 if it is no STUN message (bad type bits or cookie) or
 * longer than cap.
 */
ssize_t rdv_stun_tcp_frame(const uint8_t *buf, size_t len, size_t cap);

/*
 * The answer to one message from `from`, received at `local`: its length
 * in out (0: none; *why then says why).
 */
size_t rdv_stun_tcp_answer(const uint8_t *req, size_t len,
			   const struct sockaddr_storage *from,
			   const struct sockaddr_storage *local,
			   uint8_t *out, size_t cap, const char **why);

#endif
