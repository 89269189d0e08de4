#!/bin/bash
# punchd end to end: Alice and Bob behind two real Linux NATs, each with
# a punchd registered at rendezvousd. "punchd connect bob" makes a direct
# path and the applications talk NAT to NAT; the path survives a server
# restart and a punchd restart; two hosts behind the same NAT meet on
# their LAN; with UDP between the NATs blocked, the relay carries the
# traffic and both sides say so (after the punch fails: relay first is
# off here).
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/json-doc.sh"
MAN=$T_REPO/helper/punchd/punchd.8
nat_scratch
trap 'rdv_down; rm -rf "$TMP"' EXIT

nat_up && nat_carol || { t_fail "the NAT topology comes up"; t_done; }
nat_count_pub
nat_udp_timeout 5
rdv_users alice bob carol
rdv_start || { t_fail "rendezvousd starts"; t_done; }
# The punch alone, as the checks below want it (no relay involved);
# relay first, punchd's default, is punchd-relay-first.sh's.
NORF=(--relay-first no)
pd_start "$A" alice 4000 "${NORF[@]}"
pd_start "$B" bob 5000 "${NORF[@]}"
t_check "alice's and bob's punchd register with the server" \
	eval "pd_registered alice && pd_registered bob"

# --- direct ---------------------------------------------------------------
res=$(pd "$A" alice connect bob)
t_match "punchd connect bob: a direct path to bob's NAT" \
	"^ok peer=bob mode=direct endpoint=203.0.113.1:[0-9]+ ms=[0-9]+ strategy=plain local=10\.0\.1\.2:4000 probes=[0-9]+$" "$res"
ms=$(pd_field "$res" ms)
echo "# time to establish: ${ms} ms (alice's punchd, mapping + signaling + punch)"
pb=$(pd_field "$res" endpoint)
wait_for 50 grep -q '^up alice' "$TMP/bob.hook"
t_match "bob's hook: up alice, direct, at nat-a's public address" \
	"^up alice 198\.51\.100\.1:[0-9]+ direct [0-9]+$" "$(head -1 "$TMP/bob.hook")"
t_match "alice's hook: up bob, direct" "^up bob $pb direct $ms$" "$(head -1 "$TMP/alice.hook")"
pa=$(awk '{print $3; exit}' "$TMP/bob.hook")

before_a2b=$(nat_pub_packets a2b)
ip netns exec "$PUB" nft add table inet srv
ip netns exec "$PUB" nft add counter inet srv udp_in
ip netns exec "$PUB" nft add chain inet srv in '{ type filter hook input priority 0; }'
# Not STUN (punchd times its NAT's mappings against the server meanwhile).
ip netns exec "$PUB" nft add rule inet srv in udp dport != { 3478, 3479 } counter name udp_in
got=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$pb" to-bob 3)
t_expect "bob's application receives alice's 3 datagrams" "to-bob to-bob to-bob" "$(echo $got)"
got=$(nat_app "$B" 10.0.2.2:5000 "$A" 10.0.1.2:4000 "$pa" to-alice 3)
t_expect "alice's application receives bob's 3 datagrams" "to-alice to-alice to-alice" "$(echo $got)"
srv=$(ip netns exec "$PUB" nft -j list counter inet srv udp_in | jq '.nftables[] | select(.counter) | .counter.packets')
t_check "the public router forwarded them from nat-a straight to nat-b" \
	test "$(( $(nat_pub_packets a2b) - before_a2b ))" -ge 3
t_expect "the server received no UDP meanwhile (no relay involved)" 0 "$srv"

# --- the server restarts ---------------------------------------------------
rdv_stop
fa=$(in_a "$PUNCHCTL" -j flow show | jq -r '.[0].id')
t_expect "punchd tags its flows (app tag 1, punchd(8)): 'flow show tag 1' finds it" "$fa" \
	"$(in_a "$PUNCHCTL" -j flow show tag 1 | jq -r '.[].id' | xargs)"
sleep 3
t_expect "server down for 3 s: alice's flow is still established" established \
	"$(flow_json "$A" "$fa" | jq -r .state)"
rdv_start
t_check "both punchd register again (backoff with jitter)" \
	eval "pd_registered alice 2 && pd_registered bob 2"
got=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$pb" after-restart 2)
t_expect "the session survived: data still flows directly" "after-restart after-restart" "$(echo $got)"

# --- alice's punchd restarts ----------------------------------------------
pd_stop alice
t_expect "punchd stopped: its flow stays in the kernel" established \
	"$(flow_json "$A" "$fa" | jq -r .state)"
pd_start "$A" alice 4000 "${NORF[@]}"
t_check "the new punchd registers" pd_registered alice 3
t_check "it finds bob's flow in the module" grep -q "event=resume peer=bob flow=$fa found=yes state=up" "$TMP/alice.log"
t_match "punchd status: bob is up, direct, same endpoint" \
	"peer bob state=up mode=direct endpoint=$pb flow=$fa" "$(pd "$A" alice status)"
got=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$pb" after-pd-restart 1)
t_expect "data still flows" "after-pd-restart" "$got"
pd "$A" alice status -j >"$TMP/status.json"
t_expect "punchd status -j: bob up, direct, at the same endpoint, on the same flow" \
	"bob up direct $pb null $fa 1" \
	"$(jq -r '.peers[0] | "\(.name) \(.state) \(.mode) \(.endpoint) \(.relay) \(.flow)"' \
		"$TMP/status.json") $(jq -r .tag "$TMP/status.json")"
t_check "punchd status -j: the module's rtt and the application's bytes both ways" \
	jq -e '.peers[0] | (.rtt_us > 0) and (.rx_bytes > 0) and (.tx_bytes > 0)' "$TMP/status.json"
t_expect "punchd status -j: who, registered, and the relay null on a direct path" \
	"alice true null" \
	"$(jq -r '"\(.id) \(.server.registered) \(.peers[0].relay)"' "$TMP/status.json")"
jq '[.]' "$TMP/status.json" >"$TMP/status-top.json"
schema "$MAN" "Status" "$TMP/status-top.json"
jq '[.server]' "$TMP/status.json" >"$TMP/status-server.json"
schema "$MAN" "Server" "$TMP/status-server.json"

# --- the same NAT ------------------------------------------------------------
# Carol's keepalive is not fixed: it follows the lifetime punchd measures
# for nat-a's mappings (5 s here, nat_udp_timeout above).
# Carol's host also has a container bridge and a tunnel (a WireGuard
# interface; the VM has no /dev/net/tun for a tun): their addresses
# lead nowhere a peer can go, so they are no candidates. Docker's bridge
# is known by its name: where the kernel has no bridges (the debug
# lane's), a veth pair stands in for it.
{ ip -n "$C" link add docker0 type bridge 2>/dev/null ||
	ip -n "$C" link add docker0 type veth peer name docker0-port; } &&
	ip -n "$C" addr add 172.17.0.1/16 dev docker0 && ip -n "$C" link set docker0 up &&
	ip -n "$C" link add office type wireguard &&
	ip -n "$C" addr add 10.99.0.1/24 dev office && ip -n "$C" link set office up ||
	t_fail "carol's host gets a container bridge and a tunnel (WireGuard)"
PD_KEEPALIVE=auto pd_start "$C" carol 6000 --keepalive-min 1
pd_registered carol
res=$(pd "$C" carol connect alice)
t_match "carol (behind nat-a too) connects to alice directly over the LAN" \
	"^ok peer=alice mode=direct endpoint=10\.0\.1\.2:4000 ms=[0-9]+ strategy=plain local=10\.0\.3\.2:6000 probes=[0-9]+$" "$res"
t_expect "alice punches carol's LAN address, not its container bridge's or tunnel's" \
	"10.0.3.2:6000" \
	"$(in_a "$PUNCHCTL" -j flow show | jq -r '.[].peers[]' | grep -E '^(10\.0\.3\.2|172\.17\.|10\.99\.)' | sort -u | xargs)"
t_check "carol's punchd logs why: docker0 a container bridge, office (WireGuard) a tunnel" \
	eval "grep -q 'event=host-candidate-skipped iface=docker0 reason=container' $TMP/carol.log &&
	      grep -q 'event=host-candidate-skipped iface=office reason=tunnel' $TMP/carol.log"
got=$(nat_app "$C" 10.0.3.2:6000 "$A" 10.0.1.2:4000 10.0.1.2:4000 lan 2)
t_expect "carol's application reaches alice's" "lan lan" "$(echo $got)"
t_match "punchd status shows the NAT it discovered (port-preserving masquerade)" \
	"^nat eim\.apdf\.preserve mapping=eim filtering=apdf allocation=preserve" \
	"$(pd "$C" carol status | grep '^nat ')"
wait_for 250 grep -q 'event=nat-lifetime' "$TMP/carol.log"
life=$(grep -o 'event=nat-lifetime.*' "$TMP/carol.log")
echo "# carol: $life"
[ -n "$life" ] || grep -E 'event=(nat|stun|up)' "$TMP/carol.log" | sed 's/^/# /'
t_check "the measured lifetime brackets nat-a's 5 s conntrack timeout" \
	test "$(pd_field "$life" dead_s)" -gt 0 -a "$(pd_field "$life" dead_s)" -le 10 \
	-a "$(pd_field "$life" alive_s)" -lt 10
pd "$C" carol status -j >"$TMP/status-carol.json"
t_expect "punchd status -j: the NAT carol discovered, and its measured lifetime" \
	"eim.apdf.preserve eim apdf preserve true" \
	"$(jq -r '.nat | "\(.type) \(.mapping) \(.filtering) \(.allocation) \(.lifetime.max_s > 0)"' \
		"$TMP/status-carol.json")"
jq '[.nat]' "$TMP/status-carol.json" >"$TMP/status-nat.json"
schema "$MAN" "NAT" "$TMP/status-nat.json"
jq '[.nat.lifetime]' "$TMP/status-carol.json" >"$TMP/status-life.json"
schema "$MAN" "Lifetime" "$TMP/status-life.json"
ka=$(pd_field "$life" keepalive_ms)
t_check "so the keepalive drops below it ($ka ms), and above --keepalive-min" \
	test "${ka:-0}" -ge 1000 -a "${ka:-99999}" -lt 5000
fc=$(ip netns exec "$C" "$PUNCHCTL" -j flow show | jq -r '.[0].id')
t_expect "carol's live flow was told the new keepalive" "$ka" \
	"$(ip netns exec "$C" "$PUNCHCTL" -j flow show id "$fc" | jq -r '.[0].keepalive_ms')"

# --- UDP between the NATs blocked: the relay ---------------------------------
nat_cut
pd "$A" alice disconnect bob >/dev/null
pd "$B" bob disconnect alice >/dev/null
res=$(pd "$A" alice connect bob)
t_match "with UDP between the NATs blocked, connect falls back to the relay" \
	"^ok peer=bob mode=relay endpoint=192\.0\.2\.1:[0-9]+ ms=[0-9]+ strategy=[a-z-]+ local=10\.0\.1\.2:4000 probes=[0-9]+$" "$res"
ra=$(pd_field "$res" endpoint)
wait_for 50 grep -q 'relay' "$TMP/bob.hook"
t_match "bob's hook says relay too" "^up alice 192\.0\.2\.1:[0-9]+ relay [0-9]+$" \
	"$(grep relay "$TMP/bob.hook" | tail -1)"
rb=$(grep relay "$TMP/bob.hook" | tail -1 | awk '{print $3}')
t_match "bob's punchd status: alice up via the relay" "peer alice state=up mode=relay endpoint=$rb" \
	"$(pd "$B" bob status)"
pd "$B" bob status -j >"$TMP/status-relay.json"
t_expect "bob's punchd status -j: alice up via the relay, relay and endpoint the same" \
	"alice up relay $rb $rb" \
	"$(jq -r '.peers[] | select(.name == "alice") | "\(.name) \(.state) \(.mode) \(.endpoint) \(.relay)"' \
		"$TMP/status-relay.json")"
{ jq .peers "$TMP/status.json"; jq .peers "$TMP/status-relay.json"; } | jq -s add >"$TMP/peers.json"
schema "$MAN" "Peer" "$TMP/peers.json"
got=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$ra" relayed 3)
t_expect "bob's application receives alice's datagrams through the relay" "relayed relayed relayed" "$(echo $got)"
got=$(nat_app "$B" 10.0.2.2:5000 "$A" 10.0.1.2:4000 "$rb" relayed-back 2)
t_expect "and alice's receives bob's" "relayed-back relayed-back" "$(echo $got)"
srv=$(ip netns exec "$PUB" nft -j list counter inet srv udp_in | jq '.nftables[] | select(.counter) | .counter.packets')
t_check "the server received the relayed UDP" test "$srv" -ge 5

# A third party that knows the relay port cannot use it.
ip netns exec "$PUB" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
h, p = sys.argv[1].rsplit(":", 1)
for i in range(5): s.sendto(b"intruder", (h, int(p)))' "$rb"
sleep 1
t_check "datagrams from anyone else are dropped and logged" grep -q "event=relay-drop" "$TMP/rdv.log"

for id in alice bob carol; do pd_stop $id; done
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer' $TMP/*.log"
t_done
