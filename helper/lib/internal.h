/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared between the library's own files; not installed. */
#ifndef LIBNFPUNCH_INTERNAL_H
#define LIBNFPUNCH_INTERNAL_H

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>

#include "libnfpunch.h"

/*
 * What the library exports: the objects are built with
 * -fvisibility=hidden and libnfpunch.map names the same symbols, so an
 * internal function cannot leak into the ABI by accident.
 */
#define NFP_EXPORT __attribute__((visibility("default")))

/* The attributes a flow holds: bit attr of set[], attr < 128. */
#define NFP_FLOW_U32_LAST	NFP_FLOW_NOMINATE
#define NFP_FLOW_U64_FIRST	NFP_FLOW_PROBES_SENT
#define NFP_FLOW_U64_LAST	NFP_FLOW_TX_BYTES
#define NFP_FLOW_SECRET_CAP	64	/* the kernel checks the real limit */

struct nfp_flow {
	uint64_t set[2];
	uint32_t u32[NFP_FLOW_U32_LAST + 1];
	uint64_t u64[NFP_FLOW_U64_LAST - NFP_FLOW_U64_FIRST + 1];
	struct nfp_endpoint local, remote;
	struct nfp_endpoint *peers;
	unsigned int n_peers, peers_cap;
	uint8_t secret[NFP_FLOW_SECRET_CAP];
	size_t secret_len;
};

static inline int nfp_flow_isset(const struct nfp_flow *f, int attr)
{
	return attr > 0 && attr < 128 && (f->set[attr / 64] >> (attr % 64)) & 1;
}

static inline void nfp_flow_mark(struct nfp_flow *f, int attr)
{
	f->set[attr / 64] |= 1ULL << (attr % 64);
}

/* Does f set anything (peers, secret) but the n attrs? */
int nfp_flow_sets_other(const struct nfp_flow *f, const int *attrs,
			unsigned int n);
/* The same, or a LOCAL with a port range: no filter. */
int nfp_flow_bad_filter(const struct nfp_flow *f, const int *attrs,
			unsigned int n);
/* Does f have what match sets of LOCAL, STATE and APP_TAG? */
int nfp_flow_matches(const struct nfp_flow *match, const struct nfp_flow *f);

/* A query to make (local, server, mark, timeout_ms) or its result. */
struct nfp_mapping {
	uint32_t id, error, stun_error, rtt_us, mark, timeout_ms;
	struct nfp_endpoint local, server, mapped;
};

struct nfp_event {
	int type;
	const struct nfp_flow *flow;		/* flow events */
	const struct nfp_mapping *mapping;	/* NFP_EVENT_MAPPING */
};

struct nfp_handle {
	struct nl_sock *sk;
	int family;
	int err;		/* negative errno of the last failure */
	char errmsg[256];	/* its text (extack or strerror) */
	uint32_t err_offset;	/* where the kernel found fault in it, or 0 */
};

/* Fills in one request's attributes; returns 0 or a negative errno. */
typedef int (*nfp_build_fn)(struct nl_msg *msg, void *arg);
/* Handles one reply message; returns 0 or a negative errno. */
typedef int (*nfp_parse_fn)(struct nlmsghdr *nlh, struct nlattr **tb, void *arg);

/*
 * Send one command and feed each reply to parse (which may be NULL).
 * flags are extra nlmsg flags (NLM_F_DUMP for dumps), or
 * NFP_REQ_REPLY_ENDS: ask for no ACK, the one reply (or the error) ends
 * the request. For a command whose effects must not outlive a lost ACK.
 */
#define NFP_REQ_REPLY_ENDS	(1 << 30)
int nfp_request(struct nfp_handle *h, uint8_t cmd, int flags,
		nfp_build_fn build, nfp_parse_fn parse, void *arg);
/* The same with a message of size bytes (0: libnl's default, a page). */
int nfp_request_size(struct nfp_handle *h, uint8_t cmd, int flags, size_t size,
		     nfp_build_fn build, nfp_parse_fn parse, void *arg);

/* Copy the kernel's extended ack message for e into buf ("" if none). */
void nfp_extack_message(const struct nlmsgerr *e, char *buf, size_t len);

/* Record a failure on the handle and return it (negative errno). */
int nfp_fail(struct nfp_handle *h, int err, const char *msg);

/* Endpoint nests, both ways (endpoint.c). */
int nfp_put_endpoint(struct nl_msg *msg, int type, const struct nfp_endpoint *ep);
int nfp_get_endpoint(struct nlattr *nest, struct nfp_endpoint *ep);

/* The FLOW_NEW attributes of f, as one NFPUNCH_A_FLOW nest (flow.c). */
int nfp_put_flow_new(struct nl_msg *msg, const struct nfp_flow *f);
/* Is f something nfp_flow_add() may send? 0, or the failure recorded on h. */
int nfp_flow_check_new(struct nfp_handle *h, const struct nfp_flow *f);

/* Reply and notification contents (flow.c, mapping.c); f is reset first. */
int nfp_parse_flow(struct nlattr *nest, struct nfp_flow *f);
int nfp_parse_mapping(struct nlattr *nest, struct nfp_mapping *m);

/* Open a generic netlink socket on the family; returns its id or -errno. */
int nfp_genl_socket(struct nl_sock **skp);

#endif /* LIBNFPUNCH_INTERNAL_H */
