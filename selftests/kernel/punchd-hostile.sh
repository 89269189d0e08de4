#!/bin/bash
# A registered user turned hostile (mallory, behind alice's NAT) against
# bob's punchd: candidates aimed at loopback, multicast, broadcast, bob's
# LAN and a port window at a third party never become probes; with an
# allowlist (--peer) mallory's offers get no answer at all (the server
# times them out, as for an offline user) and are logged once; offers
# past --peer-offer-rate are rejected. Honest alice is served throughout.
# A punch that runs past its probe budget is stopped, and a peer whose
# punches spent the minute's budget is refused; a call it cannot punch
# nor relay is refused at once. And punchd talks only to
# the server its CA or pinned key vouches for.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
nat_scratch
trap 'rdv_down; rm -rf "$TMP"' EXIT
ATTACKER=$T_REPO/selftests/tools/attacker.py

nat_up && nat_carol || { t_fail "the NAT topology comes up"; t_done; }
rdv_users alice bob mallory
rdv_start --answer-timeout 3 || { t_fail "rendezvousd starts"; t_done; }
pd_start "$B" bob 5000
pd_registered bob || { t_fail "bob's punchd registers"; t_done; }

# mallory SECONDS LINE...: mallory (10.0.3.2, behind nat-a) says LINEs.
mallory() {
	local secs=$1
	shift
	ip netns exec "$C" timeout $((secs + 10)) python3 "$ATTACKER" signal \
		192.0.2.1 mallory "$TMP/mallory.key" "$TMP/ca.pem" "$secs" "$@"
}
refused() { grep -c "event=candidate-refused peer=mallory" "$TMP/bob.log"; }

# --- candidates aimed elsewhere ---------------------------------------------
out=$(mallory 4 "CONNECT peer=bob nat=eim.apdf.seq1 cand=127.0.0.1:22 cand=224.0.0.251:5353 cand=255.255.255.255:9 cand=10.0.2.1:53 cand=203.0.113.1:1000-1255 cand=198.51.100.1:4000")
t_match "mallory's CONNECT with six candidates reaches bob, who answers" "^ACCEPTED .*peer=bob" "$out"
wait_for 50 test "$(refused)" -ge 5
t_expect "bob's punchd refuses five of them" 5 "$(refused)"
for why in "127.0.0.1:22 reason=loopback" "224.0.0.251:5353 reason=multicast" \
	   "255.255.255.255:9 reason=broadcast" "10.0.2.1:53 reason=private-off-site" \
	   "203.0.113.1:1000-1255 reason=window-elsewhere"; do
	t_check "refused: ${why/ reason=/, }" grep -q "event=candidate-refused peer=mallory cand=$why" "$TMP/bob.log"
done
t_check "bob punches mallory's one acceptable candidate only" \
	grep -q "event=punching peer=mallory flow=[0-9]* candidates=1 " "$TMP/bob.log"
peers=$(in_b "$PUNCHCTL" -j flow show | jq -c '[.[].peers[]]')
t_match "the kernel holds no probe target but 198.51.100.1:4000" \
	'^(\[\]|\["198\.51\.100\.1:4000"\])$' "$peers"

# --- an allowlist -------------------------------------------------------------
pd_stop bob
pd_start "$B" bob 5000 --peer alice
pd_registered bob 2 || t_fail "bob's punchd registers again (with --peer alice)"
out=$(mallory 5 "CONNECT peer=bob cand=198.51.100.1:4000" "CONNECT peer=bob cand=198.51.100.1:4001" "CONNECT peer=bob cand=198.51.100.1:4002")
t_expect "with --peer alice, mallory's three calls time out, as if bob were offline" 3 \
	"$(grep -c '^ERROR peer=bob .*code=timeout' <<<"$out")"
t_expect "and bob logged the refusal once" 1 \
	"$(grep -c 'event=offer-refused peer=mallory reason=not-allowed' "$TMP/bob.log")"
pd_start "$A" alice 4000
pd_registered alice || t_fail "alice's punchd registers"
res=$(pd "$A" alice connect bob)
t_match "alice, on the list, connects to bob directly" "^ok peer=bob mode=direct " "$res"
t_match "bob cannot call mallory either" "^error peer=mallory reason=not-allowed$" \
	"$(pd "$B" bob connect mallory)"

# --- offers per minute from one peer --------------------------------------------
pd_stop bob
pd_start "$B" bob 5000 --peer-offer-rate 3
pd_registered bob 3 || t_fail "bob's punchd registers again (with --peer-offer-rate 3)"
lines=()
for i in 1 2 3 4 5 6; do lines+=("CONNECT peer=bob cand=198.51.100.1:$((4000 + i))"); done
out=$(mallory 6 "${lines[@]}")
t_expect "six offers from mallory in a burst, three allowed a minute: three rejected" 3 \
	"$(grep -c '^ERROR peer=bob .*code=rejected' <<<"$out")"
t_expect "logged once" 1 \
	"$(grep -c 'event=offer-refused peer=mallory reason=peer-offer-rate' "$TMP/bob.log")"

# --- probes per punch and per peer and minute ----------------------------------
nats=$(pd_discoveries bob)
pd_stop bob
pd_start "$B" bob 5000 --session-probes 3 --peer-probes 3
pd_registered bob 4 || t_fail "bob's punchd registers again (with probe budgets)"
# Its NAT discovery done first: on the debug kernel an offer that came
# during it was answered after the server had timed it out, so bob never
# punched and the budget was never spent.
pd_discovered bob "$nats"
# nat-a drops bob's probes to this unmapped port: the punch never ends by itself.
out=$(mallory 3 "CONNECT peer=bob cand=198.51.100.1:4999")
wait_for 100 grep -q 'event=failed peer=mallory reason=probe-budget' "$TMP/bob.log"
t_check "a punch past --session-probes 3 is stopped (failed, reason=probe-budget)" \
	grep -q 'event=failed peer=mallory reason=probe-budget' "$TMP/bob.log"
grep -q 'event=failed peer=mallory reason=probe-budget' "$TMP/bob.log" ||
	grep 'peer=mallory\|event=nat ' "$TMP/bob.log" | tail -15 | sed 's/^/# /'
# (Flows of earlier sessions outlive punchd's restarts, as they should.)
t_expect "and its flow is gone" 0 \
	"$(in_b "$PUNCHCTL" -j flow show | jq '[.[].peers[] | select(. == "198.51.100.1:4999")] | length')"
out=$(mallory 3 "CONNECT peer=bob cand=198.51.100.1:4998")
t_match "mallory's next call within the minute is rejected (--peer-probes 3 spent)" \
	"^ERROR peer=bob .*code=rejected" "$out"
t_check "and logged" grep -q 'event=offer-refused peer=mallory reason=peer-probes' "$TMP/bob.log"

# --- trickled candidates aimed elsewhere ----------------------------------------
# While bob punches, mallory sends new candidates (CANDIDATE, trickle). The
# server passes four a side and session on and refuses more; bob takes only
# one at the address the server sees mallory at, so a third party never
# becomes a probe target, and each taken one is a candidate of this punch.
# (Without the flows of the sections above: the probe targets are counted.)
pd_fresh "$B" bob
nats=$(pd_discoveries bob)
pd_start "$B" bob 5000 --punch-timeout 10
pd_registered bob 5 || t_fail "bob's punchd registers again (trickle)"
pd_discovered bob "$nats"
# (Its CANDIDATEs half a second after the answer: bob's punch has begun.)
out=$(mallory 6 "CONNECT peer=bob nat=eim.apdf.seq1 cand=198.51.100.1:4100" \
	await-accepted "sleep 0.5" "CANDIDATE sid={sid} cand=203.0.113.77:9" "CANDIDATE sid={sid} cand=198.51.100.1:4101" \
	"CANDIDATE sid={sid} cand=198.51.100.1:4102" "CANDIDATE sid={sid} cand=198.51.100.1:4103" \
	"CANDIDATE sid={sid} cand=198.51.100.1:4104" "CANDIDATE sid={sid} cand=198.51.100.1:4105")
t_expect "the server passes mallory's first four CANDIDATEs and refuses two (trickle-too-many)" 2 \
	"$(grep -c '^ERROR .*code=trickle-too-many' <<<"$out")"
t_check "bob refuses the one at a third party (not where the server sees mallory)" \
	grep -q "event=candidate-refused peer=mallory cand=203.0.113.77:9 reason=not-observed" "$TMP/bob.log"
t_expect "and takes the three at mallory's address" "4101 4102 4103" \
	"$(sed -n 's/.*event=trickle peer=mallory cand=198\.51\.100\.1:\([0-9]*\).*/\1/p' "$TMP/bob.log" | xargs)"
peers=$(in_b "$PUNCHCTL" -j flow show | jq -c '[.[].peers[]] | unique')
t_match "the kernel's probe targets: mallory's address only (never 203.0.113.77)" \
	'^\["198\.51\.100\.1:4100","198\.51\.100\.1:4101","198\.51\.100\.1:4102","198\.51\.100\.1:4103"\]$' \
	"$peers"
grep -q 'event=trickle peer=mallory' "$TMP/bob.log" ||
	grep 'peer=mallory' "$TMP/bob.log" | tail -10 | sed 's/^/# /'

# --- nothing bob may probe, and no relay: refused at once ------------------------
# Every candidate refused leaves only the relay, which --relay no forbids:
# bob's punch fails before it starts, and bob says so at once rather than
# answer a punch it does not run (the caller would probe into nothing until
# its punch timeout). (Fresh: a resumed session would have bob call mallory,
# and mallory's call would meet glare instead.)
pd_fresh "$B" bob
answered=$(grep -c 'event=answered peer=mallory' "$TMP/bob.log")
nats=$(pd_discoveries bob)
pd_start "$B" bob 5000 --relay no
pd_registered bob 6 || t_fail "bob's punchd registers again (with --relay no)"
pd_discovered bob "$nats"
out=$(mallory 3 "CONNECT peer=bob cand=127.0.0.1:22 cand=10.0.2.1:53")
t_match "mallory's call with nothing bob may probe, bob without a relay: rejected" \
	"^ERROR peer=bob .*code=rejected" "$out"
t_check "bob logged why (failed, reason=no-direct-path)" \
	grep -q 'event=failed peer=mallory reason=no-direct-path' "$TMP/bob.log"
t_expect "and answered nothing" "$answered" "$(grep -c 'event=answered peer=mallory' "$TMP/bob.log")"
grep -q '^ERROR peer=bob .*code=rejected' <<<"$out" || sed 's/^/# mallory: /' <<<"$out"

# --- the server must be the one punchd trusts ---------------------------------
registered() { grep -c 'event=registered' "$TMP/bob.log"; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$TMP/other.key" -out "$TMP/other.pem" -days 2 -subj /CN=other 2>/dev/null
pd_stop bob
n=$(registered)
pd_start "$B" bob 5000 --tls-ca "$TMP/other.pem"
wait_for 100 grep -q 'event=server-tls' "$TMP/bob.log"
t_check "trusting another CA, bob's punchd refuses the server's certificate" \
	grep -q 'event=server-tls error=".*certificate verify failed' "$TMP/bob.log"
t_expect "and does not register" "$n" "$(registered)"
pd_stop bob
pin=$(openssl x509 -in "$TMP/server.pem" -pubkey -noout |
	openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
pd_start "$B" bob 5000 --tls-pin "$pin"
t_check "pinning the server's key (SHA-256 of its SubjectPublicKeyInfo): it registers" \
	pd_registered bob $((n + 1))
pd_stop bob
other=$(openssl pkey -in "$TMP/other.key" -pubout -outform DER | sha256sum | cut -c1-64)
pd_start "$B" bob 5000 --tls-pin "$other"
wait_for 100 grep -q 'not the pinned one' "$TMP/bob.log"
t_check "pinning another key: refused" grep -q 'event=server-tls error=".*not the pinned one' "$TMP/bob.log"
t_expect "and it does not register" "$((n + 1))" "$(registered)"
t_done
