#!/bin/bash
# The VM harness must fail a run whose kernel misbehaved: a module that
# WARNs on unload and one that leaks slab objects each make vm/run fail.
. "$(dirname "$0")/lib/test.sh"
canary=$T_REPO/selftests/vm/canary
krel=$("$T_REPO/scripts/kernel-release")

if ! out=$(make -s -C "/lib/modules/$krel/build" M="$canary" modules 2>&1); then
	t_fail "the canary modules build" "$out"
	t_done
fi

for c in warn leak; do
	out=$("$T_REPO/selftests/vm/run" -q --module "$canary/canary_$c.ko" -- true 2>&1)
	rc=$?
	if [ "$rc" -eq 121 ]; then
		t_ok "a module that does '$c' on unload fails the VM run"
	else
		t_fail "a module that does '$c' on unload fails the VM run" \
			"vm/run exited $rc, expected 121" "$out"
	fi
done

out=$("$T_REPO/selftests/vm/run" -q --no-module -- true 2>&1)
t_expect "a clean run passes" "0" "$?"
out=$("$T_REPO/selftests/vm/run" -q --no-module -- sh -c 'exit 7' 2>&1)
t_expect "the command's exit status comes back" "7" "$?"

t_done
