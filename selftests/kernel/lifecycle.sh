#!/bin/bash
# Loading, unloading and namespaces coming and going around the module.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/vm/module-lib.sh"

kver=$(uname -r)
overlay=""
cleanup() {
	local i
	for i in 1 2 3 4 5 6 7 8; do ip netns del "nfp-life$i" 2>/dev/null; done
	if [ -n "$overlay" ]; then
		umount /lib/modules 2>/dev/null
		rm -rf "$overlay"
	fi
}
trap cleanup EXIT

ok=1
for i in 1 2 3 4 5; do
	nfp_module_unload "$NFP_MODULE" && nfp_module_load "$NFP_MODULE" || ok=0
	"$PUNCHCTL" stats >/dev/null || ok=0
done
[ $ok -eq 1 ] && t_ok "unload and reload five times, answering each time" ||
	t_fail "unload and reload five times, answering each time"

for i in 1 2 3 4 5 6 7 8; do ip netns add "nfp-life$i"; done
n=0
for i in 1 2 3 4 5 6 7 8; do
	ip netns exec "nfp-life$i" "$PUNCHCTL" stats >/dev/null && n=$((n + 1))
done
t_expect "eight namespaces each answer" 8 "$n"
cleanup
t_check "namespaces can be deleted while the module is loaded" \
	"$PUNCHCTL" stats

for i in 1 2 3; do ip netns add "nfp-life$i"; done
t_check "the module unloads while namespaces exist" \
	nfp_module_unload "$NFP_MODULE"
t_check "and loads again into them" nfp_module_load "$NFP_MODULE"
t_check "the old namespaces get fresh state" \
	ip netns exec nfp-life2 "$PUNCHCTL" stats

# Autoload: install the module the way "make install" does, on an overlay
# so the VM's read-only root is untouched, and let the family lookup load it.
# The overlay covers all of /lib/modules: a kernel built here (the debug
# lane's) has no directory of its own there.
overlay=$(mktemp -d)
mkdir -p "$overlay/upper/$kver/extra" "$overlay/work"
cp "$NFP_MODULE" "$overlay/upper/$kver/extra/"
# depmod warns without the lists a packaged kernel ships; empty ones
# only where the kernel has none.
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -e "/lib/modules/$kver/$f" ] || : >"$overlay/upper/$kver/$f"
done
if mount -t overlay overlay -o "lowerdir=/lib/modules,upperdir=$overlay/upper,workdir=$overlay/work" \
	/lib/modules && depmod -a "$kver"; then
	nfp_module_unload "$NFP_MODULE"
	if out=$("$PUNCHCTL" stats 2>&1) && [ -d /sys/module/nfpunch ]; then
		t_ok "resolving the family loads the module (MODULE_ALIAS_GENL_FAMILY)"
	else
		t_fail "resolving the family loads the module (MODULE_ALIAS_GENL_FAMILY)" "$out"
	fi
else
	t_fail "an installed copy of the module for the autoload test"
fi

t_done
