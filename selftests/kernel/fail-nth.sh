#!/bin/bash
# FLOW_NEW and FLOW_NEW_BATCH when the kernel runs out of memory at any
# point: the n-th slab allocation of the request fails, for n = 1, 2, ...
# until the request gets past its last one (/proc/thread-self/fail-nth).
# A request that fails must leave no flow behind (the module once created
# the flow and then failed to allocate its reply), and a flow it reports
# must exist; a batch leaves all of its flows or none.
# Needs fault injection: the debug lane's kernel has it, Debian's has not.
. "$(dirname "$0")/../lib/test.sh"
NS=nfp-fnth-$$
FS=/sys/kernel/debug/failslab
S=00112233445566778899aabbccddeeff
if [ ! -e /proc/thread-self/fail-nth ] || [ ! -d "$FS" ]; then
	t_skip "FLOW_NEW under every allocation failure" \
		"this kernel has no fault injection (the debug lane's has)"
	t_done
fi
gfp_wait=$(cat "$FS/ignore-gfp-wait")
verbose=$(cat "$FS/verbose")
cleanup() {
	echo "$gfp_wait" >"$FS/ignore-gfp-wait"
	echo "$verbose" >"$FS/verbose"
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
# Allocations that may sleep fail too (most of the request's do), and
# quietly: a stack dump per fault would read as a kernel problem.
echo N >"$FS/ignore-gfp-wait"
echo 0 >"$FS/verbose"

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 192.0.2.30/32 dev lo
ip -n "$NS" route add 198.51.100.0/24 dev lo
# fnth LABEL WHAT MAX [--batch N]: fail-nth-add from the first
# allocation to past the last one of the request.
fnth() {
	local label=$1 what=$2 max=$3 out rc
	shift 3
	out=$(ip netns exec "$NS" "$T_BIN/selftests/tools/fail-nth-add" "$@" \
		"$l" "$p" $S "$max" 2>&1)
	rc=$?
	t_expect "$label: $what" 0 "$rc"
	[ $rc -ne 0 ] && printf '# %s\n' "$out"
	t_match "$label: faults hit the request, and it got past its last allocation" \
		'injected [1-9][0-9]* .* end yes$' "$out"
	printf '# %s\n' "$(tail -1 <<<"$out")"
}
for fam in 4 6; do
	if [ $fam = 4 ]; then l=192.0.2.30:4000 p=198.51.100.9:5000
	else l="[::1]:4000" p="[::1]:5000"; fi
	fnth "ipv$fam" "no failed FLOW_NEW left a flow, every reported flow exists" 400
	# A fault at the second or third flow must undo the ones before.
	fnth "ipv$fam, a batch of 3" \
		"no failed batch left any of its flows, every reported one exists" \
		600 --batch 3
done
t_expect "the namespace holds no flow" 0 \
	"$(ip netns exec "$NS" "$PUNCHCTL" -j stats | jq .flows)"
t_done
