// SPDX-License-Identifier: LGPL-2.1-or-later
/* TCP primes: the module's part of a primed simultaneous open. */
#include <errno.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

struct prime_req {
	const struct nfp_endpoint *local, *remote;
	unsigned int ttl;
	uint32_t time_ms, id;
};

static int build_prime(struct nl_msg *msg, void *arg)
{
	const struct prime_req *r = arg;
	struct nlattr *nest = nla_nest_start(msg, NFPUNCH_A_TCP_PRIME);
	int ret;

	if (!nest)
		return -EMSGSIZE;
	if (r->local) {
		ret = nfp_put_endpoint(msg, NFPUNCH_TCP_PRIME_A_LOCAL, r->local) ?:
		      nfp_put_endpoint(msg, NFPUNCH_TCP_PRIME_A_REMOTE, r->remote);
		if (ret)
			return ret;
		if (nla_put_u8(msg, NFPUNCH_TCP_PRIME_A_TTL, r->ttl) < 0 ||
		    (r->time_ms &&
		     nla_put_u32(msg, NFPUNCH_TCP_PRIME_A_TIME, r->time_ms) < 0))
			return -EMSGSIZE;
	} else if (nla_put_u32(msg, NFPUNCH_TCP_PRIME_A_ID, r->id) < 0) {
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int parse_prime_id(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	static struct nla_policy policy[NFPUNCH_TCP_PRIME_A_MAX + 1] = {
		[NFPUNCH_TCP_PRIME_A_ID] = { .type = NLA_U32 },
	};
	struct nlattr *t[NFPUNCH_TCP_PRIME_A_MAX + 1];
	struct prime_req *r = arg;

	(void)nlh;
	if (!tb[NFPUNCH_A_TCP_PRIME] ||
	    nla_parse_nested(t, NFPUNCH_TCP_PRIME_A_MAX, tb[NFPUNCH_A_TCP_PRIME],
			     policy) < 0 || !t[NFPUNCH_TCP_PRIME_A_ID])
		return -EPROTO;
	r->id = nla_get_u32(t[NFPUNCH_TCP_PRIME_A_ID]);
	return 0;
}

NFP_EXPORT int nfp_tcp_prime_start(struct nfp_handle *h,
				   const struct nfp_endpoint *local,
				   const struct nfp_endpoint *remote,
				   unsigned int ttl, uint32_t time_ms,
				   uint32_t *id)
{
	struct prime_req r = { .local = local, .remote = remote, .ttl = ttl,
			       .time_ms = time_ms };
	int ret;

	if (!local || !remote || !local->family || !remote->family)
		return nfp_fail(h, -EINVAL, "a TCP prime needs a local and a remote endpoint");
	if (ttl < 1 || ttl > 255)
		return nfp_fail(h, -EINVAL, "a TCP prime's TTL is 1 to 255");
	ret = nfp_request(h, NFPUNCH_CMD_TCP_PRIME_NEW, 0, build_prime,
			  parse_prime_id, &r);
	if (ret < 0)
		return ret;
	*id = r.id;
	return 0;
}

NFP_EXPORT int nfp_tcp_prime_stop(struct nfp_handle *h, uint32_t id)
{
	struct prime_req r = { .id = id };

	return nfp_request(h, NFPUNCH_CMD_TCP_PRIME_DEL, 0, build_prime, NULL,
			   &r);
}
