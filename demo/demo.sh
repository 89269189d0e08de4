#!/bin/bash
# The main demo, run inside the test VM by "make demo": Alice and Bob,
# each behind a real Linux NAT (nftables masquerade and a home router's
# firewall), punch a direct UDP path with the kernel module.
#
# The rendezvous step is played by this script for now: each side asks a
# STUN server (coturn, in the public namespace) for its public endpoint
# through the module, and the script hands the answers and a fresh secret
# to the other side. rendezvousd and punchd will do that part.
set -u	# not -e: the NAT fixture's helpers tolerate failures on purpose
repo=$(pwd)
bin=${NFP_BIN:-build}
# shellcheck source=../selftests/lib/nat.sh
. "$repo/selftests/lib/nat.sh"
PUNCHCTL=$bin/punchctl
step() { printf '\n== %s\n' "$*"; }
die() {
	echo "demo: FAILED: $*"
	exit 1
}
nat_scratch

step "kernel $(uname -r), module $(modinfo -F version nfpunch.ko) loaded"

step "topology: two hosts behind two NATs, a public router between"
nat_up || die "the topology did not come up"
nat_count_pub
nat_udp_timeout 5
cat <<'EOF'
  alice 10.0.1.2 -- nat-a 198.51.100.1 --+
                                          pub 192.0.2.1 (STUN server)
  bob   10.0.2.2 -- nat-b 203.0.113.1 --+
EOF
ip netns exec "$PUB" turnserver -n --no-tls --no-dtls --no-cli -S -L 192.0.2.1 \
	-p 3478 --no-stdout-log --log-file "$TMP/turn.log" >/dev/null 2>&1 &
wait_udp_bound "$PUB" 3478 192.0.2.1

step "alice cannot reach bob unsolicited (his NAT drops it)"
echo "bob received: $(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 203.0.113.1:5000 knock 1 |
	grep -c knock) datagrams"

step "each side learns its public endpoint through the module (STUN, from its own port)"
pa=$(ip netns exec "$A" "$PUNCHCTL" -j mapping local 10.0.1.2:4000 server 192.0.2.1:3478 | jq -r .mapped)
pb=$(ip netns exec "$B" "$PUNCHCTL" -j mapping local 10.0.2.2:5000 server 192.0.2.1:3478 | jq -r .mapped)
echo "alice is $pa, bob is $pb"
case "$pa $pb" in
198.51.100.1:*" "203.0.113.1:*) ;;
*) die "mapping queries failed" ;;
esac

step "both punch at once with a fresh shared secret"
secret=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
ip netns exec "$A" "$PUNCHCTL" monitor count 1 >"$TMP/events" &
mon=$!
wait_event_listeners "$A" 1
start=$(date +%s%N)
ip netns exec "$A" "$bin/examples/punch-wait" 10.0.1.2:4000 "$pb" "$secret" 15 >"$TMP/alice" &
alice=$!
# Keepalives well inside the NATs' 5 s UDP timeout.
ip netns exec "$B" "$PUNCHCTL" flow add local 10.0.2.2:5000 peer "$pa" secret "$secret" \
	keepalive 2s >/dev/null
echo "bob: punchctl flow add local 10.0.2.2:5000 peer $pa keepalive 2s"
wait "$alice" || { cat "$TMP/alice"; die "alice did not get through"; }
echo "alice (punch-wait, through libnfpunch):"
sed 's/^/  /' "$TMP/alice"
echo "established in $(( ($(date +%s%N) - start) / 1000000 )) ms"
wait "$mon"
echo "alice's monitor:"
sed 's/^/  /' "$TMP/events"

step "alice's flow is gone with punch-wait (it owned it); she keeps one of her own"
ida=$(ip netns exec "$A" "$PUNCHCTL" -j flow add local 10.0.1.2:4000 peer "$pb" \
	secret "$secret" keepalive 2s | jq .id)
nat_wait_state "$A" "$ida" established 5 >/dev/null
ip netns exec "$A" "$PUNCHCTL" flow show

step "the applications talk directly, NAT to NAT"
before=$(nat_pub_packets a2b)
direct=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$pb" hello-bob 3)
echo "bob's application received: $(echo $direct)"
echo "UDP the public router forwarded from nat-a straight to nat-b meanwhile: $(( $(nat_pub_packets a2b) - before )) datagrams (these and any keepalive)"
echo "(counted as nat-a to nat-b: the STUN server at 192.0.2.1 is neither end of them)"

step "idle for 12 s (the NATs forget UDP after 5 s): keepalives hold the path"
sleep 12
late=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 "$pb" still-here 1)
echo "bob's application received: $late"
ip netns exec "$A" "$PUNCHCTL" -j flow show | jq -M -c '.[0] | {state, remote, rtt_us, keepalives: .counters.keepalives}'

[ "$(echo "$direct" | grep -c hello-bob)" = 3 ] || die "datagrams were lost"
[ "$late" = still-here ] || die "the path closed while idle"
echo
echo "demo: OK"
