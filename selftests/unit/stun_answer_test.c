// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rendezvousd's binding answers, by size: anyone can spoof a request's
 * source, so the answer/request byte ratio is what the server would give
 * an attacker who aims it at someone. Each kind of request gets what its
 * client reads and nothing more, and the answer still says what it must.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ktap.h"
#include "sockaddr.h"
#include "stun.h"
#include "stun_answer.h"

static const uint8_t tid[STUN_TID_LEN] = "0123456789ab";

/* A view for one family: with or without an other address. */
static void view(struct rdv_stun_view *v, int six, bool other)
{
	int ip, port;

	memset(v, 0, sizeof(*v));
	for (ip = 0; ip < 2; ip++)
		for (port = 0; port < 2; port++) {
			if (six)
				sa_parse(&v->local[ip][port], ip ? "2001:db8::2" : "2001:db8::1",
				    (uint16_t)(3478 + port));
			else
				sa_parse(&v->local[ip][port], ip ? "192.0.2.2" : "192.0.2.1",
				    (uint16_t)(3478 + port));
		}
	v->rfc5780 = other;
}

/* A binding request: FINGERPRINT and CHANGE-REQUEST (flags) on demand. */
static size_t request(uint8_t *buf, bool fingerprint, int change)
{
	struct stun_builder b;

	stun_build_start(&b, buf, 128, STUN_BINDING_REQUEST, tid);
	if (change >= 0)
		stun_add_u32(&b, STUN_A_CHANGE_REQUEST, (uint32_t)change);
	if (fingerprint)
		stun_add_fingerprint(&b);
	return (size_t)stun_build_end(&b);
}

struct answer {
	size_t req, len;
	struct stun_msg m;
	struct rdv_stun_reply r;
	uint8_t out[512];
};

static void ask(struct answer *a, const uint8_t *req, size_t len, int six,
		bool other)
{
	struct sockaddr_storage from;
	struct rdv_stun_view v;

	view(&v, six, other);
	if (six)
		sa_parse(&from, "2001:db8:99::7", 40000);
	else
		sa_parse(&from, "198.51.100.7", 40000);
	a->req = len;
	rdv_stun_answer(req, len, &from, &v, 0, 0, a->out, sizeof(a->out), &a->r);
	a->len = a->r.len;
	memset(&a->m, 0, sizeof(a->m));
	if (a->len && stun_parse(&a->m, a->out, a->len))
		a->m.type = 0;
}

static bool only(const struct answer *a, uint32_t seen)
{
	return a->m.type == STUN_BINDING_SUCCESS && a->m.seen == seen;
}

int main(void)
{
	uint8_t req[128];
	struct answer a;
	size_t n;

	ktap_start();

	n = request(req, false, -1);
	ask(&a, req, n, 0, false);
	CHECK(n == 20 && a.len == 32 && only(&a, STUN_SEEN_XOR_MAPPED),
	      "plain 20-byte request, IPv4: 32 bytes, XOR-MAPPED-ADDRESS only (ratio %.2f)",
	      (double)a.len / (double)n);
	CHECK(a.m.xor_mapped.port == 40000 && !memcmp(a.m.xor_mapped.ip, "\xc6\x33\x64\x07", 4),
	      "and it names the source, 198.51.100.7:40000");
	ask(&a, req, n, 1, false);
	CHECK(a.len == 44 && only(&a, STUN_SEEN_XOR_MAPPED),
	      "plain request, IPv6: 44 bytes (ratio %.2f)", (double)a.len / (double)n);

	n = request(req, true, -1);
	ask(&a, req, n, 0, false);
	CHECK(n == 28 && a.len == 40 &&
	      only(&a, STUN_SEEN_XOR_MAPPED | STUN_SEEN_FINGERPRINT),
	      "with FINGERPRINT (28 bytes): 40 bytes, FINGERPRINT back (ratio %.2f)",
	      (double)a.len / (double)n);
	CHECK(a.len && stun_check_fingerprint(&a.m, a.out) == STUN_OK,
	      "and the answer's FINGERPRINT is right");

	/* RFC 5780 discovery needs RESPONSE-ORIGIN and OTHER-ADDRESS. */
	n = request(req, true, -1);
	ask(&a, req, n, 0, true);
	CHECK(a.len == 64 && only(&a, STUN_SEEN_XOR_MAPPED | STUN_SEEN_ORIGIN |
				  STUN_SEEN_OTHER | STUN_SEEN_FINGERPRINT),
	      "with an other address: RESPONSE-ORIGIN and OTHER-ADDRESS too, 64 bytes (ratio %.2f)",
	      (double)a.len / (double)n);
	n = request(req, false, -1);
	ask(&a, req, n, 1, true);
	CHECK(a.len == 92, "the same in IPv6 for a plain request: 92 bytes (ratio %.2f)",
	      (double)a.len / (double)n);

	n = request(req, true, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	ask(&a, req, n, 0, true);
	CHECK(a.len == 64 && a.r.ip == 1 && a.r.port == 1,
	      "CHANGE-REQUEST ip+port: sent from the other address and port");
	ask(&a, req, n, 0, false);
	CHECK(a.m.type == STUN_BINDING_ERROR && a.len <= 2 * n,
	      "CHANGE-REQUEST without an other address: a 420 of %zu bytes for %zu", a.len, n);

	/* RFC 3489 clients read MAPPED-ADDRESS; no cookie, no FINGERPRINT. */
	memset(req, 0, 20);
	req[1] = 0x01;
	memcpy(req + 4, "0123456789abcdef", 16);
	ask(&a, req, 20, 0, false);
	CHECK(a.len == 44 && a.r.classic,
	      "RFC 3489 request (20 bytes): MAPPED- and SOURCE-ADDRESS, 44 bytes");

	ask(&a, req, 19, 0, false);
	CHECK(!a.len && a.r.drop, "19 bytes: nothing sent (%s)", a.r.drop);
	return ktap_finish();
}
