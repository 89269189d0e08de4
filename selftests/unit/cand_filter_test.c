// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * punchd's filter on a peer's candidates: what a hostile registered user
 * could put in an OFFER to aim this host somewhere (loopback, broadcast,
 * multicast, our LAN, port windows at a third party) never reaches the
 * kernel, and what honest peers send does.
 */
#include <string.h>
#include <sys/socket.h>

#include "cand_filter.h"
#include "ktap.h"

static struct sig_ep ep(const char *s)
{
	struct sig_ep e;

	memset(&e, 0, sizeof(e));
	if (sig_cand_parse(s, strlen(s), &e))
		e.family = -1;
	return e;
}

static char why[64];

static void refused(const char *reason, const struct sig_ep *e, void *ctx)
{
	(void)e;
	(void)ctx;
	snprintf(why, sizeof(why), "%s", reason);
}

/* One candidate through the filter: "ok" or the reason it was refused. */
static const char *judge_as(const char *cand, const char *observed,
			    bool same_site, bool sequential, bool trickled)
{
	struct pd_cand_view v = {
		.observed = ep(observed),
		.same_site = same_site,
		.sequential = sequential,
		.trickled = trickled,
	};
	struct sig_ep in = ep(cand), out[1];

	why[0] = '\0';
	if (in.family < 0)
		return "unparsable";
	return pd_cand_filter(&in, 1, &v, out, refused, NULL) == 1 &&
	       sig_ep_equal(&out[0], &in) ? "ok" : why;
}

static const char *judge(const char *cand, const char *observed,
			 bool same_site, bool sequential)
{
	return judge_as(cand, observed, same_site, sequential, false);
}

#define IS(want, ...) do {						\
	const char *got_ = judge(__VA_ARGS__);				\
									\
	CHECK(!strcmp(got_, want), "%s (%s): %s", #__VA_ARGS__, want, got_); \
} while (0)

int main(void)
{
	const char *obs = "203.0.113.7:40000", *obs6 = "[2001:db8:7::1]:40000";
	struct sig_ep in[4], out[4];
	struct pd_cand_view v = { .observed = ep(obs) };

	ktap_start();
	IS("ok", "203.0.113.7:4500", obs, false, false);
	IS("ok", "198.51.100.9:4500", obs, false, false);
	IS("ok", "[2001:db8:7::1]:4500", obs6, false, false);
	IS("unspecified", "0.0.0.0:4500", obs, true, true);
	IS("unspecified", "0.1.2.3:4500", obs, true, true);
	IS("loopback", "127.0.0.1:22", obs, true, true);
	IS("loopback", "127.255.0.9:22", obs, true, true);
	IS("link-local", "169.254.169.254:80", obs, true, true);
	IS("multicast", "224.0.0.251:5353", obs, true, true);
	IS("multicast", "239.255.255.250:1900", obs, true, true);
	IS("broadcast", "255.255.255.255:9", obs, true, true);
	IS("reserved", "240.0.0.1:9", obs, true, true);
	IS("unspecified", "[::]:4500", obs6, true, true);
	IS("loopback", "[::1]:4500", obs6, true, true);
	IS("link-local", "[fe80::1]:4500", obs6, true, true);
	IS("multicast", "[ff02::1]:4500", obs6, true, true);
	IS("ipv4-embedded", "[::ffff:127.0.0.1]:22", obs6, true, true);
	IS("ipv4-embedded", "[::10.0.0.1]:22", obs6, true, true);
	IS("ipv4-embedded", "[64:ff9b::a00:1]:53", obs6, true, true);
	IS("ipv4-embedded", "[64:ff9b:1::a00:1]:53", obs6, true, true);
	IS("ipv4-embedded", "[2002:a00:1::1]:53", obs6, true, true);
	IS("ipv4-embedded", "[2001:0:5ef5:79fb::1]:53", obs6, true, true);
	IS("reserved", "[fec0::1]:53", obs6, true, true);
	IS("reserved", "[100::1]:53", obs6, true, true);
	IS("ok", "[2001:db8:99::1]:4500", obs6, false, false);
	/* Our LAN: only for a peer on our site. */
	IS("private-off-site", "192.168.1.1:80", obs, false, true);
	IS("private-off-site", "10.0.0.1:53", obs, false, true);
	IS("private-off-site", "172.16.0.1:53", obs, false, true);
	IS("private-off-site", "100.64.0.1:53", obs, false, true);
	IS("private-off-site", "[fd00:1::2]:4500", obs6, false, true);
	IS("ok", "192.168.1.20:4500", obs, true, false);
	IS("ok", "172.32.0.1:4500", obs, false, false);
	/* A server on a private network sees a private address: that one is fine. */
	IS("ok", "10.9.0.7:4500", "10.9.0.7:1234", false, false);
	IS("ok", "[fd00:b::1]:4500", "[fd00:b::1]:3478", false, false);
	/* Windows: only where the server saw the peer, only if sequential. */
	IS("ok", "203.0.113.7:5000-5015", obs, false, true);
	IS("window-not-sequential", "203.0.113.7:5000-5015", obs, false, false);
	IS("window-elsewhere", "198.51.100.9:5000-5255", obs, false, true);
	IS("window-elsewhere", "192.168.1.1:1-256", obs, true, true);
	IS("unparsable", "203.0.113.7:5000-5300", obs, false, true);

	in[0] = ep("127.0.0.1:22");
	in[1] = ep("203.0.113.7:4500");
	in[2] = ep("224.0.0.1:9");
	in[3] = ep("198.51.100.9:4501");
	CHECK(pd_cand_filter(in, 4, &v, out, NULL, NULL) == 2 &&
	      sig_ep_equal(&out[0], &in[1]) && sig_ep_equal(&out[1], &in[3]),
	      "a mixed list keeps the good ones, in order");
	{
		struct sig_ep many[SIG_MAX_CANDS], kept[SIG_MAX_CANDS];
		unsigned int i, k;
		char s[32];

		for (i = 0; i < SIG_MAX_CANDS - 1; i++) {
			snprintf(s, sizeof(s), "198.51.100.%u:4500", i + 1);
			many[i] = ep(s);
		}
		many[i] = ep("203.0.113.7:4501");	/* where the server saw it */
		k = pd_cand_filter(many, SIG_MAX_CANDS, &v, kept, NULL, NULL);
		CHECK(k == PD_CAND_ELSEWHERE + 1 &&
		      sig_ep_equal(&kept[k - 1], &many[SIG_MAX_CANDS - 1]),
		      "seven third parties and the observed address: %u kept, %d of them elsewhere",
		      k, PD_CAND_ELSEWHERE);
	}
	v = (struct pd_cand_view){ .observed = ep(obs), .family = AF_INET };
	in[0] = ep("203.0.113.7:4500");
	in[1] = ep("[2001:db8:7::1]:4500");
	why[0] = '\0';
	CHECK(pd_cand_filter(in, 2, &v, out, refused, NULL) == 1 &&
	      out[0].family == AF_INET && !strcmp(why, "other-family"),
	      "a candidate of another family than our end's is refused (other-family)");

	/* Trickled: one endpoint at the address the server sees, nothing else. */
	CHECK(!strcmp(judge_as("203.0.113.7:41000", obs, false, false, true), "ok"),
	      "trickled: a new port at the observed address is taken");
	CHECK(!strcmp(judge_as("198.51.100.9:4500", obs, false, false, true), "not-observed"),
	      "trickled: another public address is refused (not-observed)");
	CHECK(!strcmp(judge_as("203.0.113.7:41000-41015", obs, false, true, true), "not-observed"),
	      "trickled: a window, even at the observed address of a sequential NAT (not-observed)");
	CHECK(!strcmp(judge_as("10.0.0.5:4500", obs, true, false, true), "not-observed"),
	      "trickled: a LAN address, even on our site (not-observed)");
	CHECK(!strcmp(judge_as("127.0.0.1:4500", "127.0.0.1:4500", false, false, true), "loopback"),
	      "trickled: loopback stays refused, observed or not");
	return ktap_finish();
}
