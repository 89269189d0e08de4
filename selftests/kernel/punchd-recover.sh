#!/bin/bash
# punchd is never stuck (Alice and Bob behind two Linux NATs, as in
# punchd.sh):
# - both call each other at once (glare): the smaller id's call stands,
#   the other side answers it, one path comes up;
# - a connect that fails (the peer's punchd is down) is tried again with
#   growing, jittered waits, and succeeds once the peer is back, with no
#   new command;
# - after a path dies, the side that was called re-punches too, when the
#   caller does not.
# vm-timeout: 600
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
rdv_up --answer-timeout 3
pd_start "$A" alice 4000 --timeout 4
pd_start "$B" bob 5000 --timeout 4
t_check "alice's and bob's punchd register" eval "pd_registered alice && pd_registered bob"

# Direct 'up's in NAME's hook; with relay first (the default) a path
# through the relay may come up first.
ups() { grep -c '^up [^ ]* [^ ]* direct' "$TMP/$1.hook" 2>/dev/null || echo 0; }

# --- glare -----------------------------------------------------------------
# The calls must cross, whatever the machine's speed. One process gives
# both daemons their command at the same moment (two "punchd connect"
# processes were seconds apart on the debug kernel), and everything the
# server sends reaches the NATs 1 s late until both CONNECTs are out, so
# neither offer can arrive before the other side's own call has been
# sent. Nothing is dropped: holding the CONNECTs back made TCP's
# backed-off resends miss the calls' deadlines there. (The mapping each
# call begins with is answered within its 2 s all the same. The debug
# kernel has netem but no classifier to delay signaling alone.)
for dev in to-a to-b; do ip netns exec "$PUB" tc qdisc add dev $dev root netem delay 1s; done
python3 "$T_REPO/selftests/tools/ctl-together.py" "$TMP/alice.sock" "connect bob" "$TMP/a.res" \
	"$TMP/bob.sock" "connect alice" "$TMP/b.res" --timeout 120 &
ct=$!
wait_for 300 eval "grep -q 'event=offered peer=bob' '$TMP/alice.log' &&
		   grep -q 'event=offered peer=alice' '$TMP/bob.log'"
# What is queued keeps its delay; the rest of the exchange runs at speed.
for dev in to-a to-b; do ip netns exec "$PUB" tc qdisc change dev $dev root netem delay 0ms; done
wait "$ct"
for dev in to-a to-b; do ip netns exec "$PUB" tc qdisc del dev $dev root; done
t_match "both connect at once: alice's result" "^ok peer=bob mode=(direct|relay) " \
	"$(cat "$TMP/a.res")"
t_match "and bob's" "^ok peer=alice mode=(direct|relay) " "$(cat "$TMP/b.res")"
wait_for 150 eval '[ "$(ups alice) $(ups bob)" = "1 1" ]'
t_check "the glare was seen and settled by id (alice, the smaller, calls)" \
	eval "grep -q 'event=glare peer=bob call=ours' '$TMP/alice.log' ||
	      grep -q 'event=glare peer=alice call=theirs' '$TMP/bob.log'"
t_expect "one path: one 'up' on each side" "1 1" "$(ups alice) $(ups bob)"
t_expect "the server accepted one session between them" 1 \
	"$(grep -c 'event=accept ' "$TMP/rdv.log")"
# It failed once in six runs (both connects timed out, no session), and
# on the debug kernel both ended relayed: what both sides and the server
# did, for the next time.
[ "$(ups alice) $(ups bob)" = "1 1" ] ||
	grep -h 'event=' "$TMP/alice.log" "$TMP/bob.log" "$TMP/rdv.log" |
	head -80 | sed 's/^/# /'

# --- the callee re-punches when the caller cannot ---------------------------
# Alice's punchd goes and takes her flows with it (the path's and the
# relay's held beside it): bob's flows die of silence (--timeout 4), and
# bob, who was called, calls.
calls=$(grep -c 'event=connect peer=alice' "$TMP/bob.log")
pd_stop alice
for fa in $(in_a "$PUNCHCTL" -j flow show | jq -r '.[].id'); do
	in_a "$PUNCHCTL" flow del id "$fa"
done
wait_for 150 grep -q 'event=down peer=alice' "$TMP/bob.log"
t_check "bob sees the path die" grep -q 'event=down peer=alice' "$TMP/bob.log"
more_calls() { [ "$(grep -c 'event=connect peer=alice' "$TMP/bob.log")" -gt "$calls" ]; }
wait_for 200 more_calls
t_check "bob, the callee, calls alice himself" more_calls

# --- retry with backoff -----------------------------------------------------
# Alice is away: bob's calls time out (--answer-timeout 3) and he tries
# again later each time; when her punchd is back, a retry reaches her.
wait_for 250 grep -q 'event=retry peer=alice in_ms=[0-9]* attempt=3' "$TMP/bob.log"
w2=$(grep -o 'event=retry peer=alice in_ms=[0-9]* attempt=2' "$TMP/bob.log" | tail -1 |
	sed 's/.*in_ms=\([0-9]*\).*/\1/')
w3=$(grep -o 'event=retry peer=alice in_ms=[0-9]* attempt=3' "$TMP/bob.log" | tail -1 |
	sed 's/.*in_ms=\([0-9]*\).*/\1/')
t_check "bob's calls fail and he retries, waiting longer each time (${w2:-?} then ${w3:-?} ms)" \
	test "${w2:-0}" -ge 1500 -a "${w2:-0}" -le 2500 -a "${w3:-0}" -ge 3000 -a "${w3:-0}" -le 5000
pd_start "$A" alice 4000 --timeout 4
t_check "alice's punchd is back" pd_registered alice 2
wait_for 400 eval "[ \$(ups bob) -ge 2 ]"
t_expect "a retry reaches her: bob's second 'up', with no command" 2 "$(ups bob)"
t_check "and alice's side is up too" wait_for 50 eval "[ \$(ups alice) -ge 2 ]"
got=$(nat_app "$B" 10.0.2.2:5000 "$A" 10.0.1.2:4000 \
	"$(awk '/^up alice/ { e = $3 } END { print e }' "$TMP/bob.hook")" again 2)
t_expect "data flows again" "again again" "$(echo $got)"
# Failed once on the debug kernel, with both sides up: what they said.
[ "$(echo $got)" = "again again" ] || {
	sed 's/^/# alice hook: /' "$TMP/alice.hook"
	sed 's/^/# bob hook: /' "$TMP/bob.hook"
	in_a "$PUNCHCTL" -j flow show | jq -c '.[]' | sed 's/^/# alice flow: /'
	in_b "$PUNCHCTL" -j flow show | jq -c '.[]' | sed 's/^/# bob flow: /'
	grep -h 'event=\(up\|down\|punching\|relay\)' "$TMP/alice.log" "$TMP/bob.log" |
		tail -20 | sed 's/^/# /'
}

t_check "no punchd or server complained about memory (sanitizers)" \
	sh -c "! grep -l 'Sanitizer\|runtime error' '$TMP'/*.log"
t_done
