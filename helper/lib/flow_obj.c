// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The flow object and its accessors. Callers never see its layout, so an
 * attribute can be added without breaking a program built before it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

static int is_u32(int attr)
{
	return attr >= NFP_FLOW_ID && attr <= NFP_FLOW_U32_LAST;
}

static int is_u64(int attr)
{
	return attr >= NFP_FLOW_U64_FIRST && attr <= NFP_FLOW_U64_LAST;
}

NFP_EXPORT struct nfp_flow *nfp_flow_alloc(void)
{
	return calloc(1, sizeof(struct nfp_flow));
}

NFP_EXPORT void nfp_flow_reset(struct nfp_flow *f)
{
	struct nfp_endpoint *peers = f->peers;
	unsigned int cap = f->peers_cap;

	explicit_bzero(f->secret, sizeof(f->secret));
	memset(f, 0, sizeof(*f));
	f->peers = peers;
	f->peers_cap = cap;
}

NFP_EXPORT void nfp_flow_free(struct nfp_flow *f)
{
	if (!f)
		return;
	explicit_bzero(f->secret, sizeof(f->secret));
	free(f->peers);
	free(f);
}

NFP_EXPORT struct nfp_flow *nfp_flow_clone(const struct nfp_flow *f)
{
	struct nfp_flow *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *f;
	c->peers = NULL;
	c->peers_cap = 0;
	if (f->n_peers) {
		c->peers = calloc(f->n_peers, sizeof(*c->peers));
		if (!c->peers) {
			nfp_flow_free(c);
			return NULL;
		}
		memcpy(c->peers, f->peers, f->n_peers * sizeof(*c->peers));
		c->peers_cap = f->n_peers;
	}
	return c;
}

/*
 * What a caller may set: what FLOW_NEW takes, the id that names a flow
 * to change, a state (a dump matches it; a change takes only PUNCHING,
 * "punch again") and, in a change, a nomination.
 */
NFP_EXPORT int nfp_flow_set_u32(struct nfp_flow *f, int attr, uint32_t value)
{
	switch (attr) {
	case NFP_FLOW_STATE:
		if (value < NFP_STATE_PUNCHING || value > NFP_STATE_DEAD)
			return -EINVAL;
		break;
	case NFP_FLOW_ROLE:
		if (value != NFP_ROLE_CONTROLLING && value != NFP_ROLE_CONTROLLED)
			return -EINVAL;
		break;
	case NFP_FLOW_PRIME_TTL:
		if (!value || value > 255)
			return -EINVAL;
		break;
	case NFP_FLOW_NOMINATE:
		if (value != 1)
			return -EINVAL;
		break;
	case NFP_FLOW_ID:
	case NFP_FLOW_FLAGS:
	case NFP_FLOW_MARK:
	case NFP_FLOW_APP_TAG:
	case NFP_FLOW_KEEPALIVE_MS:
	case NFP_FLOW_TIMEOUT_MS:
	case NFP_FLOW_PUNCH_TIMEOUT_MS:
	case NFP_FLOW_PROBE_INTERVAL_MS:
	case NFP_FLOW_PRIME_MS:
		break;
	default:
		return -EINVAL;
	}
	f->u32[attr] = value;
	nfp_flow_mark(f, attr);
	return 0;
}

NFP_EXPORT uint32_t nfp_flow_get_u32(const struct nfp_flow *f, int attr)
{
	return is_u32(attr) ? f->u32[attr] : 0;
}

NFP_EXPORT uint64_t nfp_flow_get_u64(const struct nfp_flow *f, int attr)
{
	return is_u64(attr) ? f->u64[attr - NFP_FLOW_U64_FIRST] : 0;
}

NFP_EXPORT int nfp_flow_set_endpoint(struct nfp_flow *f, int attr,
				     const struct nfp_endpoint *ep)
{
	if (attr != NFP_FLOW_LOCAL ||
	    (ep->family != AF_INET && ep->family != AF_INET6))
		return -EINVAL;
	f->local = *ep;
	nfp_flow_mark(f, attr);
	return 0;
}

NFP_EXPORT const struct nfp_endpoint *
nfp_flow_get_endpoint(const struct nfp_flow *f, int attr)
{
	if (!nfp_flow_isset(f, attr))
		return NULL;
	if (attr == NFP_FLOW_LOCAL)
		return &f->local;
	if (attr == NFP_FLOW_REMOTE)
		return &f->remote;
	return NULL;
}

NFP_EXPORT int nfp_flow_unset(struct nfp_flow *f, int attr)
{
	if (!nfp_flow_isset(f, attr))
		return attr > 0 && attr <= NFP_FLOW_U64_LAST ? 0 : -EINVAL;
	f->set[attr / 64] &= ~(1ULL << (attr % 64));
	if (attr <= NFP_FLOW_U32_LAST)
		f->u32[attr] = 0;
	else if (attr == NFP_FLOW_LOCAL)
		memset(&f->local, 0, sizeof(f->local));
	else if (attr == NFP_FLOW_REMOTE)
		memset(&f->remote, 0, sizeof(f->remote));
	else if (attr >= NFP_FLOW_U64_FIRST)
		f->u64[attr - NFP_FLOW_U64_FIRST] = 0;
	return 0;
}

NFP_EXPORT int nfp_flow_has(const struct nfp_flow *f, int attr)
{
	return nfp_flow_isset(f, attr);
}

NFP_EXPORT int nfp_flow_add_peer(struct nfp_flow *f, const struct nfp_endpoint *ep)
{
	if (ep->family != AF_INET && ep->family != AF_INET6)
		return -EINVAL;
	if (f->n_peers == f->peers_cap) {
		unsigned int cap = f->peers_cap ? 2 * f->peers_cap : 4;
		struct nfp_endpoint *p;

		/* The kernel's limit is far below; this only stops runaways. */
		if (cap > 65536)
			return -E2BIG;
		p = reallocarray(f->peers, cap, sizeof(*p));
		if (!p)
			return -ENOMEM;
		f->peers = p;
		f->peers_cap = cap;
	}
	f->peers[f->n_peers++] = *ep;
	return 0;
}

NFP_EXPORT unsigned int nfp_flow_get_peer_count(const struct nfp_flow *f)
{
	return f->n_peers;
}

NFP_EXPORT const struct nfp_endpoint *nfp_flow_get_peer(const struct nfp_flow *f,
						       unsigned int i)
{
	return i < f->n_peers ? &f->peers[i] : NULL;
}

NFP_EXPORT int nfp_flow_set_secret(struct nfp_flow *f, const void *secret,
				   size_t len)
{
	if (!len || len > sizeof(f->secret))
		return -EINVAL;
	explicit_bzero(f->secret, sizeof(f->secret));
	memcpy(f->secret, secret, len);
	f->secret_len = len;
	return 0;
}

int nfp_flow_bad_filter(const struct nfp_flow *f, const int *attrs,
			unsigned int n)
{
	return nfp_flow_sets_other(f, attrs, n) ||
	       (nfp_flow_isset(f, NFP_FLOW_LOCAL) &&
		f->local.port_max > f->local.port);
}

int nfp_flow_sets_other(const struct nfp_flow *f, const int *attrs,
			unsigned int n)
{
	uint64_t set[2] = { f->set[0], f->set[1] };
	unsigned int i;

	for (i = 0; i < n; i++)
		set[attrs[i] / 64] &= ~(1ULL << (attrs[i] % 64));
	return set[0] || set[1] || f->n_peers || f->secret_len;
}

static int same_endpoint(const struct nfp_endpoint *a,
			 const struct nfp_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

int nfp_flow_matches(const struct nfp_flow *match, const struct nfp_flow *f)
{
	if (nfp_flow_isset(match, NFP_FLOW_LOCAL) &&
	    !same_endpoint(&match->local, &f->local))
		return 0;
	if (nfp_flow_isset(match, NFP_FLOW_STATE) &&
	    match->u32[NFP_FLOW_STATE] != f->u32[NFP_FLOW_STATE])
		return 0;
	/* The kernel reports no tag for 0: unset reads as 0. */
	return !nfp_flow_isset(match, NFP_FLOW_APP_TAG) ||
	       match->u32[NFP_FLOW_APP_TAG] == f->u32[NFP_FLOW_APP_TAG];
}
