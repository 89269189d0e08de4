#!/bin/bash
# The main demo, run inside the test VM by "make demo": Alice and Bob,
# each behind a real Linux NAT (nftables masquerade and a home router's
# firewall), each running punchd; rendezvousd on a public address.
# "punchd connect bob" answers as soon as a path is up (through the
# server's relay, which runs beside the punch, or direct if the punch
# wins), and the peers move to the direct UDP path the kernel module
# punches through both NATs; the applications talk NAT to NAT, and the
# path stays open while idle. Then UDP between the NATs is cut and the
# same command answers through the relay alone.
set -u	# not -e: the NAT fixture's helpers tolerate failures on purpose
repo=$(pwd)
NFP_BIN=${NFP_BIN:-$repo/build}
# shellcheck source=../selftests/lib/nat.sh
. "$repo/selftests/lib/nat.sh"
# shellcheck source=../selftests/lib/rdv.sh
. "$repo/selftests/lib/rdv.sh"
PUNCHCTL=$NFP_BIN/punchctl
step() { printf '\n== %s\n' "$*"; }
die() {
	echo "demo: FAILED: $*"
	exit 1
}
nat_scratch

step "kernel $(uname -r), module $(modinfo -F version nfpunch.ko) loaded"

step "topology: two hosts behind two NATs, a public router and the server"
nat_up || die "the topology did not come up"
nat_count_pub
nat_udp_timeout 5
cat <<'TOPO'
  alice 10.0.1.2 -- nat-a 198.51.100.1 --+
                                          pub -- rendezvousd 192.0.2.1 (STUN, signaling, relay)
  bob   10.0.2.2 -- nat-b 203.0.113.1 --+
TOPO
rdv_users alice bob
rdv_start || die "rendezvousd did not start"
echo "rendezvousd: $(grep -c 'event=listen' "$TMP/rdv.log") sockets (STUN on two addresses and ports for RFC 5780, signaling on TCP 3478)"

step "alice cannot reach bob unsolicited (his NAT drops it)"
echo "bob received: $(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 203.0.113.1:5000 knock 1 |
	grep -c knock) datagrams"

step "each host runs punchd (UDP port 4000 for alice, 5000 for bob; keepalive 2 s)"
pd_start "$A" alice 4000
pd_start "$B" bob 5000
pd_registered alice && pd_registered bob || die "punchd did not register"
grep -h 'event=registered' "$TMP/alice.log" "$TMP/bob.log" | sed 's/^/  /'

step "alice: punchd connect bob"
res=$(pd "$A" alice connect bob)
echo "  $res"
case $res in "ok peer=bob mode="*) ;; *) die "no path" ;; esac
echo "first path up (mapping via the module, signaling, then the relay or the punch, whichever is first): $(pd_field "$res" mode), $(pd_field "$res" ms) ms"
wait_for 150 pd_has_direct alice bob || die "no direct path for alice"
wait_for 150 pd_has_direct bob alice || die "no direct path for bob"
pb=$(pd_hook_direct alice bob 3)
pa=$(pd_hook_direct bob alice 3)
echo "direct path up: $(pd_hook_direct alice bob 5) ms after connect"
echo "hooks (EVENT PEER ENDPOINT MODE MS; a path through the relay, if any, came first):"
sed 's/^/  alice: /' "$TMP/alice.hook"
sed 's/^/  bob:   /' "$TMP/bob.hook"
echo "alice's punchd log:"
grep -E 'event=(connect|mapping|accepted|punching|relaying|up) ' "$TMP/alice.log" | sed 's/^/  /'
ip netns exec "$A" "$PUNCHCTL" flow show

step "the applications talk directly, NAT to NAT"
before=$(nat_pub_packets a2b)
direct=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$pb" hello-bob 3)
echo "bob's application received: $(echo $direct)"
back=$(nat_app "$B" 10.0.2.2:5000 "$A" 10.0.1.2:4000 "$pa" hello-alice 2)
echo "alice's application received: $(echo $back)"
echo "UDP the public router forwarded from nat-a straight to nat-b meanwhile: $(( $(nat_pub_packets a2b) - before )) datagrams"
echo "(the server at 192.0.2.1 is neither end of them)"

step "idle for 12 s (the NATs forget UDP after 5 s): keepalives hold the path"
sleep 12
late=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$pb" still-here 1)
echo "bob's application received: $late"
ip netns exec "$A" "$PUNCHCTL" -j flow show | jq -M -c '.[0] | {state, remote, rtt_us, keepalives: .counters.keepalives}'

step "UDP between the two NATs is cut: the same command falls back to the relay"
nat_cut
pd "$A" alice disconnect bob >/dev/null
pd "$B" bob disconnect alice >/dev/null
: >"$TMP/alice.hook"
: >"$TMP/bob.hook"
res2=$(pd "$A" alice connect bob)
echo "  $res2"
ra=$(pd_field "$res2" endpoint)
wait_for 50 grep -q relay "$TMP/bob.hook"
echo "bob's punchd: $(pd "$B" bob status | grep '^peer')"
rb=$(grep relay "$TMP/bob.hook" | tail -1 | awk '{print $3}')
relayed=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$ra" via-relay 2)
echo "bob's application received: $(echo $relayed)"

[ "$(echo "$direct" | grep -c hello-bob)" = 3 ] || die "datagrams were lost"
[ "$(echo "$back" | grep -c hello-alice)" = 2 ] || die "datagrams back were lost"
[ "$late" = still-here ] || die "the path closed while idle"
case $res2 in "ok peer=bob mode=relay "*) ;; *) die "no relay" ;; esac
[ -n "$rb" ] || die "bob does not know he is relayed"
[ "$(echo "$relayed" | grep -c via-relay)" = 2 ] || die "relayed datagrams were lost"
echo
echo "demo: OK"
