#!/bin/bash
# The namespace's pps cap, measured on the wire: flows spraying thousands
# of targets together never send faster than the cap (plus the bucket's
# tenth of a second), do push against it, and speed up when it is raised;
# the probes counted are the probes sent. Replies go first: while sprays
# fill the cap, a peer's requests still get their answers and triggered
# checks. A spraying flow stops probing the moment one target answers:
# after that only its chosen path sees keepalives.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/wait.sh"
. "$T_REPO/selftests/lib/netns.sh"
X=nfp-cap-x-$$ Y=nfp-cap-y-$$
S=000102030405060708090a0b0c0d0e0f
EVIL=$T_REPO/selftests/tools/attacker.py
TMP=$(mktemp -d)
cleanup() {
	ip netns del "$X" 2>/dev/null
	ip netns del "$Y" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
ns_pair "$X" "$Y" 10.0.9.1/24 10.0.9.2/24 ||
	{ t_fail "two namespaces joined by a veth"; t_done; }
# Port 30500 is the one target that answers; what port 4300 sends to
# 31000 is counted apart, answers (STUN type 0x0101) and requests;
# everything else is counted and dropped before it could draw an ICMP
# error.
ip netns exec "$Y" nft -f - <<-'NFT' || { t_fail "the counting firewall loads"; t_done; }
	table inet cap {
		counter path {}
		counter spray {}
		counter answers {}
		counter checks {}
		chain in {
			type filter hook input priority -300;
			ip saddr 10.0.9.1 udp dport 30500 counter name path accept
			ip saddr 10.0.9.1 udp sport 4300 udp dport 31000 @th,64,16 0x0101 counter name answers drop
			ip saddr 10.0.9.1 udp sport 4300 udp dport 31000 counter name checks drop
			ip saddr 10.0.9.1 meta l4proto udp counter name spray drop
		}
	}
NFT
in_x() { ip netns exec "$X" "$PUNCHCTL" "$@"; }
in_y() { ip netns exec "$Y" "$PUNCHCTL" "$@"; }
wire() { ip netns exec "$Y" nft -j list counter inet cap "$1" | jq '.nftables[1].counter.packets'; }
module_stat() { in_x -j stats | jq ".$1"; }

# window SECONDS: prints "packets ms" for a window of about SECONDS.
# The window is timed around the two counter reads, so it holds all the
# packets counted.
window() {
	local t0 c0 c1 t1
	t0=$(now_ms)
	c0=$(wire spray)
	sleep "$1"
	c1=$(wire spray)
	t1=$(now_ms)
	echo "$((c1 - c0)) $((t1 - t0))"
}

# within PACKETS MS CAP: no more than CAP per second plus the bucket.
within() { test "$1" -le $(($3 * $2 / 1000 + $3 / 10 + 2)); }
# pushing PACKETS MS CAP: at least half the cap, so the cap was the limit.
pushing() { test "$1" -ge $(($3 * $2 / 2000)); }

t_expect "the cap is set to 200 pps" 200 "$(in_x -j config set pps 200 | jq .pps)"
for p in 4000 4001; do
	in_x flow add local 10.0.9.1:$p peer 10.0.9.2:20000-24095 secret $S role controlling \
		punch-timeout 60s >/dev/null
done
t_expect "two flows spray 4096 targets each" \
	"10.0.9.2:20000-24095 10.0.9.2:20000-24095" \
	"$(in_x -j flow show | jq -r '[.[].peers[0]] | join(" ")')"
read -r n ms <<<"$(window 3)"
t_check "at 200 pps: $n probes in $ms ms on the wire, within the cap" within "$n" "$ms" 200
t_check "at 200 pps: and the flows pushed against it" pushing "$n" "$ms" 200
t_check "the module counted the probes it held back" test "$(module_stat throttled)" -gt 0

t_expect "the cap is raised to 1000 pps" 1000 "$(in_x -j config set pps 1000 | jq .pps)"
sleep 0.2
read -r n ms <<<"$(window 2)"
t_check "at 1000 pps: $n probes in $ms ms, within the cap" within "$n" "$ms" 1000
# A rate, which KASAN under emulation cannot reach: the normal lane checks it.
if [ "${NFP_DEBUG_KERNEL:-0}" = 1 ]; then
	t_skip "at 1000 pps: more than the old cap allowed" \
		"a throughput, not reached on the debug kernel ($n probes in $ms ms)"
else
	t_check "at 1000 pps: more than the old cap allowed" test "$n" -gt $((200 * ms / 1000 + 22))
fi

t_check "both flows are deleted" eval "in_x flow del local 10.0.9.1:4000 &&
	in_x flow del local 10.0.9.1:4001"
sent=$(module_stat probes_sent) seen=$(wire spray)
t_expect "every probe the module counted crossed the wire ($sent)" "$sent" "$seen"
read -r n _ <<<"$(window 1)"
t_expect "with no flows nothing is sent" 0 "$n"

# --- Replies come before our own schedule ---
# Two sprays fill the cap while a peer's requests reach a third flow:
# each gets its answer and the check it triggers at once, since the
# schedule leaves a quarter of the bucket to replies (netns.c). Before,
# replies took their chance against the sprays' rounds, and a spray
# that its peer had found came up seconds late (nat-zoo pp/random).
t_expect "the cap is set to 200 pps again" 200 "$(in_x -j config set pps 200 | jq .pps)"
for p in 4000 4001; do
	in_x flow add local 10.0.9.1:$p peer 10.0.9.2:20000-24095 secret $S role controlling \
		punch-timeout 60s >/dev/null
done
in_x flow add local 10.0.9.1:4300 peer 10.0.9.2:31000 secret $S role controlling passive \
	punch-timeout 60s >/dev/null
ip netns exec "$X" "$EVIL" sniff peer0 10.0.9.2:31000 10.0.9.1:4300 10 "$TMP/request" &
sniffer=$!
in_y flow add local 10.0.9.2:31000 peer 10.0.9.1:4300 secret $S role controlled \
	punch-timeout 60s >/dev/null
wait "$sniffer" || t_fail "a request of the peer is captured"
in_y flow del local 10.0.9.2:31000 >/dev/null
# The peer's requests: 25 a second for 3.2 s, replayed (each as good as
# new to the module, which answers and checks back while it punches).
t0=$(now_ms) a0=$(wire answers) c0=$(wire checks) s0=$(wire spray)
ip netns exec "$Y" "$EVIL" replay 10.0.9.2 31000 10.0.9.1:4300 "$TMP/request" 80 0.04 \
	>"$TMP/replay"
sleep 0.2
a=$(($(wire answers) - a0)) c=$(($(wire checks) - c0)) n=$(($(wire spray) - s0))
ms=$(($(now_ms) - t0))
read -r _ sent _ <"$TMP/replay"
t_check "while sprays fill the cap, $a of $sent requests are answered" \
	test "$a" -ge $((sent * 95 / 100))
t_check "and $c of them trigger a check back" test "$c" -ge $((sent * 95 / 100))
t_check "the sprays push against the rest of the cap: $n probes in $ms ms" \
	pushing "$n" "$ms" 200
t_check "replies and probes together within the cap: $((n + a + c)) in $ms ms" \
	within "$((n + a + c))" "$ms" 200
# A replayed request is as good as new, so a flood of them must not take
# the whole cap: replies get half of it at most, and our own probes (the
# sprays here; keepalives alike) the rest. 150 requests a second want
# 300 replies, one and a half times the cap; measured in a window well
# inside the flood's 6 s.
ip netns exec "$Y" "$EVIL" replay 10.0.9.2 31000 10.0.9.1:4300 "$TMP/request" 900 0.0067 \
	>"$TMP/replay" &
flood=$!
sleep 2
t0=$(now_ms) a0=$(wire answers) c0=$(wire checks) s0=$(wire spray)
sleep 2
a=$(($(wire answers) - a0)) c=$(($(wire checks) - c0)) n=$(($(wire spray) - s0))
ms=$(($(now_ms) - t0))
wait "$flood"
read -r _ sent _ <"$TMP/replay"
t_check "a replay flood ($sent requests): its replies got no more than half the cap ($((a + c)) in $ms ms)" \
	within "$((a + c))" "$ms" 100
# Rates, which KASAN under emulation cannot reach (nor the flood keep up
# over the slower counter reads): the normal lane checks them.
if [ "${NFP_DEBUG_KERNEL:-0}" = 1 ]; then
	t_skip "the flood held the replies' half of the cap, the sprays kept a share" \
		"rates, not reached on the debug kernel ($((a + c)) replies, $n probes in $ms ms)"
else
	t_check "the flood held the replies' half of the cap: $((a + c)) in $ms ms" \
		test "$((a + c))" -ge $((100 * ms / 1000 * 6 / 10))
	t_check "and the sprays kept a share: $n probes in $ms ms (a third of the cap at least)" \
		test "$n" -ge $((200 * ms / 3000))
fi
t_check "all within the cap: $((n + a + c)) in $ms ms" within "$((n + a + c))" "$ms" 200
for p in 4000 4001 4300; do in_x flow del local 10.0.9.1:$p; done

# --- A spray stops at the first answer ---
s0=$(wire spray)
in_y flow add local 10.0.9.2:30500 peer 10.0.9.1:4100 secret $S role controlled passive \
	keepalive 1s timeout 10s >/dev/null
id=$(in_x -j flow add local 10.0.9.1:4100 peer 10.0.9.2:30000-34095 secret $S role controlling \
	keepalive 1s timeout 10s | jq .id)
est() { [ "$(in_x -j flow show id "$id" | jq -r '.[0].state')" = established ]; }
t_check "the sprayed flow finds the answering port" wait_for 100 est
t_expect "and takes it as its path" 10.0.9.2:30500 \
	"$(in_x -j flow show id "$id" | jq -r '.[0].remote')"
t0=$(now_ms) before=$(wire spray) path0=$(wire path)
t_check "it probed past the first 500 targets to get there" test "$((before - s0))" -ge 500
sleep 3
after=$(wire spray) path=$(($(wire path) - path0)) ms=$(($(now_ms) - t0))
t_expect "3 s after establishing: no probe to any other target" 0 "$((after - before))"
# Per second of keepalive: its own keepalive and its answer to the peer's.
t_check "and on the path only keepalives: $path in $ms ms (keepalive 1 s)" \
	test "$path" -le $((2 * (ms / 1000 + 1)))
t_expect "the flow is still established" established \
	"$(in_x -j flow show id "$id" | jq -r '.[0].state')"
t_done
