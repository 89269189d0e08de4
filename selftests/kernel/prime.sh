#!/bin/bash
# Priming against the race a Linux NAT punishes (issue 16), made
# deterministic: bob starts punching a second before alice, as the side
# that answers a session offer does, and alice's NAT keeps no firewall
# of its own (a plain masquerade gateway). Bob's first probes reach her
# NAT before anything of hers has left it: conntrack keeps an entry for
# them, masquerade then maps her probes to another port, and bob's NAT
# drops everything from that port. Nothing recovers while bob probes.
#
# Priming: bob's first probes carry a TTL that crosses his own NAT and
# dies at the router beyond it. His NAT is open towards alice's port
# before she starts, her NAT sees her probes first, and the path comes
# up on the ports both sides announced. A TTL one hop too long reaches
# her NAT and is no priming at all.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
SECRET=000102030405060708090a0b0c0d0e0f
nat_scratch

nat_up || { t_fail "the NAT topology comes up"; t_done; }
# Alice's NAT: masquerade only, nothing dropped on its way in.
ip netns exec "$NA" nft delete table inet filter

# In the public router: what bob's NAT sends towards alice's arrives here
# (prerouting, before the TTL check) and goes on towards her NAT
# (forward); where alice's probes come from, as her NAT mapped them.
ip netns exec "$PUB" nft -f - <<-'NFT'
	table inet prime {
		counter b_seen { }
		counter b_ttl1 { }
		counter b_fwd { }
		counter a_kept { }
		counter a_moved { }
		counter b6_ttl1 { }
		counter b6_fwd { }
		counter a6_kept { }
		counter a6_moved { }
		counter b_early { }
		counter b6_early { }
		set a_started { type ipv4_addr; flags dynamic; }
		set a6_started { type ipv6_addr; flags dynamic; }
		chain pre_count {
			type filter hook prerouting priority raw; policy accept;
			ip saddr 203.0.113.1 ip daddr 198.51.100.1 udp dport 4000-4999 counter name b_seen
			ip saddr 203.0.113.1 ip daddr 198.51.100.1 udp dport 4000-4999 ip ttl 1 counter name b_ttl1
			ip6 saddr fd00:b::1 ip6 daddr fd00:a::1 udp dport 4000-4999 ip6 hoplimit 1 counter name b6_ttl1
		}
		chain forward_count {
			type filter hook forward priority filter; policy accept;
			ip saddr 203.0.113.1 ip daddr 198.51.100.1 udp dport 4000-4999 counter name b_fwd
			ip6 saddr fd00:b::1 ip6 daddr fd00:a::1 udp dport 4000-4999 counter name b6_fwd
			ip saddr 198.51.100.1 ip daddr 203.0.113.1 udp sport { 4000, 4100 } counter name a_kept
			ip saddr 198.51.100.1 ip daddr 203.0.113.1 udp sport != { 4000, 4100 } counter name a_moved
			ip6 saddr fd00:a::1 ip6 daddr fd00:b::1 udp sport 4300 counter name a6_kept
			ip6 saddr fd00:a::1 ip6 daddr fd00:b::1 udp sport != 4300 counter name a6_moved
			ip saddr 198.51.100.1 ip daddr 203.0.113.1 udp dport 5000-5999 add @a_started { ip daddr }
			ip6 saddr fd00:a::1 ip6 daddr fd00:b::1 udp dport 5000-5999 add @a6_started { ip6 daddr }
			ip saddr 203.0.113.1 ip daddr 198.51.100.1 udp dport 4000-4999 ip saddr != @a_started counter name b_early
			ip6 saddr fd00:b::1 ip6 daddr fd00:a::1 udp dport 4000-4999 ip6 saddr != @a6_started counter name b6_early
		}
	}
NFT
pub() {
	ip netns exec "$PUB" nft -j list counter inet prime "$1" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}
# pub_sum NAME...: the sum of several counters, read in one nft call.
pub_sum() {
	ip netns exec "$PUB" nft -j list counters table inet prime |
		jq --arg names "$*" '($names | split(" ")) as $n |
			[.nftables[] | select(.counter) | .counter |
			 select(.name as $x | $n | index($x)) | .packets] | add'
}
# first_ttl1: poll until bob's first TTL-1 arrival; print "TTL1 FORWARDED"
# as that one nft call saw them (a sample taken later could fall after
# the priming, on a slow kernel).
first_ttl1() {
	local i got
	for ((i = 0; i < 60; i++)); do
		got=$(ip netns exec "$PUB" nft -j list counters table inet prime |
			jq -r '[.nftables[] | select(.counter) | .counter |
				{(.name): .packets}] | add | "\(.b_ttl1) \(.b_fwd)"')
		[ "${got%% *}" -gt 0 ] 2>/dev/null && break
		sleep 0.1
	done
	echo "$got"
}
# path_up DESCRIPTION: both flows established, or a failure with what
# both flows and the public router saw (for a run on a slow kernel).
path_up() {
	local why
	if why=$(nat_wait_state "$A" "$IDA" established 10 &&
		 nat_wait_state "$B" "$IDB" established 5); then
		t_ok "$1"
		return
	fi
	t_fail "$1" "$why" "alice: $(flow_json "$A" "$IDA")" "bob: $(flow_json "$B" "$IDB")" \
		"router: $(ip netns exec "$PUB" nft -j list counters table inet prime |
			   jq -c '[.nftables[] | select(.counter) | .counter |
				   {(.name): .packets}] | add')" \
		"alice's NAT: $(ct_udp "$NA")" "bob's NAT: $(ct_udp "$NB")"
}
# ct_udp NS: the UDP entries of a NAT's conntrack table, on one line.
ct_udp() {
	{ ip netns exec "$1" conntrack -L -p udp
	  ip netns exec "$1" conntrack -L -f ipv6 -p udp; } 2>/dev/null | tr '\n' ';'
}
zero() {
	ip netns exec "$PUB" nft -f - >/dev/null <<-NFT
		reset counters table inet prime
		flush set inet prime a_started
		flush set inet prime a6_started
	NFT
}
state() { ip netns exec "$1" "$PUNCHCTL" -j flow show id "$2" | jq -r '.[0].state'; }
remote() { ip netns exec "$1" "$PUNCHCTL" -j flow show id "$2" | jq -r '.[0].remote'; }

# race LOCAL_A LOCAL_B PUBLIC_A PUBLIC_B [BOB'S PRIME...]: bob's flow
# first, alice's a fixed second later, as punchd's answering side does.
# Sets IDA and IDB, and B_EARLY: bob's probes that crossed the public
# router before the first of alice's did (the router counts them as they
# pass, so reading the count later is no race: on the debug kernel, read
# while her command ran, it caught bob's answers to her).
#
# Bob primes for PRIME (the longest allowed), far longer than the race
# needs: on the debug kernel each punchctl, nft and jq takes a second or
# more, and a window that closes before alice starts would lose the race
# for the wrong reason. Hence also no polling or router reading between
# the two flows. The path comes up as soon as alice probes (bob's answers
# and triggered checks leave at full TTL): the length costs no time.
PRIME="prime-time 10s punch-timeout 30s"
race() {
	local la=$1 lb=$2 pa=$3 pb=$4
	shift 4
	# Unprimed, bob dies of his punch timeout soon after alice.
	[ $# -gt 0 ] || set -- punch-timeout 8s
	IDB=$(in_b "$PUNCHCTL" -j flow add local "$lb" peer "$pa" secret $SECRET \
		role controlled keepalive 1s timeout 5s "$@" |
		jq .id)
	# Nothing else between the two flows: on the debug kernel an nft
	# call here once delayed alice's until bob's 10 s of priming were over.
	sleep 1
	IDA=$(in_a "$PUNCHCTL" -j flow add local "$la" peer "$pb" secret $SECRET \
		role controlling punch-timeout 7s keepalive 1s timeout 5s | jq .id)
	B_EARLY=$(pub_sum b_early b6_early)
}

# --- the race, unprimed: it fails ------------------------------------------
zero
race 10.0.1.2:4000 10.0.2.2:5000 198.51.100.1:4000 203.0.113.1:5000
t_check "unprimed: bob's early probes went through to alice's NAT" test "$B_EARLY" -gt 0
t_check "so her NAT mapped her probes to another port" \
	wait_for 50 eval "[ \$(pub a_moved) -gt 0 ]"
t_expect "and none left from the port bob punches" 0 "$(pub a_kept)"
t_check "the punch fails: alice's flow dies of its punch timeout" \
	nat_wait_state "$A" "$IDA" dead 12
# Bob started a second earlier with a punch timeout a second longer:
# about the same moment, either first.
t_check "and so does bob's" nat_wait_state "$B" "$IDB" dead 3
in_a "$PUNCHCTL" flow del id "$IDA"
in_b "$PUNCHCTL" flow del id "$IDB"

# --- the same race, bob primes: it succeeds --------------------------------
zero
race 10.0.1.2:4100 10.0.2.2:5100 198.51.100.1:4100 203.0.113.1:5100 \
	prime-ttl 2 $PRIME
t_check "primed: bob's first probes die at the public router (TTL 1 there)" \
	test "$(pub b_ttl1)" -gt 0
t_expect "and none reached alice's NAT before she started" 0 "$B_EARLY"
path_up "the path comes up on both sides"
t_expect "on the ports both announced: alice reaches bob's" 203.0.113.1:5100 \
	"$(remote "$A" "$IDA")"
t_expect "and bob alice's (her NAT kept her port)" 198.51.100.1:4100 "$(remote "$B" "$IDB")"
t_expect "alice's NAT moved none of her probes" 0 "$(pub a_moved)"
fb=$(flow_json "$B" "$IDB")
t_expect "bob's flow reports its priming" "2 10000" \
	"$(echo "$fb" | jq -r '"\(.prime_ttl) \(.prime_ms)"')"
t_expect "alice's reports none" "0 0" \
	"$(flow_json "$A" "$IDA" | jq -r '"\(.prime_ttl) \(.prime_ms)"')"
got=$(nat_app "$B" 10.0.2.2:5100 "$A" 10.0.1.2:4100 198.51.100.1:4100 primed 2)
t_expect "the applications' data crosses" "primed primed" "$(echo $got)"
in_a "$PUNCHCTL" flow del id "$IDA"
in_b "$PUNCHCTL" flow del id "$IDB"

# --- a TTL one hop too long reaches alice's NAT: the race is lost again ------
zero
race 10.0.1.2:4200 10.0.2.2:5200 198.51.100.1:4200 203.0.113.1:5200 \
	prime-ttl 3 $PRIME
t_check "TTL 3: bob's 'priming' crossed the public router" test "$B_EARLY" -gt 0
t_check "and the punch fails as unprimed" nat_wait_state "$A" "$IDA" dead 12
in_a "$PUNCHCTL" flow del id "$IDA"
in_b "$PUNCHCTL" flow del id "$IDB"

# --- priming ends, and every punch primes again -----------------------------
# Bob alone (alice never answers): 10 s of TTL-1 arrivals at the public
# router, then full-TTL probes through it; "repunch" primes again. 10 s:
# the checks while priming take seconds on the debug kernel.
zero
IDB=$(in_b "$PUNCHCTL" -j flow add local 10.0.2.2:5400 peer 198.51.100.1:4400 \
	secret $SECRET role controlled punch-timeout 20s probe-interval 100ms \
	prime-ttl 2 prime-time 10s | jq .id)
read -r t1 f1 <<<"$(first_ttl1)"
t_check "while priming: TTL-1 arrivals ($t1), nothing forwarded ($f1)" \
	eval "[ '${t1:-0}' -gt 0 ] && [ '${f1:-1}' -eq 0 ]"
wait_for 150 eval "[ \$(pub b_fwd) -gt 0 ]"
p1=$(pub b_ttl1)
t_check "once it is over, full-TTL probes cross the public router" test "$(pub b_fwd)" -gt 0
sleep 1
t_expect "and no more primes" "$p1" "$(pub b_ttl1)"
# The old punch ends first (its 20 s timeout): none of its probes can be
# under way, so whatever crosses the router from the zero on is the new
# punch's, and the zero comes right at the repunch. (Zeroing 2 s after
# it, the debug kernel's slow commands let the window pass: at stop 30
# the flow showed one primed probe left after the zero, then the full
# round and the rounds after priming, 6 forwarded, all as they should.)
t_check "the old punch ends (its punch timeout)" nat_wait_state "$B" "$IDB" dead 25
f_before=$(flow_json "$B" "$IDB")
zero
in_b "$PUNCHCTL" flow set id "$IDB" repunch >/dev/null
read -r t1 f1 <<<"$(first_ttl1)"
t_check "repunch: the new punch primes again ($t1 TTL-1, $f1 forwarded)" \
	eval "[ '${t1:-0}' -gt 0 ] && [ '${f1:-1}' -eq 0 ]"
# What bob's flow did, to tell a slow sample from full-TTL probes inside
# the priming window.
if [ "${f1:-1}" != 0 ]; then
	echo "# before the repunch: $f_before"
	echo "# at the sample:      $(flow_json "$B" "$IDB")"
fi
in_b "$PUNCHCTL" flow del id "$IDB"

# --- IPv6: the hop limit primes the same way --------------------------------
zero
race "[fd00:1::2]:4300" "[fd00:2::2]:5300" "[fd00:a::1]:4300" "[fd00:b::1]:5300" \
	prime-ttl 2 $PRIME
t_check "IPv6 primed: bob's first probes die at the public router (hop limit 1)" \
	test "$(pub b6_ttl1)" -gt 0
t_expect "and none reached alice's NAT before she started" 0 "$B_EARLY"
path_up "the IPv6 path comes up on both sides"
t_expect "on the ports both announced" "[fd00:b::1]:5300 [fd00:a::1]:4300" \
	"$(remote "$A" "$IDA") $(remote "$B" "$IDB")"
t_done
