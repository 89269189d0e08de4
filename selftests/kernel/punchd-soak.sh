#!/bin/bash
# The soak (issue 16): hours of a real network, compressed. A kernel
# WireGuard mesh of three hosts kept by punchd (--connect), as in
# wireguard-mesh.sh: alice behind a port-preserving NAT, bob behind a
# fully random one (his paths go through the relay), carol behind a home
# NAT behind a carrier NAT; 20 ms each way with jitter on every public
# link; NATs that forget idle UDP after 5 s; relays that the server ends
# after SOAK_RELAY_LIFETIME s however busy. Every SOAK_PERIOD s one thing
# breaks, in turn:
#   a NAT loses its state (conntrack flush: alice's, bob's, carol's home
#   NAT, her carrier NAT; bob's random NAT then maps everything anew),
#   rendezvousd restarts (its relays with it), carol's punchd restarts.
# Each pair pings over wg0 twice a second all along. At the end every
# host must have both peers up, every pair must ping, and no host may
# hold more flows than its paths need; each pair's availability and
# longest outage are reported (bench/soak runs it for longer).
#
#   SOAK_SECONDS (170)  SOAK_PERIOD (25)  SOAK_RELAY_LIFETIME (30)
#   SOAK_MAX_OUTAGE (30): the longest outage a pair may see, seconds
# vm-timeout: 900
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/zoo.sh"
. "$T_REPO/selftests/lib/wg.sh"
nat_scratch
trap 'zoo_down; rm -rf "$TMP"' EXIT

SECS=${SOAK_SECONDS:-170} PERIOD=${SOAK_PERIOD:-25} LIFE=${SOAK_RELAY_LIFETIME:-30}
MAX_OUT=${SOAK_MAX_OUTAGE:-30}
command -v wg >/dev/null || { t_fail "wireguard-tools (wg) is installed"; t_done; }
export ZOO_DELAY=${ZOO_DELAY:-20} ZOO_JITTER=${ZOO_JITTER:-5}
zoo_pub_up && zoo_side a pp && zoo_side b random && zoo_side c dbl ||
	{ t_fail "three sites come up (pp, random, dbl)"; t_done; }
NATS=("$(zoo_ns a n)" "$(zoo_ns b n)" "$(zoo_ns c n)" "$(zoo_ns c c)")
for ns in "${NATS[@]}"; do
	ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5 \
		net.netfilter.nf_conntrack_udp_timeout_stream=5
done
rdv_users alice bob carol
rdv_start --relay-lifetime "$LIFE" || { t_fail "rendezvousd starts"; t_done; }

wg_mesh_up || { t_fail "wg0 comes up in the three hosts"; t_done; }
start() { wg_mesh_punchd "$1"; }
start alice
start bob
start carol
t_check "three punchd register" eval "pd_registered alice && pd_registered bob && pd_registered carol"

pings() { ip netns exec "${NS[$1]}" ping -c 2 -W 2 -i 0.3 "10.77.0.${IP[$2]}" >/dev/null; }
mode() { pd_field "$(pd "${NS[$1]}" "$1" status | grep "^peer $2 ")" mode; }
state() { pd_field "$(pd "${NS[$1]}" "$1" status | grep "^peer $2 ")" state; }
PAIRS=("alice bob relay" "alice carol direct" "bob carol relay")
pair_up() { [ "$(state "$1" "$2")$(mode "$1" "$2")" = "up$3" ] &&
	    [ "$(state "$2" "$1")$(mode "$2" "$1")" = "up$3" ]; }
for p in "${PAIRS[@]}"; do
	set -- $p
	t_check "at first, $1 and $2 are up, $3, and ping" \
		eval "wait_for 400 pair_up $1 $2 $3 && wait_for 10 pings $1 $2"
done

# --- the soak ------------------------------------------------------------
# One ping per pair all along: -O says "no answer yet" for each one lost.
pingers=()
for p in "${PAIRS[@]}"; do
	set -- $p
	ip netns exec "${NS[$1]}" ping -D -O -n -i 0.5 -W 1 -w "$SECS" "10.77.0.${IP[$2]}" \
		>"$TMP/ping.$1-$2" 2>&1 &
	pingers+=($!)
done
t0=$(date +%s)
events=0
while [ $(($(date +%s) - t0 + PERIOD)) -le "$SECS" ]; do
	sleep "$PERIOD"
	case $((events % 6)) in
	0) what="alice's NAT flushed"; ip netns exec "${NATS[0]}" conntrack -F >/dev/null 2>&1 ;;
	1) what="bob's random NAT flushed"; ip netns exec "${NATS[1]}" conntrack -F >/dev/null 2>&1 ;;
	2) what="rendezvousd restarted"; rdv_stop; rdv_start --relay-lifetime "$LIFE" ;;
	3) what="carol's home NAT flushed"; ip netns exec "${NATS[2]}" conntrack -F >/dev/null 2>&1 ;;
	4) what="carol's carrier NAT flushed"; ip netns exec "${NATS[3]}" conntrack -F >/dev/null 2>&1 ;;
	5) what="carol's punchd restarted"; pd_stop carol; start carol ;;
	esac
	events=$((events + 1))
	echo "# soak +$(($(date +%s) - t0)) s: $what"
done
wait "${pingers[@]}"
echo "# soak: $events events in $(($(date +%s) - t0)) s, relays end after $LIFE s"

# --- the end: everyone connected, nothing left over -----------------------
all_up() {
	local p
	for p in "${PAIRS[@]}"; do
		set -- $p
		pair_up "$1" "$2" "$3" || return 1
	done
}
t_check "at the end every host has both peers up, as at first (6 of 6)" wait_for 600 all_up
for p in "${PAIRS[@]}"; do
	set -- $p
	t_check "$1 and $2 ping each other over wg0" eval "wait_for 10 pings $1 $2 && pings $2 $1"
done
t_check "relays were renewed before their end" \
	grep -q 'event=relay-renew .*result=ok' "$TMP/rdv.log"
for id in alice bob carol; do
	n=$(ip netns exec "${NS[$id]}" "$PUNCHCTL" -j flow show | jq length)
	# Two paths, each one flow; a relay held beside a punch for direct
	# (or a successor not up yet) makes one more each.
	t_check "$id holds no more flows than its paths need ($n, at most 4)" test "$n" -le 4
done
kill -USR1 "$RDV_PID"
wait_for 20 grep -q 'event=stats' "$TMP/rdv.log"
st=$(grep 'event=stats' "$TMP/rdv.log" | tail -1)
relays=$(pd_field "$st" relays) sessions=$(pd_field "$st" sessions)
t_check "the server holds a relay per relayed pair, and a successor at most ($relays)" \
	test "${relays:-99}" -le 4
t_check "and a session per pair, and one being made at most ($sessions)" \
	test "${sessions:-99}" -le 4

# Availability and the longest outage of each pair, from its pings.
for p in "${PAIRS[@]}"; do
	set -- $p
	# shellcheck disable=SC2046 # three numbers
	set -- "$1" "$2" "$3" $(awk '
		match($0, /icmp_seq=[0-9]+/) {
			s = substr($0, RSTART + 9, RLENGTH - 9) + 0
			if (s > max) max = s
			if ($0 ~ / bytes from /) ok[s] = 1
		}
		END {
			run = 0; worst = 0; n = 0
			for (i = 1; i <= max; i++) {
				if (i in ok) { n++; run = 0 } else if (++run > worst) worst = run
			}
			print max, n, worst
		}' "$TMP/ping.$1-$2")
	sent=${4:-0} got=${5:-0} longest=${6:-0}
	avail=$(awk -v s="${sent:-0}" -v g="${got:-0}" 'BEGIN { printf "%.1f", s ? 100 * g / s : 0 }')
	out=$(awk -v r="${longest:-0}" 'BEGIN { printf "%.1f", r / 2 }')
	echo "# soak-result pair=$1/$2 mode=$3 pings=${sent:-0} answered=${got:-0} avail=$avail% longest_outage_s=$out"
	t_check "$1 and $2: answered $avail% of $sent pings, longest outage $out s (at most $MAX_OUT)" \
		awk -v o="$out" -v m="$MAX_OUT" -v s="${sent:-0}" 'BEGIN { exit !(s > 0 && o <= m) }'
	# Each outage of 2 s or more, from the soak's start, to set beside
	# the events above.
	awk -v pair="$1/$2" -v t0="$t0" '
		match($0, /icmp_seq=[0-9]+/) {
			s = substr($0, RSTART + 9, RLENGTH - 9) + 0
			if ($0 ~ / bytes from /) ok[s] = 1
			if (match($0, /^\[[0-9.]+\]/) && !(s in at))
				at[s] = substr($0, 2, RLENGTH - 2)
			if (s > max) max = s
		}
		END {
			for (i = 1; i <= max + 1; i++) {
				if (i <= max && !(i in ok)) { if (!run++) first = i; continue }
				if (run >= 4 && (first in at))
					printf "# soak-outage pair=%s at=+%.0f s lasted=%.1f s\n",
					       pair, at[first] - t0, run / 2
				run = 0
			}
		}' "$TMP/ping.$1-$2"
done
# What broke the paths, and the signaling links, for the record.
for id in alice bob carol; do
	echo "# soak-$id: $(grep -c 'event=down ' "$TMP/$id.log") downs," \
		"$(grep -c 'event=server-lost ' "$TMP/$id.log") server links lost," \
		"$(grep -c 'event=relay-renewed ' "$TMP/$id.log") relays renewed," \
		"$(grep -c 'event=relay-renew-refused ' "$TMP/$id.log") renewals refused"
done
grep -h 'event=\(down\|relay-renew-refused\|relay-renew-failed\|failed\|server-lost\)' \
	"$TMP"/alice.log "$TMP"/bob.log "$TMP"/carol.log | sort | tail -30 | sed 's/^/# /'
grep -h 'event=\(disconnect\|relay-end\|relay-renew\)' "$TMP/rdv.log" | tail -30 | sed 's/^/# /'

for id in alice bob carol; do pd_stop "$id"; done
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer\|runtime error' $TMP/*.log"
t_done
