// SPDX-License-Identifier: GPL-2.0
/*
 * Test fixture for the debug lane: takes two locks in both orders, one
 * after the other. It never deadlocks; only lockdep sees that it could.
 */
#include <linux/module.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(canary_a);
static DEFINE_SPINLOCK(canary_b);

static int __init canary_init(void)
{
	spin_lock(&canary_a);
	spin_lock(&canary_b);
	spin_unlock(&canary_b);
	spin_unlock(&canary_a);

	spin_lock(&canary_b);
	spin_lock(&canary_a);
	spin_unlock(&canary_a);
	spin_unlock(&canary_b);
	return 0;
}

static void __exit canary_exit(void)
{
}

module_init(canary_init);
module_exit(canary_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nfpunch test fixture: lock order inversion");
