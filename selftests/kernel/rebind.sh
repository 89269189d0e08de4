#!/bin/bash
# NAT rebinding: bob's NAT forgets his mapping and gives him a new public
# port. Alice (reachable through a port forward, as a host with a public
# address would be) hears bob's authenticated keepalive from the new
# endpoint, checks it, follows it and reports remote-changed; the
# application's datagrams then take the new path. Probes under another
# key from another port move nothing.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
SECRET=000102030405060708090a0b0c0d0e0f
nat_scratch

nat_up || { t_fail "the NAT topology comes up"; t_done; }
nat_udp_timeout 2
# Alice's router forwards her port, so she hears any new endpoint of bob.
ip netns exec "$NA" nft -f - <<-NFT
	table ip forward {
		chain pre {
			type nat hook prerouting priority dstnat; policy accept;
			iifname "wan" udp dport 4100 dnat to 10.0.1.2:4100
		}
	}
NFT

timeout 60 ip netns exec "$A" "$PUNCHCTL" -j monitor >"$TMP/events" &
mon=$!
wait_event_listeners "$A" 1
ida=$(in_a "$PUNCHCTL" -j flow add local 10.0.1.2:4100 peer 203.0.113.1:5100 \
	secret $SECRET role controlling keepalive 1s timeout 15s | jq .id)
idb=$(in_b "$PUNCHCTL" -j flow add local 10.0.2.2:5100 peer 198.51.100.1:4100 \
	secret $SECRET role controlled keepalive 1s timeout 15s | jq .id)
t_check "flows on both sides reach established" \
	eval "nat_wait_state $A $ida established 10 && nat_wait_state $B $idb established 5"
t_expect "alice sees bob at his first public endpoint" "203.0.113.1:5100" \
	"$(flow_json "$A" "$ida" | jq -r .remote)"

# Bob's NAT now maps from a different port range, and his old mapping
# expires: packets of either side are held back before conntrack sees
# them (any packet, in or out, would refresh the mapping).
ip netns exec "$NB" nft -f - <<-NFT
	flush chain inet nat post
	add rule inet nat post oifname "wan" meta nfproto ipv4 meta l4proto udp masquerade to :40000-40099
	add rule inet nat post oifname "wan" masquerade
	table ip hold {
		chain pre {
			type filter hook prerouting priority raw - 10; policy accept;
			iifname "lan" udp sport 5100 drop
			iifname "wan" udp dport 5100 drop
		}
	}
NFT
sleep 4
ip netns exec "$NB" nft delete table ip hold

remote=""
for ((i = 0; i < 50; i++)); do
	remote=$(flow_json "$A" "$ida" | jq -r .remote)
	[ "$remote" != "203.0.113.1:5100" ] && break
	sleep 0.2
done
t_match "alice follows bob to his new public port" '^203\.0\.113\.1:400[0-9][0-9]$' "$remote"
t_expect "alice's flow stayed established" "established" \
	"$(flow_json "$A" "$ida" | jq -r .state)"

t_expect "bob's application still reaches alice" "2 after-rebind" \
	"$(nat_app "$B" 10.0.2.2:5100 "$A" 10.0.1.2:4100 198.51.100.1:4100 after-rebind 2 |
	   sort | uniq -c | awk '{print $1, $2}')"

# Probes from yet another port under another key change nothing.
unknown=$(in_a "$PUNCHCTL" -j stats | jq .unknown_flow)
in_b "$PUNCHCTL" flow add local 10.0.2.2:5101 peer 198.51.100.1:4100 \
	secret ffeeddccbbaa99887766554433221100 role controlled punch-timeout 1s >/dev/null
sleep 1.5
t_expect "a wrongly keyed flow does not move alice's remote" "$remote" \
	"$(flow_json "$A" "$ida" | jq -r .remote)"
t_check "alice's module counted them as probes for no flow of hers" \
	test "$(in_a "$PUNCHCTL" -j stats | jq .unknown_flow)" -gt "$unknown"

sleep 0.3
kill $mon 2>/dev/null
wait $mon 2>/dev/null
t_expect "monitor saw established, then remote-changed" "established remote-changed" \
	"$(jq -r "select(.flow.id == $ida) | .event" "$TMP/events" | xargs)"
t_done
