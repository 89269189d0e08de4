#!/bin/bash
# bench/wg-hub.sh - in the test VM (bench/wg-hub drives it; a quick form
# runs in CI as selftests/kernel/wireguard-hub.sh): what a WireGuard hub
# with many peers costs in punchd and in the module.
#
# The hub (alice, side a of selftests/lib/zoo.sh, behind a port-preserving
# NAT) has a wg0 with WGH_PEERS peers (1000) and one punchd --wireguard
# wg0 that keeps all of them (--wg-peer and --connect for each). The
# peers are bench/wg-peers, one process in the public namespace playing
# them all: each one a rendezvous client and a UDP port on 192.0.2.50,
# answering the hub's checks as the module does and sending its own every
# WGH_KEEPALIVE s. Phases:
#   connect  from punchd's start until every peer is up (direct), and
#            the time, punchd's CPU time and the module's over it;
#   idle     WGH_IDLE s (60) with every path up: the module keeps them
#            (keepalives every WGH_KEEPALIVE s, 25, answers to the peers'
#            checks), punchd reads wg0 every 5 s: CPU of each, and that
#            no path went down.
# The module's CPU is the share of perf's samples (cpu-clock, every CPU,
# WGH_PERF_HZ per second) with a frame of nfpunch.ko on their stack, so
# what it calls (HMAC, the send path) counts; without perf, or with
# WGH_PERF=0, it is "-".
# Checks: every peer up, direct, within WGH_LIMIT s; each one's WireGuard
# endpoint is its port (the hub's handshake initiations reached every
# one of them: the sim counts them); no path down while idle; punchd
# alive. Prints "# wgh KEY VALUE" lines.
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/zoo.sh"
. "$T_REPO/selftests/lib/wg.sh"
nat_scratch
SIM_PID=
PERF_PID=
trap 'kill $SIM_PID $PERF_PID 2>/dev/null; zoo_down; rm -rf "$TMP"' EXIT
WG_PEERS_SIM=$T_BIN/bench/wg-peers
n=${WGH_PEERS:-1000}
idle=${WGH_IDLE:-60}
ka=${WGH_KEEPALIVE:-25}
limit=${WGH_LIMIT:-$((120 + n / 2))}
rate=${WGH_CONNECT_RATE:-}
hz=${WGH_PERF_HZ:-499}
export ZOO_DELAY=${ZOO_DELAY:-20} ZOO_JITTER=${ZOO_JITTER:-5}
command -v wg >/dev/null && [ -x "$WG_PEERS_SIM" ] ||
	{ t_fail "wireguard-tools and $WG_PEERS_SIM are there"; t_done; }
PERF=
if [ "${WGH_PERF:-1}" = 0 ]; then
	:	# the module's CPU not wanted (the CI form: perf takes a minute to start)
elif ! command -v perf >/dev/null; then
	echo "# no perf (linux-perf): the module's CPU is not measured"
elif perf stat -e cpu-clock -a true >/dev/null 2>"$TMP/perf.err"; then
	PERF=perf
else
	sed 's/^/# perf: /' "$TMP/perf.err" | head -n 3
fi

# cpu_s PID: its user and system time, in seconds.
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}

# perf_start NAME: sample every CPU until perf_stop. perf takes many
# seconds to start under emulation: it starts disabled, is enabled
# through its control FIFO, and the phase starts once it says so.
perf_start() {
	[ -n "$PERF" ] || return 0
	rm -f "$TMP/perf.ctl" "$TMP/perf.ack"
	mkfifo "$TMP/perf.ctl" "$TMP/perf.ack" || return 1
	perf record -q -a -g -F "$hz" -e cpu-clock -D -1 \
		--control "fifo:$TMP/perf.ctl,$TMP/perf.ack" \
		-o "$TMP/$1.perf" >/dev/null 2>&1 &
	PERF_PID=$!
	# Read-write opens of a FIFO do not wait for the other end.
	exec 8<>"$TMP/perf.ctl" 9<>"$TMP/perf.ack"
	echo enable >&8
	read -r -t 120 -u 9 _ || echo "# perf did not start in 120 s"
}

# perf_stop NAME: MOD_PCT, the module's share of one CPU over what perf
# recorded (its samples: every CPU, hz a second), in percent, and MOD_S,
# its CPU seconds ("-" without perf). A
# sample is the module's when a function of nfpunch.ko (by name, from
# /proc/kallsyms: perf files a module it cannot find on disk under the
# kernel) is on its stack.
perf_stop() {
	MOD_PCT=- MOD_S=-
	[ -n "$PERF" ] || return 0
	kill -INT "$PERF_PID"
	wait "$PERF_PID" 2>/dev/null
	exec 8>&- 9>&-
	PERF_PID=
	awk '$4 == "[nfpunch]" { print $3 }' /proc/kallsyms >"$TMP/nfpunch.syms"
	# Files: the VM's /dev has no /dev/fd for <(...).
	perf script -i "$TMP/$1.perf" -F ip,sym 2>/dev/null |
		awk -v hz="$hz" -v cpus="$(nproc)" '
			FNR == NR { mine[$1] = 1; next }
			/^$/ { if (in_s) { n++; m += mod }; in_s = 0; mod = 0; next }
			{ in_s = 1; if ($2 in mine) mod = 1 }
			END { if (in_s) { n++; m += mod }
			      printf "%.2f %.2f %d\n", n ? m / n * cpus * 100 : 0, m / hz, n }' \
			"$TMP/nfpunch.syms" - >"$TMP/$1.mod"
	read -r MOD_PCT MOD_S samples <"$TMP/$1.mod"
	echo "# wgh $1_perf_samples $samples"
	# Where punchd's time went, for the record.
	perf report -i "$TMP/$1.perf" --comm punchd --no-children -g none --sort dso,sym --stdio 2>/dev/null |
		grep '%' | grep -v '^#' | head -n 12 | sed "s/^/# $1 punchd: /"
}

# wait_until SECS CMD...: CMD every second until it succeeds, SECS at
# most (seconds, not tries: with many peers a try itself takes time, and
# asking punchd more often would be part of what is measured).
wait_until() {
	local secs=$1 end
	shift
	# The debug kernel runs 3 to 7 times slower (wait.sh).
	[ "${NFP_DEBUG_KERNEL:-0}" = 1 ] && secs=$((secs * 4))
	end=$(($(date +%s) + secs))
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 1
	done
}

# Peers that came up, from punchd's log: asking punchd for its status
# every second would be part of what is measured.
peers_came_up() {
	grep -o 'event=up peer=p[0-9]* ' "$TMP/alice.log" | sort -u | wc -l
}

peers_up() {
	pd "$HUB" alice status 2>/dev/null | grep -c '^peer p[0-9]* .*state=up.*mode=direct'
}

sim_field() {
	tail -n 1 "$TMP/sim.out" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

zoo_pub_up && zoo_side a pp || { t_fail "the sites come up"; t_done; }
HUB=$(zoo_ns a h)
ip -n "$PUB" addr add 192.0.2.50/32 dev lo
# The peers share one secret; the hub has its own.
rdv_users alice
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
awk -v n="$n" -v k="$key" 'BEGIN { for (i = 0; i < n; i++) print "p" i, k }' >>"$TMP/users"
# The peers all come from one address here: the per-address limits are
# the field's, not the hub's. A hub starts a session per peer: as many
# live sessions as it has peers (the default is 64).
rdv_start --ip-clients $((n + 64)) --ip-handshakes 256 --ip-connects 2000 \
	--client-sessions $((2 * n)) --max-relays $((2 * n)) --client-relays $((2 * n)) ||
	{ t_fail "rendezvousd starts"; t_done; }
ip netns exec "$PUB" "$WG_PEERS_SIM" --server 192.0.2.1:3478 --secret "$key" --peers "$n" \
	--bind 192.0.2.50 --port-base 20000 --ca "$TMP/ca.pem" --tls-name 192.0.2.1 \
	--keepalive "$ka" >"$TMP/sim.out" 2>"$TMP/sim.err" &
SIM_PID=$!
wait_until $((60 + n / 5)) eval '[ "$(sim_field registered)" = "$n" ]'
t_expect "the $n simulated peers registered" "$n" "$(sim_field registered)"
if [ "$(sim_field registered)" != "$n" ]; then
	sed 's/^/# sim: /' "$TMP/sim.err"
	tail -n 3 "$TMP/sim.out" | sed 's/^/# sim: /'
	tail -n 5 "$TMP/rdv.log" | sed 's/^/# rdv: /'
	t_done
fi

# wg0 with n peers: random 32 bytes make a public key (any X25519
# u-coordinate is one), one AllowedIPs address each.
wg_up "$HUB" 51820 10.78.0.1/16 >/dev/null || { t_fail "the hub's wg0"; t_done; }
python3 - "$n" >"$TMP/peers.conf" <<'EOF'
import base64, os, sys
for i in range(int(sys.argv[1])):
    k = base64.b64encode(os.urandom(32)).decode()
    print(f"[Peer]\nPublicKey = {k}\nAllowedIPs = 10.79.{i // 250}.{i % 250 + 1}/32\n")
EOF
ip netns exec "$HUB" wg addconf wg0 "$TMP/peers.conf" ||
	{ t_fail "the hub's wg0 takes $n peers"; t_done; }
sed -n 's/^PublicKey = //p' "$TMP/peers.conf" >"$TMP/peers.keys"
args=()
i=0
while read -r k; do
	args+=(--wg-peer "p$i=$k" --connect "p$i")
	i=$((i + 1))
done <"$TMP/peers.keys"
[ -n "$rate" ] && args+=(--connect-rate "$rate")
# Only past the default (1024): a punchd from before the option runs too.
[ "$n" -gt 1024 ] && args+=(--max-peers "$n")

perf_start connect
t0=$(date +%s%3N)
pd_start "$HUB" alice 51820 --wireguard wg0 --keepalive "$ka" --punch-timeout 10 \
	"${args[@]}"
up_ok=0
wait_until "$limit" eval '[ "$(peers_came_up)" = "$n" ]' && [ "$(peers_up)" = "$n" ] && up_ok=1
t1=$(date +%s%3N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
perf_stop connect
# PD_PID_alice: set by pd_start.
# shellcheck disable=SC2154
pd_pid=$PD_PID_alice
pd_connect_s=$(cpu_s "$pd_pid")
t_expect "every peer up, direct, within ${limit} s (after ${secs} s)" "$n" "$(peers_up)"
echo "# wgh peers $n"
echo "# wgh connect_seconds $secs"
echo "# wgh connect_punchd_cpu_s $pd_connect_s"
echo "# wgh connect_module_cpu_s $MOD_S"
echo "# wgh punchd_rss_kb $(awk '/^VmRSS/ { print $2 }' "/proc/$pd_pid/status")"
fails=$(grep -c 'event=failed' "$TMP/alice.log")
echo "# wgh connect_failures $fails"
grep -o 'event=server-error code=[a-z-]*' "$TMP/alice.log" | sort | uniq -c | sed 's/^/# refused: /'
# Paced starts (--connect-rate, 8 at most waiting): the server refuses
# none of the hub's calls (busy: over its --max-pending) and never drops
# it (rate-limit), so no peer fails on the way.
t_expect "the server refused none of the hub's $n calls" 0 \
	"$(grep -c 'event=server-error' "$TMP/alice.log")"
t_expect "no peer failed on the way up" 0 "$fails"

# The hub's initiations reach every peer: its endpoint is the path.
wait_until 10 eval '[ "$(sim_field peers_wg)" = "$n" ]'
t_expect "every WireGuard peer's endpoint is its path (initiations seen)" "$n" "$(sim_field peers_wg)"
echo "# wgh sim_after_connect $(tail -n 1 "$TMP/sim.out")"
t_expect "the peers saw no unauthenticated check" 0 "$(sim_field bad)"
ep=$(ip netns exec "$HUB" wg show wg0 endpoints | awk '$2 ~ /^192\.0\.2\.50:/' | wc -l)
t_expect "wg0's endpoints all point at the peers' ports" "$n" "$ep"

if [ "$up_ok" = 1 ]; then
	downs=$(grep -c 'event=down' "$TMP/alice.log")
	perf_start idle
	pd0=$(cpu_s "$pd_pid")
	sleep "$idle"
	perf_stop idle
	pd1=$(cpu_s "$pd_pid")
	echo "# wgh idle_seconds $idle"
	echo "# wgh idle_punchd_cpu_percent $(awk -v a="$pd0" -v b="$pd1" -v s="$idle" 'BEGIN { printf "%.2f", (b - a) / s * 100 }')"
	echo "# wgh idle_module_cpu_percent $MOD_PCT"
	echo "# wgh idle_module_cpu_s $MOD_S"
	echo "# wgh sim $(tail -n 1 "$TMP/sim.out")"
	t_expect "no path went down in ${idle} s idle" "$downs" "$(grep -c 'event=down' "$TMP/alice.log")"
	t_expect "every peer still up" "$n" "$(peers_up)"
fi
t_check "punchd is alive" kill -0 "$pd_pid"
pd_stop alice
t_done
