/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared between the library's own files; not installed. */
#ifndef LIBNFPUNCH_INTERNAL_H
#define LIBNFPUNCH_INTERNAL_H

#include <netlink/netlink.h>
#include <netlink/genl/genl.h>

#include "libnfpunch.h"

struct nfp_handle {
	struct nl_sock *sk;
	int family;
	int err;		/* negative errno of the last failure */
	char errmsg[256];	/* its text (extack or strerror) */
};

/* Fills in one request's attributes; returns 0 or a negative errno. */
typedef int (*nfp_build_fn)(struct nl_msg *msg, void *arg);
/* Handles one reply message; returns 0 or a negative errno. */
typedef int (*nfp_parse_fn)(struct nlmsghdr *nlh, struct nlattr **tb, void *arg);

/*
 * Send one command and feed each reply to parse (which may be NULL).
 * flags are extra nlmsg flags (NLM_F_DUMP for dumps).
 */
int nfp_request(struct nfp_handle *h, uint8_t cmd, int flags,
		nfp_build_fn build, nfp_parse_fn parse, void *arg);

/* Copy the kernel's extended ack message for e into buf ("" if none). */
void nfp_extack_message(const struct nlmsgerr *e, char *buf, size_t len);

/* Record a failure on the handle and return it (negative errno). */
int nfp_fail(struct nfp_handle *h, int err, const char *msg);

/* Endpoint nests, both ways (endpoint.c). */
int nfp_put_endpoint(struct nl_msg *msg, int type, const struct nfp_endpoint *ep);
int nfp_get_endpoint(struct nlattr *nest, struct nfp_endpoint *ep);

/* Reply and notification contents (flow.c, mapping.c). */
int nfp_parse_flow(struct nlattr *nest, struct nfp_flow *f);
int nfp_parse_mapping(struct nlattr *nest, struct nfp_mapping *m);

/* Open a generic netlink socket on the family; returns its id or -errno. */
int nfp_genl_socket(struct nl_sock **skp);

#endif /* LIBNFPUNCH_INTERNAL_H */
