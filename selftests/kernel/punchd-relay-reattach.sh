#!/bin/bash
# A relayed path outlives its host's signaling link (issue 16 section 4):
# the relay lives in the server and the flows in the kernels, so a NAT
# that drops the TCP connection, or punchd restarting, must not end the
# path. The session stays at the server without that side; a new
# connection (or a new punchd resuming the path) takes it back (v=7), so
# that the relay is still renewed before --relay-lifetime ends it.
# Alice and Bob meet only through the relay (UDP between their NATs is
# cut), the server ends every relay 12 s after it made it, and alice
# streams to bob through three lifetimes while:
# - the server resets bob's signaling connection, before the first
#   renewal;
# - then alice's, before the third;
# - then bob's punchd restarts and resumes the path, before the fourth.
# Each side takes its session back, every relay is renewed, neither
# hook hears a down, and nothing of the stream is lost.
# vm-timeout: 600
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
LIFE=12
rdv_up --relay-lifetime "$LIFE"

# link_reset NAT_ADDRESS: the server resets the signaling connection
# that comes from that NAT (RST), as a NAT that lost it would make it.
link_reset() {
	ip netns exec "$PUB" ss -K -tn state established "sport = :3478 and dst $1" |
		grep -c ':3478'
}

# at SECONDS: sleep until that long after the connect.
at() {
	local left=$(($1 - ($(date +%s) - t0)))
	[ "$left" -gt 0 ] && sleep "$left"
}

nat_cut
pd_relay_stream 120 $((3 * LIFE + 4)) --timeout 5
t0=$(date +%s)	# connect answered (within a second of its start)

# --- bob's link is reset in the relay's first half ---------------------------
at 2
t_expect "the server resets bob's signaling connection" 1 "$(link_reset 203.0.113.1)"
t_check "bob registers again, and takes his session back with the relay's port" \
	eval "pd_registered bob 2 &&
	      wait_for 50 grep -q 'event=relay-reattach peer=alice' $TMP/bob.log &&
	      wait_for 50 grep -q 'event=session-reattach .* id=bob side=callee' $TMP/rdv.log"
t_check "the first relay is renewed all the same" \
	wait_for $((LIFE * 10)) eval "[ \$(grep -c 'event=relay-renew .*result=ok' $TMP/rdv.log) -ge 1 ]"

# --- alice's link, with the second relay ------------------------------------
at $((LIFE + 4))
t_expect "the server resets alice's signaling connection" 1 "$(link_reset 198.51.100.1)"
t_check "alice registers again and takes her session back" \
	eval "pd_registered alice 2 &&
	      wait_for 50 grep -q 'event=relay-reattach peer=bob' $TMP/alice.log &&
	      wait_for 50 grep -q 'event=session-reattach .* id=alice side=caller' $TMP/rdv.log"

# --- bob's punchd restarts, with the third ----------------------------------
at $((2 * LIFE))
pd_stop bob
pd_start "$B" bob 5000 --timeout 5
t_check "bob's new punchd resumes the relayed path and takes the session back" \
	eval "pd_registered bob 3 &&
	      wait_for 50 eval '[ \$(grep -c \"event=relay-reattach peer=alice\" $TMP/bob.log) -ge 2 ]'"

wait "$snd"
sleep 1
kill "$rcv" 2>/dev/null
wait "$rcv" 2>/dev/null
renewals=$(grep -c 'event=relay-renew .*result=ok' "$TMP/rdv.log")
t_check "every relay was renewed: $renewals renewals in $((3 * LIFE + 4)) s" test "$renewals" -ge 3
t_check "bob's new punchd moved to a successor too" \
	eval "sed -n '/event=resume peer/,\$p' $TMP/bob.log | grep -q 'event=relay-renewed peer=alice'"
t_check "neither hook heard a down" sh -c "! grep -q '^down' '$TMP/alice.hook' '$TMP/bob.hook'"
t_check "the session lived on" sh -c "! grep -q 'event=session-end' '$TMP/rdv.log'"
relay_stream_whole
t_expect "alice's status: bob up through the relay" "up relay" \
	"$(pd "$A" alice status -j | jq -r '.peers[] | select(.name == "bob") | "\(.state) \(.mode)"')"

pd_stop alice
pd_stop bob
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer\|runtime error' $TMP/*.log"
t_done
