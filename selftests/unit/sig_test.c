// SPDX-License-Identifier: GPL-2.0-or-later
/* The signaling codec and the registration proof, case by case. */
#include <arpa/inet.h>
#include <string.h>

#include "ktap.h"
#include "sig.h"
#include "sig_auth.h"

static int parses(const char *line)
{
	struct sig_msg m;

	return sig_parse(&m, line, strlen(line));
}

static const struct {
	const char *line;
	int err;
} cases[] = {
	{ "PING", SIG_OK },
	{ "HELLO v=1 nonce=00112233445566778899aabbccddeeff", SIG_OK },
	{ "CONNECT peer=bob cand=198.51.100.1:4000 cand=[fd00:1::2]:4000", SIG_OK },
	{ "ERROR code=busy", SIG_OK },
	{ "ERROR code=busy peer=bob sid=0011223344556677", SIG_OK },
	{ "", SIG_E_VERB },
	{ "ping", SIG_E_VERB },
	{ "PING ", SIG_E_SYNTAX },
	{ "PING  x=1", SIG_E_SYNTAX },
	{ "CONNECT peer", SIG_E_SYNTAX },
	{ "CONNECT peer=", SIG_E_SYNTAX },
	{ "CONNECT =bob", SIG_E_SYNTAX },
	{ "PING id=alice", SIG_E_KEY },
	{ "CONNECT peer=bob peer=eve cand=192.0.2.1:1", SIG_E_DUP },
	{ "CONNECT peer=bob", SIG_E_MISSING },
	{ "CONNECT peer=b%b cand=192.0.2.1:1", SIG_E_VALUE },
	{ "CONNECT peer=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa cand=192.0.2.1:1", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:0", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:65536", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:080", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=fd00::1:4000", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=[192.0.2.1]:4000", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=300.0.2.1:4000", SIG_E_VALUE },
	{ "RELAY sid=00112233445566", SIG_E_VALUE },
	{ "RELAY sid=00112233445566778", SIG_E_VALUE },
	{ "RELAY sid=001122334455667g", SIG_E_VALUE },
	{ "HELLO v=01 nonce=00112233445566778899aabbccddeeff", SIG_E_VALUE },
	{ "HELLO v=-1 nonce=00112233445566778899aabbccddeeff", SIG_E_VALUE },
	/* Predicted windows and the NAT description. */
	{ "CONNECT peer=bob cand=192.0.2.1:4000-4015 nat=apdm.apdf.seq1 spray=1", SIG_OK },
	{ "ANSWER sid=0011223344556677 cand=[fd00::1]:4000-4255", SIG_OK },
	{ "CONNECT peer=bob cand=192.0.2.1:4000-4256", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:4000-4000", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:4000-3999", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:4000-", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1-4000:4001", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:1 nat=a/b", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:1 spray=yes", SIG_E_VALUE },
	{ "ANSWER sid=0011223344556677 cand=192.0.2.1:4000 relayfirst=1", SIG_OK },
	{ "CONNECT peer=bob cand=192.0.2.1:1 relayfirst=yes", SIG_E_VALUE },
	{ "RELAY sid=0011223344556677 relayfirst=1", SIG_E_KEY },
	{ "RELAYED sid=0011223344556677 peer=bob relay=192.0.2.1:4000-4001", SIG_E_VALUE },
	{ "RELAY sid=0011223344556677 nat=eim.eif.preserve", SIG_E_KEY },
	/* TCP sessions (v=3). */
	{ "CONNECT peer=bob cand=192.0.2.1:4000 proto=tcp", SIG_OK },
	{ "ANSWER sid=0011223344556677 cand=192.0.2.1:4000 proto=udp", SIG_OK },
	{ "ERROR code=timeout peer=bob proto=tcp", SIG_OK },
	{ "CONNECT peer=bob cand=192.0.2.1:4000 proto=TCP", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:4000 proto=tcpx", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:4000 proto=1", SIG_E_VALUE },
	{ "CONNECT peer=bob cand=192.0.2.1:4000 proto=tcp proto=tcp", SIG_E_DUP },
	{ "RELAY sid=0011223344556677 proto=tcp", SIG_E_KEY },
	{ "CONNECT peer=bob cand=192.0.2.1:4000 proto=tcp rtt=42", SIG_OK },
	{ "CONNECT peer=bob cand=192.0.2.1:4000 rtt=-1", SIG_E_VALUE },
	{ "PING rtt=1", SIG_E_KEY },
	/* Trickle (v=4). */
	{ "CANDIDATE sid=0011223344556677 cand=198.51.100.1:40000", SIG_OK },
	{ "CANDIDATE sid=0011223344556677 peer=bob observed=198.51.100.1:4000 "
	  "cand=198.51.100.1:40000", SIG_OK },
	{ "CANDIDATE sid=0011223344556677", SIG_E_MISSING },
	{ "CANDIDATE cand=198.51.100.1:40000", SIG_E_MISSING },
	{ "CANDIDATE sid=0011223344556677 cand=198.51.100.1:40000 nat=eim.eif.preserve",
	  SIG_E_KEY },
	{ "CANDIDATE sid=0011223344556677 cand=198.51.100.1:40000 secret=00112233445566778899aabbccddeeff",
	  SIG_E_KEY },
	/* Relay release (v=5). */
	{ "RELEASE sid=0011223344556677", SIG_OK },
	{ "RELEASE", SIG_E_MISSING },
	{ "RELEASE sid=0011223344556677 peer=bob", SIG_E_KEY },
	{ "RELEASE sid=00112233445566", SIG_E_VALUE },
	/* Relay renewal (v=6): the relay we have, and its lifetime. */
	{ "RELAY sid=0011223344556677 relay=192.0.2.1:50000", SIG_OK },
	{ "RELAY sid=0011223344556677 relay=192.0.2.1:50000-50001", SIG_E_VALUE },
	{ "RELAY sid=0011223344556677 lifetime=60", SIG_E_KEY },
	{ "RELAYED sid=0011223344556677 peer=bob relay=192.0.2.1:50000 lifetime=60", SIG_OK },
	{ "RELAYED sid=0011223344556677 peer=bob relay=192.0.2.1:50000 lifetime=060", SIG_E_VALUE },
	{ "RELAYED sid=0011223344556677 peer=bob relay=192.0.2.1:50000 lifetime=1234567890",
	  SIG_E_VALUE },
	{ "RELAYED sid=0011223344556677 peer=bob relay=192.0.2.1:50000 lifetime=60 lifetime=60",
	  SIG_E_DUP },
	{ "CONNECT peer=bob cand=198.51.100.1:4000 lifetime=60", SIG_E_KEY },
	{ "RELAYED sid=0011223344556677 peer=bob relay=192.0.2.1:50000 gen=3", SIG_OK },
	{ "RELAY sid=0011223344556677 gen=3", SIG_E_KEY },
	{ "RELEASE sid=0011223344556677 relay=192.0.2.1:50000", SIG_OK },
	{ "RELEASE sid=0011223344556677 relay=192.0.2.1:50000 lifetime=1", SIG_E_KEY },
};

int main(void)
{
	char line[SIG_LINE_MAX + 1], big[SIG_LINE_MAX + 16];
	uint8_t secret[32] = { 1 }, nonce[SIG_NONCE_LEN] = { 2 }, bind[SIG_BINDING_LEN] = { 3 };
	uint8_t mac[SIG_MAC_LEN];
	struct sig_msg m, again;
	struct sig_ep ep;
	unsigned int i;
	int n;

	ktap_start();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(parses(cases[i].line) == cases[i].err, "\"%.50s\" -> %s",
		      cases[i].line, sig_strerror(cases[i].err));

	/* Nine candidates: one too many. */
	strcpy(line, "CONNECT peer=bob");
	for (i = 0; i < 9; i++)
		strcat(line, " cand=192.0.2.1:4000");
	CHECK(parses(line) == SIG_E_CANDS, "a ninth candidate is refused");
	memset(big, 'a', sizeof(big));
	memcpy(big, "PING x=", 7);
	CHECK(sig_parse(&m, big, SIG_LINE_MAX) == SIG_E_LONG,
	      "a line of SIG_LINE_MAX bytes is too long");

	/* Round trip of the longest message there is. */
	sig_init(&m, SIG_OFFER);
	strcpy(m.peer, "alice");
	memset(m.secret, 0xab, sizeof(m.secret));
	memset(m.sid, 0x12, sizeof(m.sid));
	sig_ep_parse("[fd00:1::2]:4000", 16, &m.observed);
	m.has |= SIG_K_SID | SIG_K_PEER | SIG_K_SECRET | SIG_K_OBSERVED;
	strcpy(m.nat, "apdm.apdf.seq1");
	m.spray = 1;
	m.relay_first = 1;
	m.proto = SIG_PROTO_TCP;
	m.rtt = 999999999;
	m.has |= SIG_K_NAT | SIG_K_SPRAY | SIG_K_RELAY_FIRST | SIG_K_PROTO | SIG_K_RTT;
	for (i = 0; i < SIG_MAX_CANDS; i++) {
		sig_ep_parse("[fd00:aaaa:bbbb:cccc:dddd:eeee:ffff:1]:65535", 44, &ep);
		CHECK(sig_add_cand(&m, &ep) == 0, "candidate %u added", i + 1);
	}
	CHECK(sig_add_cand(&m, &ep) == -1, "no room for a ninth");
	n = sig_format(&m, line, sizeof(line));
	CHECK(n > 0 && n <= SIG_LINE_MAX, "eight IPv6 candidates fit a line (%d bytes)", n);
	CHECK(n > 0 && sig_parse(&again, line, (size_t)n - 1) == SIG_OK &&
	      !memcmp(&m, &again, sizeof(m)), "and parse back to the same message");
	m.proto = 2;
	CHECK(sig_format(&m, line, sizeof(line)) == -1,
	      "formatting refuses a protocol it has no name for");
	m.proto = SIG_PROTO_TCP;
	m.has &= ~SIG_K_SECRET;
	CHECK(sig_format(&m, line, sizeof(line)) == -1,
	      "formatting refuses a message without a required key");
	sig_init(&m, SIG_PING);
	m.has |= SIG_K_ID;
	CHECK(sig_format(&m, line, sizeof(line)) == -1,
	      "formatting refuses a key the verb does not take");
	sig_init(&m, SIG_PING);
	CHECK(sig_format(&m, line, 4) == -1, "formatting into a small buffer fails");

	CHECK(sig_register_mac(secret, sizeof(secret), nonce, bind, "alice", mac) == 0,
	      "registration MAC computed");
	CHECK(sig_register_check(secret, sizeof(secret), nonce, bind, "alice", mac),
	      "the right MAC passes");
	CHECK(!sig_register_check(secret, sizeof(secret), nonce, bind, "alicf", mac),
	      "the MAC is bound to the id");
	nonce[0] ^= 1;
	CHECK(!sig_register_check(secret, sizeof(secret), nonce, bind, "alice", mac),
	      "and to the nonce (no replay on another connection)");
	nonce[0] ^= 1;
	bind[31] ^= 1;
	CHECK(!sig_register_check(secret, sizeof(secret), nonce, bind, "alice", mac),
	      "and to the TLS session (no relaying it to another connection)");
	bind[31] ^= 1;
	secret[5] ^= 1;
	CHECK(!sig_register_check(secret, sizeof(secret), nonce, bind, "alice", mac),
	      "and to the secret");
	return ktap_finish();
}
