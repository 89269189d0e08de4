#!/bin/bash
# A relay that the server ends at a fixed time (--relay-lifetime) is
# renewed before it ends (issue 16 section 4): Alice and Bob can only
# meet through the relay (UDP between their NATs is cut), the server
# ends every relay 12 s after it made it, and alice streams to bob for
# three of those lifetimes through wherever her hook says bob's path
# goes.
# - each relay gets a successor in its second half: both sides move to
#   it (the hook hears "up" with the new port, never "down"), and the
#   old one ends once both let it go, while the session lives on;
# - nothing of the stream is lost across the moves;
# - a server that refuses the successor (its relay slots full) leaves
#   the relay to serve to its end, is not asked again, and the path
#   comes back as before;
# - without relay first (the relayed path is the punch's own flow), the
#   path is renewed all the same.
# vm-timeout: 600
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
LIFE=12
rdv_up --relay-lifetime "$LIFE"

# relay_ports NAME PEER: the distinct relay ports of NAME's "up" hook lines.
relay_ports() {
	awk -v p="$2" '$1 == "up" && $2 == p && $4 == "relay" { print $3 }' "$TMP/$1.hook" |
		sort -u | wc -l
}

nat_cut
pd_relay_stream 120 $((3 * LIFE + 4)) --timeout 5
t_check "RELAYED tells both sides the relay's lifetime ($LIFE s)" \
	eval "grep -q 'event=relay peer=bob .*lifetime_s=1[12]' $TMP/alice.log &&
	      grep -q 'event=relay peer=alice .*lifetime_s=1[12]' $TMP/bob.log"

wait "$snd"
sleep 1
kill "$rcv" 2>/dev/null
wait "$rcv" 2>/dev/null
renewed_a=$(grep -c 'event=relay-renewed peer=bob' "$TMP/alice.log")
renewed_b=$(grep -c 'event=relay-renewed peer=alice' "$TMP/bob.log")
t_check "over three lifetimes, both sides moved to a successor at least twice ($renewed_a, $renewed_b)" \
	test "$renewed_a" -ge 2 -a "$renewed_b" -ge 2
t_check "alice's hook followed them: up through 3 relay ports or more ($(relay_ports alice bob))" \
	test "$(relay_ports alice bob)" -ge 3
t_check "bob's too ($(relay_ports bob alice))" test "$(relay_ports bob alice)" -ge 3
t_check "and neither hook heard a down" \
	sh -c "! grep -q '^down' '$TMP/alice.hook' '$TMP/bob.hook'"
t_check "the server renewed, and ended the old relays once both sides let them go" \
	eval "[ \$(grep -c 'event=relay-renew .*result=ok' $TMP/rdv.log) -ge 2 ] &&
	      [ \$(grep -c 'event=relay-end a=alice b=bob .*reason=released' $TMP/rdv.log) -ge 2 ]"
t_check "the session lived on" sh -c "! grep -q 'event=session-end' '$TMP/rdv.log'"
read -r first last lost <<<"$(stream_lost "$TMP/recv" "$TMP/sent")"
t_check "bob heard the stream (seq $first to $last)" test "$first" != none
t_expect "nothing lost across the moves" 0 "$lost"
[ "$lost" = 0 ] || grep -h 'event=\(relay\|up\|down\)' "$TMP/alice.log" "$TMP/bob.log" |
	tail -20 | sed 's/^/# /'
t_expect "alice's status: bob up through the relay" "up relay" \
	"$(pd "$A" alice status -j | jq -r '.peers[] | select(.name == "bob") | "\(.state) \(.mode)"')"

# --- the server refuses the successor: the relay serves to its end --------
# One relay slot in all: the successor cannot be made.
pd "$A" alice disconnect bob >/dev/null
pd "$B" bob disconnect alice >/dev/null
rdv_stop
rdv_start --relay-lifetime "$LIFE" --max-relays 1
t_check "both punchd register again" eval "pd_registered alice 2 && pd_registered bob 2"
: >"$TMP/alice.hook"
: >"$TMP/bob.hook"
res=$(pd "$A" alice connect bob)
t_match "connect: through the relay" "^ok peer=bob mode=relay " "$res"
t_check "the successor is refused (renew-relay-full), the relay serves on" \
	eval "wait_for $((LIFE * 10)) grep -q 'event=relay-renew-refused peer=bob code=renew-relay-full' \
		$TMP/alice.log && ! grep -q '^down' $TMP/alice.hook"
t_check "it ends by its lifetime: alice's path goes down, and comes back up through a new relay" \
	wait_for $((LIFE * 10 + 200)) eval "grep -q '^down bob' $TMP/alice.hook &&
		[ \$(grep -c '^up bob 192\.0\.2\.1:[0-9]* relay' $TMP/alice.hook) -ge 2 ]"
t_check "the server had ended it by its lifetime" \
	grep -q 'event=relay-end a=alice b=bob .*reason=lifetime' "$TMP/rdv.log"
t_expect "refused, alice did not ask again for that relay" 1 \
	"$(sed -n '/event=relay-renew-refused/,$p' "$TMP/alice.log" |
	   sed -n '1,/event=down peer=bob/p' | grep -c 'event=relay-\(renew\|renew-refused\) ')"

# --- without relay first: the relayed path itself is renewed ----------------
pd "$A" alice disconnect bob >/dev/null
pd "$B" bob disconnect alice >/dev/null
pd_fresh "$A" alice
pd_fresh "$B" bob
rdv_stop
rdv_start --relay-lifetime "$LIFE"
pd_start "$A" alice 4000 --timeout 5 --relay-first no
pd_start "$B" bob 5000 --timeout 5 --relay-first no
t_check "both punchd, without relay first, register" \
	eval "pd_registered alice 3 && pd_registered bob 3"
: >"$TMP/alice.hook"
: >"$TMP/bob.hook"
res=$(pd "$A" alice connect bob)
t_match "connect: through the relay once the punch failed" "^ok peer=bob mode=relay " "$res"
t_check "over two lifetimes, alice's path moved to successors twice, without a down" \
	wait_for $((LIFE * 25)) eval "[ \$(relay_ports alice bob) -ge 3 ] &&
		! grep -q '^down' $TMP/alice.hook $TMP/bob.hook"
t_check "and bob's" wait_for 50 eval "[ \$(relay_ports bob alice) -ge 3 ]"

pd_stop alice
pd_stop bob
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer\|runtime error' $TMP/*.log"
t_done
