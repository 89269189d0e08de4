# Two hosts behind two real Linux NATs, in network namespaces:
#
#   alice 10.0.1.2 -- nat-a (wan 198.51.100.1) --+
#     fd00:1::2         (wan fd00:a::1)          pub (router; STUN on 192.0.2.1,
#   bob   10.0.2.2 -- nat-b (wan 203.0.113.1) --+       [fd00:99::1])
#     fd00:2::2         (wan fd00:b::1)
#
# Each NAT is a home router: masquerade (nft, IPv4 and IPv6) towards its
# wan, and a firewall that drops unsolicited packets from the wan to the
# router itself. The namespaces are named with a per-run prefix, so the
# test owns everything it creates; nat_down removes it all.
# shellcheck shell=bash

NAT_P=${NAT_P:-nfpt$$}
A=$NAT_P-alice B=$NAT_P-bob NA=$NAT_P-nat-a NB=$NAT_P-nat-b PUB=$NAT_P-pub
# The applications (selftests/tools/udp.c), from the tools under test.
NAT_UDP=${NFP_BIN:?}/selftests/tools/udp
. "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

in_a() { ip netns exec "$A" "$@"; }
in_b() { ip netns exec "$B" "$@"; }
# flow_json NS ID: one flow as a JSON object (punchctl from $PUNCHCTL).
flow_json() { ip netns exec "$1" "$PUNCHCTL" -j flow show id "$2" | jq -c '.[0]'; }

# nat_scratch: a scratch directory in $TMP; it and the topology go away
# when the script exits.
nat_scratch() {
	TMP=$(mktemp -d)
	trap 'nat_down; rm -rf "$TMP"' EXIT
}

# nat_app FROM_NS FROM_ADDR:PORT TO_NS TO_ADDR:PORT DEST_ADDR:PORT TEXT COUNT
# The applications: a plain socket in TO_NS listens on TO_ADDR:PORT, one
# in FROM_NS sends TEXT COUNT times from FROM_ADDR:PORT to DEST (the far
# side's public endpoint). Prints what arrived, one payload per line.
# The receiver stops at COUNT datagrams; its 20 s only bound a failure.
nat_app() {
	local out rcv
	out=$(mktemp)
	ip netns exec "$3" "$NAT_UDP" recv "${4%:*}" "${4##*:}" "${NAT_APP_WAIT:-20}" "$7" >"$out" &
	rcv=$!
	# Send only once the receiver is bound.
	wait_udp_bound "$3" "${4##*:}"
	ip netns exec "$1" "$NAT_UDP" send "${2%:*}" "${2##*:}" "${5%:*}" "${5##*:}" \
		"$6" "$7" >/dev/null
	wait "$rcv"
	awk '{print $3}' "$out"
	rm -f "$out"
}

nat_down() {
	local ns
	for ns in "$A" "$B" "$NA" "$NB" "$PUB"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# nat_link NS1 IF1 NS2 IF2
nat_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# nat_router NS LAN4 LAN6 WAN4 WAN6 PUB4 PUB6
nat_router() {
	local ns=$1
	ip -n "$ns" addr add "$2/24" dev lan
	ip -n "$ns" addr add "$3/64" dev lan nodad
	ip -n "$ns" addr add "$4/24" dev wan
	ip -n "$ns" addr add "$5/64" dev wan nodad
	ip -n "$ns" route add default via "$6"
	ip -n "$ns" -6 route add default via "$7"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip netns exec "$ns" nft -f - <<-NFT
		table inet nat {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "wan" masquerade
			}
		}
		table inet filter {
			chain input {
				type filter hook input priority filter; policy accept;
				iifname "wan" ct state new counter drop
			}
		}
	NFT
}

# nat_host NS ADDR4 GW4 ADDR6 GW6
nat_host() {
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" addr add "$4/64" dev eth0 nodad
	ip -n "$1" route add default via "$3"
	ip -n "$1" -6 route add default via "$5"
}

nat_up() {
	local ns
	nat_down
	for ns in "$A" "$B" "$NA" "$NB" "$PUB"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	nat_link "$A" eth0 "$NA" lan
	nat_link "$B" eth0 "$NB" lan
	nat_link "$NA" wan "$PUB" to-a
	nat_link "$NB" wan "$PUB" to-b

	ip -n "$PUB" addr add 198.51.100.254/24 dev to-a
	ip -n "$PUB" addr add fd00:a::fe/64 dev to-a nodad
	ip -n "$PUB" addr add 203.0.113.254/24 dev to-b
	ip -n "$PUB" addr add fd00:b::fe/64 dev to-b nodad
	ip -n "$PUB" addr add 192.0.2.1/32 dev lo
	ip -n "$PUB" addr add fd00:99::1/128 dev lo
	ip netns exec "$PUB" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

	nat_router "$NA" 10.0.1.1 fd00:1::1 198.51.100.1 fd00:a::1 198.51.100.254 fd00:a::fe
	nat_router "$NB" 10.0.2.1 fd00:2::1 203.0.113.1 fd00:b::1 203.0.113.254 fd00:b::fe
	nat_host "$A" 10.0.1.2 10.0.1.1 fd00:1::2 fd00:1::1
	nat_host "$B" 10.0.2.2 10.0.2.1 fd00:2::2 fd00:2::1
}

# nat_netem NS DEV DELAY JITTER LOSS: DEV sends DELAY ms late, JITTER ms
# around it (normal), and loses LOSS percent (netem); nothing when all
# three are 0.
nat_netem() {
	local args=()
	[ "${3:-0}" != 0 ] || [ "${4:-0}" != 0 ] || [ "${5:-0}" != 0 ] || return 0
	args=(delay "${3:-0}ms")
	[ "${4:-0}" != 0 ] && args+=("${4}ms" distribution normal)
	[ "${5:-0}" != 0 ] && args+=(loss "${5}%")
	ip netns exec "$1" tc qdisc add dev "$2" root netem "${args[@]}"
}

# nat_udp_timeout SECONDS: the NATs forget idle UDP mappings this fast.
nat_udp_timeout() {
	local ns
	for ns in "$NA" "$NB"; do
		ip netns exec "$ns" sysctl -qw \
			net.netfilter.nf_conntrack_udp_timeout="$1" \
			net.netfilter.nf_conntrack_udp_timeout_stream="$1"
	done
}

# nat_count_pub: count, in the public router, UDP that goes straight
# from one NAT to the other (no server in between). Read with nat_pub_packets.
nat_count_pub() {
	ip netns exec "$PUB" nft -f - <<-NFT
		table inet count {
			counter a2b { }
			counter b2a { }
			counter a2b6 { }
			counter b2a6 { }
			chain count_forward {
				type filter hook forward priority filter; policy accept;
				ip saddr 198.51.100.1 ip daddr 203.0.113.1 meta l4proto udp counter name a2b
				ip saddr 203.0.113.1 ip daddr 198.51.100.1 meta l4proto udp counter name b2a
				ip6 saddr fd00:a::1 ip6 daddr fd00:b::1 meta l4proto udp counter name a2b6
				ip6 saddr fd00:b::1 ip6 daddr fd00:a::1 meta l4proto udp counter name b2a6
			}
		}
	NFT
}

# nat_pub_packets COUNTER
nat_pub_packets() {
	ip netns exec "$PUB" nft -j list counter inet count "$1" |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

# nat_wait_state NS ID STATE SECONDS: poll the flow until it has STATE.
nat_wait_state() {
	local i state
	for ((i = 0; i < $4 * 10; i++)); do
		state=$(ip netns exec "$1" "$PUNCHCTL" -j flow show id "$2" | jq -r '.[0].state')
		[ "$state" = "$3" ] && return 0
		sleep 0.1
	done
	echo "flow $2 in $1 is $state, not $3 after $4 s"
	return 1
}
