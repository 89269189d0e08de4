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

#include "netlink.h"
#include "netns.h"
#include "version.h"

static int __init nfp_mod_init(void)
{
	int ret;

	ret = nfp_netns_init();
	if (ret)
		return ret;

	/* Last: once the family is registered, requests can arrive. */
	ret = nfp_genl_init();
	if (ret)
		goto err_netns;

	pr_info("version " NFPUNCH_VERSION " loaded\n");
	return 0;

err_netns:
	nfp_netns_uninit();
	return ret;
}

static void __exit nfp_mod_exit(void)
{
	nfp_genl_uninit();
	nfp_netns_uninit();
}

module_init(nfp_mod_init);
module_exit(nfp_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("NAT hole punching for UDP flows");
MODULE_VERSION(NFPUNCH_VERSION);
MODULE_ALIAS_GENL_FAMILY(NFPUNCH_GENL_NAME);
