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
# With a service on the sequential NAT's other ports that accepts any
# connection (junk for a proof, or silence), the call still connects: a
# port that does not prove the secret is dropped, the rest go on. A
# sequential peer's window is not taken by a side whose own NAT maps per
# endpoint (each SYN would take a port of its own).
# TCPP_ATTEMPTS=N: calls per case; TCPP_PUNCHD_OPTS: more options for
# both punchd (--prime no: the timed start); ZOO_DELAY, ZOO_JITTER and
# ZOO_LOSS shape the public links (zoo.sh). One line per call,
# "# tcp-predict-result KIND_A KIND_B FIREWALL ok|fail ALICE_MS BOB_MS
# STEPS" (STEPS: the connected port minus the query's mapping; 1 is the
# next allocation), for bench/tcp-predict.
# vm-timeout: 900
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/zoo.sh"
nat_scratch
trap 'zoo_down; rm -rf "$TMP"' EXIT
N=${TCPP_ATTEMPTS:-1}
EVIL=$T_REPO/selftests/tools/attacker.py
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

# pair KIND_A KIND_B FIREWALL [decoy]: N calls from alice to bob; with
# decoy, bob's NAT (sequential) answers on its other ports itself, and
# bob's LAN link is 300 ms slow each way, so the decoys' connections come
# up well before the real one (which once won by being the lowest port).
pair() {
	local ka=$1 kb=$2 fw=$3 name="$1/$2 (firewall $3${4:+, decoys})" seq ok=0 inwin=0 i want
	local dpid=""
	local res win mapped first last port
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
	if [ -n "${4:-}" ]; then
		ip netns exec "$(zoo_ns b n)" nft -f - <<-'NFT'
			table inet decoy {
				counter accepted { }
				chain in {
					type filter hook input priority filter; policy accept;
					tcp dport 30000-30063 ct state new counter name accepted
				}
			}
		NFT
		ip netns exec "$(zoo_ns b n)" "$EVIL" decoy 203.0.113.1 30000 30063 \
			$((20 + 40 * N)) >"$TMP/decoy" 2>&1 &
		dpid=$!
		ip netns exec "$hb" tc qdisc add dev eth0 root netem delay 300ms ||
			t_fail "$name: bob's LAN link is slowed"
	fi
	for ((i = 0; i < N; i++)); do
		if one_call; then
			ok=$((ok + 1))
			# The sequential side's endpoint, as the other side got it,
			# within the window offered for this call.
			if [ $seq = bob ]; then res=$(sed -n 2p "$TMP/call"); else res=$(sed -n 3p "$TMP/call"); fi
			port=$(port_of "$(pd_field "$res" endpoint)")
			win=$(grep -o 'event=tcp-predict .*' "$TMP/$seq.log" | tail -1 |
				sed 's/.*mapped=\([0-9]*\) window=\([0-9]*\)-\([0-9]*\).*/\1 \2 \3/')
			read -r mapped first last <<<"$win"
			[ -n "$port" ] && [ -n "$first" ] && [ "$port" -ge "$first" ] &&
				[ "$port" -le "$last" ] && inwin=$((inwin + 1))
			echo "# $name: connected to port $port of window $first-$last (mapped $mapped)"
			echo "# tcp-predict-result $ka $kb $fw${4:++decoys} ok $(pd_field "$(sed -n 2p "$TMP/call")" ms)" \
				"$(pd_field "$(sed -n 3p "$TMP/call")" ms) $((port - ${mapped:-$port}))"
		else
			echo "# tcp-predict-result $ka $kb $fw${4:++decoys} fail - - -"
			sed 's/^/# failed: /' "$TMP/call"
			grep -h 'event=tcp-' "$TMP/alice.log" "$TMP/bob.log" | tail -12 | sed 's/^/# /'
		fi
	done
	t_expect "$name: every call connects, data both ways" "$N/$N" "$ok/$N"
	t_expect "$name: through the window the sequential side predicted" "$N/$N" "$inwin/$N"
	t_match "$name: $seq offered the window from its mapping on" \
		"event=tcp-predict peer=[a-z]+ mapped=([0-9]+) window=\\1-[0-9]+" \
		"$(grep -o 'event=tcp-predict .*' "$TMP/$seq.log" | tail -1)"
	# Bob, called, primes his open: each of the window's 16 ports when
	# alice is the sequential side, his one port when he is.
	if [ $seq = alice ]; then want=16; else want=1; fi
	t_match "$name: bob primed $want port(s)" "event=tcp-primed peer=alice ttl=[0-9]+ ms=[0-9]+ ports=$want\$" \
		"$(grep -o 'event=tcp-primed .*' "$TMP/bob.log" | tail -1)"
	if [ -n "$dpid" ]; then
		kill "$dpid" 2>/dev/null
		wait "$dpid" 2>/dev/null
		n=$(ip netns exec "$(zoo_ns b n)" nft -j list counter inet decoy accepted |
			jq '.nftables[] | select(.counter) | .counter.packets')
		t_check "$name: the decoys took alice's connections ($n), and the calls connected" \
			test "${n:-0}" -ge "$N" -a "$ok" = "$N"
		echo "# $name: $(grep -o 'event=tcp-up .*' "$TMP/alice.log" | tail -1)"
	fi
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
pair pp seq no decoy

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
