#!/bin/bash
# Trickle (issue 16): a NAT moves alice's mapping while she punches (her
# NAT's entries for the port are flushed, and it now gives the port
# another public one, as a NAT that restarted or gave her port to another
# host would). Bob probes an endpoint that leads nowhere, and her probes
# come from one his NAT does not know: that punch cannot succeed.
# - With trickle, alice asks the server again, sees the move, and sends
#   the new endpoint to bob through the server; bob punches it too and the
#   path comes up direct, to the new endpoint.
# - The same when bob's (the callee's) mapping moves.
# - A call offers the endpoint it remembers without asking; when the NAT
#   has moved it since, the punch's question as it starts finds out; and
#   when the peer does not take trickled candidates, the caller calls
#   again with the endpoint it found.
# - The same move with --trickle no ends on the relay (the check that
#   the scenario needs trickle at all).
# Relay first is on (punchd's default), so connect answers through the
# relay at once and the punch goes on beside it: trickle works on that
# punch, and the path moves to direct when it is up.
# UDP between the NATs is cut until the move is made (lib/trickle.sh).
# The move comes after the first re-query at 1 s or before it, and
# whichever of those at 1, 3, 7 and 15 s follows it sees it: the punch
# timeout (20 s) leaves room for a slow machine.
# vm-timeout: 600
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/trickle.sh"
rdv_up

# --- the caller's mapping moves ---------------------------------------------
scenario alice 4000 5000 40000
t_match "alice's connect answers (relay first: the relay at once)" \
	"^ok peer=bob mode=(relay|direct) " "$(cat "$TMP/a.res")"
t_check "alice's path goes direct, although her mapping moved" \
	direct alice bob '203\.0\.113\.1:5000'
t_check "alice asked the server again and saw the move" \
	grep -q 'event=rediscovered peer=bob mapped=198\.51\.100\.1:40000 moved=yes was=198\.51\.100\.1:4000' \
	"$TMP/alice.log"
t_check "the server passed her new endpoint to bob" grep -q 'event=trickle .*from=alice' "$TMP/rdv.log"
t_check "bob took it and punched it" \
	grep -q 'event=trickle peer=alice cand=198\.51\.100\.1:40000' "$TMP/bob.log"
t_check "bob's path goes to her new endpoint" direct bob alice '198\.51\.100\.1:40000'
trickle_diag
pd_fresh "$A" alice
pd_fresh "$B" bob

# --- the callee's ------------------------------------------------------------
scenario bob 4100 5100 50000
t_check "when bob's (the callee's) mapping moves: direct too" \
	direct alice bob '203\.0\.113\.1:[0-9]*'
t_check "bob saw the move" \
	grep -q 'event=rediscovered peer=alice mapped=203\.0\.113\.1:50000 moved=yes' "$TMP/bob.log"
t_check "alice took his new endpoint, and her path goes there" \
	eval "grep -q 'event=trickle peer=bob cand=203\.0\.113\.1:50000' '$TMP/alice.log' &&
	      direct alice bob '203\.0\.113\.1:50000'"
trickle_diag
pd_fresh "$A" alice
pd_fresh "$B" bob

# remembered PA PB NEWPORT [BOB'S OPTION...]: fresh punchd on ports PA and
# PB; once alice has learnt her endpoint (discovery asks for it, her NAT
# maps endpoint-independently), her NAT moves PA to NEWPORT, and she calls
# bob. la and lb: where this round's lines begin in their logs.
remembered() {
	local pa=$1 pb=$2 np=$3
	shift 3
	round=$((round + 1))
	: >"$TMP/bob.hook"
	pd_start "$A" alice "$pa" --punch-timeout 20
	pd_start "$B" bob "$pb" --punch-timeout 20 "$@"
	t_check "alice learns her endpoint as discovery ends (round $round)" \
		eval "pd_registered alice $round && pd_registered bob $round &&
		      wait_for 100 grep -q 'event=mapping peer=- mapped=198\.51\.100\.1:$pa ' '$TMP/alice.log'"
	move "$NA" 10.0.1.2 198.51.100.1 "$pa" "$np"
	la=$(wc -l <"$TMP/alice.log") lb=$(wc -l <"$TMP/bob.log")
	pd "$A" alice connect bob >"$TMP/a.res"
}

# --- an endpoint remembered from before, moved since ---------------------------
# Her call offers the endpoint without asking again; her punch asks at
# once as it starts, sees the move and trickles the new endpoint; no
# turn of 1 s is waited.
remembered 4300 5300 40300
t_check "her call offers it at once, unasked" \
	eval "since alice $la | grep -q 'event=mapping peer=bob mapped=198\.51\.100\.1:4300 .*remembered=yes'"
first_turn() {
	since alice "$la" | grep 'event=\(punching\|rediscovered\) peer=bob' | head -2 |
		sed -n 2p | grep -q 'mapped=198\.51\.100\.1:40300 moved=yes was=198\.51\.100\.1:4300'
}
t_check "her punch's first question sees the move" wait_for 100 first_turn
t_check "bob took her new endpoint and his path goes there" \
	eval "grep -q 'event=trickle peer=alice cand=198\.51\.100\.1:40300' '$TMP/bob.log' &&
	      direct bob alice '198\.51\.100\.1:40300'"
trickle_diag
pd_fresh "$A" alice
pd_fresh "$B" bob

# --- ... offered to a peer that takes no trickled candidate -------------------
# Bob runs --trickle no: he ignores alice's correction. Alice, whose
# stale endpoint came from memory, calls again (once) after a while,
# offering the endpoint her punch found.
remembered 4400 5400 40400 --trickle no
t_check "bob ignores her trickled endpoint" \
	wait_for 100 eval "since bob $lb | grep -q 'event=trickle-ignored peer=alice reason=off'"
t_check "so alice calls again, offering the endpoint her punch found" \
	wait_for 100 eval "since alice $la | grep -A3 'event=recall peer=bob reason=mapping-moved' |
		grep -q 'event=mapping peer=bob mapped=198\.51\.100\.1:40400 .*remembered=yes'"
t_check "and bob's path goes there" direct bob alice '198\.51\.100\.1:40400'
t_expect "she called again once" 1 "$(since alice "$la" | grep -c 'event=recall ')"
trickle_diag
pd_fresh "$A" alice
pd_fresh "$B" bob

# --- another program's mapping query is not remembered ------------------------
# learnt PA PB: fresh punchd on ports PA and PB, and alice has learnt her
# endpoint as discovery ends. la and lb: where the round's lines begin.
learnt() {
	round=$((round + 1))
	: >"$TMP/alice.hook"
	: >"$TMP/bob.hook"
	pd_start "$A" alice "$1" --punch-timeout 20
	pd_start "$B" bob "$2" --punch-timeout 20
	t_check "alice learns her endpoint as discovery ends (round $round)" \
		eval "pd_registered alice $round && pd_registered bob $round &&
		      wait_for 100 grep -q 'event=mapping peer=- mapped=198\.51\.100\.1:$1 ' '$TMP/alice.log'"
	la=$(wc -l <"$TMP/alice.log") lb=$(wc -l <"$TMP/bob.log")
}

# not_remembered PA PB BAD: another program's query from alice's port PA
# was answered BAD (a regex); her punchd lets it be, and her call to bob
# (PB) offers what discovery found, never BAD, and goes direct.
not_remembered() {
	t_check "her punchd heard it, and let it be (mapping-ignored)" \
		wait_for 100 eval "since alice $la | grep -q 'event=mapping-ignored mapped=$3 '"
	pd "$A" alice connect bob >"$TMP/a.res"
	t_check "her call offers the endpoint discovery found, from memory" \
		eval "since alice $la | grep -q 'event=mapping peer=bob mapped=198\.51\.100\.1:$1 .*remembered=yes'"
	t_check "never the other one" \
		eval "! since alice $la | grep -v 'event=mapping-ignored' | grep -q '$3\b'"
	t_check "and bob was never offered it (his flows' targets)" \
		eval "! in_b '$PUNCHCTL' -j flow show | jq -r '.[].peers[]' | grep -q '$3\b'"
	t_check "and the path comes up direct" direct alice bob "203\.0\.113\.1:$2"
	trickle_diag
	pd_fresh "$A" alice
	pd_fresh "$B" bob
}

# A program on alice's host asks the module for her port's mapping, from
# a STUN server of its own that lies (or that is simply elsewhere: past a
# full tunnel, on another network). punchd hears the answer as a MAPPING
# event like its own, but remembers only answers to its own queries, and
# only from its server: her next call offers the endpoint discovery
# found, never the lie. (Either check alone keeps the lie out; the test
# fails with both taken away, and the next one with the first.)
learnt 4500 5500
ip netns exec "$PUB" timeout 40 python3 "$T_REPO/selftests/tools/attacker.py" lie \
	192.0.2.1 3499 30 192.0.2.99:9999 >"$TMP/lie.out" &
liar=$!
wait_udp_bound "$PUB" 3499
t_match "another program's query from her port hears the lie" \
	"mapped 192\.0\.2\.99:9999 " "$(in_a "$PUNCHCTL" mapping local 10.0.1.2:4500 server 192.0.2.1:3499)"
not_remembered 4500 5500 '192\.0\.2\.99:9999'
kill "$liar" 2>/dev/null
wait "$liar" 2>/dev/null

# --- ... nor one that reached our server by another path ----------------------
# The same, but the program asks our own server, over a path of its own:
# its packets (mark 119, as a VPN or a container runtime marks its own)
# leave the host from another port (4777, a NAT on the host, in a conntrack
# zone of its own), so the server truly sees her port at another public
# port. The answer names our server and our port; only that it answers
# none of punchd's own queries keeps it out (take_asked() in
# own_mapping.c): the next call offers what discovery found.
learnt 4600 5600
in_a nft -f - <<'NFT'
table ip other {
	chain out { type filter hook output priority raw; meta mark 119 ct zone set 7; }
	chain pre { type filter hook prerouting priority raw; udp dport 4777 ct zone set 7; }
	chain post {
		type nat hook postrouting priority srcnat;
		meta mark 119 udp sport 4600 snat to 10.0.1.2:4777;
	}
}
NFT
other=$(in_a "$PUNCHCTL" mapping local 10.0.1.2:4600 server 192.0.2.1:3478 mark 119 |
	sed -n 's/.*mapped 198\.51\.100\.1:\([0-9]*\) .*/\1/p')
t_check "another program's query from her port, by its path, to our server" \
	test -n "$other" -a "$other" != 4600
not_remembered 4600 5600 "198\\.51\\.100\\.1:${other:-none}"
in_a nft delete table ip other

# --- without trickle: the same move ends on the relay --------------------------
la=$(wc -l <"$TMP/alice.log") lb=$(wc -l <"$TMP/bob.log")
scenario alice 4200 5200 40001 --trickle no --punch-timeout 8
t_check "with --trickle no, the same move fails the punch" \
	wait_for 150 grep -q 'event=direct-failed peer=bob' "$TMP/alice.log"
t_check "and the path stays on the relay" \
	eval "grep -q '^up bob 192\.0\.2\.1:[0-9]* relay' '$TMP/alice.hook' &&
	      ! grep -q '^up bob [^ ]* direct' '$TMP/alice.hook'"
t_check "and nobody asked again or trickled" \
	eval "! { since alice $la; since bob $lb; } | grep -q 'event=\(rediscovered\|trickle\) '"
t_check "nor offered an endpoint from memory, which only trickle could correct" \
	eval "! { since alice $la; since bob $lb; } | grep -q 'remembered=yes'"

t_check "no punchd or server complained about memory (sanitizers)" \
	sh -c "! grep -l 'Sanitizer\|runtime error' '$TMP'/*.log"
t_done
