#!/bin/bash
# Relay first (issue 16 section 3; punchd's default): on both sides, the
# relay's path runs beside the punch from the start. While UDP between
# the two NATs is cut, connect answers through the relay within a few
# server round trips (not after the punch timeout); once UDP passes, the
# same punch comes up and both sides move to the direct path. An
# application that follows punchd's hook streams through the move and
# loses nothing. The relay is released after its hold (and the server
# ends it once both sides said so); a direct path that
# dies while it is held falls back to it at once, and a relayed peer
# punches for direct again later; a punchd restarted meanwhile deletes
# the flow it does not resume. A peer without relay first is punched as
# before (--relay-first no).
# vm-timeout: 600
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
rdv_up

# hooked NAME PEER: the modes of NAME's "up" hook lines for PEER, in order.
hooked() { awk -v p="$2" '$1 == "up" && $2 == p { print $4 }' "$TMP/$1.hook" | xargs; }
RF=(--punch-timeout 10 --timeout 5)	# relay first is the default

# --- UDP between the NATs cut at first: relay at once, then direct ---------
nat_cut
pd_relay_stream 150 120 "${RF[@]}"
ms=$(pd_field "$res" ms)
t_check "long before the 10 s punch timeout ($ms ms)" test "${ms:-99999}" -lt 5000
t_check "both sides agreed to relay first" \
	grep -q 'event=accepted peer=bob .*relay_first=yes' "$TMP/alice.log"
t_check "bob's hook: up alice through the relay" \
	wait_for 50 grep -q '^up alice 192\.0\.2\.1:[0-9]* relay' "$TMP/bob.hook"
flows=$(ip netns exec "$B" "$PUNCHCTL" -j flow show local 10.0.2.2:5000)
t_expect "bob is still punching for direct, on the same port" 2 "$(jq length <<<"$flows")"
[ "$(jq length <<<"$flows")" = 2 ] ||
	{ jq -c '.[]' <<<"$flows"; grep 'peer=alice' "$TMP/bob.log"; } | sed 's/^/# /'
nat_uncut
t_check "once UDP passes, alice's path moves to direct" \
	wait_for 150 grep -q '^up bob 203\.0\.113\.1:[0-9]* direct' "$TMP/alice.hook"
t_check "and bob's" \
	wait_for 100 grep -q '^up alice 198\.51\.100\.1:[0-9]* direct' "$TMP/bob.hook"
t_expect "alice's hook: relay, then direct" "relay direct" "$(hooked alice bob)"
t_expect "bob's hook: relay, then direct" "relay direct" "$(hooked bob alice)"
t_match "alice's punchd status: bob up, direct" "peer bob state=up mode=direct endpoint=203\.0\.113\.1:" \
	"$(pd "$A" alice status)"
t_check "the relay is released after its hold, on both sides" \
	wait_for 250 eval "grep -q 'event=relay-released peer=bob' $TMP/alice.log &&
			   grep -q 'event=relay-released peer=alice' $TMP/bob.log"
t_expect "and only the direct flow is left" 1 \
	"$(ip netns exec "$A" "$PUNCHCTL" -j flow show local 10.0.1.2:4000 | jq length)"
# Both said RELEASE: the server ends it now, not --relay-idle (120 s) after.
t_check "both sides told the server, which ended the relay (reason=released)" \
	wait_for 50 grep -q 'event=relay-end a=alice b=bob .*reason=released' "$TMP/rdv.log"
# The stream goes on until some of it took the direct path (however slow
# the kernel: the debug lane's is), then stops; what is in flight lands.
wait_for 300 eval "[ \$(grep -c ' 203\.0\.113\.1:' $TMP/sent) -ge 20 ]"
kill "$snd" 2>/dev/null
wait "$snd" 2>/dev/null
sleep 1
kill "$rcv" 2>/dev/null
wait "$rcv" 2>/dev/null
# What alice sent from the first datagram bob got to the last: all there.
read -r first last lost <<<"$(stream_lost "$TMP/recv" "$TMP/sent")"
t_check "alice's stream reached bob through the relay" \
	grep -q '^192\.0\.2\.1 [0-9]* seq-' "$TMP/recv"
t_check "and then directly" grep -q '^198\.51\.100\.1 4000 seq-' "$TMP/recv"
t_expect "nothing lost in the move (seq $first to $last)" 0 "$lost"
t_check "the first datagram arrived early in the stream (seq $first)" \
	test "${first:-99}" -lt 10

# --- the direct path dies while the relay is held: back to it ---------------
pd "$A" alice disconnect bob >/dev/null
pd "$B" bob disconnect alice >/dev/null
: >"$TMP/alice.hook"
: >"$TMP/bob.hook"
pd "$A" alice connect bob >/dev/null
direct_now() { [ "$(hooked "$1" "$2" | awk '{ print $NF }')" = direct ]; }
t_check "connecting again, UDP passing: direct on both sides" \
	wait_for 150 eval "direct_now alice bob && direct_now bob alice"
: >"$TMP/alice.hook"
: >"$TMP/bob.hook"
nat_cut
t_check "cut before the relay's hold ends: alice falls back to the relay" \
	wait_for 150 grep -q '^up bob 192\.0\.2\.1:[0-9]* relay' "$TMP/alice.hook"
t_check "bob too" wait_for 100 grep -q '^up alice 192\.0\.2\.1:[0-9]* relay' "$TMP/bob.hook"
t_check "without a down in between" \
	sh -c "! grep -q '^down' '$TMP/alice.hook' '$TMP/bob.hook'"
t_check "and alice will punch for direct again in 30 s" \
	grep -q 'event=direct-failed peer=bob again_in_ms=30000 attempt=1' "$TMP/alice.log"
t_expect "her status -j: relay first, relayed, the next punch for direct due" \
	"true relay true" \
	"$(pd "$A" alice status -j | jq -r '.peers[] | select(.name == "bob") |
		"\(.relay_first) \(.mode) \(.upgrade_in_ms > 0)"')"
nat_uncut
t_check "she does, and the path is direct again" \
	wait_for 500 eval "grep -q 'event=punching peer=bob .*upgrade=1' $TMP/alice.log &&
			   [ \"\$(hooked alice bob)\" = 'relay direct' ]"
t_check "bob's as well" \
	wait_for 150 eval "[ \"\$(hooked bob alice)\" = 'relay direct' ]"

# --- a restart while the relay is held: the next punchd deletes it ---------
pd_stop alice
pd_start "$A" alice 4000 "${RF[@]}"
t_check "alice's punchd, restarted, resumes the direct path and deletes the held relay" \
	wait_for 100 eval "grep -q 'event=resume peer=bob .*state=up' $TMP/alice.log &&
			   grep -q 'event=resume-drop peer=bob flow=[0-9]* ours=yes' $TMP/alice.log"
t_expect "one flow is left on her port" 1 \
	"$(ip netns exec "$A" "$PUNCHCTL" -j flow show local 10.0.1.2:4000 | jq length)"

# --- a peer without relay first: punched as before -------------------------
pd "$A" alice disconnect bob >/dev/null
pd "$B" bob disconnect alice >/dev/null
pd_stop bob
rm -rf "$TMP/bob.state"
pd_start "$B" bob 5000 --punch-timeout 10 --relay-first no
t_check "bob (no relay first) registers again" pd_registered bob 2
res=$(pd "$A" alice connect bob)
t_match "alice connects: direct, nothing beside" "^ok peer=bob mode=direct " "$res"
t_check "relay first was not agreed" \
	eval "[ \$(grep -c 'event=accepted peer=bob .*relay_first=no' $TMP/alice.log) -eq 1 ]"

pd_stop alice
pd_stop bob
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	sh -c "! grep -l 'Sanitizer\|runtime error' '$TMP'/*.log*"
t_done
