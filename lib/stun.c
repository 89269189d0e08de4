// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * STUN message codec (RFC 8489). See stun.h. Everything here must stay
 * freestanding: it is compiled into the kernel module as it is.
 */
#include "stun.h"

#define STUN_MAX_USERNAME	513	/* RFC 8489 14.3: < 509 bytes, some slack */
#define STUN_MAX_SOFTWARE	763	/* RFC 8489 14.14 */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static size_t padded(size_t len)
{
	return (len + 3) & ~(size_t)3;
}

bool stun_looks_like(const uint8_t *buf, size_t len)
{
	return len >= STUN_HDR_LEN && !(buf[0] & 0xc0) &&
	       get32(buf + 4) == STUN_MAGIC && !(get16(buf + 2) & 3) &&
	       STUN_HDR_LEN + (size_t)get16(buf + 2) == len;
}

/* (XOR-)MAPPED-ADDRESS and friends: family, port, 4 or 16 address bytes. */
static int parse_addr(struct stun_addr *a, const uint8_t *v, uint16_t len,
		      const uint8_t *hdr, bool xor)
{
	size_t iplen, i;

	if (len < 4)
		return STUN_E_ATTR;
	a->family = v[1];
	if (a->family == STUN_AF_IPV4)
		iplen = 4;
	else if (a->family == STUN_AF_IPV6)
		iplen = 16;
	else
		return STUN_E_ATTR;
	if (len != 4 + iplen)
		return STUN_E_ATTR;
	a->port = get16(v + 2);
	__builtin_memset(a->ip, 0, sizeof(a->ip));
	__builtin_memcpy(a->ip, v + 4, iplen);
	if (xor) {
		/* Port with the cookie's top half; address with cookie + tid. */
		a->port ^= STUN_MAGIC >> 16;
		for (i = 0; i < iplen; i++)
			a->ip[i] ^= hdr[4 + i];
	}
	return STUN_OK;
}

static void note_unknown(struct stun_msg *m, uint16_t type)
{
	if (type >= 0x8000)
		return;		/* comprehension-optional: just ignore */
	if (m->n_unknown < STUN_MAX_UNKNOWN)
		m->unknown[m->n_unknown++] = type;
}

/* Only the first of each attribute counts (RFC 8489 14). */
static int parse_attr(struct stun_msg *m, const uint8_t *buf, uint16_t type,
		      const uint8_t *v, uint16_t len, uint16_t off)
{
#define FIRST(bit) do { if (m->seen & (bit)) return STUN_OK; m->seen |= (bit); } while (0)
	switch (type) {
	case STUN_A_XOR_MAPPED_ADDRESS:
		FIRST(STUN_SEEN_XOR_MAPPED);
		return parse_addr(&m->xor_mapped, v, len, buf, true);
	case STUN_A_MAPPED_ADDRESS:
		FIRST(STUN_SEEN_MAPPED);
		return parse_addr(&m->mapped, v, len, buf, false);
	case STUN_A_OTHER_ADDRESS:
		FIRST(STUN_SEEN_OTHER);
		return parse_addr(&m->other, v, len, buf, false);
	case STUN_A_RESPONSE_ORIGIN:
		FIRST(STUN_SEEN_ORIGIN);
		return parse_addr(&m->origin, v, len, buf, false);
	case STUN_A_CHANGE_REQUEST:
		FIRST(STUN_SEEN_CHANGE);
		if (len != 4)
			return STUN_E_ATTR;
		m->change_request = get32(v);
		return STUN_OK;
	case STUN_A_USERNAME:
		FIRST(STUN_SEEN_USERNAME);
		if (len > STUN_MAX_USERNAME)
			return STUN_E_ATTR;
		m->username = v;
		m->username_len = len;
		return STUN_OK;
	case STUN_A_SOFTWARE:
		FIRST(STUN_SEEN_SOFTWARE);
		if (len > STUN_MAX_SOFTWARE)
			return STUN_E_ATTR;
		m->software = v;
		m->software_len = len;
		return STUN_OK;
	case STUN_A_ERROR_CODE:
		FIRST(STUN_SEEN_ERROR);
		if (len < 4 || (v[2] & 7) < 3 || (v[2] & 7) > 6 || v[3] > 99)
			return STUN_E_ATTR;
		m->error_code = (v[2] & 7) * 100 + v[3];
		return STUN_OK;
	case STUN_A_PRIORITY:
		FIRST(STUN_SEEN_PRIORITY);
		if (len != 4)
			return STUN_E_ATTR;
		m->priority = get32(v);
		return STUN_OK;
	case STUN_A_ICE_CONTROLLED:
	case STUN_A_ICE_CONTROLLING:
		FIRST(type == STUN_A_ICE_CONTROLLED ? STUN_SEEN_CONTROLLED :
						      STUN_SEEN_CONTROLLING);
		if (len != 8)
			return STUN_E_ATTR;
		m->tiebreaker = (uint64_t)get32(v) << 32 | get32(v + 4);
		return STUN_OK;
	case STUN_A_USE_CANDIDATE:
		FIRST(STUN_SEEN_USE_CAND);
		return len == 0 ? STUN_OK : STUN_E_ATTR;
	case STUN_A_MESSAGE_INTEGRITY:
		FIRST(STUN_SEEN_INTEGRITY);
		if (len != STUN_HMAC_SHA1_LEN)
			return STUN_E_ATTR;
		m->integrity_at = off;
		return STUN_OK;
	case STUN_A_FINGERPRINT:
		FIRST(STUN_SEEN_FINGERPRINT);
		if (len != 4)
			return STUN_E_ATTR;
		m->fingerprint_at = off;
		return STUN_OK;
	case STUN_A_MESSAGE_INTEGRITY_SHA256:
	case STUN_A_UNKNOWN_ATTRIBUTES:
	case STUN_A_PADDING:
		return STUN_OK;	/* understood, not used */
	case STUN_A_RESPONSE_PORT:
		FIRST(STUN_SEEN_RESPONSE_PORT);
		/* A port and two bytes of padding (RFC 5780 section 7.5). */
		if (len != 4)
			return STUN_E_ATTR;
		m->response_port = (uint16_t)((v[0] << 8) | v[1]);
		if (!m->response_port)
			return STUN_E_ATTR;
		return STUN_OK;
	default:
		note_unknown(m, type);
		return STUN_OK;
	}
#undef FIRST
}

int stun_parse(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	size_t off, vlen;
	uint16_t type, alen;
	int ret;

	__builtin_memset(m, 0, sizeof(*m));
	if (len < STUN_HDR_LEN)
		return STUN_E_SHORT;
	if ((buf[0] & 0xc0) || get32(buf + 4) != STUN_MAGIC)
		return STUN_E_NOT_STUN;
	m->type = get16(buf);
	m->len = get16(buf + 2);
	m->tid = buf + 8;
	if (m->len & 3 || STUN_HDR_LEN + (size_t)m->len != len)
		return STUN_E_LENGTH;

	for (off = STUN_HDR_LEN; off < len; off += 4 + vlen) {
		if (len - off < 4)
			return STUN_E_ATTR;
		type = get16(buf + off);
		alen = get16(buf + off + 2);
		vlen = padded(alen);
		if (vlen > len - off - 4)
			return STUN_E_ATTR;
		if (m->seen & STUN_SEEN_FINGERPRINT)
			return STUN_E_ORDER;
		/* After MESSAGE-INTEGRITY only FINGERPRINT (or its SHA256
		 * sibling) counts; anything else is ignored (RFC 8489 14.5). */
		if ((m->seen & STUN_SEEN_INTEGRITY) &&
		    type != STUN_A_FINGERPRINT &&
		    type != STUN_A_MESSAGE_INTEGRITY_SHA256)
			continue;
		ret = parse_attr(m, buf, type, buf + off + 4, alen, (uint16_t)off);
		if (ret)
			return ret;
	}
	return STUN_OK;
}

/* A copy of the header whose length field ends just after an attribute
 * of attr_len bytes placed at offset at, as integrity and fingerprint
 * are computed over. */
static void header_upto(uint8_t hdr[STUN_HDR_LEN], const uint8_t *buf,
			size_t at, size_t attr_len)
{
	__builtin_memcpy(hdr, buf, STUN_HDR_LEN);
	put16(hdr + 2, (uint16_t)(at - STUN_HDR_LEN + 4 + attr_len));
}

int stun_check_integrity(const struct stun_msg *m, const uint8_t *buf,
			 const uint8_t *key, size_t keylen,
			 stun_hmac_fn hmac, void *ctx)
{
	uint8_t hdr[STUN_HDR_LEN], mac[STUN_HMAC_SHA1_LEN], diff = 0;
	struct stun_iov iov[2];
	size_t i;

	if (!(m->seen & STUN_SEEN_INTEGRITY))
		return STUN_E_NO_INTEGRITY;
	header_upto(hdr, buf, m->integrity_at, STUN_HMAC_SHA1_LEN);
	iov[0].base = hdr;
	iov[0].len = STUN_HDR_LEN;
	iov[1].base = buf + STUN_HDR_LEN;
	iov[1].len = m->integrity_at - STUN_HDR_LEN;
	if (hmac(ctx, key, keylen, iov, 2, mac))
		return STUN_E_HMAC;
	/* Constant time: a peer must not learn how much of a forgery held. */
	for (i = 0; i < STUN_HMAC_SHA1_LEN; i++)
		diff |= mac[i] ^ buf[m->integrity_at + 4 + i];
	return diff ? STUN_E_INTEGRITY : STUN_OK;
}

uint32_t stun_crc32(uint32_t crc, const uint8_t *p, size_t len)
{
	int k;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

int stun_check_fingerprint(const struct stun_msg *m, const uint8_t *buf)
{
	uint8_t hdr[STUN_HDR_LEN];
	uint32_t crc;

	if (!(m->seen & STUN_SEEN_FINGERPRINT))
		return STUN_E_NO_FINGERPRINT;
	header_upto(hdr, buf, m->fingerprint_at, 4);
	crc = stun_crc32(0, hdr, STUN_HDR_LEN);
	crc = stun_crc32(crc, buf + STUN_HDR_LEN, m->fingerprint_at - STUN_HDR_LEN);
	crc ^= STUN_FINGERPRINT_XOR;
	return crc == get32(buf + m->fingerprint_at + 4) ? STUN_OK :
							  STUN_E_FINGERPRINT;
}

void stun_build_start(struct stun_builder *b, uint8_t *buf, size_t cap,
		      uint16_t type, const uint8_t tid[STUN_TID_LEN])
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	b->err = STUN_OK;
	if (cap < STUN_HDR_LEN) {
		b->err = STUN_E_SPACE;
		return;
	}
	put16(buf, type & 0x3fff);
	put16(buf + 2, 0);
	put32(buf + 4, STUN_MAGIC);
	__builtin_memcpy(buf + 8, tid, STUN_TID_LEN);
	b->len = STUN_HDR_LEN;
}

/* Room for one attribute; returns its value area (zero-padded) or NULL. */
static uint8_t *attr_reserve(struct stun_builder *b, uint16_t type, uint16_t len)
{
	size_t need = 4 + padded(len);
	uint8_t *p;

	if (b->err)
		return NULL;
	/* 16-bit message length: the whole body must stay below 64 KiB. */
	if (need > b->cap - b->len || b->len + need - STUN_HDR_LEN > 0xfffc) {
		b->err = STUN_E_SPACE;
		return NULL;
	}
	p = b->buf + b->len;
	put16(p, type);
	put16(p + 2, len);
	__builtin_memset(p + 4, 0, padded(len));
	b->len += need;
	put16(b->buf + 2, (uint16_t)(b->len - STUN_HDR_LEN));
	return p + 4;
}

void stun_add_bytes(struct stun_builder *b, uint16_t type,
		    const void *data, uint16_t len)
{
	uint8_t *p = attr_reserve(b, type, len);

	if (p && len)
		__builtin_memcpy(p, data, len);
}

void stun_add_u32(struct stun_builder *b, uint16_t type, uint32_t v)
{
	uint8_t *p = attr_reserve(b, type, 4);

	if (p)
		put32(p, v);
}

void stun_add_u64(struct stun_builder *b, uint16_t type, uint64_t v)
{
	uint8_t *p = attr_reserve(b, type, 8);

	if (p) {
		put32(p, (uint32_t)(v >> 32));
		put32(p + 4, (uint32_t)v);
	}
}

static void add_addr(struct stun_builder *b, uint16_t type,
		     const struct stun_addr *a, bool xor)
{
	size_t iplen = a->family == STUN_AF_IPV6 ? 16 : 4, i;
	uint8_t *p;

	if (a->family != STUN_AF_IPV4 && a->family != STUN_AF_IPV6) {
		if (!b->err)
			b->err = STUN_E_ATTR;
		return;
	}
	p = attr_reserve(b, type, (uint16_t)(4 + iplen));
	if (!p)
		return;
	p[1] = a->family;
	put16(p + 2, xor ? a->port ^ (STUN_MAGIC >> 16) : a->port);
	for (i = 0; i < iplen; i++)
		p[4 + i] = xor ? a->ip[i] ^ b->buf[4 + i] : a->ip[i];
}

void stun_add_addr(struct stun_builder *b, uint16_t type,
		   const struct stun_addr *a)
{
	add_addr(b, type, a, false);
}

void stun_add_xor_addr(struct stun_builder *b, uint16_t type,
		       const struct stun_addr *a)
{
	add_addr(b, type, a, true);
}

void stun_add_error(struct stun_builder *b, uint16_t code,
		    const char *reason, uint16_t reason_len)
{
	uint8_t *p;

	if (code < 300 || code > 699) {
		if (!b->err)
			b->err = STUN_E_ATTR;
		return;
	}
	p = attr_reserve(b, STUN_A_ERROR_CODE, (uint16_t)(4 + reason_len));
	if (!p)
		return;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	if (reason_len)
		__builtin_memcpy(p + 4, reason, reason_len);
}

void stun_add_integrity(struct stun_builder *b, const uint8_t *key,
			size_t keylen, stun_hmac_fn hmac, void *ctx)
{
	struct stun_iov iov;
	size_t at = b->len;
	uint8_t *p;

	/* Reserving first sets the length field to include the attribute,
	 * which is what the HMAC must cover (RFC 8489 14.5). */
	p = attr_reserve(b, STUN_A_MESSAGE_INTEGRITY, STUN_HMAC_SHA1_LEN);
	if (!p)
		return;
	iov.base = b->buf;
	iov.len = at;
	if (hmac(ctx, key, keylen, &iov, 1, p))
		b->err = STUN_E_HMAC;
}

void stun_add_fingerprint(struct stun_builder *b)
{
	size_t at = b->len;
	uint8_t *p = attr_reserve(b, STUN_A_FINGERPRINT, 4);

	if (p)
		put32(p, stun_crc32(0, b->buf, at) ^ STUN_FINGERPRINT_XOR);
}

int stun_build_end(struct stun_builder *b)
{
	if (b->err)
		return -b->err;
	return (int)b->len;
}

const char *stun_strerror(int err)
{
	static const char *const msgs[__STUN_E_MAX] = {
		[STUN_OK] = "success",
		[STUN_E_SHORT] = "shorter than a STUN header",
		[STUN_E_NOT_STUN] = "not a STUN message",
		[STUN_E_LENGTH] = "length field does not match the datagram",
		[STUN_E_ATTR] = "malformed attribute",
		[STUN_E_ORDER] = "attribute after FINGERPRINT",
		[STUN_E_NO_INTEGRITY] = "no MESSAGE-INTEGRITY",
		[STUN_E_INTEGRITY] = "MESSAGE-INTEGRITY does not match",
		[STUN_E_NO_FINGERPRINT] = "no FINGERPRINT",
		[STUN_E_FINGERPRINT] = "FINGERPRINT does not match",
		[STUN_E_SPACE] = "message does not fit the buffer",
		[STUN_E_HMAC] = "HMAC computation failed",
	};

	if (err < 0)
		err = -err;
	if (err >= __STUN_E_MAX)
		return "unknown STUN error";
	return msgs[err];
}
