// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture for the debug lane: reads memory after freeing it, which
 * only KASAN sees. Never load it anywhere else.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init canary_init(void)
{
	volatile char *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree((void *)p);
	pr_info("canary_uaf: read after free: %d\n", p[8]);
	return 0;
}

static void __exit canary_exit(void)
{
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nfpunch test fixture: use after free");
