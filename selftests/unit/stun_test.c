// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The STUN codec against the RFC 5769 test vectors, its own builder, and a
 * table of malformed messages that must each be refused.
 */
#include <stdlib.h>
#include <string.h>
#include "stun.h"
#include "stun_hmac.h"
#include "ktap.h"

static const char *const PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 2.1, 2.2 and 2.3: request, IPv4 and IPv6 responses. */
static const char *const VEC_REQUEST =
	"000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374"
	"20636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576"
	"746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571"
	"a280280004e57a3bcf";
static const char *const VEC_RESPONSE4 =
	"0101003c2112a442b7e7a701bc34d686fa87dfae8022000b746573742076656374"
	"6f7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9"
	"ba53f06be7d780280004c07d4c96";
static const char *const VEC_RESPONSE6 =
	"010100482112a442b7e7a701bc34d686fa87dfae8022000b746573742076656374"
	"6f7220002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d900080014a382"
	"954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c";

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	return n;
}

static int check(const struct stun_msg *m, const uint8_t *buf)
{
	return stun_check_integrity(m, buf, (const uint8_t *)PASSWORD,
				    strlen(PASSWORD), stun_hmac_openssl, NULL);
}

/* Parse an RFC vector and check both of its signatures; returns its length. */
static size_t signed_vector(const char *name, const char *hex, uint8_t *buf,
			    struct stun_msg *m)
{
	size_t len = unhex(hex, buf);

	CHECK(stun_looks_like(buf, len) && stun_parse(m, buf, len) == STUN_OK,
	      "RFC 5769 %s parses", name);
	CHECK(check(m, buf) == STUN_OK, "%s: MESSAGE-INTEGRITY verifies", name);
	CHECK(stun_check_fingerprint(m, buf) == STUN_OK,
	      "%s: FINGERPRINT verifies", name);
	return len;
}

static void test_vectors(void)
{
	static const uint8_t v4[4] = { 192, 0, 2, 1 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56,
		0x78, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };
	uint8_t buf[256];
	struct stun_msg m;
	size_t len;

	signed_vector("request", VEC_REQUEST, buf, &m);
	CHECK(m.type == STUN_BINDING_REQUEST, "request: type is Binding request");
	CHECK(m.username_len == 9 && !memcmp(m.username, "evtj:h6vY", 9),
	      "request: USERNAME");
	CHECK(m.priority == 0x6e0001ff, "request: PRIORITY");
	CHECK((m.seen & STUN_SEEN_CONTROLLED) && m.tiebreaker == 0x932ff9b151263b36ull,
	      "request: ICE-CONTROLLED");
	CHECK(m.software_len == 16 && !memcmp(m.software, "STUN test client", 16),
	      "request: SOFTWARE");

	signed_vector("IPv4 response", VEC_RESPONSE4, buf, &m);
	CHECK(m.type == STUN_BINDING_SUCCESS, "IPv4 response: type is success");
	CHECK(m.xor_mapped.family == STUN_AF_IPV4 && m.xor_mapped.port == 32853 &&
	      !memcmp(m.xor_mapped.ip, v4, 4),
	      "IPv4 response: XOR-MAPPED-ADDRESS is 192.0.2.1:32853");

	signed_vector("IPv6 response", VEC_RESPONSE6, buf, &m);
	CHECK(m.xor_mapped.family == STUN_AF_IPV6 && m.xor_mapped.port == 32853 &&
	      !memcmp(m.xor_mapped.ip, v6, 16),
	      "IPv6 response: XOR-MAPPED-ADDRESS is [2001:db8:1234:5678:11:2233:4455:6677]:32853");

	/* One flipped bit anywhere before MESSAGE-INTEGRITY breaks it. */
	len = unhex(VEC_RESPONSE4, buf);
	buf[30] ^= 1;
	CHECK(stun_parse(&m, buf, len) == STUN_OK && check(&m, buf) == STUN_E_INTEGRITY,
	      "a flipped bit fails MESSAGE-INTEGRITY");
	CHECK(stun_check_fingerprint(&m, buf) == STUN_E_FINGERPRINT,
	      "a flipped bit fails FINGERPRINT");
	len = unhex(VEC_RESPONSE4, buf);
	stun_parse(&m, buf, len);
	CHECK(stun_check_integrity(&m, buf, (const uint8_t *)"wrong", 5,
				   stun_hmac_openssl, NULL) == STUN_E_INTEGRITY,
	      "the wrong key fails MESSAGE-INTEGRITY");
}

/*
 * The builder's XOR-MAPPED-ADDRESS must be the RFC's bytes, and what it
 * signs must pass the checker that verified the RFC's own signatures.
 */
static void test_build_vectors(void)
{
	static const uint8_t tid[12] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
					 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };
	static const uint8_t rfc_xor_mapped[12] = { 0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
		0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43 };
	struct stun_addr a = { .family = STUN_AF_IPV4, .port = 32853,
			       .ip = { 192, 0, 2, 1 } };
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	int len;

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_SUCCESS, tid);
	stun_add_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &a);
	stun_add_integrity(&b, (const uint8_t *)PASSWORD, strlen(PASSWORD),
			   stun_hmac_openssl, NULL);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	CHECK(len == 20 + 12 + 24 + 8, "builder: response has the expected size");
	CHECK(!memcmp(buf + 20, rfc_xor_mapped, sizeof(rfc_xor_mapped)),
	      "builder: XOR-MAPPED-ADDRESS is byte for byte the RFC's");
	CHECK(stun_parse(&m, buf, (size_t)len) == STUN_OK && check(&m, buf) == STUN_OK,
	      "builder: its MESSAGE-INTEGRITY verifies");
	CHECK(stun_check_fingerprint(&m, buf) == STUN_OK,
	      "builder: its FINGERPRINT verifies");
}

static void test_roundtrip(void)
{
	uint8_t tid[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, buf[512];
	struct stun_addr a6 = { .family = STUN_AF_IPV6, .port = 4000,
				.ip = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 } };
	struct stun_builder b;
	struct stun_msg m;
	int len;

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_ERROR, tid);
	stun_add_error(&b, 420, "Unknown Attribute", 17);
	stun_add_xor_addr(&b, STUN_A_XOR_MAPPED_ADDRESS, &a6);
	stun_add_addr(&b, STUN_A_OTHER_ADDRESS, &a6);
	stun_add_u64(&b, STUN_A_ICE_CONTROLLING, 0x0102030405060708ull);
	stun_add_fingerprint(&b);
	len = stun_build_end(&b);
	CHECK(len > 0 && stun_parse(&m, buf, (size_t)len) == STUN_OK,
	      "a built error response parses");
	CHECK(m.error_code == 420, "ERROR-CODE round-trips");
	CHECK(m.xor_mapped.port == 4000 && !memcmp(m.xor_mapped.ip, a6.ip, 16) &&
	      !memcmp(m.other.ip, a6.ip, 16), "IPv6 addresses round-trip");
	CHECK(m.tiebreaker == 0x0102030405060708ull, "ICE-CONTROLLING round-trips");
	CHECK(stun_check_fingerprint(&m, buf) == STUN_OK, "built FINGERPRINT verifies");
	CHECK(stun_check_integrity(&m, buf, (const uint8_t *)"k", 1, stun_hmac_openssl,
				   NULL) == STUN_E_NO_INTEGRITY,
	      "integrity check without MESSAGE-INTEGRITY says so");

	stun_build_start(&b, buf, 30, STUN_BINDING_REQUEST, tid);
	stun_add_u32(&b, STUN_A_PRIORITY, 1);
	stun_add_u32(&b, STUN_A_PRIORITY, 2);
	CHECK(stun_build_end(&b) == -STUN_E_SPACE, "the builder refuses to overflow");
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_ERROR, tid);
	stun_add_error(&b, 200, "", 0);
	CHECK(stun_build_end(&b) == -STUN_E_ATTR, "the builder refuses ERROR-CODE 200");
}

struct bad {
	const char *name;
	const char *hex;
	int err;
};

static void test_malformed(void)
{
	/* Header: type, length, cookie, tid (12 bytes = 24 hex). */
#define TID "000102030405060708090a0b"
	static const struct bad bad[] = {
		{ "empty", "", STUN_E_SHORT },
		{ "19 bytes", "000100002112a442000102030405060708090a", STUN_E_SHORT },
		{ "wrong cookie", "000100002112a443" TID, STUN_E_NOT_STUN },
		{ "top bits set", "400100002112a442" TID, STUN_E_NOT_STUN },
		{ "length not a multiple of 4", "000100022112a442" TID "0000", STUN_E_LENGTH },
		{ "length beyond the datagram", "000100082112a442" TID "00240004", STUN_E_LENGTH },
		{ "length short of the datagram", "000100002112a442" TID "00000000", STUN_E_LENGTH },
		{ "attribute overruns the message", "000100082112a442" TID "0024000900000000", STUN_E_ATTR },
		{ "XOR-MAPPED-ADDRESS family 3", "0001000c2112a442" TID "002000080003000001020304", STUN_E_ATTR },
		{ "XOR-MAPPED-ADDRESS IPv4 with 16 bytes", "000100182112a442" TID "00200014000100000102030405060708090a0b0c0d0e0f10", STUN_E_ATTR },
		{ "XOR-MAPPED-ADDRESS of 2 bytes", "000100082112a442" TID "0020000200010000", STUN_E_ATTR },
		{ "PRIORITY of 3 bytes", "000100082112a442" TID "0024000300000000", STUN_E_ATTR },
		{ "MESSAGE-INTEGRITY of 4 bytes", "000100082112a442" TID "0008000400000000", STUN_E_ATTR },
		{ "ERROR-CODE class 2", "000100082112a442" TID "0009000400000200", STUN_E_ATTR },
		{ "ERROR-CODE number 100", "000100082112a442" TID "0009000400000464", STUN_E_ATTR },
		{ "attribute after FINGERPRINT", "0001000c2112a442" TID "80280004000000000025 0000", STUN_E_ORDER },
		{ "USE-CANDIDATE with a value", "000100082112a442" TID "0025000400000000", STUN_E_ATTR },
	};
	uint8_t buf[256];
	char clean[512];
	struct stun_msg m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t j = 0, len;

		for (const char *p = bad[i].hex; *p; p++)
			if (*p != ' ')
				clean[j++] = *p;
		clean[j] = '\0';
		len = unhex(clean, buf);
		CHECK(stun_parse(&m, buf, len) == bad[i].err,
		      "refused with '%s': %s", stun_strerror(bad[i].err), bad[i].name);
	}
}

static void test_unknown_and_ignored(void)
{
	uint8_t buf[256];
	struct stun_msg m;
	size_t len;

	/* Unknown comprehension-required 0x7777 and optional 0xc001. */
	len = unhex("000100082112a442" TID "77770000c0010000", buf);
	CHECK(stun_parse(&m, buf, len) == STUN_OK && m.n_unknown == 1 &&
	      m.unknown[0] == 0x7777,
	      "unknown comprehension-required attributes are listed, optional ones ignored");

	/* After MESSAGE-INTEGRITY anything but FINGERPRINT is ignored. */
	len = unhex("000100202112a442" TID
		    "00080014000000000000000000000000000000000000000000240004deadbeef", buf);
	CHECK(stun_parse(&m, buf, len) == STUN_OK && !(m.seen & STUN_SEEN_PRIORITY),
	      "attributes after MESSAGE-INTEGRITY are ignored");

	/* Duplicates: the first one counts. */
	len = unhex("000100102112a442" TID "002400040000000100240004000000ff", buf);
	CHECK(stun_parse(&m, buf, len) == STUN_OK && m.priority == 1,
	      "the first of duplicate attributes counts");
	CHECK(stun_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u,
	      "CRC-32 check value");
}

/* RFC 5780's RESPONSE-PORT: a port and two bytes of padding. */
static void test_response_port(void)
{
	static const uint8_t tid[STUN_TID_LEN] = { 9 };
	struct stun_builder b;
	struct stun_msg m;
	uint8_t buf[64];
	int len;

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, tid);
	stun_add_u32(&b, STUN_A_RESPONSE_PORT, 40000u << 16);
	len = stun_build_end(&b);
	CHECK(stun_parse(&m, buf, (size_t)len) == STUN_OK &&
	      (m.seen & STUN_SEEN_RESPONSE_PORT) && m.response_port == 40000 &&
	      !m.n_unknown, "RESPONSE-PORT is read");
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, tid);
	stun_add_u32(&b, STUN_A_RESPONSE_PORT, 0);
	len = stun_build_end(&b);
	CHECK(stun_parse(&m, buf, (size_t)len) == STUN_E_ATTR,
	      "RESPONSE-PORT 0 is malformed");
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING_REQUEST, tid);
	stun_add_bytes(&b, STUN_A_RESPONSE_PORT, "\x9c\x40", 2);
	len = stun_build_end(&b);
	CHECK(stun_parse(&m, buf, (size_t)len) == STUN_E_ATTR,
	      "RESPONSE-PORT without its padding is malformed");
}

int main(void)
{
	ktap_start();
	test_response_port();
	test_vectors();
	test_build_vectors();
	test_roundtrip();
	test_malformed();
	test_unknown_and_ignored();
	return ktap_finish();
}
