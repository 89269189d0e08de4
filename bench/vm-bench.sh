#!/bin/bash
# bench/vm-bench.sh - the benchmarks, run as root inside the VM by bench/run.
#
# Every number is printed next to the baseline it is compared with, both
# measured in this run: the hook cost against the module not loaded (before
# and after, to show drift), memory against the same namespace before the
# flows, keepalive CPU against the same VM idle.
#
# Environment: NFP_BENCH_FLOWS (default 1000000), NFP_BENCH_MID (10000),
# NFP_BENCH_PACKETS per trial (50000), NFP_BENCH_TRIALS (9),
# NFP_BENCH_WINDOW seconds of CPU accounting (30), NFP_BENCH_CP_FLOWS
# installed per trial of the one-by-one against batch comparison (20000);
# the keepalive run:
# NFP_BENCH_KA_FLOWS per side (50000) and NFP_BENCH_KEEPALIVE ms (10000).
# The keepalive run is sized for what the emulated VM sustains; the cost
# of 1M flows follows from its measured CPU time per keepalive.
set -eu

repo=$(pwd)
bin=$repo/build
ko=$repo/nfpunch.ko
flows=${NFP_BENCH_FLOWS:-1000000}
mid=${NFP_BENCH_MID:-10000}
packets=${NFP_BENCH_PACKETS:-50000}
trials=${NFP_BENCH_TRIALS:-9}
window=${NFP_BENCH_WINDOW:-30}
keepalive=${NFP_BENCH_KEEPALIVE:-10000}
ka_flows=${NFP_BENCH_KA_FLOWS:-50000}
cp_flows=${NFP_BENCH_CP_FLOWS:-20000}
# shellcheck source=../selftests/vm/module-lib.sh
. "$repo/selftests/vm/module-lib.sh"

ns=nfpb-hook ref=nfpb-ref nsa=nfpb-a nsb=nfpb-b
cleanup() {
	local n
	for n in $ns $ref $nsa $nsb; do
		ip netns del $n 2>/dev/null || true
	done
	nfp_module_unload "$ko" 2>/dev/null || true
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }
field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
. "$repo/bench/lib/stats.sh"

# ns per datagram of one trial: traffic from port 8 to PORT inside
# namespace NS. Flows use ports 10000-59999, so port 8 never has one.
rr() {
	ip netns exec "$1" taskset -c 1 "$bin/bench/udp-rr" 10.99.0.1 "$2" \
		"$packets" 8 | field ns_per_packet
}

# A namespace with a dummy device holding 10.99.0.1.
make_ns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link add d0 type dummy
	ip -n "$1" addr add 10.99.0.1/24 dev d0
	ip -n "$1" link set d0 up
}

# "MemFree Slab VmallocUsed" in kB, once the page cache is out of the way.
meminfo() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '/^(MemFree|Slab|VmallocUsed):/ { v[$1] = $2 }
	     END { print v["MemFree:"], v["Slab:"], v["VmallocUsed:"] }' /proc/meminfo
}

# Busy and total jiffies of all CPUs, from /proc/stat.
cpu_sample() {
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i;
		       print t - $5 - $6, t }' /proc/stat
}

# Busy share of the CPUs over $window seconds, as a fraction.
cpu_busy() {
	local b0 t0 b1 t1
	read -r b0 t0 <<<"$(cpu_sample)"
	sleep "$window"
	read -r b1 t1 <<<"$(cpu_sample)"
	awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.4f", b / t }'
}

probes_sent() {
	ip netns exec "$1" "$bin/punchctl" -j stats |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["probes_sent"])'
}

# Flows in namespace $1, in state $2 when given.
count() {
	local n=$1
	shift
	ip netns exec "$n" "$bin/bench/flowbench" count "$@" | field flows
}

# Trials of several cases interleaved, so drift hits them all alike.
# Args: NAME NS PORT triples; prints "NAME MEDIAN" lines.
interleave() {
	local -a args=("$@") i k
	local out
	out=$(mktemp)
	for ((i = 0; i < trials; i++)); do
		for ((k = 0; k < ${#args[@]}; k += 3)); do
			echo "${args[k]} $(rr "${args[k + 1]}" "${args[k + 2]}")"
		done
	done >"$out"
	for ((k = 0; k < ${#args[@]}; k += 3)); do
		echo "${args[k]} $(awk -v n="${args[k]}" '$1 == n { print $2 }' "$out" | median)"
	done
	rm -f "$out"
}

say "# nfpunch benchmarks: $(uname -r), $(nproc) CPUs, $flows flows"
say "# kernel command line: $(cat /proc/cmdline)"

make_ns $ns
make_ns $ref

say
say "## 1. Hook cost on UDP the module does not care about"
say "# ns per datagram through LOCAL_OUT and LOCAL_IN (loopback), median of"
say "# $trials trials x $packets, cases interleaved trial by trial"
say
say "### 1a. module loaded (0 flows) against not loaded"
out=$(mktemp)
for ((i = 0; i < trials; i++)); do
	echo "unloaded $(rr $ref 9)"
	nfp_module_load "$ko"
	echo "loaded $(rr $ref 9)"
	nfp_module_unload "$ko"
done >"$out"
base=$(awk '$1 == "unloaded" { print $2 }' "$out" | median)
r0=$(awk '$1 == "loaded" { print $2 }' "$out" | median)
rm -f "$out"
load_ratio=$(ratio "$r0" "$base")
say "not loaded           $base"
say "loaded, 0 flows      $r0   ratio $load_ratio"

nfp_module_load "$ko"
# Room for the 100 flows of the delete rows on top.
ip netns exec $ns "$bin/punchctl" config set max-flows $((flows + 100)) >/dev/null

# Rows against the flowless namespace, then times the load ratio.
flow_rows() {
	local label=$1 r w b
	while read -r name med; do
		case $name in
		ref) b=$med ;;
		other) r=$med ;;
		watched) w=$med ;;
		esac
	done <<<"$(interleave ref $ref 9 other $ns 9 watched $ns 10000)"
	say "$label flows, no flow on the port   $r   ratio to 0 flows $(ratio "$r" "$b"), to not loaded $(awk -v a="$r" -v b="$b" -v l="$load_ratio" 'BEGIN { printf "%.3f", a / b * l }')"
	say "$label flows, port with flows       $w   ratio to 0 flows $(ratio "$w" "$b"), to not loaded $(awk -v a="$w" -v b="$b" -v l="$load_ratio" 'BEGIN { printf "%.3f", a / b * l }')"
	say "  (0 flows, same run: $b)"
}

say
say "### 1b. flows installed (in the namespace of the traffic) against none"
flow_rows 0
mem0=$(meminfo)
t_add1=$(ip netns exec $ns "$bin/bench/flowbench" add "$mid" 10.99.0.1 10.99.0.2 \
	--batch 256 | field seconds)
flow_rows "$mid"
t_add2=$(ip netns exec $ns "$bin/bench/flowbench" add $((flows - mid)) \
	10.99.0.1 10.99.0.2 --start "$mid" --batch 256 | field seconds)
mem1=$(meminfo)
n=$(count $ns)
[ "$n" -eq "$flows" ] || { say "expected $flows flows, the module holds $n"; exit 1; }
flow_rows "$flows"

say
say "## 2. Control plane"
say "### 2a. $flows flows"
t_add=$(awk -v a="$t_add1" -v b="$t_add2" 'BEGIN { printf "%.1f", a + b }')
say "install (batches of 256)           ${t_add} s  ($(awk -v n="$flows" -v t="$t_add" 'BEGIN { printf "%.0f", n / t }') flows/s)"
dump=$(ip netns exec $ns "$bin/bench/flowbench" count)
say "dump                                $(echo "$dump" | field seconds) s  ($(echo "$dump" | field per_second) flows/s)"
# Deleting 100 flows of one endpoint among all the others: by app tag
# (every flow is looked at) against by local endpoint (its index).
ms_of() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
ip netns exec $ns "$bin/bench/flowbench" add 100 10.99.0.1 10.99.0.2 \
	--first-port 9000 --ports 1 --start "$flows" --tag 77 --batch 100 >/dev/null
del_walk=$(ms_of ip netns exec $ns "$bin/punchctl" flow del tag 77)
ip netns exec $ns "$bin/bench/flowbench" add 100 10.99.0.1 10.99.0.2 \
	--first-port 9000 --ports 1 --start "$flows" --tag 77 --batch 100 >/dev/null
del_index=$(ms_of ip netns exec $ns "$bin/punchctl" flow del local 10.99.0.1:9000)
say "delete 100 flows among $flows: by tag (a walk) ${del_walk} ms, by local endpoint (its index) ${del_index} ms (punchctl runs, start included)"
say
say "### 2b. Installing flows: one request each against batches"
say "# $cp_flows flows into an empty namespace, $trials trials alternating,"
say "# flows/s (medians); one process, as a daemon restoring its flows would"
out=$(mktemp)
for ((i = 0; i < trials; i++)); do
	for b in 1 256; do
		make_ns nfpb-cp
		ip netns exec nfpb-cp "$bin/punchctl" config set max-flows "$cp_flows" >/dev/null
		echo "$b $(ip netns exec nfpb-cp "$bin/bench/flowbench" add "$cp_flows" \
			10.99.0.1 10.99.0.2 --batch $b | field per_second)"
		ip netns del nfpb-cp
	done
done >"$out"
one=$(awk '$1 == 1 { print $2 }' "$out" | median)
many=$(awk '$1 == 256 { print $2 }' "$out" | median)
say "one FLOW_NEW request each          $one flows/s  (trials: $(awk '$1 == 1 { printf "%s ", $2 }' "$out"))"
say "FLOW_NEW_BATCH, 256 flows each     $many flows/s  (trials: $(awk '$1 == 256 { printf "%s ", $2 }' "$out"))   ratio $(ratio "$many" "$one")"
rm -f "$out"

say
say "## 3. Memory per flow"
# Everything the flows cost: the object, its peer block, both hash
# tables' buckets and the id tree (slab), large bucket arrays (vmalloc).
awk -v a="$mem0" -v b="$mem1" -v n="$flows" 'BEGIN {
	split(a, x, " "); split(b, y, " ")
	printf "Slab        %d -> %d kB: %.0f bytes per flow\n", x[2], y[2], (y[2] - x[2]) * 1024 / n
	printf "VmallocUsed %d -> %d kB: %.0f bytes per flow\n", x[3], y[3], (y[3] - x[3]) * 1024 / n
	printf "slab + vmalloc per flow: %.0f bytes\n", (y[2] - x[2] + y[3] - x[3]) * 1024 / n
}'

t0=$(date +%s.%N)
ip netns del $ns
nfp_module_unload "$ko"
t1=$(date +%s.%N)
say "netns deletion and unload with $flows live flows: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
ip netns del $ref
say
say "## 4. Keepalive CPU: $ka_flows established flows on each side of a veth"
# Flows established together keep their keepalives together, and the
# timer wheel fires a whole bucket at once: with the pps cap raised for
# this run, bursts go past veth's default backlog of 1000. A gateway with
# this many flows raises it too; drops are reported below either way.
sysctl -qw net.core.netdev_max_backlog=100000
idle=$(cpu_busy)
say "CPU busy, idle VM:                  $idle"
nfp_module_load "$ko"
ip netns add $nsa
ip netns add $nsb
ip link add va netns $nsa type veth peer name vb netns $nsb
ip -n $nsa addr add 10.98.0.1/24 dev va
ip -n $nsb addr add 10.98.0.2/24 dev vb
ip -n $nsa link set va up
ip -n $nsb link set vb up
for n in $nsa $nsb; do
	ip -n $n link set lo up
	ip netns exec $n "$bin/punchctl" config set pps 1000000 \
		max-flows "$ka_flows" >/dev/null
done
ip netns exec $nsa "$bin/bench/flowbench" add "$ka_flows" 10.98.0.1 10.98.0.2 \
	--keepalive "$keepalive" >/dev/null
ip netns exec $nsb "$bin/bench/flowbench" add "$ka_flows" 10.98.0.2 10.98.0.1 \
	--keepalive "$keepalive" --active >/dev/null
for ((i = 0; i < 600; i++)); do
	[ "$(count $nsb established)" -eq "$ka_flows" ] &&
		[ "$(count $nsa established)" -eq "$ka_flows" ] && break
	sleep 1
done
ea=$(count $nsa established)
eb=$(count $nsb established)
say "established: $ea and $eb of $ka_flows"
# Each keepalive is a request and its answer, both counted in the
# namespaces' probes_sent, which is cheap to read (a dump is not).
# Same start-up delay before each read, so it cancels out of the rate.
ta0=$(date +%s.%N); sa=$(probes_sent $nsa)
tb0=$(date +%s.%N); sb=$(probes_sent $nsb)
busy=$(cpu_busy)
ta1=$(date +%s.%N); sa=$(( $(probes_sent $nsa) - sa ))
tb1=$(date +%s.%N); sb=$(( $(probes_sent $nsb) - sb ))
say "CPU busy, $ka_flows flows per side:    $busy"
say "packets dropped by the veth pair so far: $(ip -n $nsa -s -j link show va | jq '.[0].stats64.tx.dropped + .[0].stats64.rx.dropped')"
ka_rate=$(awk -v sa="$sa" -v sb="$sb" -v a0="$ta0" -v a1="$ta1" -v b0="$tb0" -v b1="$tb1" \
	'BEGIN { print (sa / (a1 - a0) + sb / (b1 - b0)) / 2 }')
awk -v r="$ka_rate" -v n=$((2 * ka_flows)) -v iv="$keepalive" 'BEGIN {
	printf "keepalives: %.0f/s, %.2f per flow and interval of %d ms\n",
	       r, r / n * iv / 1000, iv
}'
awk -v a="$busy" -v b="$idle" -v r="$ka_rate" -v c="$(nproc)" -v pkt="$base" \
    -v n=$((2 * ka_flows)) 'BEGIN {
	us = (a - b) * c / r * 1e6
	printf "extra CPU for the keepalives of %d flows: %.1f%% of the VM\n", n, (a - b) * 100
	printf "CPU per keepalive (request, answer, both ends): %.1f us = %.1f local UDP datagrams of section 1 (%.1f us each)\n", us, us * 1000 / pkt, pkt / 1000
	printf "so 1M flows at the default 25 s interval (40000 keepalives/s) need %.2f CPUs of this VM\n", 40000 * us / 1e6
}'
[ "$ea" -eq "$ka_flows" ] && [ "$eb" -eq "$ka_flows" ]
