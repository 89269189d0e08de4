#!/bin/bash
# Two rendezvousd on one Redis (issue 19 section 3), and punchd failing
# over between them. Alice's punchd lists instance one (192.0.2.1) first,
# bob's instance two (192.0.2.3); both list the other as well.
# - alice's call reaches bob on the other instance, and the path is direct;
# - instance one goes: alice registers with two at once (no backoff), her
#   path stays up meanwhile, and calls go on;
# - Redis restarts empty: the instances write presence again, paths stay,
#   calls go on.
# vm-timeout: 400
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
nat_scratch
trap 'kill $REDIS_PID $RDV2_PID 2>/dev/null; rdv_down; rm -rf "$TMP"' EXIT
nat_up || { t_fail "the NAT topology comes up"; t_done; }
command -v redis-server >/dev/null || { t_skip "punchd-cluster" "redis-server is not installed"; t_done; }
rdv_users alice bob

rdv_redis_up
rdv_start --redis 127.0.0.1:6390 --instance one || { t_fail "instance one starts"; t_done; }
rdv2_start
t_check "both instances connect to Redis" rdv_cluster_up

pd_start "$A" alice 4000 -s 192.0.2.3
PD_SERVER=192.0.2.3 pd_start "$B" bob 5000 -s 192.0.2.1
t_check "alice registers with instance one, bob with instance two" eval \
	"pd_registered alice && pd_registered bob &&
	 grep -q 'event=registered id=alice server=192.0.2.1' '$TMP/alice.log' &&
	 grep -q 'event=registered id=bob server=192.0.2.3' '$TMP/bob.log'"

res=$(pd "$A" alice connect bob)
t_match "alice calls bob across instances: a direct path" \
	"^ok peer=bob mode=direct endpoint=203\.0\.113\.1:5000 " "$res"
t_check "the session lived on alice's instance, the offer went through Redis" \
	grep -q 'event=offer .*caller=alice callee=bob .*online=elsewhere' "$TMP/rdv.log"
got=$(nat_app "$A" 10.0.1.2:4000 "$B" 10.0.2.2:5000 203.0.113.1:5000 across 2)
t_expect "their applications talk NAT to NAT" "across across" "$(echo $got)"

# --- instance one goes ------------------------------------------------------------
fa=$(in_a "$PUNCHCTL" -j flow show | jq -r '.[0].id')
start=$(date +%s%N)
rdv_stop
wait_for 100 eval "grep -q 'event=registered id=alice server=192.0.2.3' '$TMP/alice.log'"
ms=$((($(date +%s%N) - start) / 1000000))
t_check "instance one stops: alice registers with two (after $ms ms)" \
	grep -q 'event=registered id=alice server=192.0.2.3' "$TMP/alice.log"
t_check "at once: under 3 s, no backoff" test "$ms" -lt 3000
t_expect "her path stayed up meanwhile" established \
	"$(in_a "$PUNCHCTL" -j flow show id "$fa" | jq -r '.[0].state')"
pd "$A" alice disconnect bob >/dev/null
pd "$B" bob disconnect alice >/dev/null
res=$(pd "$B" bob connect alice)
t_match "bob calls alice, both on instance two now: direct" \
	"^ok peer=alice mode=direct endpoint=198\.51\.100\.1:4000 " "$res"

# --- Redis restarts empty -----------------------------------------------------------
rdv_start --redis 127.0.0.1:6390 --instance one || t_fail "instance one starts again"
kill "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null
rdv_redis_up
presence() { ip netns exec "$PUB" redis-cli -p 6390 get "nfpunch:presence:$1"; }
wait_for 100 eval "presence alice | grep -q '^two '"
t_check "Redis restarts empty: instance two writes its clients' presence again at once" \
	eval "presence alice | grep -q '^two ' && presence bob | grep -q '^two '"
t_expect "the path is still established" established \
	"$(in_b "$PUNCHCTL" -j flow show | jq -r '.[0].state')"
# Bob moves to instance one, so that the next call crosses again.
pd_stop bob
PD_SERVER=192.0.2.1 pd_start "$B" bob 5000 -s 192.0.2.3
wait_for 100 eval "grep -q 'event=registered id=bob server=192.0.2.1' '$TMP/bob.log'"
pd "$A" alice disconnect bob >/dev/null
res=$(pd "$A" alice connect bob)
t_match "alice (on two) calls bob (on one, since): direct" "^ok peer=bob mode=direct " "$res"
t_check "through Redis" grep -q 'event=offer .*caller=alice callee=bob .*online=elsewhere' \
	"$TMP/rdv2.log"

t_check "no punchd or server complained about memory (sanitizers)" \
	sh -c "! grep -l 'Sanitizer\|runtime error' '$TMP'/*.log"
t_done
