// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rules, in the order they are applied to each candidate:
 *  - never: unspecified ("this network"), loopback, link-local (the
 *    module's flows carry no scope), multicast, reserved and broadcast,
 *    IPv4 inside IPv6 (mapped, compatible, NAT64, 6to4, Teredo: it would
 *    smuggle any of these);
 *  - a private address (RFC 1918, RFC 6598 shared, IPv6 ULA) only when
 *    the peer is on our site (its public address is ours), or when it is
 *    the very address the server saw the peer at (a server on a private
 *    network sees private addresses);
 *  - a port window only on the address the server saw, and only when the
 *    peer says its NAT allocates ports in sequence (the one case a window
 *    predicts); the parser already bounds it to SIG_MAX_RANGE ports;
 *  - at most PD_CAND_ELSEWHERE public addresses other than the one the
 *    server saw (a host's own IPv6 addresses, a second uplink): an OFFER
 *    cannot spread probes over many third parties.
 */
#include <string.h>
#include <sys/socket.h>

#include "cand_filter.h"

static bool v4_in(const uint8_t *a, uint8_t b0, uint8_t b1, int bits)
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
		     (uint32_t)a[2] << 8 | a[3];
	uint32_t net = (uint32_t)b0 << 24 | (uint32_t)b1 << 16;
	uint32_t mask = bits ? ~0u << (32 - bits) : 0;

	return (x & mask) == (net & mask);
}

static bool all(const uint8_t *a, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != v)
			return false;
	return true;
}

const char *pd_cand_scope(const struct sig_ep *ep, bool *private)
{
	const uint8_t *a = ep->addr;
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	static const uint8_t nat64_local[6] = { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 };

	*private = false;
	if (ep->family == AF_INET) {
		if (v4_in(a, 0, 0, 8))
			return "unspecified";
		if (v4_in(a, 127, 0, 8))
			return "loopback";
		if (v4_in(a, 169, 254, 16))
			return "link-local";
		if (v4_in(a, 224, 0, 4))
			return "multicast";
		if (all(a, 4, 0xff))
			return "broadcast";
		if (v4_in(a, 240, 0, 4))
			return "reserved";
		*private = v4_in(a, 10, 0, 8) || v4_in(a, 172, 16, 12) ||
			   v4_in(a, 192, 168, 16) || v4_in(a, 100, 64, 10);
		return NULL;
	}
	if (all(a, 16, 0))
		return "unspecified";
	if (all(a, 15, 0) && a[15] == 1)
		return "loopback";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local";
	if (a[0] == 0xff)
		return "multicast";
	/*
	 * IPv4 inside IPv6 would carry any of the IPv4 refusals past these
	 * rules (a NAT64 prefix reaches a carrier's 10/8): none of them.
	 */
	if (!memcmp(a, mapped, sizeof(mapped)) || all(a, 12, 0))
		return "ipv4-embedded";
	if (!memcmp(a, nat64, sizeof(nat64)) ||
	    !memcmp(a, nat64_local, sizeof(nat64_local)) ||
	    (a[0] == 0x20 && a[1] == 0x02) ||			/* 6to4 */
	    (a[0] == 0x20 && a[1] == 0x01 && !a[2] && !a[3]))	/* Teredo */
		return "ipv4-embedded";
	if ((a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) ||		/* site-local */
	    (a[0] == 0x01 && !a[1] && all(a + 2, 6, 0)))	/* discard */
		return "reserved";
	*private = (a[0] & 0xfe) == 0xfc;
	return NULL;
}

static bool same_addr(const struct sig_ep *a, const struct sig_ep *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET6 ? 16 : 4);
}

unsigned int pd_cand_filter(const struct sig_ep *in, unsigned int n,
			    const struct pd_cand_view *v, struct sig_ep *out,
			    void (*refused)(const char *why,
					    const struct sig_ep *ep, void *ctx),
			    void *ctx)
{
	unsigned int i, kept = 0, elsewhere = 0;
	const char *why;
	bool private, seen_there;

	for (i = 0; i < n; i++) {
		const struct sig_ep *ep = &in[i];

		why = v->family && ep->family != v->family ? "other-family" :
		      pd_cand_scope(ep, &private);
		seen_there = same_addr(ep, &v->observed);
		if (!why && private && !v->same_site && !seen_there)
			why = "private-off-site";
		if (!why && v->trickled && (!seen_there || ep->port_last > ep->port))
			why = "not-observed";
		if (!why && ep->port_last > ep->port && !seen_there)
			why = "window-elsewhere";
		if (!why && ep->port_last > ep->port && !v->sequential)
			why = "window-not-sequential";
		if (!why && !seen_there && !private) {
			if (elsewhere == PD_CAND_ELSEWHERE)
				why = "too-many-elsewhere";
			else
				elsewhere++;
		}
		if (why) {
			if (refused)
				refused(why, ep, ctx);
			continue;
		}
		out[kept++] = *ep;
	}
	return kept;
}
