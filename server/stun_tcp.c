// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * STUN over TCP on the signaling port (stun_tcp.h): which protocol a
 * connection speaks, where one message ends, and its answer. Over TCP
 * the server answers only from the connection itself: CHANGE-REQUEST and
 * RESPONSE-PORT (RFC 5780, UDP only) get the 420 any server without a
 * second address gives.
 */
#include <string.h>

#include "stun.h"
#include "stun_answer.h"
#include "stun_tcp.h"

enum rdv_first_byte rdv_stun_tcp_sniff(uint8_t first)
{
	if (first == 0x16)		/* TLS: a handshake record */
		return RDV_FIRST_TLS;
	if (!(first & 0xc0))		/* STUN: the type's two zero bits */
		return RDV_FIRST_STUN;
	return RDV_FIRST_OTHER;
}

ssize_t rdv_stun_tcp_frame(const uint8_t *buf, size_t len, size_t cap)
{
	static const uint8_t cookie[4] = { 0x21, 0x12, 0xa4, 0x42 };
	size_t body;

	if (len >= 1 && (buf[0] & 0xc0))
		return -1;
	if (len < STUN_HDR_LEN)
		return 0;
	/* RFC 3489 clients have no cookie, and no TCP either. */
	body = (size_t)buf[2] << 8 | buf[3];
	if (memcmp(buf + 4, cookie, sizeof(cookie)) || body % 4 ||
	    STUN_HDR_LEN + body > cap)
		return -1;
	return len < STUN_HDR_LEN + body ? 0 : (ssize_t)(STUN_HDR_LEN + body);
}

size_t rdv_stun_tcp_answer(const uint8_t *req, size_t len,
			   const struct sockaddr_storage *from,
			   const struct sockaddr_storage *local,
			   uint8_t *out, size_t cap, const char **why)
{
	struct rdv_stun_view v = { .rfc5780 = false };
	struct rdv_stun_reply r;

	v.local[0][0] = *local;
	rdv_stun_answer(req, len, from, &v, 0, 0, out, cap, &r);
	*why = r.drop;
	/* Only an answer from this connection can reach the client. */
	if (r.ip || r.port || r.to_port)
		return 0;
	return r.len;
}
