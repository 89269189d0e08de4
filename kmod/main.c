// SPDX-License-Identifier: GPL-2.0
/*
 * nfpunch: NAT hole punching in the kernel.
 *
 * Module entry points only; each subsystem sets itself up in its own file.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/genetlink.h>
#include <linux/nfpunch.h>

#include "crypto.h"
#include "flow.h"
#include "netlink.h"
#include "netns.h"
#include "version.h"

static int __init nfp_mod_init(void)
{
	int ret;

	ret = nfp_crypto_init();
	if (ret)
		return ret;
	ret = nfp_flow_cache_init();
	if (ret)
		goto err_crypto;
	ret = nfp_netns_init();
	if (ret)
		goto err_cache;

	/* Last: once the family is registered, requests can arrive. */
	ret = nfp_genl_init();
	if (ret)
		goto err_netns;

	pr_info("version " NFPUNCH_VERSION " loaded\n");
	return 0;

err_netns:
	nfp_netns_uninit();
err_cache:
	nfp_flow_cache_uninit();
err_crypto:
	nfp_crypto_uninit();
	return ret;
}

static void __exit nfp_mod_exit(void)
{
	nfp_genl_uninit();
	/* Removes every flow and query of every namespace. */
	nfp_netns_uninit();
	/* Flows and queries are freed after a grace period: wait for it. */
	rcu_barrier();
	nfp_flow_cache_uninit();
	nfp_crypto_uninit();
}

module_init(nfp_mod_init);
module_exit(nfp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("NAT hole punching for UDP flows");
MODULE_VERSION(NFPUNCH_VERSION);
MODULE_ALIAS_GENL_FAMILY(NFPUNCH_GENL_NAME);
MODULE_SOFTDEP("pre: sha1");
