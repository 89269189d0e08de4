#!/bin/bash
# A kernel WireGuard mesh of three hosts behind three kinds of real Linux
# NAT (issue 17): alice behind a port-preserving masquerade, bob behind a
# fully random one (a new port per destination), carol behind a home NAT
# behind a carrier NAT; 20 ms each way (5 ms jitter) on every public link,
# NATs that forget idle UDP after 5 s. Each host's wg0 has the other two
# as peers, with no endpoint; each punchd keeps its peers connected from
# the start (--connect), from wg0's own port, and points WireGuard at the
# paths it finds.
# - every pair pings over wg0, both ways; alice and carol (both NATs map
#   endpoint-independently) direct, bob with either through the relay: a
#   fully random NAT gives wg0's one port a new, unpredictable public port
#   per destination, and the birthday spray that beats it needs many
#   local ports, while WireGuard sends from its own only (punchd agrees to
#   no spray: strategy relay, at once). Each wg endpoint is where the
#   module's flow goes;
# - an idle mesh survives the NATs' 5 s timeouts (the module's keepalives,
#   no WireGuard persistent keepalive);
# - a NAT that loses its state heals by itself: carol's home NAT (the
#   carrier NAT still maps her as before), and bob's fully random one
#   (every mapping moves: the paths die, are punched again, and WireGuard
#   follows);
# - restarting a punchd does not break its running tunnels;
# - a host that goes full tunnel (wg-quick's fwmark policy routing) still
#   punches: its server link, mapping queries, probes and keepalives carry
#   wg0's fwmark and keep to the underlay.
# vm-timeout: 900
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/zoo.sh"
. "$T_REPO/selftests/lib/wg.sh"
nat_scratch
trap 'zoo_down; rm -rf "$TMP"' EXIT

command -v wg >/dev/null || { t_fail "wireguard-tools (wg) is installed"; t_done; }
export ZOO_DELAY=${ZOO_DELAY:-20} ZOO_JITTER=${ZOO_JITTER:-5}
zoo_pub_up && zoo_side a pp && zoo_side b random && zoo_side c dbl ||
	{ t_fail "three sites come up (pp, random, dbl)"; t_done; }
HA=$(zoo_ns a h) HB=$(zoo_ns b h) HC=$(zoo_ns c h)
for ns in "$(zoo_ns a n)" "$(zoo_ns b n)" "$(zoo_ns c n)" "$(zoo_ns c c)"; do
	ip netns exec "$ns" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5 \
		net.netfilter.nf_conntrack_udp_timeout_stream=5
done
rdv_users alice bob carol
rdv_start || { t_fail "rendezvousd starts"; t_done; }

wg_mesh_up || { t_fail "wg0 comes up in the three hosts"; t_done; }
start() { wg_mesh_punchd "$1"; }
t_start=$(date +%s%3N)
start alice
start bob
start carol
t_check "three punchd register, each punching for its wg0" \
	eval "pd_registered alice && pd_registered bob && pd_registered carol"

# pings FROM TO [COUNT]: FROM reaches TO over the tunnel.
pings() { ip netns exec "${NS[$1]}" ping -c "${3:-2}" -W 2 -i 0.3 "10.77.0.${IP[$2]}" >/dev/null; }
# pings_soon FROM TO: within 10 s (the first ones may meet WireGuard's
# handshake under way, as the path was just set).
pings_soon() { wait_for 10 pings "$1" "$2"; }
# path ID PEER KEY: KEY of ID's punchd's status line for PEER.
path() { pd_field "$(pd "${NS[$1]}" "$1" status | grep "^peer $2 ")" "$3"; }
# mode ID PEER: ID's punchd's word on the path to PEER.
mode() { path "$1" "$2" mode; }
# pair_up A B MODE: both punchd say their path to each other is MODE.
pair_up() { [ "$(mode "$1" "$2")" = "$3" ] && [ "$(mode "$2" "$1")" = "$3" ]; }

for p in "alice carol direct" "alice bob relay" "bob carol relay"; do
	set -- $p
	t_check "$1 and $2: both punchd say $3" wait_for 400 pair_up "$1" "$2" "$3"
	t_check "$1 pings $2 over wg0, and back" eval "pings_soon $1 $2 && pings_soon $2 $1"
	# For bench/: from the punchds' start to the pair's first ping (an
	# upper bound: the pairs are checked one after the other).
	echo "# wg-result $1/$2 $(mode "$1" "$2") $(($(date +%s%3N) - t_start))"
done
[ "$(mode alice carol)$(mode alice bob)$(mode bob carol)" = directrelayrelay ] ||
	grep -h 'event=\(up\|punching\|strategy\|failed\|relay\)' "$TMP"/alice.log \
		"$TMP"/bob.log "$TMP"/carol.log | tail -30 | sed 's/^/# /'

# Each wg peer goes where the module's flow for that peer goes.
agree=0
for id in alice bob carol; do
	for o in alice bob carol; do
		[ "$o" = "$id" ] && continue
		ep=$(path "$id" "$o" endpoint)
		[ -n "$ep" ] && [ "$(wg_endpoint "${NS[$id]}" "${KEY[$o]}")" = "$ep" ] &&
			agree=$((agree + 1))
	done
done
t_expect "every wg endpoint is its path's endpoint (6 of 6)" 6 "$agree"
t_expect "no WireGuard persistent keepalive is set" "" \
	"$(for id in alice bob carol; do ip netns exec "${NS[$id]}" wg show wg0 persistent-keepalive |
	   awk '$2 != "off"'; done)"

# --- idle through 5 s NAT timeouts -------------------------------------------
sleep 12
t_check "after 12 s idle (NATs forget UDP after 5 s), carol pings bob at once" \
	ip netns exec "$HC" ping -c 1 -W 2 10.77.0.2
t_check "and alice pings carol" ip netns exec "$HA" ping -c 1 -W 2 10.77.0.3

# --- a NAT that loses its state heals by itself -------------------------------
# heals FROM TO...: FROM reaches each TO over the tunnel now.
heals() {
	local from=$1 to
	shift
	for to in "$@"; do
		ip netns exec "${NS[$from]}" ping -c 1 -W 1 "10.77.0.${IP[$to]}" >/dev/null || return 1
	done
}
# heal_within SECONDS FROM TO...: wait until heals (4x on the debug kernel).
heal_within() {
	local end=$((SECONDS + $1 * (${NFP_DEBUG_KERNEL:-0} == 1 ? 4 : 1)))
	shift
	until heals "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}
ip netns exec "$(zoo_ns c n)" conntrack -F >/dev/null 2>&1
t0=$SECONDS
heal_within 30 carol alice bob
t_check "carol's home NAT flushed: her tunnels to alice and bob work again ($((SECONDS - t0)) s)" \
	heals carol alice bob
# Bob's NAT gives every flow a new random port, his relayed paths too:
# they heal, and his WireGuard follows whatever path is made again.
ups_b=$(grep -c 'event=up ' "$TMP/bob.log")
ip netns exec "$(zoo_ns b n)" conntrack -F >/dev/null 2>&1
t0=$SECONDS
heal_within 60 bob alice carol
t_check "bob's random NAT flushed: his tunnels to alice and carol work again ($((SECONDS - t0)) s)" \
	heals bob alice carol
echo "# bob's paths after the flush: $(grep -c 'event=up ' "$TMP/bob.log") 'up' events (before: $ups_b)"
for o in alice carol; do
	ep=$(path bob "$o" endpoint)
	t_expect "bob's wg peer $o follows the new path" "$ep" "$(wg_endpoint "$HB" "${KEY[$o]}")"
done

# --- a punchd restart does not break the running tunnels ----------------------
ip netns exec "$HA" ping -c 40 -i 0.25 -W 2 10.77.0.3 >"$TMP/ping" 2>&1 &
png=$!
pd_stop alice
start alice
t_check "alice's punchd is back" pd_registered alice 2
wait "$png"
lost=$(ping_loss "$TMP/ping")
t_check "pings over wg0 while alice's punchd restarts: $lost% lost (at most 5%)" at_most "$lost" 5
t_check "alice and carol still direct after the restart" wait_for 100 pair_up alice carol direct

# --- a full-tunnel host still punches -----------------------------------------
# wg-quick's full tunnel on alice: wg0 gets a fwmark, and everything not
# marked with it goes into wg0 (here nowhere: no peer takes 0.0.0.0/0).
# punchd's server link, probes and keepalives must keep to the underlay:
# it sees the new mark and punches its peers again with it.
ups_c=$(grep -c 'event=up peer=carol .*mode=direct' "$TMP/alice.log")
ip netns exec "$HA" wg set wg0 fwmark 0xca6c
ip -n "$HA" route add default dev wg0 table 51820
ip -n "$HA" rule add not fwmark 0xca6c table 51820
ip -n "$HA" rule add table main suppress_prefixlength 0
t_check "full tunnel on alice: unmarked traffic no longer reaches the server" \
	eval "! ip netns exec '$HA' ping -c 1 -W 1 192.0.2.1 >/dev/null"
t_check "alice's punchd follows wg0's new fwmark" \
	wait_for 100 grep -q 'event=wg-changed iface=wg0 .*fwmark=0x0->0xca6c' "$TMP/alice.log"
t_check "and punches carol again, direct, with it" \
	wait_for 300 eval "[ \$(grep -c 'event=up peer=carol .*mode=direct' '$TMP/alice.log') -gt $ups_c ]"
# Only carol's path was waited for: bob's (a relay, behind his random
# NAT) may come up later, and WireGuard then handshakes anew.
t_check "alice pings bob and carol over wg0" eval "pings_soon alice bob && pings_soon alice carol"
t_check "her server link is still up" \
	eval "pd '$HA' alice status | grep -q '^server .* registered'"
grep -h 'event=\(wg-changed\|up\|punching\|failed\|relay\|registered\|link\)' "$TMP/alice.log" |
	tail -12 | sed 's/^/# /'

for id in alice bob carol; do pd_stop "$id"; done
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer\|runtime error' $TMP/*.log"
t_done
