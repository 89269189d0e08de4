// SPDX-License-Identifier: LGPL-2.1-or-later
/* NFPUNCH_CMD_CONFIG_GET/SET: the namespace's limits and defaults. */
#include <errno.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

/* Attribute type and the field it maps to, in one table for both ways. */
#define CFG_FIELDS(X)						\
	X(NFPUNCH_CFG_A_MAX_FLOWS, max_flows)			\
	X(NFPUNCH_CFG_A_PPS, pps)				\
	X(NFPUNCH_CFG_A_KEEPALIVE, keepalive_ms)		\
	X(NFPUNCH_CFG_A_TIMEOUT, timeout_ms)			\
	X(NFPUNCH_CFG_A_PUNCH_TIMEOUT, punch_timeout_ms)	\
	X(NFPUNCH_CFG_A_PROBE_INTERVAL, probe_interval_ms)

static int parse_config(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct nlattr *c[NFPUNCH_CFG_A_MAX + 1];
	struct nfp_config *cfg = arg;

	(void)nlh;
	if (!tb[NFPUNCH_A_CONFIG] ||
	    nla_parse_nested(c, NFPUNCH_CFG_A_MAX, tb[NFPUNCH_A_CONFIG], NULL) < 0)
		return -EPROTO;
	memset(cfg, 0, sizeof(*cfg));
#define GET(type, field)						\
	if (c[type] && nla_len(c[type]) == sizeof(uint32_t))		\
		cfg->field = nla_get_u32(c[type]);
	CFG_FIELDS(GET)
#undef GET
	return 0;
}

static int build_config(struct nl_msg *msg, void *arg)
{
	const struct nfp_config *cfg = arg;
	struct nlattr *nest = nla_nest_start(msg, NFPUNCH_A_CONFIG);

	if (!nest)
		return -EMSGSIZE;
#define PUT(type, field)						\
	if (cfg->field && nla_put_u32(msg, type, cfg->field) < 0)	\
		return -EMSGSIZE;
	CFG_FIELDS(PUT)
#undef PUT
	nla_nest_end(msg, nest);
	return 0;
}

int nfp_config_get(struct nfp_handle *h, struct nfp_config *cfg)
{
	return nfp_request(h, NFPUNCH_CMD_CONFIG_GET, 0, NULL, parse_config, cfg);
}

int nfp_config_set(struct nfp_handle *h, struct nfp_config *cfg)
{
	return nfp_request(h, NFPUNCH_CMD_CONFIG_SET, 0, build_config,
			   parse_config, cfg);
}
