// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for rendezvousd's binding answers. The first input
 * byte picks the setup (RFC 5780 or not, the socket it arrived on, IPv4
 * or IPv6 sender); the rest is the datagram. Properties: the answer fits,
 * comes from a socket that exists, is at most five times the request (a
 * reflector's gain), and an RFC 8489 answer parses, has a FINGERPRINT
 * exactly when the request had one (and a valid one), keeps the
 * transaction id and maps to the sender.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sockaddr.h"
#include "stun.h"
#include "stun_answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage from;
	struct rdv_stun_view v;
	struct rdv_stun_reply r;
	struct stun_msg m, req;
	uint8_t out[512];
	int at_ip, at_port;

	if (size < 1)
		return 0;
	memset(&v, 0, sizeof(v));
	v.rfc5780 = data[0] & 1;
	sa_parse(&v.local[0][0], "192.0.2.1", 3478);
	sa_parse(&v.local[0][1], "192.0.2.1", 3479);
	sa_parse(&v.local[1][0], "192.0.2.2", 3478);
	sa_parse(&v.local[1][1], "192.0.2.2", 3479);
	at_ip = v.rfc5780 && (data[0] & 2);
	at_port = v.rfc5780 && (data[0] & 4);
	sa_parse(&from, data[0] & 8 ? "fd00:1::2" : "198.51.100.1", 40000);
	rdv_stun_answer(data + 1, size - 1, &from, &v, at_ip, at_port, out,
			sizeof(out), &r);
	if (r.len > sizeof(out) || r.ip < 0 || r.ip > 1 || r.port < 0 ||
	    r.port > 1 || (!v.rfc5780 && (r.ip || r.port)))
		abort();
	if (!r.len && !r.drop)
		abort();	/* silence always has a reason */
	if (r.len > 5 * (size - 1))
		abort();
	if (!r.len || r.classic)
		return 0;
	if (stun_parse(&m, out, r.len) != STUN_OK ||
	    memcmp(m.tid, data + 1 + 8, STUN_TID_LEN))
		abort();
	if (stun_parse(&req, data + 1, size - 1) != STUN_OK ||
	    !(req.seen & STUN_SEEN_FINGERPRINT) !=
	    !(m.seen & STUN_SEEN_FINGERPRINT) ||
	    ((m.seen & STUN_SEEN_FINGERPRINT) &&
	     stun_check_fingerprint(&m, out) != STUN_OK))
		abort();
	if (m.type == STUN_BINDING_SUCCESS &&
	    (!(m.seen & STUN_SEEN_XOR_MAPPED) || m.xor_mapped.port != 40000))
		abort();
	return 0;
}
