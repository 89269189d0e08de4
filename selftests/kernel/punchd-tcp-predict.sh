#!/bin/bash
# TCP through a sequential NAT (issue 18), from the NAT zoo (zoo.sh's
# "seq": each new mapping takes the next port, TCP as UDP). The
# connection to the peer takes the allocation after the mapping query's,
# so the mapping punchd learned is never the one its SYNs leave from.
# The sequential side offers the window of ports after it; the peer,
# behind a NAT that maps independently of the endpoint ("pp"), connects
# to each of them at once from one port, and the first to connect is the
# call. Cases: the sequential side called and calling, behind NATs with
# a firewall and plain gateways (which answer an early SYN with a RST
# and keep an entry that would take the predicted port): the call
# connects, through the predicted window, and data crosses both ways.
# A sequential peer's window is not taken by a side whose own NAT maps
# per endpoint (each SYN would take a port of its own).
# TCPP_ATTEMPTS=N: calls per case; TCPP_PUNCHD_OPTS: more options for
# both punchd (--prime no: the timed start); ZOO_DELAY, ZOO_JITTER and
# ZOO_LOSS shape the public links (zoo.sh). One line per call,
# "# tcp-predict-result KIND_A KIND_B FIREWALL ok|fail ALICE_MS BOB_MS
# OFFSET" (OFFSET: the connected port's place in the window), for
# bench/tcp-predict.
# vm-timeout: 900
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/zoo.sh"
nat_scratch
trap 'zoo_down; rm -rf "$TMP"' EXIT
N=${TCPP_ATTEMPTS:-1}
read -ra more <<<"${TCPP_PUNCHD_OPTS:-}"

zoo_pub_up || { t_fail "the public router comes up"; t_done; }
rdv_users alice bob
rdv_start || { t_fail "rendezvousd starts"; t_done; }

# port_of ENDPOINT: its port.
port_of() { echo "${1##*:}"; }

# one_call CASE: alice calls bob once; "ok" and both result lines in
# $TMP/call, or why not.
one_call() {
	local got rc
	timeout 30 ip netns exec "$hb" "$PUNCHD" -u "$TMP/bob.sock" accept --tcp -- \
		sh -c 'read -r l; echo "bob got $l"' >"$TMP/b.out" 2>"$TMP/b.res" </dev/null &
	local bpid=$! n
	n=$(grep -c 'event=tcp-listen' "$TMP/bob.log")
	wait_for 50 eval "[ \$(grep -c 'event=tcp-listen' '$TMP/bob.log') -gt $n ]"
	got=$(echo hi | timeout 30 ip netns exec "$ha" "$PUNCHD" -u "$TMP/alice.sock" \
		connect bob --tcp 2>"$TMP/a.res")
	rc=$?
	wait "$bpid"
	printf '%s\n' "$rc $got" "$(head -1 "$TMP/a.res")" "$(head -1 "$TMP/b.res")" >"$TMP/call"
	[ "$rc $got" = "0 bob got hi" ]
}

# pair KIND_A KIND_B FIREWALL: N calls from alice to bob.
pair() {
	local ka=$1 kb=$2 fw=$3 name="$1/$2 (firewall $3)" seq ok=0 inwin=0 i
	local res win first last port
	ZOO_FIREWALL=$fw zoo_side a "$ka" && ZOO_FIREWALL=$fw zoo_side b "$kb" ||
		{ t_fail "$name: the sites come up"; return; }
	ha=$(zoo_ns a h) hb=$(zoo_ns b h)
	for id in alice bob; do rm -rf "$TMP/$id.log" "$TMP/$id.state" "$TMP/$id.hook"; done
	pd_start "$ha" alice 4000 "${more[@]}"
	pd_start "$hb" bob 5000 "${more[@]}"
	if ! pd_registered alice || ! pd_registered bob ||
	   ! pd_discovered alice 0 || ! pd_discovered bob 0; then
		t_fail "$name: both punchd register and discover their NAT"
		pd_stop alice; pd_stop bob; zoo_side_down a; zoo_side_down b
		return
	fi
	# The hop walks (the callee's priming TTL) are done too.
	wait_for 100 eval "grep -q 'event=hops ' '$TMP/bob.log' && grep -q 'event=hops ' '$TMP/alice.log'"
	if [ "$ka" = seq ]; then seq=alice; else seq=bob; fi
	for ((i = 0; i < N; i++)); do
		if one_call; then
			ok=$((ok + 1))
			# The sequential side's endpoint, as the other side got it,
			# within the window offered for this call.
			if [ $seq = bob ]; then res=$(sed -n 2p "$TMP/call"); else res=$(sed -n 3p "$TMP/call"); fi
			port=$(port_of "$(pd_field "$res" endpoint)")
			win=$(grep -o 'event=tcp-predict .*' "$TMP/$seq.log" | tail -1 |
				sed 's/.*window=\([0-9]*\)-\([0-9]*\).*/\1 \2/')
			first=${win% *} last=${win#* }
			[ -n "$port" ] && [ -n "$first" ] && [ "$port" -ge "$first" ] &&
				[ "$port" -le "$last" ] && inwin=$((inwin + 1))
			echo "# $name: connected to port $port of window $first-$last"
			echo "# tcp-predict-result $ka $kb $fw ok $(pd_field "$(sed -n 2p "$TMP/call")" ms)" \
				"$(pd_field "$(sed -n 3p "$TMP/call")" ms) $((port - ${first:-$port}))"
		else
			echo "# tcp-predict-result $ka $kb $fw fail - - -"
			sed 's/^/# failed: /' "$TMP/call"
			grep -h 'event=tcp-' "$TMP/alice.log" "$TMP/bob.log" | tail -12 | sed 's/^/# /'
		fi
	done
	t_expect "$name: every call connects, data both ways" "$N/$N" "$ok/$N"
	t_expect "$name: through the window the sequential side predicted" "$N/$N" "$inwin/$N"
	t_match "$name: $seq offered the window after its mapping" \
		"event=tcp-predict peer=[a-z]+ mapped=([0-9]+) window=[0-9]+-[0-9]+" \
		"$(grep -o 'event=tcp-predict .*' "$TMP/$seq.log" | tail -1)"
	echo "# zoo-tcp-result $ka $kb $fw $ok $N"
	pd_stop alice
	pd_stop bob
	grep -h 'Sanitizer\|runtime error' "$TMP"/alice.log "$TMP"/bob.log && t_fail "$name: sanitizer report"
	zoo_side_down a
	zoo_side_down b
}

for fw in yes no; do
	pair pp seq "$fw"
	pair seq pp "$fw"
done

# --- a window the caller cannot use ------------------------------------------
# Behind "random" (a mapping per endpoint), sixteen SYNs would leave from
# sixteen mappings, none of them the one bob saw: alice takes the single
# mapping instead (and the call fails, as nothing direct can work).
zoo_side a random && zoo_side b seq || t_fail "random/seq: the sites come up"
ha=$(zoo_ns a h) hb=$(zoo_ns b h)
for id in alice bob; do rm -rf "$TMP/$id.log" "$TMP/$id.state" "$TMP/$id.hook"; done
pd_start "$ha" alice 4000
pd_start "$hb" bob 5000
pd_registered alice && pd_registered bob && pd_discovered alice 0 && pd_discovered bob 0 ||
	t_fail "random/seq: both punchd register and discover their NAT"
one_call
t_match "random/seq: alice refuses bob's window" \
	"event=candidate-refused peer=bob cand=203\.0\.113\.1:[0-9]+-[0-9]+ reason=window-needs-independent-mapping proto=tcp" \
	"$(grep -o 'event=candidate-refused .*' "$TMP/alice.log" | head -1)"
t_check "random/seq: and aims at his single mapping only" \
	sh -c "! grep -q 'event=tcp-window' '$TMP/alice.log'"
pd_stop alice
pd_stop bob
zoo_side_down a
zoo_side_down b

rdv_stop
t_done
