// SPDX-License-Identifier: GPL-2.0
/* Test fixture: leaks an object from its own slab cache on unload. */
#include <linux/module.h>
#include <linux/slab.h>

static struct kmem_cache *canary_cache;
static void *canary_obj;

static int __init canary_init(void)
{
	canary_cache = kmem_cache_create("canary_leak", 64, 0, 0, NULL);
	if (!canary_cache)
		return -ENOMEM;
	canary_obj = kmem_cache_alloc(canary_cache, GFP_KERNEL);
	return 0;
}

static void __exit canary_exit(void)
{
	/* The object is never freed: slub reports it at destroy time. */
	kmem_cache_destroy(canary_cache);
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nfpunch test fixture: leaks a slab object");
