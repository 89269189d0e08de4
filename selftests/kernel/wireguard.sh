#!/bin/bash
# Kernel WireGuard through two real Linux NATs: alice's and bob's wg0
# listen on the port punchd punches from (--wireguard), their peers have
# no endpoint. "punchd connect bob" finds the path from wg0's own port;
# both sides' WireGuard peers are pointed at it and handshake at once,
# and a ping crosses the tunnel NAT to NAT. WireGuard's own packets pass
# the module untouched on that port. With relay first, the tunnel runs
# through the relay while no direct path exists and moves to the direct
# one without losing a ping.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/wg.sh"
nat_scratch
trap 'rdv_down; rm -rf "$TMP"' EXIT

command -v wg >/dev/null || { t_fail "wireguard-tools (wg) is installed"; t_done; }
command -v ping >/dev/null || { t_fail "iputils-ping (ping) is installed"; t_done; }
nat_up || { t_fail "the NAT topology comes up"; t_done; }
rdv_users alice bob
rdv_start || { t_fail "rendezvousd starts"; t_done; }

ka=$(wg_up "$A" 4000 10.77.0.1/24) && kb=$(wg_up "$B" 5000 10.77.0.2/24) ||
	{ t_fail "wg0 comes up in alice's and bob's hosts"; t_done; }
# Each knows the other's key and tunnel address, not where it is.
ip netns exec "$A" wg set wg0 peer "$kb" allowed-ips 10.77.0.2/32
ip netns exec "$B" wg set wg0 peer "$ka" allowed-ips 10.77.0.1/32

pd_start "$A" alice 4000 --wireguard wg0 --wg-peer "bob=$kb"
pd_start "$B" bob 5000 --wireguard wg0 --wg-peer "alice=$ka"
t_check "both punchd register, punching for wg0" \
	eval "pd_registered alice && pd_registered bob &&
	      grep -q 'event=wireguard iface=wg0 port=4000' $TMP/alice.log"

res=$(pd "$A" alice connect bob)
t_match "punchd connect bob: a direct path from wg0's port" \
	"^ok peer=bob mode=direct endpoint=203\.0\.113\.1:[0-9]+ .* local=10\.0\.1\.2:4000 " "$res"
pb=$(pd_field "$res" endpoint)
t_check "alice's wg0 peer now goes to bob's public endpoint" \
	wait_for 50 eval "ip netns exec '$A' wg show wg0 endpoints | grep -q '$pb'"
remote=$(in_a "$PUNCHCTL" -j flow show local 10.0.1.2:4000 | jq -r '.[0].remote')
t_expect "and it is where the module's flow goes" "$pb" "$remote"
t_check "bob's wg0 peer points at alice's NAT" \
	wait_for 50 eval "ip netns exec '$B' wg show wg0 endpoints | grep -q '198\.51\.100\.1:'"
t_check "WireGuard handshook at once (no packet of its own sent yet)" \
	wait_for 50 eval "ip netns exec '$A' wg show wg0 latest-handshakes | awk '{ exit !(\$2 > 0) }'"
t_check "a ping crosses the tunnel, NAT to NAT" \
	ip netns exec "$A" ping -c 3 -W 2 -i 0.3 10.77.0.2
t_check "and back" ip netns exec "$B" ping -c 2 -W 2 -i 0.3 10.77.0.1
t_check "the module's flow counts WireGuard's packets as the application's" \
	eval "in_a '$PUNCHCTL' -j flow show local 10.0.1.2:4000 | jq -e '.[0].counters.rx_packets > 0'"

# Someone resets the endpoint (an admin, wg-quick's config): with no
# traffic to say WireGuard moved it itself, punchd puts the path back
# within two of its 5 s checks.
ip netns exec "$A" wg set wg0 peer "$kb" endpoint 192.0.2.99:9
t_check "an endpoint set by hand is put back on the path" \
	wait_for 150 eval "ip netns exec '$A' wg show wg0 endpoints | grep -q '$pb'"

# wg0's listen port changes: the old paths are useless; punchd follows.
ip netns exec "$A" wg set wg0 listen-port 4100
t_check "punchd notices wg0's new port" \
	wait_for 100 grep -q 'event=wg-changed iface=wg0 port=4000->4100 ' "$TMP/alice.log"
up_4100() { grep -q 'event=up peer=bob .*local=10\.0\.1\.2:4100' "$TMP/alice.log"; }
t_check "and punches again from it" wait_for 300 up_4100
t_check "a ping crosses the tunnel from the new port" \
	ip netns exec "$A" ping -c 2 -W 3 -i 0.5 10.77.0.2

# --- relay first: the tunnel runs through the relay at once, then direct ---
# Fresh punchds (no session to resume, no flows left) with --relay-first,
# while UDP between the two NATs is cut: only the relay works.
pd_fresh "$A" alice
pd_fresh "$B" bob
nat_cut
RF=(--relay-first yes --punch-timeout 10)
pd_start "$A" alice 4100 --wireguard wg0 --wg-peer "bob=$kb" "${RF[@]}"
pd_start "$B" bob 5000 --wireguard wg0 --wg-peer "alice=$ka" "${RF[@]}"
t_check "relay first: both punchd register again" \
	eval "pd_registered alice 2 && pd_registered bob 2"
res=$(pd "$A" alice connect bob)
t_match "UDP between the NATs cut: connect answers through the relay" \
	"^ok peer=bob mode=relay endpoint=192\.0\.2\.1:[0-9]+ " "$res"
t_check "alice's wg0 peer goes to the relay" \
	wait_for 50 eval "ip netns exec '$A' wg show wg0 endpoints | grep -q '192\.0\.2\.1:'"
t_check "and bob's" \
	wait_for 50 eval "ip netns exec '$B' wg show wg0 endpoints | grep -q '192\.0\.2\.1:'"
t_check "a ping crosses the tunnel through the relay" \
	ip netns exec "$A" ping -c 2 -W 3 -i 0.5 10.77.0.2
# Pings all along while the path moves: none may be lost.
ip netns exec "$A" ping -c 50 -i 0.2 -W 2 10.77.0.2 >"$TMP/ping" 2>&1 &
png=$!
sleep 1
nat_uncut
t_check "once UDP passes, alice's wg0 peer moves to bob's NAT" \
	wait_for 150 eval "ip netns exec '$A' wg show wg0 endpoints | grep -q '203\.0\.113\.1:'"
t_check "and bob's to alice's" \
	wait_for 100 eval "ip netns exec '$B' wg show wg0 endpoints | grep -q '198\.51\.100\.1:'"
wait "$png"
t_match "no ping lost in the move" " 50 received, 0% packet loss" "$(cat "$TMP/ping")"

pd_stop alice
pd_stop bob
rdv_stop
grep -h -A12 'Sanitizer\|runtime error' "$TMP"/*.log | head -40 | sed 's/^/# /'
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer' $TMP/*.log"
t_done
