// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture for the debug lane: loses the only pointer to a kmalloc'd
 * object, which only kmemleak sees. Never load it anywhere else.
 */
#include <linux/module.h>
#include <linux/slab.h>

static int __init canary_init(void)
{
	void *p = kmalloc(200, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	memset(p, 0x5a, 200);
	return 0;
}

static void __exit canary_exit(void)
{
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nfpunch test fixture: leaks a kmalloc object");
