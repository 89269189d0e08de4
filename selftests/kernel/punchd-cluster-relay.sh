#!/bin/bash
# A relayed path across two rendezvousd on one Redis (issue 19 section 3).
# Alice registers with instance one, bob with instance two; UDP between
# their NATs is cut, so they meet only through the relay, which lives on
# one (the caller's instance, the session's home) and ends 12 s after it
# was made however busy. Alice streams to bob for three lifetimes while:
# - the first relay is renewed, bob hearing of its successor through two;
# - instance two dies: bob registers with one and takes his side back from
#   the stub two left there without a word;
# - the relays that follow are renewed as well.
# Neither hook hears a down, and nothing of the stream is lost.
# vm-timeout: 400
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
LIFE=12
nat_scratch
trap 'kill $REDIS_PID $RDV2_PID 2>/dev/null; rdv_down; rm -rf "$TMP"' EXIT
nat_up || { t_fail "the NAT topology comes up"; t_done; }
command -v redis-server >/dev/null ||
	{ t_skip "punchd-cluster-relay" "redis-server is not installed"; t_done; }
rdv_users alice bob
rdv_redis_up
rdv_start --redis 127.0.0.1:6390 --instance one --relay-lifetime "$LIFE" ||
	{ t_fail "instance one starts"; t_done; }
rdv2_start --relay-lifetime "$LIFE"
t_check "both instances connect to Redis" rdv_cluster_up

# at SECONDS: sleep until that long after the connect.
at() {
	local left=$(($1 - ($(date +%s) - t0)))
	[ "$left" -gt 0 ] && sleep "$left"
}
renewals() { grep -c 'event=relay-renew .*result=ok' "$TMP/rdv.log"; }
_renewed() { [ "$(renewals)" -ge "$1" ]; }

nat_cut
pd_start "$A" alice 4000 -s 192.0.2.3 --timeout 5
PD_SERVER=192.0.2.3 pd_start "$B" bob 5000 -s 192.0.2.1 --timeout 5
relay_stream 120 $((3 * LIFE + 4))
t0=$(date +%s)	# connect answered (within a second of its start)
t_check "alice is on one, bob on two: the call went through Redis" eval \
	"grep -q 'event=registered id=bob server=192.0.2.3' '$TMP/bob.log' &&
	 grep -q 'event=offer .*caller=alice callee=bob .*online=elsewhere' '$TMP/rdv.log'"

# --- the first renewal, across the instances -----------------------------------
t_check "the first relay is renewed, bob hearing of it through two" \
	eval "wait_for $((LIFE * 10)) _renewed 1 &&
	      wait_for 50 grep -q 'event=relay-renewed peer=alice' '$TMP/bob.log'"

# --- instance two dies ------------------------------------------------------------
at $((LIFE + 2))
kill -9 "$RDV2_PID"
wait "$RDV2_PID" 2>/dev/null
t_check "instance two dies: bob registers with one and takes his side back" \
	eval "wait_for 100 grep -q 'event=registered id=bob server=192.0.2.1' '$TMP/bob.log' &&
	      wait_for 50 grep -q 'event=session-reattach .* id=bob side=callee instance=here' \
		'$TMP/rdv.log'"

wait "$snd"
sleep 1
kill "$rcv" 2>/dev/null
wait "$rcv" 2>/dev/null
t_check "every relay was renewed: $(renewals) renewals in $((3 * LIFE + 4)) s" _renewed 3
t_check "neither hook heard a down" sh -c "! grep -q '^down' '$TMP/alice.hook' '$TMP/bob.hook'"
t_check "the session lived on" sh -c "! grep -q 'event=session-end' '$TMP/rdv.log'"
relay_stream_whole "$TMP/rdv.log"
t_check "no punchd or server complained about memory (sanitizers)" \
	sh -c "! grep -l 'Sanitizer\|runtime error' '$TMP'/*.log"
t_done
