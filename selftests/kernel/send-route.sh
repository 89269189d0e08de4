#!/bin/bash
# Probes go only where a unicast datagram of the application could: never
# to a subnet's broadcast address (which passes as a unicast endpoint
# until it is routed), never from an IPv6 address the host no longer
# has, and with the flow's fwmark they follow the policy routing the
# application's own packets follow. Checked on the wire, by nft counters
# in the peer's namespace.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/netns.sh"
. "$T_REPO/selftests/lib/wait.sh"
A=nfp-route-a-$$
B=nfp-route-b-$$
S=000102030405060708090a0b0c0d0e0f
cleanup() { ns_del "$A" "$B"; }
trap cleanup EXIT
in_a() { ip netns exec "$A" "$@"; }
in_b() { ip netns exec "$B" "$@"; }
field() { in_a "$PUNCHCTL" -j flow show id "$1" | jq -r ".[0].$2"; }

ns_pair "$A" "$B" 10.9.2.1/24 10.9.2.2/24 fd00:92::1/64 fd00:92::2/64 ||
	{ t_fail "two namespaces come up"; t_done; }
in_b nft -f - <<-NFT
	table inet count {
		counter bcast { }
		counter stale6 { }
		counter marked { }
		chain in {
			type filter hook prerouting priority -300; policy accept;
			udp dport 5000 meta pkttype broadcast counter name bcast
			ip6 saddr fd00:92::11 udp dport 5006 counter name stale6
			ip daddr 10.9.3.2 udp dport 5007 counter name marked
		}
	}
NFT
packets() { in_b nft -j list counter inet count "$1" | jq '.nftables[1].counter.packets'; }

id=$(in_a "$PUNCHCTL" -j flow add local 10.9.2.1:4000 peer 10.9.2.255:5000 \
	peer 10.9.2.2:5001 secret $S role controlling | jq .id)
sleep 1
t_expect "no probe reaches the peer's LAN as a broadcast" 0 "$(packets bcast)"
t_check "the unicast candidate beside it is probed" \
	test "$(field "$id" counters.probes_sent)" -gt 0
in_a "$PUNCHCTL" flow del id "$id"

# A second address, so the subnet's route stays when it goes.
ip -n "$A" -6 addr add fd00:92::11/128 dev peer0 nodad
id=$(in_a "$PUNCHCTL" -j flow add local "[fd00:92::11]:4006" peer "[fd00:92::2]:5006" \
	secret $S role controlling punch-timeout 30s | jq .id)
has_probes() { [ "$(packets stale6)" -gt 0 ]; }
t_check "an IPv6 flow probes from its address" wait_for 30 has_probes
ip -n "$A" -6 addr del fd00:92::11/128 dev peer0
sleep 0.3
before=$(packets stale6)
sleep 1.5
t_expect "once the address is removed, nothing leaves with it as the source" \
	"$before" "$(packets stale6)"
in_a "$PUNCHCTL" flow del id "$id"

# 10.9.3.2 is reachable only through table 100, which fwmark 0x5182 selects
# (as wg-quick routes WireGuard's own packets outside its tunnel).
ip -n "$B" addr add 10.9.3.2/32 dev peer0
ip -n "$A" route add 10.9.3.0/24 dev peer0 table 100
ip -n "$A" rule add fwmark 0x5182 lookup 100
id=$(in_a "$PUNCHCTL" -j flow add local 10.9.2.1:4007 peer 10.9.3.2:5007 \
	secret $S role controlling | jq .id)
sleep 1
t_expect "without the mark no probe finds a route" "0 0" \
	"$(packets marked) $(field "$id" counters.probes_sent)"
in_a "$PUNCHCTL" flow del id "$id"
id=$(in_a "$PUNCHCTL" -j flow add local 10.9.2.1:4007 peer 10.9.3.2:5007 \
	secret $S role controlling mark 0x5182 | jq .id)
has_marked() { [ "$(packets marked)" -gt 0 ]; }
t_check "with the mark, probes take the marked route" wait_for 30 has_marked
t_expect "and the flow reports its mark" 20866 "$(field "$id" mark)"
t_done
