#!/bin/bash
# punchd primes when it is called (issue 16), against the race a plain
# Linux NAT punishes. The caller's NAT is a plain masquerade (no firewall
# of its own) and everything to the caller's host is 50 ms late, so the
# called side, which punches before it answers, is first for certain: unprimed,
# its probes reach the caller's NAT before the caller's leave it, that NAT
# gives the caller's probes another port, and no direct path comes up.
# Primed (the default), the called side's first probes die at the public
# router, and the path comes up direct on the ports both announced. Both
# orders: alice calls bob, then bob calls alice. The called side's punch
# starts before its answer leaves, so its NAT maps the port before the
# caller, who probes once it has that answer, can.
# vm-timeout: 600
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
rdv_up

# Probes that reach the public router with TTL 1 die there: primes.
ip netns exec "$PUB" nft -f - <<-'NFT'
	table inet prime {
		counter ttl1 { }
		chain pre_count {
			type filter hook prerouting priority raw; policy accept;
			ip saddr { 198.51.100.1, 203.0.113.1 } ip daddr { 198.51.100.1, 203.0.113.1 } meta l4proto udp ip ttl 1 counter name ttl1
		}
	}
NFT
ttl1() {
	ip netns exec "$PUB" nft -j list counter inet prime ttl1 |
		jq '.nftables[] | select(.counter) | .counter.packets'
}

# plain NS: that site's NAT keeps no firewall, and its host hears late.
plain() {
	ip netns exec "$1" nft delete table inet filter
	ip netns exec "$1" tc qdisc add dev lan root netem delay 50ms
}

# call FROM_NS FROM TO_NS TO FROM_PORT TO_PORT [CALLEE OPTION...]: fresh
# punchds on fresh ports; FROM connects to TO. Prints the result line.
call() {
	local fns=$1 from=$2 tns=$3 to=$4 fport=$5 tport=$6 id
	shift 6
	# This call's logs only, and no state of the last call's punchds
	# (they would resume its session and call each other).
	for id in "$from" "$to"; do
		[ -f "$TMP/$id.log" ] && mv "$TMP/$id.log" "$TMP/$id.log.$fport"
		rm -rf "$TMP/$id.state"
	done
	pd_start "$fns" "$from" "$fport"
	pd_start "$tns" "$to" "$tport" "$@"
	pd_registered "$from" && pd_registered "$to" &&
		wait_for 100 grep -q 'event=hops ' "$TMP/$to.log"
	ip netns exec "$PUB" nft reset counters table inet prime >/dev/null
	pd "$fns" "$from" connect "$to"
	pd_stop "$from"
	pd_stop "$to"
	ip netns exec "$fns" "$PUNCHCTL" flow del tag 1 2>/dev/null
	ip netns exec "$tns" "$PUNCHCTL" flow del tag 1 2>/dev/null
}

plain "$NA"

# --- alice calls, bob does not prime: the race is lost ----------------------
res=$(call "$A" alice "$B" bob 4000 5000 --prime no)
t_match "unprimed: no direct path (bob's probes were first at alice's NAT)" \
	"^ok peer=bob mode=relay " "$res"
t_check "bob's punch was not primed" \
	grep -q 'event=punching peer=alice .*prime_ttl=0' "$TMP/bob.log"

# --- the same, bob primes ----------------------------------------------------
res=$(call "$A" alice "$B" bob 4100 5100)
t_check "bob found the TTL that crosses his NAT: 2 (his NAT, then the server's router)" \
	grep -q 'event=hops path=private,server prime_ttl=2' "$TMP/bob.log"
t_match "primed: direct, on the port bob announced" \
	"^ok peer=bob mode=direct endpoint=203\.0\.113\.1:5100 " "$res"
t_check "bob's punch was primed with TTL 2" \
	grep -q 'event=punching peer=alice .*prime_ttl=2' "$TMP/bob.log"
t_check "his primes died at the public router ($(ttl1) packets with TTL 1 there)" \
	test "$(ttl1)" -gt 0
t_expect "alice, the caller, did not prime" 0 \
	"$(grep -c 'event=punching .*prime_ttl=[1-9]' "$TMP/alice.log")"
# The same race at bob's NAT: alice probes as soon as she has his answer,
# so his punch must be out before it (his primes open his NAT for her).
t_expect "bob's punch started before his answer left (punching, then answered)" \
	"punching answered" \
	"$(grep -o 'event=\(punching\|answered\) peer=alice' "$TMP/bob.log" |
	   sed 's/event=\([a-z]*\) .*/\1/' | head -2 | tr '\n' ' ' | sed 's/ $//')"

# --- a call while both discover again: it uses the last results, at once --
# (issue 16: discovery is never in the connect path). "punchd discover"
# starts a run now; bob's filtering tests wait 1.4 s for answers his
# firewall drops, and the last three steps of his mapping walk lose their
# first two requests (the third is sent at 600 ms), so his run lasts
# about 2 s and the call below falls inside it. Then calls during a later
# hop walk, which must still prime.
for id in alice bob; do
	mv "$TMP/$id.log" "$TMP/$id.log.first"
	rm -rf "$TMP/$id.state"
done
pd_start "$A" alice 4300
pd_start "$B" bob 5300
pd_registered alice && pd_registered bob &&
	wait_for 100 grep -q 'event=hops ' "$TMP/alice.log" &&
	wait_for 100 grep -q 'event=hops ' "$TMP/bob.log"
# The walk's steps 1-3 go to these addresses, one request in flight at a
# time, and nothing else does: the counter drops 2 of each step's 3.
ip netns exec "$B" nft -f - <<-'NFT'
	table inet slow {
		chain out {
			type filter hook output priority 0; policy accept;
			ip daddr . udp dport { 192.0.2.1 . 3479, 192.0.2.2 . 3478, 192.0.2.2 . 3479 } \
				numgen inc mod 3 < 2 drop
		}
	}
NFT
timeout 30 ip netns exec "$A" "$PUNCHD" -u "$TMP/alice.sock" discover >"$TMP/discover.alice" 2>&1 &
da=$!
timeout 30 ip netns exec "$B" "$PUNCHD" -u "$TMP/bob.sock" discover >"$TMP/discover.bob" 2>&1 &
db=$!
wait_for 50 grep -q 'command=discover' "$TMP/bob.log" &&
	wait_for 50 grep -q 'command=discover' "$TMP/alice.log"
res=$(pd "$A" alice connect bob)
wait "$da" "$db"
ip netns exec "$B" nft delete table inet slow
t_match "called during discovery: direct, on the port bob announced" \
	"^ok peer=bob mode=direct endpoint=203\.0\.113\.1:5300 " "$res"
t_expect "neither side waited for discovery (event=nat-wait)" "0 0" \
	"$(grep -c 'event=nat-wait' "$TMP/alice.log") $(grep -c 'event=nat-wait' "$TMP/bob.log")"
# The order in bob's log proves the call fell inside his run.
after() { # after FILE FIRST THEN: a THEN line follows the first FIRST line
	awk -v a="$2" -v b="$3" '$0 ~ a && !x { x = NR } $0 ~ b && x && NR > x { f = 1 }
		END { exit !f }' "$1"
}
# The margin, for when it fails: ms from bob's discover to his punch and
# to his run's end.
ms() { sed -n '/command=discover/,$p' "$TMP/bob.log" | grep -m1 "$1" | sed -E 's/^ts=[^T]*T([0-9]+):([0-9]+):([0-9.]+)Z.*/\1 \2 \3/' |
	awk '{ printf "%d", ($1 * 3600 + $2 * 60 + $3) * 1000 }'; }
t0=$(ms 'command=discover')
echo "# bob: punch at +$(($(ms 'event=punching peer=alice') - t0)) ms, run over at +$(($(ms 'event=nat ') - t0)) ms"
t_check "bob punched before his run ended (event=nat after event=punching)" \
	after "$TMP/bob.log" 'event=punching peer=alice' 'event=nat '
t_check "and primed, with TTL 2" \
	grep -q 'event=punching peer=alice .*prime_ttl=2' "$TMP/bob.log"
t_match "punchd discover printed bob's NAT when his run ended" \
	"^nat eim\.apdf\.preserve .*prime_ttl=2$" "$(cat "$TMP/discover.bob")"
t_match "and alice's" "^nat eim\.[a-z]*\.preserve " "$(cat "$TMP/discover.alice")"

# --- during a later hop walk, calls prime with the last walk's TTL -------
# Bob's NAT stops sending "time exceeded": his next walk waits 500 ms at
# its first hop, then ends with nothing to prime with (prime_ttl=0).
# Meanwhile what calls get (status shows the same function's answer) must
# stay the TTL of before: status is read in a loop through the walk, and
# the samples taken inside it, by the log's clock, are checked.
ip netns exec "$NB" nft -f - <<-'NFT'
	table inet quiet {
		chain out {
			type filter hook output priority 0; policy accept;
			icmp type time-exceeded drop
		}
	}
NFT
walks=$(grep -c 'event=hops ' "$TMP/bob.log")
timeout 30 ip netns exec "$B" "$PUNCHD" -u "$TMP/bob.sock" discover >/dev/null 2>&1 &
db=$!
: >"$TMP/samples"
# One reader that asks in a tight loop (a punchd client per sample takes
# longer than the walk under emulation): "t0 t1 prime_ttl" per answer.
ip netns exec "$B" python3 - "$TMP/bob.sock" "$TMP/bob.log" "$walks" >"$TMP/samples" <<-'PY'
	import socket, sys, time
	sock, log, walks = sys.argv[1], sys.argv[2], int(sys.argv[3])
	end = time.time() + 20
	while time.time() < end:
	    t0 = time.time()
	    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    c.connect(sock)
	    c.sendall(b"status\n")
	    out = b""
	    while True:
	        chunk = c.recv(65536)
	        if not chunk:
	            break
	        out += chunk
	    c.close()
	    t1 = time.time()
	    nat = [l for l in out.decode().splitlines() if l.startswith("nat ")]
	    ttl = nat[0].rsplit("prime_ttl=", 1)[-1] if nat else "?"
	    print(int(t0 * 1000), int(t1 * 1000) + 1, ttl, flush=True)
	    if sum("event=hops " in l for l in open(log)) > walks:
	        break
	    time.sleep(0.01)
PY
wait "$db"
ip netns exec "$NB" nft delete table inet quiet
# ms since the epoch of bob's log line for an event (its ts=, UTC)
log_ms() {
	local ts
	ts=$(grep "$1" "$TMP/bob.log" | tail -1 | sed -n 's/^ts=\([^ ]*\)Z .*/\1/p')
	[ -n "$ts" ] && echo $(( $(date -u -d "$ts" +%s%3N) ))
}
walk_from=$(log_ms 'event=nat ')
walk_to=$(log_ms 'event=hops path=silent')
t_check "the walk found nothing to prime with this time" \
	test -n "$walk_to"
inside=$(awk -v a="${walk_from:-0}" -v b="${walk_to:-0}" '$1 >= a && $2 <= b' "$TMP/samples")
t_check "status was read during the walk ($(grep -c . <<<"$inside") times)" \
	test -n "$inside"
[ -n "$inside" ] || { echo "walk $walk_from..$walk_to"; cat "$TMP/samples"; } | sed 's/^/# /' 
t_expect "and said the last walk's TTL each time" "2" \
	"$(awk '{ print $3 }' <<<"$inside" | sort -u | xargs)"
t_match "after the walk, its own result" "prime_ttl=0$" "$(pd "$B" bob status | grep '^nat ')"
pd_stop alice
pd_stop bob
ip netns exec "$A" "$PUNCHCTL" flow del tag 1 2>/dev/null
ip netns exec "$B" "$PUNCHCTL" flow del tag 1 2>/dev/null

# --- the other way round: bob calls through his plain NAT, alice primes ---
plain "$NB"
res=$(call "$B" bob "$A" alice 5200 4200)
t_match "bob calls alice, she primes: direct, on the port she announced" \
	"^ok peer=alice mode=direct endpoint=198\.51\.100\.1:4200 " "$res"
t_check "alice's punch was primed with TTL 2" \
	grep -q 'event=punching peer=bob .*prime_ttl=2' "$TMP/alice.log"

t_check "no punchd or server complained about memory (sanitizers)" \
	sh -c "! grep -l 'Sanitizer\|runtime error' '$TMP'/*.log*"
t_done
