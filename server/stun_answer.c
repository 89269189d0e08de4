// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Binding answers for two generations of clients:
 *  - RFC 8489/5389 (magic cookie): XOR-MAPPED-ADDRESS, and with two
 *    addresses RFC 5780's RESPONSE-ORIGIN, OTHER-ADDRESS and
 *    CHANGE-REQUEST;
 *  - RFC 3489 (no cookie, e.g. the "stun" client): MAPPED-ADDRESS,
 *    SOURCE-ADDRESS and CHANGED-ADDRESS only, because those clients give
 *    up on any comprehension-required attribute they do not know.
 * Anyone can spoof a request's source, so an answer carries only what its
 * client can use: no SOFTWARE, no MAPPED-ADDRESS for a client that reads
 * XOR-MAPPED-ADDRESS, and a FINGERPRINT only when the request had one.
 * A plain 20-byte request gets 32 bytes (IPv4) or 44 (IPv6).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "stun.h"
#include "stun_answer.h"

#define CLASSIC_SOURCE_ADDRESS	0x0004
#define CLASSIC_CHANGED_ADDRESS	0x0005

static void to_stun(struct stun_addr *a, const struct sockaddr_storage *ss)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		a->family = STUN_AF_IPV6;
		a->port = ntohs(s6->sin6_port);
		memcpy(a->ip, &s6->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		a->family = STUN_AF_IPV4;
		a->port = ntohs(s4->sin_port);
		memcpy(a->ip, &s4->sin_addr, 4);
	}
}

static void add_ss(struct stun_builder *b, uint16_t type,
		   const struct sockaddr_storage *ss)
{
	struct stun_addr a;

	to_stun(&a, ss);
	stun_add_addr(b, type, &a);
}

/* Close the answer; why says it is an error answer. */
static void finish(struct stun_builder *b, bool fingerprint,
		   struct rdv_stun_reply *r, const char *why)
{
	int len;

	if (fingerprint)
		stun_add_fingerprint(b);
	len = stun_build_end(b);

	if (len < 0) {
		r->len = 0;
		r->drop = "answer does not fit";
	} else {
		r->len = (size_t)len;
		r->drop = why;
	}
}

/* A 420 naming what we do not understand (RFC 8489 section 6.3.1.1). */
static void unknown_attrs(struct stun_builder *b, const struct stun_msg *m,
			  const uint16_t *types, unsigned int n)
{
	uint16_t be[STUN_MAX_UNKNOWN];
	unsigned int i;

	stun_build_start(b, b->buf, b->cap, STUN_BINDING_ERROR, m->tid);
	stun_add_error(b, 420, "Unknown Attribute", 17);
	for (i = 0; i < n && i < STUN_MAX_UNKNOWN; i++)
		be[i] = htons(types[i]);
	stun_add_bytes(b, STUN_A_UNKNOWN_ATTRIBUTES, be, (uint16_t)(2 * i));
}

static void answer_modern(const uint8_t *req, size_t len,
			  const struct sockaddr_storage *from,
			  const struct rdv_stun_view *v, int at_ip, int at_port,
			  struct stun_builder *b, struct rdv_stun_reply *r)
{
	static const uint16_t change = STUN_A_CHANGE_REQUEST;
	static const uint16_t resp_port = STUN_A_RESPONSE_PORT;
	struct stun_addr mapped;
	struct stun_msg m;
	int err = stun_parse(&m, req, len);
	bool fp;

	if (err) {
		r->drop = stun_strerror(err);
		return;
	}
	if (m.type != STUN_BINDING_REQUEST) {
		r->drop = "not a binding request";
		return;
	}
	fp = m.seen & STUN_SEEN_FINGERPRINT;
	if ((m.seen & STUN_SEEN_FINGERPRINT) &&
	    stun_check_fingerprint(&m, req) != STUN_OK) {
		r->drop = "bad fingerprint";
		return;
	}
	if (m.n_unknown) {
		unknown_attrs(b, &m, m.unknown, m.n_unknown);
		finish(b, fp, r, "unknown comprehension-required attribute");
		return;
	}
	if ((m.seen & STUN_SEEN_CHANGE) &&
	    (m.change_request & (STUN_CHANGE_IP | STUN_CHANGE_PORT))) {
		if (!v->rfc5780) {
			unknown_attrs(b, &m, &change, 1);
			finish(b, fp, r, "CHANGE-REQUEST with no second address (--other)");
			return;
		}
		r->ip ^= !!(m.change_request & STUN_CHANGE_IP);
		r->port ^= !!(m.change_request & STUN_CHANGE_PORT);
	}
	/*
	 * RFC 5780 section 4.6: a client measures how long a mapping lives
	 * by asking, from a second mapping, for an answer to the first one.
	 * Only to the sender's own address, so it reflects nothing at others.
	 */
	if (m.seen & STUN_SEEN_RESPONSE_PORT) {
		if (!v->rfc5780) {
			unknown_attrs(b, &m, &resp_port, 1);
			finish(b, fp, r, "RESPONSE-PORT with no second address (--other)");
			return;
		}
		r->to_port = m.response_port;
	}

	to_stun(&mapped, from);
	stun_build_start(b, b->buf, b->cap, STUN_BINDING_SUCCESS, m.tid);
	stun_add_xor_addr(b, STUN_A_XOR_MAPPED_ADDRESS, &mapped);
	if (v->rfc5780) {
		add_ss(b, STUN_A_RESPONSE_ORIGIN, &v->local[r->ip][r->port]);
		add_ss(b, STUN_A_OTHER_ADDRESS, &v->local[!at_ip][!at_port]);
	}
	finish(b, fp, r, NULL);
}

/* RFC 3489: a 16-byte transaction id where the cookie would be. */
static void answer_classic(const uint8_t *req, size_t len,
			   const struct sockaddr_storage *from,
			   const struct rdv_stun_view *v, int at_ip,
			   int at_port, struct stun_builder *b,
			   struct rdv_stun_reply *r)
{
	size_t body = ((size_t)req[2] << 8) | req[3], off;
	uint32_t change = 0;

	r->classic = true;
	if ((((unsigned int)req[0] << 8) | req[1]) != STUN_BINDING_REQUEST) {
		r->drop = "not a binding request";
		return;
	}
	if (body != len - STUN_HDR_LEN || body % 4) {
		r->drop = "length field disagrees with the datagram";
		return;
	}
	for (off = STUN_HDR_LEN; off + 4 <= len;) {
		size_t alen = ((size_t)req[off + 2] << 8) | req[off + 3];
		uint16_t type = (uint16_t)((req[off] << 8) | req[off + 1]);

		if (off + 4 + alen > len) {
			r->drop = "attribute overruns the message";
			return;
		}
		if (type == STUN_A_CHANGE_REQUEST && alen == 4)
			change = req[off + 7];
		off += 4 + ((alen + 3) & ~(size_t)3);
	}
	if (change & (STUN_CHANGE_IP | STUN_CHANGE_PORT)) {
		/* An RFC 3489 client reads silence here as "cannot change". */
		if (!v->rfc5780) {
			r->drop = "CHANGE-REQUEST with no second address (--other)";
			return;
		}
		r->ip ^= !!(change & STUN_CHANGE_IP);
		r->port ^= !!(change & STUN_CHANGE_PORT);
	}

	stun_build_start(b, b->buf, b->cap, STUN_BINDING_SUCCESS, req + 8);
	add_ss(b, STUN_A_MAPPED_ADDRESS, from);
	add_ss(b, CLASSIC_SOURCE_ADDRESS, &v->local[r->ip][r->port]);
	if (v->rfc5780)
		add_ss(b, CLASSIC_CHANGED_ADDRESS, &v->local[!at_ip][!at_port]);
	finish(b, false, r, NULL);
	if (r->len)
		memcpy(b->buf + 4, req + 4, 4);	/* the id's first word */
}

void rdv_stun_answer(const uint8_t *req, size_t len,
		     const struct sockaddr_storage *from,
		     const struct rdv_stun_view *v, int at_ip, int at_port,
		     uint8_t *out, size_t cap, struct rdv_stun_reply *r)
{
	struct stun_builder b = { .buf = out, .cap = cap };
	uint32_t cookie;

	memset(r, 0, sizeof(*r));
	r->ip = at_ip;
	r->port = at_port;
	if (len < STUN_HDR_LEN || (req[0] & 0xc0)) {
		r->drop = "not STUN";
		return;
	}
	memcpy(&cookie, req + 4, 4);
	if (ntohl(cookie) == STUN_MAGIC)
		answer_modern(req, len, from, v, at_ip, at_port, &b, r);
	else
		answer_classic(req, len, from, v, at_ip, at_port, &b, r);
}
