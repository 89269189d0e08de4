#!/bin/bash
# Limits an unprivileged user cannot lift. In a network namespace of its
# own user namespace, a user has CAP_NET_ADMIN over it and so may use
# nfpunch; but it starts with max-flows 4096, may lower the limits and not
# raise them, its flows' memory is charged to its memory cgroup, the host
# caps the flows of all namespaces together, and flows throttled by pps 1
# back off instead of waking every 20 ms to compute an HMAC.
# vm-timeout: 900
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/wait.sh"
FLOWBENCH=$T_BIN/bench/flowbench
S=000102030405060708090a0b0c0d0e0f
TMP=$(mktemp -d)
CG=""
PARAM=/sys/module/nfpunch/parameters/max_flows_total
total0=$(cat "$PARAM")
cleanup() {
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	echo "$total0" >"$PARAM"
	rm -rf "$TMP"
}
trap cleanup EXIT

# in_userns SCRIPT: run SCRIPT in a new user namespace (root mapped to
# root) with its own network namespace, as an unprivileged user would.
in_userns() {
	unshare --user --map-root-user --net bash -c "
		ip link set lo up && ip addr add 192.0.2.30/32 dev lo &&
		ip route add 198.51.100.0/24 dev lo || exit 9
		$1" 2>&1
}

t_expect "a user namespace's netns starts with max-flows 4096" 4096 \
	"$(in_userns "'$PUNCHCTL' -j config | jq .max_flows")"
t_expect "it cannot raise max-flows" \
	"punchctl: cannot change the config: only the initial user namespace may raise max-flows or pps" \
	"$(in_userns "'$PUNCHCTL' config set max-flows 100000")"
t_expect "nor pps" \
	"punchctl: cannot change the config: only the initial user namespace may raise max-flows or pps" \
	"$(in_userns "'$PUNCHCTL' config set pps 100000")"
t_expect "it may lower them" "100 1" \
	"$(in_userns "'$PUNCHCTL' -j config set max-flows 100 pps 1 | jq -r '\"\(.max_flows) \(.pps)\"'")"
t_expect "and not raise them back afterwards" "rc=1" \
	"$(in_userns "'$PUNCHCTL' config set max-flows 100 >/dev/null &&
		'$PUNCHCTL' config set max-flows 101 >/dev/null 2>&1; echo rc=\$?")"

# --- 65536 flows asked for in a memory cgroup, at pps 1 ---
if ! grep -q cgroup2 /proc/mounts; then
	mount -t cgroup2 none /sys/fs/cgroup || t_fail "cgroup2 mounts"
fi
memcg=yes
grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null || memcg=no
echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
CG=/sys/fs/cgroup/nfp-userns-$$
mkdir "$CG" || t_fail "a test cgroup is made"
slab() {
	if [ $memcg = yes ]; then awk '$1 == "slab" { print $2 }' "$CG/memory.stat"
	else echo 0; fi
}
softirq() { awk '$1 == "cpu" { print $8 }' /proc/stat; }

# The user's shell joins the cgroup, then asks for 65536 active flows.
# It reports what it got, and keeps the namespace (and the flows) alive
# while the host measures, until its input closes.
mkfifo "$TMP/hold" "$TMP/ready"
(
	echo "$BASHPID" >"$CG/cgroup.procs"
	in_userns "
		'$PUNCHCTL' config set pps 1 >/dev/null
		'$FLOWBENCH' add 65536 192.0.2.30 198.51.100.9 --active --first-port 1024 \
			--ports 64000 2>&1 | tail -n 1
		'$PUNCHCTL' -j stats | jq -r '\"flows=\(.flows)\"'
		echo \$\$ >'$TMP/ready'
		read -r _ <'$TMP/hold'"
) >"$TMP/user" &
user=$!
slab0=$(slab)
read -r upid <"$TMP/ready"
# The host's admin looks into the user's namespace.
user_stat() { nsenter --net="/proc/$upid/ns/net" "$PUNCHCTL" -j stats | jq ".$1"; }
t_match "65536 flows asked for: refused past the namespace's 4096" \
	'flow 4096: flow limit of this namespace reached' "$(head -n 1 "$TMP/user")"
t_expect "4096 flows are live" "flows=4096" "$(sed -n 2p "$TMP/user")"
slab1=$(slab)
if [ $memcg = yes ]; then
	t_check "their memory is charged to the user's cgroup ($(((slab1 - slab0) / 1024)) KiB of slab)" \
		test $((slab1 - slab0)) -ge $((4096 * 256))
else
	t_skip "their memory is charged to the user's cgroup" "this kernel has no memory cgroup"
fi

# Throttled flows back off, doubling from 20 ms to one try per 1.28 s:
# over 3 s, 4096 flows may be refused some 4096 * (3 / 1.28 + 7) times
# at the most, not 4096 * 150 as with a fixed 20 ms retry.
thr0=$(user_stat throttled)
s0=$(softirq)
start=$(now_ms)
sleep 3
s1=$(softirq)
thr=$(($(user_stat throttled) - thr0))
ms=$(($(now_ms) - start))
exec 3>"$TMP/hold"
exec 3>&-
wait "$user"
printf '# refused %d sends, softirq %d ticks in %d ms\n' "$thr" $((s1 - s0)) "$ms"
t_check "4096 throttled flows were refused $thr times in $ms ms (bound $((4096 * (7 + ms / 1280))))" \
	test "$thr" -le $((4096 * (7 + ms / 1280)))
# USER_HZ ticks over both CPUs: bounded well below the whole machine.
t_check "softirq time stays bounded ($((s1 - s0)) ticks in $ms ms)" \
	test $((s1 - s0)) -le $((ms / 10 / 2))

# --- The host's cap over all namespaces ---
n=$("$PUNCHCTL" -j stats | jq .flows)
echo $((n + 3)) >"$PARAM"
t_match "with max_flows_total 3 above the live flows, 3 more flows and no more" \
	'flow 3: flow limit of the host reached \(max_flows_total\)$' \
	"$(in_userns "'$FLOWBENCH' add 10 192.0.2.30 198.51.100.9" | tail -n 1)"
t_done
