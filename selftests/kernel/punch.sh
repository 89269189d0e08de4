#!/bin/bash
# Hole punching through two real Linux NATs, IPv4 and IPv6: the module
# maps a port against coturn, punches, keeps an idle path open through
# NATs that forget mappings after 2 s, and declares the flow dead when
# the peer goes away. The application's data goes directly NAT to NAT.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
SECRET=000102030405060708090a0b0c0d0e0f
nat_scratch

nat_up || { t_fail "the NAT topology comes up"; t_done; }
nat_count_pub
nat_udp_timeout 2

# --- Mapping discovery against an independent STUN server (coturn) ---
ip netns exec "$PUB" turnserver -n --no-tls --no-dtls --no-cli -S \
	-L 192.0.2.1 -L fd00:99::1 -p 3478 --no-stdout-log \
	--log-file "$TMP/turn.log" --pidfile "$TMP/turn.pid" >/dev/null 2>&1 &
wait_udp_bound "$PUB" 3478 192.0.2.1

mapping() {
	local out
	out=$(ip netns exec "$1" "$PUNCHCTL" -j mapping local "$2" server "$3" timeout 3s 2>&1)
	echo "$out" | jq -r '.mapped // .error' 2>/dev/null || echo "$out"
}
# coturn binds its sockets before it serves them: on a slow guest the
# first query can go unanswered. Warm it up from a port nothing else uses.
coturn_ready() { mapping "$A" 10.0.1.2:4009 192.0.2.1:3478 | grep -q '^198\.51\.100\.1:'; }
wait_for 5 coturn_ready || echo "# coturn did not answer a warm-up query"
t_expect "mapping query via coturn returns nat-a's public IPv4 endpoint" \
	"198.51.100.1:4000" "$(mapping "$A" 10.0.1.2:4000 192.0.2.1:3478)"
t_expect "mapping query via coturn returns nat-b's public IPv6 endpoint" \
	"[fd00:b::1]:5600" "$(mapping "$B" "[fd00:2::2]:5600" "[fd00:99::1]:3478")"
t_expect "a mapping query nobody answers times out" \
	"Connection timed out" "$(mapping "$A" 10.0.1.2:4001 192.0.2.1:9)"

# punch FAMILY A_LOCAL B_LOCAL A_PUBLIC B_PUBLIC COUNTER_A2B
punch() {
	local fam=$1 al=$2 bl=$3 ap=$4 bp=$5 ctr=$6
	local ida idb before after fa fb out

	# Killed below; the timeout only bounds a failure (a family takes
	# minutes on the debug kernel).
	timeout 600 ip netns exec "$A" "$PUNCHCTL" -j monitor > "$TMP/events-$fam" &
	local mon=$!
	wait_event_listeners "$A" 1
	ida=$(in_a "$PUNCHCTL" -j flow add local "$al" peer "$bp" secret $SECRET role controlling \
		keepalive 1s timeout 5s | jq .id)
	idb=$(in_b "$PUNCHCTL" -j flow add local "$bl" peer "$ap" secret $SECRET role controlled \
		keepalive 1s timeout 5s | jq .id)
	t_check "$fam: flows on both sides reach established" \
		eval "nat_wait_state $A $ida established 10 && nat_wait_state $B $idb established 5"
	fa=$(flow_json "$A" "$ida")
	t_expect "$fam: alice's flow found bob's public endpoint" "$bp" \
		"$(echo "$fa" | jq -r .remote)"
	t_expect "$fam: bob's flow found alice's public endpoint" "$ap" \
		"$(flow_json "$B" "$idb" | jq -r .remote)"

	# The application: a plain socket on the same ports.
	before=$(nat_pub_packets "$ctr")
	out=$(nat_app "$A" "$al" "$B" "$bl" "$bp" hello-direct 3 | sort | uniq -c |
		awk '{print $1, $2}')
	t_expect "$fam: bob's application receives alice's datagrams, and no STUN" \
		"3 hello-direct" "$out"
	after=$(nat_pub_packets "$ctr")
	t_check "$fam: they went straight from nat-a to nat-b (public router counted them)" \
		test "$((after - before))" -ge 3
	t_check "$fam: the module counted the application's packets on both sides" \
		test "$(flow_json "$A" "$ida" | jq .counters.tx_packets)" -ge 3 -a \
		"$(flow_json "$B" "$idb" | jq .counters.rx_packets)" -ge 3

	# Idle for four times the NATs' UDP timeout: keepalives hold the path.
	sleep 8
	t_expect "$fam: after 8 s idle (NAT UDP timeout 2 s) the path still works" \
		"after-idle" "$(nat_app "$A" "$al" "$B" "$bl" "$bp" after-idle 1)"
	fa=$(flow_json "$A" "$ida")
	t_check "$fam: the module sent keepalives and they were answered" \
		test "$(echo "$fa" | jq .counters.keepalives)" -ge 4 -a \
		"$(echo "$fa" | jq .state)" = '"established"'

	# Bob vanishes: his host stops answering anything.
	ip netns exec "$B" nft -f - <<-NFT
		table inet gone {
			chain in { type filter hook input priority -300; policy drop; }
			chain out { type filter hook output priority -300; policy drop; }
		}
	NFT
	t_check "$fam: alice's flow dies when bob disappears" \
		nat_wait_state "$A" "$ida" dead 10
	t_expect "$fam: the reason is the peer timeout" "peer-timeout" \
		"$(flow_json "$A" "$ida" | jq -r .dead_reason)"
	sleep 0.3
	kill $mon 2>/dev/null
	wait $mon 2>/dev/null
	t_expect "$fam: monitor saw established then dead for alice's flow" \
		"established dead" \
		"$(jq -r "select(.flow.id == $ida) | .event" "$TMP/events-$fam" | xargs)"
	ip netns exec "$B" nft delete table inet gone
	in_a "$PUNCHCTL" flow del id "$ida"
	in_b "$PUNCHCTL" flow del id "$idb"
}

punch ipv4 10.0.1.2:4000 10.0.2.2:5000 198.51.100.1:4000 203.0.113.1:5000 a2b
punch ipv6 "[fd00:1::2]:4600" "[fd00:2::2]:5600" "[fd00:a::1]:4600" "[fd00:b::1]:5600" a2b6

t_expect "no flows are left in either namespace" "0 0" \
	"$(in_a "$PUNCHCTL" -j stats | jq .flows) $(in_b "$PUNCHCTL" -j stats | jq .flows)"
t_done
