// SPDX-License-Identifier: GPL-2.0
/* Test fixture: WARNs on unload, as a module with a lifetime bug would. */
#include <linux/module.h>

static int __init canary_init(void)
{
	return 0;
}

static void __exit canary_exit(void)
{
	WARN(1, "canary_warn: deliberate warning on unload\n");
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nfpunch test fixture: warns on unload");
