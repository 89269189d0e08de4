#!/bin/bash
# punchd's periodic NAT discovery waits while a call predicts (issue 16).
# Behind a sequential NAT each new mapping takes the next port, and a call
# offers the ports its NAT will give next, from a sample taken just
# before. Discovery's tests take new mappings too: a run between the
# sample and the punch's first probe moves the punch's port on, out of
# the window announced if the run is long enough, or if two are.
# Both sites are sequential (the seq fixture), every public link is
# 150 ms late each way, so a call's exchange takes a second or more, and
# both punchd discover again every second (--rediscover 1), so a run
# falls due in every call. Three calls, each on fresh punchds. Checks: no
# run starts between a side's sample and its punch; the deferral is
# logged; the path comes up direct; discovery runs again after the
# punch (the deferral ends).
# vm-timeout: 900
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/zoo.sh"
nat_scratch
trap 'zoo_down; rm -rf "$TMP"' EXIT
export ZOO_DELAY=150

zoo_pub_up || { t_fail "the public router comes up"; t_done; }
rdv_users alice bob
rdv_start || { t_fail "rendezvousd starts"; t_done; }
zoo_side a seq && zoo_side b seq || { t_fail "the sequential sites come up"; t_done; }
ha=$(zoo_ns a h) hb=$(zoo_ns b h)

# _runs_over ID N: ID's punchd has begun more than N discovery runs.
_runs_over() { [ "$(grep -c 'event=nat-start' "$TMP/$1.log")" -gt "$2" ]; }

# started_while_predicting LOG: discovery runs started between a sample
# (event=sampling) and the punch (event=punching) of the same peer.
started_while_predicting() {
	awk '/event=sampling / { p = 1 }
	     /event=(punching|relaying|up|failed) / { p = 0 }
	     /event=nat-start / && p { n++ } END { print n + 0 }' "$1"
}

for call in 1 2 3; do
	for id in alice bob; do
		[ -f "$TMP/$id.log" ] && mv "$TMP/$id.log" "$TMP/$id.log.$call"
		rm -rf "$TMP/$id.state" "$TMP/$id.hook"
	done
	pd_start "$ha" alice 4000 --rediscover 1
	pd_start "$hb" bob 5000 --rediscover 1
	if ! pd_registered alice || ! pd_registered bob ||
	   ! pd_discovered alice 0 || ! pd_discovered bob 0; then
		t_fail "call $call: both punchd register and discover their NAT"
		pd_stop alice; pd_stop bob
		continue
	fi
	# Wait for the second run, so that runs are under way as we call.
	wait_for 100 _runs_over alice 1
	res=$(pd "$ha" alice connect bob)
	echo "# $res"
	wait_for 150 pd_has_direct alice bob
	t_check "call $call: the path comes up direct" pd_has_direct alice bob
	t_expect "call $call: both sides predicted" predict \
		"$(pd_field "$(pd "$ha" alice status | grep '^peer bob ')" strategy)"
	for id in alice bob; do
		n=$(started_while_predicting "$TMP/$id.log")
		t_expect "call $call: $id: no discovery run began between its sample and its punch" 0 "$n"
	done
	t_check "call $call: a run falling due then waited (nat-deferred)" \
		grep -q 'event=nat-deferred' "$TMP/alice.log" "$TMP/bob.log"
	# The deferral ends: runs go on once the punch is under way.
	before=$(grep -c 'event=nat-start' "$TMP/alice.log")
	t_check "call $call: discovery runs again after the punch" \
		wait_for 100 _runs_over alice "$before"
	pd_has_direct alice bob || for id in alice bob; do
		grep -v 'event=\(nat-start\|hops\|mapping\|portmap\) ' "$TMP/$id.log" |
			tail -n 25 | sed "s/^/# $id: /"
	done
	pd_stop alice
	pd_stop bob
	ip netns exec "$ha" "$PUNCHCTL" flow del tag 1 2>/dev/null
	ip netns exec "$hb" "$PUNCHCTL" flow del tag 1 2>/dev/null
	# Let the NATs' entries of this call go, for the next one's ports.
	ip netns exec "$(zoo_ns a nat)" conntrack -F 2>/dev/null
	ip netns exec "$(zoo_ns b nat)" conntrack -F 2>/dev/null
done
t_check "no punchd complained about memory (sanitizers)" \
	sh -c "! grep -qh Sanitizer '$TMP'/alice.log* '$TMP'/bob.log*"
rdv_stop
t_done
