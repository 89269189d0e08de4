// SPDX-License-Identifier: LGPL-2.1-or-later
/* NFPUNCH_CMD_CONFIG_GET/SET: the namespace's limits and defaults. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nfpunch.h>
#include <netlink/attr.h>

#include "internal.h"

/* The kernel's attribute for each of ours. */
static const int cfg_nl[] = {
	[NFP_CONFIG_MAX_FLOWS] = NFPUNCH_CFG_A_MAX_FLOWS,
	[NFP_CONFIG_PPS] = NFPUNCH_CFG_A_PPS,
	[NFP_CONFIG_KEEPALIVE_MS] = NFPUNCH_CFG_A_KEEPALIVE,
	[NFP_CONFIG_TIMEOUT_MS] = NFPUNCH_CFG_A_TIMEOUT,
	[NFP_CONFIG_PUNCH_TIMEOUT_MS] = NFPUNCH_CFG_A_PUNCH_TIMEOUT,
	[NFP_CONFIG_PROBE_INTERVAL_MS] = NFPUNCH_CFG_A_PROBE_INTERVAL,
};
#define CFG_LAST NFP_CONFIG_PROBE_INTERVAL_MS

struct nfp_config {
	uint32_t set;			/* bit per attribute to change */
	uint32_t value[CFG_LAST + 1];
};

NFP_EXPORT struct nfp_config *nfp_config_alloc(void)
{
	return calloc(1, sizeof(struct nfp_config));
}

NFP_EXPORT void nfp_config_free(struct nfp_config *cfg)
{
	free(cfg);
}

NFP_EXPORT int nfp_config_set_u32(struct nfp_config *cfg, int attr, uint32_t value)
{
	if (attr < 1 || attr > CFG_LAST)
		return -EINVAL;
	cfg->value[attr] = value;
	cfg->set |= 1u << attr;
	return 0;
}

NFP_EXPORT uint32_t nfp_config_get_u32(const struct nfp_config *cfg, int attr)
{
	return attr >= 1 && attr <= CFG_LAST ? cfg->value[attr] : 0;
}

static int parse_config(struct nlmsghdr *nlh, struct nlattr **tb, void *arg)
{
	struct nlattr *c[NFPUNCH_CFG_A_MAX + 1];
	struct nfp_config *cfg = arg;
	int i;

	(void)nlh;
	if (!tb[NFPUNCH_A_CONFIG] ||
	    nla_parse_nested(c, NFPUNCH_CFG_A_MAX, tb[NFPUNCH_A_CONFIG], NULL) < 0)
		return -EPROTO;
	for (i = 1; i <= CFG_LAST; i++)
		if (c[cfg_nl[i]] && nla_len(c[cfg_nl[i]]) == sizeof(uint32_t))
			cfg->value[i] = nla_get_u32(c[cfg_nl[i]]);
	return 0;
}

static int build_config(struct nl_msg *msg, void *arg)
{
	const struct nfp_config *cfg = arg;
	struct nlattr *nest = nla_nest_start(msg, NFPUNCH_A_CONFIG);
	int i;

	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i <= CFG_LAST; i++)
		if ((cfg->set >> i) & 1 &&
		    nla_put_u32(msg, cfg_nl[i], cfg->value[i]) < 0)
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

NFP_EXPORT int nfp_config_fetch(struct nfp_handle *h, struct nfp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	return nfp_request(h, NFPUNCH_CMD_CONFIG_GET, 0, NULL, parse_config, cfg);
}

NFP_EXPORT int nfp_config_apply(struct nfp_handle *h, struct nfp_config *cfg)
{
	int ret = nfp_request(h, NFPUNCH_CMD_CONFIG_SET, 0, build_config,
			      parse_config, cfg);

	if (!ret)
		cfg->set = 0;
	return ret;
}
