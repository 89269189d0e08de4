#!/bin/bash
# The module builds with sparse (C=2, every file) and W=1 without one
# warning. Built in a scratch copy so the tree's own build is untouched.
. "$(dirname "$0")/../lib/test.sh"

krel=$("$T_REPO/scripts/kernel-release") || { t_fail "a kernel to build against"; t_done; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r "$T_REPO/Kbuild" "$T_REPO/kmod" "$T_REPO/uapi" "$scratch/"
# Whatever shared sources the module compiles in come along too.
[ -d "$T_REPO/lib" ] && cp -r "$T_REPO/lib" "$scratch/"

out=$(make -C "/lib/modules/$krel/build" M="$scratch" C=2 W=1 modules 2>&1)
rc=$?
t_expect "the module builds with C=2 W=1" 0 "$rc"
warnings=$(printf '%s\n' "$out" | grep -E 'warning:|error:' |
	grep -v 'Skipping BTF generation')
if [ -z "$warnings" ]; then
	t_ok "sparse and W=1 report nothing"
else
	t_fail "sparse and W=1 report nothing" "$warnings"
fi
t_done
