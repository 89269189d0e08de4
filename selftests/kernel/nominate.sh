#!/bin/bash
# Nomination (RFC 8445 section 8, as ICE's USE-CANDIDATE): a port spray
# punches from many local ports at once towards the peer's single flow,
# keeps one and deletes the rest. A request from another port used to
# move the peer's established flow there (a triggered check, as for a
# rebound NAT), maybe to a port about to be deleted: the peer then sent
# into nothing until the kept port's next keepalive. Now an established
# flow follows only nominated requests, which every flow sends but a
# candidate; "nominate" keeps a candidate and moves the peer at once.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/netns.sh"
. "$T_REPO/selftests/lib/wait.sh"
A=nfp-nom-a-$$
B=nfp-nom-b-$$
S=000102030405060708090a0b0c0d0e0f
TMP=$(mktemp -d)
cleanup() {
	ns_del "$A" "$B"
	rm -rf "$TMP"
}
trap cleanup EXIT
in_a() { ip netns exec "$A" "$@"; }
in_b() { ip netns exec "$B" "$@"; }
# field NS ID KEY
field() { ip netns exec "$1" "$PUNCHCTL" -j flow show id "$2" | jq -r ".[0].$3"; }
is_field() { [ "$(field "$1" "$2" "$3")" = "$4" ]; }
# add_a PORT [ARGS...]: a flow of alice's from PORT to bob's one port.
add_a() {
	local port=$1
	shift
	in_a "$PUNCHCTL" -j flow add local "$LA:$port" peer "$LB:5000" secret $S \
		role controlling "$@" | jq .id
}
# remote_changes: bob's remote-changed events so far.
remote_changes() { grep -c '"remote-changed"' "$TMP/events"; }

ns_pair "$A" "$B" 10.9.4.1/24 10.9.4.2/24 fd00:94::1/64 fd00:94::2/64 ||
	{ t_fail "two namespaces come up"; t_done; }

for fam in 4 6; do
	if [ $fam = 4 ]; then LA=10.9.4.1 LB=10.9.4.2
	else LA="[fd00:94::1]" LB="[fd00:94::2]"; fi
	p="ipv$fam"
	timeout 120 ip netns exec "$B" "$PUNCHCTL" -j monitor >"$TMP/events" &
	mon=$!
	wait_event_listeners "$B" 1

	# Bob's one flow knows alice's first port only; both come up.
	idb=$(in_b "$PUNCHCTL" -j flow add local "$LB:5000" peer "$LA:4000" secret $S \
		role controlled keepalive 60s timeout 120s | jq .id)
	id1=$(add_a 4000 keepalive 60s timeout 120s)
	t_check "$p: alice's first port and bob come up" \
		eval "wait_for 50 is_field $A $id1 state established &&
		      wait_for 50 is_field $B $idb state established"
	t_expect "$p: bob's remote is alice's first port" "$LA:4000" "$(field "$B" "$idb" remote)"

	# A candidate from a second port: bob answers it (so it comes up),
	# and does not move. Keepalive 1s: several requests of it reach bob.
	received=$(field "$B" "$idb" counters.probes_received)
	id2=$(add_a 4001 candidate keepalive 1s timeout 120s)
	t_expect "$p: the new flow reports itself a candidate" "true" \
		"$(field "$A" "$id2" candidate)"
	t_check "$p: the candidate comes up: bob answered its requests" \
		wait_for 50 is_field "$A" "$id2" state established
	sleep 2.5
	t_check "$p: bob answered its keepalives too" \
		test "$(field "$B" "$idb" counters.probes_received)" -ge $((received + 2))
	t_expect "$p: bob's flow did not move to the candidate" "$LA:4000" \
		"$(field "$B" "$idb" remote)"
	t_expect "$p: and reported no remote change" 0 "$(remote_changes)"

	# Alice keeps the candidate and drops the first port, as a spray
	# does. Nominated, it asks bob at once (its keepalive is 60 s now).
	in_a "$PUNCHCTL" flow set id "$id2" keepalive 60s >/dev/null
	in_a "$PUNCHCTL" flow del id "$id1"
	sleep 1.5
	t_expect "$p: still on the first port before the nomination" "$LA:4000" \
		"$(field "$B" "$idb" remote)"
	ka2=$(field "$A" "$id2" counters.keepalives)
	t0=$(now_ms)
	in_a "$PUNCHCTL" flow set id "$id2" nominate >/dev/null
	t_check "$p: nominated, the candidate moves bob's flow to it" \
		wait_for 50 is_field "$B" "$idb" remote "$LA:4001"
	t_check "$p: at once, not at its next keepalive (60 s)" \
		test $(($(now_ms) - t0)) -lt 20000
	t_check "$p: bob reported the move, once" \
		wait_for 30 eval '[ "$(remote_changes)" -eq 1 ]'
	sent() { echo $(($(field "$A" "$id2" counters.keepalives) - ka2)); }
	t_check "$p: alice asked three times, a second apart (a loss costs a second)" \
		wait_for 60 eval '[ "$(sent)" -ge 3 ]'
	sleep 1.5
	t_expect "$p: and no more" 3 "$(sent)"
	t_expect "$p: the flow is a candidate no more" "false" "$(field "$A" "$id2" candidate)"
	t_expect "$p: bob stayed established" established "$(field "$B" "$idb" state)"

	# A flow that is no candidate moves bob, as a rebound NAT does: the
	# check above could have seen a move.
	id3=$(add_a 4002 keepalive 1s timeout 60s)
	t_check "$p: a plain flow from a third port moves bob's flow there" \
		wait_for 50 is_field "$B" "$idb" remote "$LA:4002"

	kill "$mon" 2>/dev/null
	wait "$mon" 2>/dev/null
	in_a "$PUNCHCTL" flow del id "$id2"
	in_a "$PUNCHCTL" flow del id "$id3"
	in_b "$PUNCHCTL" flow del id "$idb"
done

# The CLI's view of the flag, and what nomination refuses.
id=$(in_a "$PUNCHCTL" -j flow add local 10.9.4.1:4100 peer 10.9.4.2:5100 secret $S \
	role controlling candidate passive | jq .id)
t_match "flow show (human) prints the flag" ' passive candidate age ' \
	"$(in_a "$PUNCHCTL" flow show id "$id" | xargs)"
in_a "$PUNCHCTL" flow set id "$id" nominate >/dev/null
t_expect "nominating a flow that is not established clears the flag" "false" \
	"$(field "$A" "$id" candidate)"
t_expect "nominating it again is no error" 0 \
	"$(in_a "$PUNCHCTL" flow set id "$id" nominate >/dev/null; echo $?)"
t_done
