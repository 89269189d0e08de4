# The NAT zoo: one host on each side (alice on side a, bob on side b,
# carol on side c when a test wants three) behind a NAT of a chosen kind,
# the public router with rendezvousd in the middle (nat.sh's PUB
# namespace, rdv.sh's server).
#
#   alice 10.0.1.2 -- [kind a] -- 198.51.100.1 --+
#                                                pub (192.0.2.1, .2: rendezvousd)
#   bob   10.0.2.2 -- [kind b] -- 203.0.113.1 ---+
#   carol 10.0.3.2 -- [kind c] -- 192.0.2.129 ---+  (192.0.2.128/25)
#
# Kinds, real Linux NAT unless marked as a fixture:
#   public   no NAT: the host holds the public address itself
#   pp       masquerade: keeps the source port when free, so endpoint-
#            independent mapping; port-restricted filtering (conntrack)
#   random   masquerade fully-random: a random port per destination
#            (address-and-port-dependent mapping), port-restricted filter
#   seq      FIXTURE: sequential symmetric NAT, emulated with an nft snat
#            whose port comes from "numgen inc": each new mapping (one per
#            destination) takes the next port, 20000 upwards for UDP and
#            30000 upwards for TCP (a counter each)
#   arc      FIXTURE: address-restricted cone, masquerade plus a dynamic
#            set of (remote address, port) pairs seen going out and a dnat
#            that lets in any port of those addresses
#   fc       FIXTURE: full cone, the same with a set of ports only
#   dbl      double NAT: a home router (masquerade) behind a carrier-grade
#            NAT (masquerade again), private ranges on both inner links
# Every NAT drops unsolicited packets to itself from its wan side, unless
# ZOO_FIREWALL=no: then each is a plain masquerade gateway, and conntrack
# keeps an entry for a peer's probe that arrives before anything went out
# (the race priming is for).
#
# The public links (each site's uplink, and the router's side of it) can
# be slow: ZOO_DELAY ms each way, ZOO_JITTER ms around it, ZOO_LOSS
# percent of packets lost (netem; 0 or unset: none).
# shellcheck shell=bash

ZOO_ALL_KINDS="public pp random seq arc fc dbl"

# zoo_ns SIDE ROLE: the namespace of a side's host, nat or cgnat.
zoo_ns() { echo "$NAT_P-$1$2"; }

# zoo_pub_up: the public router, without any site.
zoo_pub_up() {
	ip netns add "$PUB" || return 1
	ip -n "$PUB" link set lo up
	ip -n "$PUB" addr add 192.0.2.1/32 dev lo
	ip netns exec "$PUB" sysctl -qw net.ipv4.ip_forward=1
}

_zoo_side_vars() {
	case $1 in
	a) Z_I=1 Z_WAN=198.51.100.1 Z_GW=198.51.100.254 Z_LEN=24 ;;
	b) Z_I=2 Z_WAN=203.0.113.1 Z_GW=203.0.113.254 Z_LEN=24 ;;
	c) Z_I=3 Z_WAN=192.0.2.129 Z_GW=192.0.2.254 Z_LEN=25 ;;
	esac
}

# _zoo_router NS WAN_ADDR/LEN GW LAN_ADDR/LEN KIND LAN_HOST
_zoo_router() {
	local ns=$1 snat="oifname \"wan\" masquerade" extra=""
	ip -n "$ns" addr add "$2" dev wan
	ip -n "$ns" addr add "$4" dev lan
	ip -n "$ns" route add default via "$3"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	case $5 in
	random) snat="oifname \"wan\" masquerade fully-random" ;;
	seq)
		# numgen counts in host order and snat wants a port in network
		# order, so the count goes through a map of real ports.
		local i ports="" tports=""
		for ((i = 0; i < 1024; i++)); do
			ports+="$i : $((20000 + i)), " tports+="$i : $((30000 + i)), "
		done
		snat="oifname \"wan\" meta l4proto udp snat ip to ${2%/*} : numgen inc mod 1024 map { ${ports%, } }
		oifname \"wan\" meta l4proto tcp snat ip to ${2%/*} : numgen inc mod 1024 map { ${tports%, } }
		oifname \"wan\" masquerade" ;;
	arc|fc)
		local key="ip daddr . udp sport" match="ip saddr . udp dport" type="ipv4_addr . inet_service"
		if [ "$5" = fc ]; then key="udp sport" match="udp dport" type="inet_service"; fi
		extra="set seen { type $type; flags dynamic,timeout; timeout 2m; }
		chain remember {
			type filter hook forward priority filter; policy accept;
			iifname \"lan\" meta l4proto udp update @seen { $key }
		}
		chain cone {
			type nat hook prerouting priority dstnat; policy accept;
			iifname \"wan\" meta l4proto udp $match @seen dnat ip to $6
		}" ;;
	esac
	ip netns exec "$ns" nft -f - <<-NFT
		table ip zoo {
			$extra
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				$snat
			}
			chain input {
				type filter hook input priority filter; policy accept;
				$( [ "${ZOO_FIREWALL:-yes}" = no ] ||
				   echo 'iifname "wan" ct state new counter drop' )
			}
		}
	NFT
}

# _zoo_netem NS DEV: the public link's delay, jitter and loss on DEV.
_zoo_netem() {
	nat_netem "$1" "$2" "${ZOO_DELAY:-0}" "${ZOO_JITTER:-0}" "${ZOO_LOSS:-0}"
}

# zoo_side SIDE KIND: build side a, b or c; its host namespace is $(zoo_ns SIDE h).
zoo_side() {
	local side=$1 kind=$2 h n c
	_zoo_side_vars "$side"
	h=$(zoo_ns "$side" h) n=$(zoo_ns "$side" n) c=$(zoo_ns "$side" c)
	ip netns add "$h" || return 1
	ip -n "$h" link set lo up
	case $kind in
	public)
		nat_link "$h" eth0 "$PUB" "to-$side"
		ip -n "$h" addr add "$Z_WAN/$Z_LEN" dev eth0
		ip -n "$h" route add default via "$Z_GW"
		;;
	dbl)
		ip netns add "$n" && ip netns add "$c" || return 1
		ip -n "$n" link set lo up
		ip -n "$c" link set lo up
		nat_link "$c" wan "$PUB" "to-$side"
		nat_link "$n" wan "$c" lan
		nat_link "$h" eth0 "$n" lan
		_zoo_router "$c" "$Z_WAN/$Z_LEN" "$Z_GW" "172.16.$Z_I.1/24" pp 172.16.$Z_I.2
		_zoo_router "$n" "172.16.$Z_I.2/24" "172.16.$Z_I.1" "10.0.$Z_I.1/24" pp 10.0.$Z_I.2
		ip -n "$h" addr add "10.0.$Z_I.2/24" dev eth0
		ip -n "$h" route add default via "10.0.$Z_I.1"
		;;
	*)
		ip netns add "$n" || return 1
		ip -n "$n" link set lo up
		nat_link "$n" wan "$PUB" "to-$side"
		nat_link "$h" eth0 "$n" lan
		_zoo_router "$n" "$Z_WAN/$Z_LEN" "$Z_GW" "10.0.$Z_I.1/24" "$kind" 10.0.$Z_I.2
		ip -n "$h" addr add "10.0.$Z_I.2/24" dev eth0
		ip -n "$h" route add default via "10.0.$Z_I.1"
		;;
	esac
	ip -n "$PUB" addr add "$Z_GW/$Z_LEN" dev "to-$side"
	case $kind in
	public) _zoo_netem "$h" eth0 ;;
	dbl) _zoo_netem "$c" wan ;;
	*) _zoo_netem "$n" wan ;;
	esac
	_zoo_netem "$PUB" "to-$side"
}

# zoo_side_down SIDE: remove a side (its link to the router goes with it).
zoo_side_down() {
	local r ns
	for r in h n c; do
		ns=$(zoo_ns "$1" "$r")
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

zoo_down() {
	zoo_side_down a
	zoo_side_down b
	zoo_side_down c
	ip netns pids "$PUB" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$PUB" 2>/dev/null
	return 0
}

# zoo_expect KIND_A KIND_B: the theoretical best, "direct" or "relay".
# Two sides that both allocate unpredictably (or one random, one
# sequential) never meet; every other pair can (see strategy.c).
zoo_expect() {
	case "$1 $2" in
	"random random" | "random seq" | "seq random") echo relay ;;
	*) echo direct ;;
	esac
}

# zoo_probes NS: every STUN packet the module sent in that namespace.
zoo_probes() {
	ip netns exec "$1" "$PUNCHCTL" -j stats | jq '.probes_sent'
}
