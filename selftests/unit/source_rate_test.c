// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rendezvousd's events per source address (STUN answers, connections),
 * driven by a clock the test chooses: a flood from one address gets a
 * burst and then the rate, other addresses are not affected, an IPv6 /64
 * is one source, and a flood of fresh sources that fills the table costs
 * the attacker far more datagrams than it wins answers for its victim.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ktap.h"
#include "source_rate.h"

#define S	UINT64_C(1000000000)
#define MS	UINT64_C(1000000)

static struct sockaddr_storage v4(uint32_t host_order)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_addr.s_addr = htonl(host_order);
	s->sin_port = htons(40000);
	return ss;
}

static struct sockaddr_storage v6(const char *ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &s->sin6_addr);
	return ss;
}

static int flood(struct source_rate *l, const struct sockaddr_storage *ss,
		 int n, uint64_t now)
{
	int i, ok = 0;

	for (i = 0; i < n; i++)
		ok += source_rate_take(l, ss, now);
	return ok;
}

int main(void)
{
	struct source_rate *l = source_rate_new(100);
	struct sockaddr_storage victim = v4(0xc6336407), other = v4(0xc6336408);
	struct sockaddr_storage a6 = v6("2001:db8:1:2::1"), b6 = v6("2001:db8:1:2::ffff");
	struct sockaddr_storage c6 = v6("2001:db8:1:3::1");
	uint64_t t = 10 * S;
	int won, i;

	ktap_start();
	CHECK(l != NULL, "a table for 100 answers/s per source");
	CHECK(flood(l, &victim, 1000, t) == 10,
	      "1000 requests at once from one address: a burst of 10 answered");
	CHECK(flood(l, &other, 5, t) == 5, "another address is answered meanwhile");
	CHECK(flood(l, &victim, 1000, t + 100 * MS) == 10,
	      "100 ms later: 10 more (100/s)");
	for (i = 0, won = 0; i < 100; i++)
		won += flood(l, &victim, 100, t + 100 * MS + (uint64_t)(i + 1) * 10 * MS);
	CHECK(won == 100, "10000 requests over one second: 100 answered");
	t += 2 * S;
	CHECK(flood(l, &a6, 100, t) == 10, "IPv6: a burst for 2001:db8:1:2::1");
	CHECK(flood(l, &b6, 100, t) == 0, "and none for another address in its /64");
	CHECK(flood(l, &c6, 100, t) == 10, "the next /64 is another source");

	/* Fresh sources evict; the victim's slot comes back with a burst. */
	t += 2 * S;
	CHECK(flood(l, &victim, 100, t) == 10, "the victim's burst");
	for (i = 0, won = 0; i < 10; i++) {
		uint32_t k;

		t += 10 * MS;
		for (k = 0; k < SOURCE_RATE_SLOTS; k++) {
			struct sockaddr_storage ss = v4(0x0a000000 + (uint32_t)i * SOURCE_RATE_SLOTS + k);

			source_rate_take(l, &ss, t);
		}
		won += flood(l, &victim, 100, t);
	}
	CHECK(won <= 10 * 10,
	      "%d fresh sources, a table's worth before each of 10 victim rounds: %d answers",
	      10 * SOURCE_RATE_SLOTS, won);
	CHECK((double)won / (10.0 * SOURCE_RATE_SLOTS + 10 * 100) < 0.001,
	      "answers for the victim per attacking datagram: %.5f",
	      (double)won / (10.0 * SOURCE_RATE_SLOTS + 10 * 100));
	CHECK(flood(l, &other, 100, t + 10 * S) == 10,
	      "a later client still gets its burst");
	source_rate_free(l);
	return ktap_finish();
}
