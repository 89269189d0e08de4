#!/bin/bash
# The kernel log scanner flags every kind of report and nothing else.
. "$(dirname "$0")/../lib/test.sh"
check=$T_REPO/selftests/vm/kernel-log-check

bad=(
	"[   12.3] WARNING: CPU: 1 PID: 80 at kmod/flow.c:10 nfp_flow_put+0x1/0x2 [nfpunch]"
	"[   12.3] BUG: KASAN: use-after-free in nfp_rx"
	"[   12.3] BUG kmalloc-64 (Tainted: G        W  OE     ): Poison overwritten"
	"[   12.3] kernel BUG at net/core/skbuff.c:120!"
	"[   12.3] Oops: 0000 [#1] PREEMPT SMP NOPTI"
	"[   12.3] general protection fault, probably for non-canonical address"
	"[   12.3] =============================================" # alone is fine
	"[   12.3] kmem_cache_destroy nfp_flow: Slab cache still has objects when called from nfp_exit"
	"[   12.3] BUG: sleeping function called from invalid context at mm/slab.h:1"
	"[   12.3] INFO: task rmmod:120 blocked for more than 120 seconds."
	"[   12.3] rcu: INFO: rcu_preempt self-detected stall on CPU"
	"[   12.3] refcount_t: underflow; use-after-free."
	"[   12.3] list_del corruption. prev->next should be ffff"
	"[   12.3] watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"
)
for line in "${bad[@]}"; do
	case $line in *"=====") continue ;; esac
	# The checker exits 1 when it finds a problem.
	echo "$line" | "$check" >/dev/null
	t_expect "flags: ${line#*] }" 1 "$?"
done

good="[    0.0] Linux version 6.1.0
[    9.1] nfpunch: version 0.1.0 loaded
[    9.2] nfpunch: loading out-of-tree module taints kernel.
[    9.3] nfpunch: module verification failed: signature and/or required key missing - tainting kernel
[   10.0] IPv6: ADDRCONF(NETDEV_CHANGE): veth0: link becomes ready"
echo "$good" | "$check" >/dev/null
t_expect "a clean boot log passes" 0 "$?"

"$check" /nonexistent/log >/dev/null 2>&1
t_expect "an unreadable log is an error, not a pass" 2 "$?"

t_done
