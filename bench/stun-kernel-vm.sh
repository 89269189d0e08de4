#!/bin/bash
# bench/stun-kernel-vm.sh - the guest's half of bench/stun-kernel: Binding
# answers per second and the server core's CPU per answer, from
# rendezvousd (one STUN worker), from the kernel (bench/kstun) and from
# coturn, all in one boot.
#
# Loopback in a namespace of its own. stun-load runs on CPU 0. Received
# packets are steered to CPU 1 (RPS on lo), so CPU 1 does the server's
# whole work in every case: the kernel's answers in softirq, or the
# socket path and the server process pinned there. CPU 1 also delivers
# the answers into the generator's sockets, the same work for all three.
# Each case: TRIALS runs of SECS seconds, medians; CPU shares are read
# from /proc/stat between 1 s into the run and 0.5 s before its end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
. "$here/lib/cpu.sh"
. "$here/lib/stats.sh"
bin=${NFP_BIN:-$repo/build}
secs=${NFP_STUN_SECS:-5} trials=${NFP_STUN_TRIALS:-3}
load=$bin/bench/stun-load
ko=$repo/bench/kstun/kstun.ko
ns=kstun-bench
dir=$(mktemp -d)
pid=
fail() { echo "stun-kernel: $*" >&2; exit 1; }
for f in "$load" "$bin/rendezvousd" "$ko"; do
	[ -e "$f" ] || fail "$f missing (bench/stun-kernel builds it)"
done
command -v turnserver >/dev/null || fail "coturn (turnserver) missing"
[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs"

stop() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
}
cleanup() {
	stop
	ip netns del "$ns" 2>/dev/null
	rmmod kstun 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
# ip netns exec mounts the namespace's own /sys: its lo.
ip netns exec "$ns" sh -c 'echo 2 >/sys/class/net/lo/queues/rx-0/rps_cpus'
ip netns exec "$ns" sh -c 'cat /sys/class/net/lo/queues/rx-0/rps_cpus' | grep -q 2 ||
	fail "RPS on the namespace's lo cannot be set"
echo "bench $(printf '%064d' 0)" >"$dir/users"

bound() {
	local i
	for i in $(seq 100); do
		ip netns exec "$ns" ss -Hlun 'src 127.0.0.1:3478' | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

start() {
	case $1 in
	rdv)
		ip netns exec "$ns" taskset -c 1 "$bin/rendezvousd" -l 127.0.0.1 \
			-u "$dir/users" --plaintext-testing-only --stun-rate 1000000000 \
			--stun-workers 1 --log-level warn >"$dir/rdv.log" 2>&1 &
		pid=$!
		bound || fail "rendezvousd did not bind"
		;;
	coturn)
		ip netns exec "$ns" taskset -c 1 turnserver -n --no-tls --no-dtls \
			--no-cli -S -L 127.0.0.1 -p 3478 --no-stdout-log \
			--log-file /dev/null --pidfile "$dir/turn.pid" >/dev/null 2>&1 &
		pid=$!
		bound || fail "coturn did not bind"
		;;
	kernel)
		insmod "$ko" port=3478 || fail "insmod kstun"
		;;
	esac
}

# One trial: "rate busy0 busy1", the busy shares in percent.
trial() {
	local busy
	busy=$(cpu_sampled "$secs" "$dir/load.out" \
		ip netns exec "$ns" taskset -c 0 "$load" 127.0.0.1 3478 "$secs")
	echo "$(awk '{ print $6 }' "$dir/load.out") $busy"
}


declare -A rate busy0 busy1
for name in rdv kernel coturn; do
	start "$name"
	: >"$dir/trials"
	for ((t = 0; t < trials; t++)); do
		trial >>"$dir/trials"
	done
	stop
	[ "$name" = kernel ] && { rmmod kstun || fail "rmmod kstun"; }
	echo "# $name trials (answers/s, CPU 0 %, CPU 1 %):" $(tr '\n' ';' <"$dir/trials")
	rate[$name]=$(awk '{ print $1 }' "$dir/trials" | median)
	busy0[$name]=$(awk '{ print $2 }' "$dir/trials" | median)
	busy1[$name]=$(awk '{ print $3 }' "$dir/trials" | median)
	[ "${rate[$name]:-0}" -gt 0 ] || fail "$name answered nothing"
done

us() { cpu_us_per "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "# STUN Binding answers, loopback, RPS to CPU 1, load on CPU 0, $trials x ${secs}s, medians"
printf '%-12s %12s %8s %8s %14s\n' server answers/s "CPU0 %" "CPU1 %" "CPU1 us/answer"
for name in rdv kernel coturn; do
	printf '%-12s %12s %8s %8s %14s\n' "$name" "${rate[$name]}" "${busy0[$name]}" \
		"${busy1[$name]}" "$(us "${rate[$name]}" "${busy1[$name]}")"
done
u_rdv=$(us "${rate[rdv]}" "${busy1[rdv]}")
u_k=$(us "${rate[kernel]}" "${busy1[kernel]}")
u_c=$(us "${rate[coturn]}" "${busy1[coturn]}")
echo "answers/s kernel/rendezvousd $(ratio "${rate[kernel]}" "${rate[rdv]}")" \
	"rendezvousd/coturn $(ratio "${rate[rdv]}" "${rate[coturn]}")"
echo "CPU 1 per answer rendezvousd/kernel $(ratio "$u_rdv" "$u_k")" \
	"coturn/rendezvousd $(ratio "$u_c" "$u_rdv")"
