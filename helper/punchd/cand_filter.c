// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rules, in the order they are applied to each candidate:
 *  - never: unspecified ("this network"), loopback, link-local (the
 *    module's flows carry no scope), multicast, reserved and broadcast,
 *    IPv4-mapped IPv6 (it would smuggle any of these);
 *  - a private address (RFC 1918, RFC 6598 shared, IPv6 ULA) only when
 *    the peer is on our site (its public address is ours), or when it is
 *    the very address the server saw the peer at (a server on a private
 *    network sees private addresses);
 *  - a port window only on the address the server saw, and only when the
 *    peer says its NAT allocates ports in sequence (the one case a window
 *    predicts); the parser already bounds it to SIG_MAX_RANGE ports.
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
	if (!memcmp(a, mapped, sizeof(mapped)))
		return "ipv4-mapped";
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
	unsigned int i, kept = 0;
	const char *why;
	bool private, seen_there;

	for (i = 0; i < n; i++) {
		const struct sig_ep *ep = &in[i];

		why = pd_cand_scope(ep, &private);
		seen_there = same_addr(ep, &v->observed);
		if (!why && private && !v->same_site && !seen_there)
			why = "private-off-site";
		if (!why && ep->port_last > ep->port && !seen_there)
			why = "window-elsewhere";
		if (!why && ep->port_last > ep->port && !v->sequential)
			why = "window-not-sequential";
		if (why) {
			if (refused)
				refused(why, ep, ctx);
			continue;
		}
		out[kept++] = *ep;
	}
	return kept;
}
