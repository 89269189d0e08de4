#!/bin/bash
# The netlink family under fire: random and mutated requests of every
# command from several threads (selftests/tools/nl-fuzz.c) while real
# peers answer some of the flows it makes, namespaces with flows come and
# go, and (NFP_FUZZ_FAILSLAB=1, on the debug kernel) the fuzzer's own slab
# allocations fail at random. The kernel log is the verdict (vm-suite's
# audit); afterwards the module still punches.
#   NFP_FUZZ_SECONDS  how long (default 20; the debug lane runs 1800)
# vm-timeout: 2400
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/netns.sh"
. "$T_REPO/selftests/lib/wait.sh"
A=nfp-fuzz-a-$$
B=nfp-fuzz-b-$$
FUZZ=$T_BIN/selftests/tools/nl-fuzz
SECS=${NFP_FUZZ_SECONDS:-20}
ZERO=00000000000000000000000000000000
FS=/sys/kernel/debug/failslab
TMP=$(mktemp -d)
cleanup() {
	[ -n "${churner:-}" ] && kill "$churner" 2>/dev/null
	[ -d "$FS" ] && echo 0 >"$FS/probability" 2>/dev/null
	ns_del "$A" "$B" $(ip netns list | awk '/^nfp-fuzz-c-/ { print $1 }')
	rm -rf "$TMP"
}
trap cleanup EXIT
in_a() { ip netns exec "$A" "$@"; }
in_b() { ip netns exec "$B" "$@"; }

ns_pair "$A" "$B" 10.9.1.1/24 10.9.1.2/24 fd00:91::1/64 fd00:91::2/64 ||
	{ t_fail "two namespaces come up"; t_done; }

# The fuzzer's batches make flows eight at a time: a limit keeps them to
# what a small guest holds, and its refusals undo batches halfway.
in_a "$PUNCHCTL" config set max-flows 4096 >/dev/null

# Passive peers on B under the all-zero secret the fuzzer often uses.
for p in 1024 1025 1026 1027; do
	in_b "$PUNCHCTL" flow add local 10.9.1.2:$p peer-range 10.9.1.1:1024-1223 \
		secret $ZERO role controlled passive punch-timeout 10m >/dev/null
done

# Namespaces with punching flows and a query, made and deleted meanwhile.
churn() {
	local k=0 c
	while [ -e "$TMP/go" ] && [ $k -lt 100000 ]; do
		c=nfp-fuzz-c-$$-$k
		ip netns add "$c" && ip -n "$c" link set lo up &&
			ip -n "$c" addr add 192.0.2.40/32 dev lo &&
			ip -n "$c" route add 198.51.100.0/24 dev lo
		for p in 1 2 3 4 5; do
			ip netns exec "$c" "$PUNCHCTL" flow add local 192.0.2.40:$((4000 + p)) \
				peer-range 198.51.100.9:5000-5031 secret $ZERO role controlling \
				>/dev/null 2>&1
		done
		ip netns exec "$c" "$PUNCHCTL" mapping local 192.0.2.40:4001 \
			server 198.51.100.9:3478 timeout 2s >/dev/null 2>&1 &
		sleep 0.3
		ip netns del "$c"
		wait
		k=$((k + 1))
	done
	echo "$k" >"$TMP/churned"
}
touch "$TMP/go"
churn &
churner=$!

failslab=no
if [ "${NFP_FUZZ_FAILSLAB:-0}" = 1 ] && [ -d "$FS" ]; then
	echo Y >"$FS/task-filter"
	echo N >"$FS/ignore-gfp-wait"
	echo 0 >"$FS/verbose"
	echo -1 >"$FS/times"
	echo 1 >"$FS/interval"
	echo 3 >"$FS/probability"
	failslab=yes
fi
# Only the fuzzer's worker threads fail allocations (task-filter): they
# mark themselves once running (-F), so its exec and start cannot fail.
fail_opt=()
[ $failslab = yes ] && fail_opt=(-F)
in_a "$FUZZ" -t 4 -s "$SECS" "${fail_opt[@]}" 10.9.1.1 fd00:91::1 10.9.1.2 fd00:91::2 \
	>"$TMP/fuzz" 2>&1
rc=$?
[ -d "$FS" ] && echo 0 >"$FS/probability"
rm -f "$TMP/go"
wait "$churner"
churner=""
sed 's/^/# /' "$TMP/fuzz"
t_expect "the fuzzer ran $SECS s (failslab: $failslab) and every request was answered" 0 "$rc"
t_match "it sent requests of every kind" 'sent=[0-9]{3,}.*dumps=[1-9]' "$(cat "$TMP/fuzz")"
t_match "namespaces came and went meanwhile" '^[1-9][0-9]*$' "$(cat "$TMP/churned")"

# Whatever the fuzzer left, a well-formed pair still punches.
in_a "$PUNCHCTL" config set max-flows 65536 pps 1000 >/dev/null
in_b "$PUNCHCTL" config set max-flows 65536 pps 1000 >/dev/null
in_b "$PUNCHCTL" flow add local 10.9.1.2:9000 peer 10.9.1.1:9000 secret ${ZERO%?}1 \
	role controlled >/dev/null
id=$(in_a "$PUNCHCTL" -j flow add local 10.9.1.1:9000 peer 10.9.1.2:9000 \
	secret ${ZERO%?}1 role controlling | jq .id)
est() { [ "$(in_a "$PUNCHCTL" -j flow show id "$id" | jq -r '.[0].state')" = established ]; }
t_check "afterwards a fresh pair still punches" wait_for 100 est
t_done
