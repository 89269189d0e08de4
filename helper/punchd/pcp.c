// SPDX-License-Identifier: GPL-2.0-or-later
/* PCP MAP requests and answers (RFC 6887 7, 11): see pcp.h. */
#include <string.h>

#include "pcp.h"

#define PCP_OP_ANNOUNCE		0
#define PCP_OP_MAP		1
#define PCP_R_BIT		0x80
#define NATPMP_OP_ADDRESS	128	/* answer to "public address?" */
#define NATPMP_ADDRESS_LEN	12
#define PCP_HDR_LEN		24
#define PCP_MAP_BODY_LEN	36

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

size_t pcp_map_build(const struct pcp_map *req, uint8_t *buf)
{
	uint8_t *m = buf + PCP_HDR_LEN;

	memset(buf, 0, PCP_MAP_LEN);
	buf[0] = PCP_VERSION;
	buf[1] = PCP_OP_MAP;
	put32(buf + 4, req->lifetime);
	memcpy(buf + 8, req->client, 16);
	memcpy(m, req->nonce, PCP_NONCE_LEN);
	m[12] = req->protocol;
	put16(m + 16, req->internal_port);
	put16(m + 18, req->external_port);
	memcpy(m + 20, req->external, 16);
	return PCP_MAP_LEN;
}

/* Options after the MAP body: each well formed, none past the end. */
static int options_ok(const uint8_t *p, size_t len)
{
	size_t olen;

	while (len) {
		if (len < 4)
			return 0;
		olen = get16(p + 2);
		/* Padded to a multiple of 4 (RFC 6887 7.3). */
		olen = (olen + 3) & ~(size_t)3;
		if (olen > len - 4)
			return 0;
		p += 4 + olen;
		len -= 4 + olen;
	}
	return 1;
}

int pcp_map_parse(const struct pcp_map *req, const uint8_t *buf, size_t len,
		  struct pcp_answer *ans)
{
	const uint8_t *m = buf + PCP_HDR_LEN;

	memset(ans, 0, sizeof(*ans));
	/* A NAT-PMP gateway: version 0, opcode 128 + ours, result 1 (16 bits). */
	if (len >= 4 && buf[0] == 0 && buf[1] == (PCP_R_BIT | PCP_OP_MAP) &&
	    get16(buf + 2) == PCP_UNSUPP_VERSION) {
		ans->result = PCP_UNSUPP_VERSION;
		return 0;
	}
	if (len < PCP_HDR_LEN || len > PCP_MAX_LEN || len % 4 ||
	    buf[0] != PCP_VERSION || buf[1] != (PCP_R_BIT | PCP_OP_MAP))
		return -1;
	ans->version = PCP_VERSION;
	ans->result = buf[3];
	ans->lifetime = get32(buf + 4);
	ans->epoch = get32(buf + 8);
	/*
	 * Without the body only what the gateway could not tie to a parsed
	 * request (RFC 6887 7.2): anything else must show our nonce.
	 */
	if (len < PCP_MAP_LEN)
		return ans->result == PCP_UNSUPP_VERSION ||
		       ans->result == PCP_MALFORMED_REQUEST ||
		       ans->result == PCP_UNSUPP_OPCODE ? 0 : -1;
	if (memcmp(m, req->nonce, PCP_NONCE_LEN) || m[12] != req->protocol ||
	    get16(m + 16) != req->internal_port ||
	    !options_ok(buf + PCP_MAP_LEN, len - PCP_MAP_LEN))
		return -1;
	ans->external_port = get16(m + 18);
	memcpy(ans->external, m + 20, 16);
	/* Success means a port: a zero one is no mapping. */
	if (ans->result == PCP_SUCCESS && req->lifetime && !ans->external_port)
		return -1;
	return 0;
}

int pcp_announce_parse(const uint8_t *buf, size_t len, struct pcp_announce *a)
{
	memset(a, 0, sizeof(*a));
	/* PCP: an ANNOUNCE answer with no request behind it (RFC 6887 14.1.3). */
	if (len >= PCP_HDR_LEN && len <= PCP_MAX_LEN && !(len % 4) &&
	    buf[0] == PCP_VERSION && buf[1] == (PCP_R_BIT | PCP_OP_ANNOUNCE) &&
	    buf[3] == PCP_SUCCESS && options_ok(buf + PCP_HDR_LEN, len - PCP_HDR_LEN)) {
		a->epoch = get32(buf + 8);
		return 0;
	}
	/* NAT-PMP: the public address, sent to all (RFC 6886 3.2.1). */
	if (len == NATPMP_ADDRESS_LEN && buf[0] == 0 && buf[1] == NATPMP_OP_ADDRESS &&
	    !get16(buf + 2)) {
		a->epoch = get32(buf + 4);
		a->has_address = true;
		memcpy(a->address, buf + 8, 4);
		return 0;
	}
	return -1;
}

const char *pcp_result_name(unsigned int result)
{
	static const char *const names[] = {
		"success", "unsupported-version", "not-authorized",
		"malformed-request", "unsupported-opcode", "unsupported-option",
		"malformed-option", "network-failure", "no-resources",
		"unsupported-protocol", "user-exceeded-quota",
		"cannot-provide-external", "address-mismatch",
		"excessive-remote-peers",
	};

	return result < sizeof(names) / sizeof(names[0]) ? names[result] : "unknown";
}
