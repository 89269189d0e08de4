#!/bin/bash
# Every punchctl command against the real module, human output and JSON
# (parsed with jq), on two namespaces joined by a veth (no NAT: the NAT
# cases live in punch.sh). Also runs examples/punch-wait, the libnfpunch
# example built through pkg-config, against a punchctl flow.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/wait.sh"
. "$T_REPO/selftests/lib/netns.sh"
. "$T_REPO/selftests/lib/json-doc.sh"
MAN=$T_REPO/helper/punchctl/punchctl.8
A=nfp-ctl-a-$$ B=nfp-ctl-b-$$
S=000102030405060708090a0b0c0d0e0f
WAIT=$T_REPO/build/examples/punch-wait
TMP=$(mktemp -d)
cleanup() {
	ns_del "$A" "$B"
	rm -rf "$TMP"
}
trap cleanup EXIT
ns_pair "$A" "$B" 10.7.0.1/24 10.7.0.2/24 fd00:7::1/64 fd00:7::2/64 ||
	{ t_fail "two namespaces joined by a veth"; t_done; }
ca() { ip netns exec "$A" "$PUNCHCTL" "$@"; }
cb() { ip netns exec "$B" "$PUNCHCTL" "$@"; }

# --- config ---
t_match "config show (human)" \
	'^max-flows 65536 pps 1000 keepalive 25s timeout 90s punch-timeout 15s probe-interval 100ms$' \
	"$(ca config | xargs)"
t_expect "config set (JSON reply)" '{"max_flows":100,"pps":200,"keepalive_ms":10000}' \
	"$(ca -j config set max-flows 100 pps 200 keepalive 10s | jq -c '{max_flows, pps, keepalive_ms}')"
t_expect "config show (JSON) keeps the new values" "100 200 10000 90000" \
	"$(ca -j config show | jq -r '"\(.max_flows) \(.pps) \(.keepalive_ms) \(.timeout_ms)"')"
t_expect "config is per namespace" "65536" "$(cb -j config | jq .max_flows)"

# --- stats ---
t_match "stats (human)" '^version [0-9.]+ flows 0 mappings 0 probes-sent 0 ' "$(ca stats | xargs)"
t_expect "stats (JSON) has every key" \
	'["auth_failures","flows","mappings","probes_sent","tcp_prime_icmp","tcp_prime_syns","tcp_primes","throttled","unknown_flow","version"]' \
	"$(ca -j stats | jq -c 'keys')"

# --- flow add / show ---
t_match "flow add (human)" '^flow [0-9]+ local 10\.7\.0\.1:4000 role controlling state punching peers 10\.7\.0\.2:5000-5003 ' \
	"$(ca flow add udp local 10.7.0.1:4000 peer-range 10.7.0.2:5000-5003 secret $S role controlling \
		punch-timeout 5s | xargs)"
id1=$(ca -j flow show local 10.7.0.1:4000 | jq '.[0].id')
id2=$(ca -j flow add local "[fd00:7::1]:4600" peer "[fd00:7::2]:5600" secret $S role controlling \
	keepalive 2s timeout 6s passive | jq .id)
t_expect "flow add (JSON) of an IPv6 passive flow" \
	'{"local":"[fd00:7::1]:4600","peers":["[fd00:7::2]:5600"],"passive":true,"keepalive_ms":2000,"timeout_ms":6000}' \
	"$(ca -j flow show id "$id2" | jq -c '.[0] | {local, peers, passive, keepalive_ms, timeout_ms}')"
t_expect "flow show (JSON) lists both" "2" "$(ca -j flow show | jq length)"
t_expect "flow show local filters" "$id1" "$(ca -j flow show local 10.7.0.1:4000 | jq '.[].id')"
t_expect "flow show state filters" "" "$(ca -j flow show state established | jq '.[].id')"
t_match "flow show (human) has counters lines" 'probes sent [0-9]+ answered 0 received 0 auth-failures 0 keepalives 0' \
	"$(ca flow show id "$id1")"
t_expect "flow show of an unknown id fails with exit 1" "1" \
	"$(ca flow show id 999999 >/dev/null 2>&1; echo $?)"

# --- flow set / del ---
t_expect "flow set keepalive (JSON reply)" "3000" \
	"$(ca -j flow set id "$id2" keepalive 3s | jq .keepalive_ms)"
sleep 5.5	# flow 1's punch timeout: nobody answers on 10.7.0.2
t_expect "an unanswered flow dies of its punch timeout" "dead punch-timeout" \
	"$(ca -j flow show id "$id1" | jq -r '.[0] | "\(.state) \(.dead_reason)"')"
t_expect "flow set repunch brings it back to punching" "punching" \
	"$(ca -j flow set id "$id1" repunch | jq -r .state)"
t_check "flow del by id" ca flow del id "$id1"
t_check "flow del by local endpoint" ca flow del local "[fd00:7::1]:4600"
t_expect "no flows left" "0" "$(ca -j stats | jq .flows)"

# --- tags: two programs' flows in one namespace ---
# (A long punch timeout: no flow dies before the section deletes it, so the
# monitor below sees deletions only.)
ports() { jq -r '[.[].local | split(":")[1]] | sort | join(" ")'; }
TAGGED="secret $S role controlling passive punch-timeout 10m"
t_expect "flow add tag: the flow carries it" "7" \
	"$(ca -j flow add local 10.7.0.1:4700 peer 10.7.0.2:5700 $TAGGED tag 7 | jq .tag)"
ca flow add local 10.7.0.1:4701 peer 10.7.0.2:5701 $TAGGED tag 0x8 >/dev/null
ca flow add local 10.7.0.1:4702 peer 10.7.0.2:5702 $TAGGED tag 7 >/dev/null
ca flow add local 10.7.0.1:4703 peer 10.7.0.2:5703 $TAGGED >/dev/null
t_expect "flow show tag 7: that program's flows only" "4700 4702" "$(ca -j flow show tag 7 | ports)"
t_expect "flow show tag 0: the untagged" "4703" "$(ca -j flow show tag 0 | ports)"
t_expect "flow show tag and local together" "4702" \
	"$(ca -j flow show tag 7 local 10.7.0.1:4702 | ports)"
t_match "flow show (human) prints the tag" ' tag 8 passive age ' "$(ca flow show local 10.7.0.1:4701 | xargs)"
t_expect "an untagged flow reports tag 0 (JSON)" "0" \
	"$(ca -j flow show local 10.7.0.1:4703 | jq '.[0].tag')"
t_expect "flow set takes no tag (fixed at creation)" "2" \
	"$(ca flow set id "$(ca -j flow show tag 8 | jq '.[0].id')" tag 9 >/dev/null 2>&1; echo $?)"
# A bound, not a wait: each punchctl call below takes seconds on the debug
# kernel, and the monitor must still be there for the last event.
timeout 120 ip netns exec "$A" "$PUNCHCTL" -j monitor tag 7 count 2 >"$TMP/tagmon" &
tm=$!
wait_event_listeners "$A" 1
t_check "flow del tag 8" ca flow del tag 8
t_check "flow del tag 7 local: one of that program's flows" ca flow del tag 7 local 10.7.0.1:4700
t_expect "only those went: the untagged and the other tag-7 flow remain" "4702 4703" \
	"$(ca -j flow show | ports)"
t_expect "flow del of a tag no flow has fails" "punchctl: cannot delete: no flow matches 1" \
	"$( (ca flow del tag 8 2>&1; echo $?) | xargs)"
ca flow del local 10.7.0.1:4703
ca flow del tag 7
wait "$tm"
t_expect "monitor tag 7: only the tag-7 flows' events (4700, 4702), not tag 8's or the untagged" \
	"deleted 4700 7,deleted 4702 7" \
	"$(jq -r '"\(.event) \(.flow.local | split(":")[1]) \(.flow.tag)"' "$TMP/tagmon" | paste -sd,)"
t_expect "no flows left" "0" "$(ca -j stats | jq .flows)"

# --- a real punch between the namespaces, watched by monitor ---
timeout 30 ip netns exec "$A" "$PUNCHCTL" monitor count 2 >"$TMP/human" &
mh=$!
timeout 30 ip netns exec "$A" "$PUNCHCTL" -j monitor count 2 >"$TMP/json" &
mj=$!
wait_event_listeners "$A" 2
ip netns exec "$A" "$WAIT" 10.7.0.1:4100 10.7.0.2:5100 $S controlling 10 >"$TMP/wait" &
waiter=$!
cb flow add local 10.7.0.2:5100 peer 10.7.0.1:4100 secret $S role controlled >/dev/null
wait "$waiter"
t_expect "examples/punch-wait (pkg-config build) sees its flow established" \
	"established with 10.7.0.2:5100" "$(tail -1 "$TMP/wait" | cut -d' ' -f3-)"
wait "$mh" "$mj"
t_match "monitor (human) shows established, then deleted when punch-wait exits" \
	'^\[established\] flow [0-9]+ local 10\.7\.0\.1:4100 role controlling state established remote 10\.7\.0\.2:5100 .*\[deleted\] flow' \
	"$(xargs <"$TMP/human")"
t_expect "monitor (JSON) shows the same, one object per line" "established deleted" \
	"$(jq -r .event "$TMP/json" | xargs)"
t_expect "monitor (JSON) carries the remote endpoint" "10.7.0.2:5100" \
	"$(jq -r 'select(.event == "established") | .flow.remote' "$TMP/json")"

# --- JSON: the keys punchctl(8) documents, and no others ---
{ ca -j flow show; cb -j flow show; } | jq -s add >"$TMP/flows.json"
schema "$MAN" "Flow" "$TMP/flows.json"
t_expect "JSON Flow: the counters punchctl(8) lists" \
	"$(grep -A1 '^\.B counters$' "$T_REPO/helper/punchctl/punchctl.8" | tail -1 |
		grep -o 'fB[a-z_]*' | cut -c3- | sort | xargs)" \
	"$(jq -r '.[0].counters | keys[]' "$TMP/flows.json" | sort | xargs)"
jq -s . "$TMP/json" >"$TMP/events.json"
schema "$MAN" "Event" "$TMP/events.json"
{ ca -j stats; } | jq -s . >"$TMP/stats.json"
schema "$MAN" "Statistics" "$TMP/stats.json"
{ ca -j config; cb -j config set pps 300; } | jq -s . >"$TMP/config.json"
schema "$MAN" "Config" "$TMP/config.json"

# --- mapping ---
ip netns exec "$B" turnserver -n --no-tls --no-dtls --no-cli -S -L 10.7.0.2 -p 3478 \
	--no-stdout-log --log-file "$TMP/turn.log" --pidfile "$TMP/turn.pid" >/dev/null 2>&1 &
wait_udp_bound "$B" 3478 10.7.0.2
t_match "mapping (human)" '^mapping [0-9]+ local 10\.7\.0\.1:4200 server 10\.7\.0\.2:3478 mapped 10\.7\.0\.1:4200 rtt ' \
	"$(ca mapping local 10.7.0.1:4200 server 10.7.0.2:3478)"
t_expect "mapping (JSON)" '{"local":"10.7.0.1:4200","server":"10.7.0.2:3478","mapped":"10.7.0.1:4200"}' \
	"$(ca -j mapping local 10.7.0.1:4200 server 10.7.0.2:3478 | jq -c '{local, server, mapped}')"
out=$(ca -j mapping local 10.7.0.1:4200 server 10.7.0.2:9 timeout 500ms)
rc=$?
t_expect "mapping (JSON) of an unanswered query reports the error, exit 1" \
	"Connection timed out 1" "$(echo "$out" | jq -r .error) $rc"
# wg-quick's full tunnel: everything without the mark routes elsewhere
# (here nowhere), so only a query carrying the mark reaches the server.
ip -n "$A" rule add not fwmark 0x5182 table 77 prio 100
ip -n "$A" route add unreachable 10.7.0.2/32 table 77
out=$(ca -j mapping local 10.7.0.1:4200 server 10.7.0.2:3478 timeout 500ms)
t_expect "under a mark rule, a query without the mark gets no answer" \
	"Connection timed out 0" "$(echo "$out" | jq -r '"\(.error) \(.mark)"')"
t_expect "mapping ... mark N: the query carries the mark and is answered" \
	'{"mapped":"10.7.0.1:4200","mark":20866,"error":null}' \
	"$(ca -j mapping local 10.7.0.1:4200 server 10.7.0.2:3478 mark 0x5182 | jq -c '{mapped, mark, error}')"
t_match "mapping ... mark N (human) shows the mark" ' mark 0x5182$' \
	"$(ca mapping local 10.7.0.1:4200 server 10.7.0.2:3478 mark 0x5182)"
ip -n "$A" rule del prio 100
ip -n "$A" route flush table 77
t_match "mapping ... mark with a bad value is refused" "invalid mark" \
	"$(ca mapping local 10.7.0.1:4200 server 10.7.0.2:3478 mark x 2>&1)"
{ echo "$out"; ca -j mapping local 10.7.0.1:4200 server 10.7.0.2:3478; } |
	jq -s . >"$TMP/mapping.json"
schema "$MAN" "Mapping" "$TMP/mapping.json"

# --- an idle monitor sleeps (the events socket never blocks) ---
# (Its start, a sanitized build under emulation, costs CPU: count from 1 s.)
ip netns exec "$A" "$PUNCHCTL" monitor >/dev/null &
mon=$!
cpu() { awk '{ print $14 + $15 }' "/proc/$mon/stat" 2>/dev/null; }
sleep 1
t1=$(cpu)
sleep 2
t2=$(cpu)
kill "$mon" 2>/dev/null
wait "$mon" 2>/dev/null
t_check "an idle monitor uses no CPU: $((${t2:-0} - ${t1:-0})) ticks in 2 s (of $(getconf CLK_TCK)/s; its start took ${t1:-?})" \
	test -n "$t1" -a -n "$t2" -a "$((${t2:-99} - ${t1:-0}))" -le 5

# --- -n, -batch, secret - ---
t_expect "-n NAME acts in that namespace" "$(ca -j stats | jq .flows) $(cb -j stats | jq .flows)" \
	"$("$PUNCHCTL" -n "$A" -j stats | jq .flows) $("$PUNCHCTL" -netns "/run/netns/$B" -j stats | jq .flows)"
echo "$S" | ca flow add local 10.7.0.1:4300 peer 10.7.0.2:5300 secret - role controlling >/dev/null
cb flow add local 10.7.0.2:5300 peer 10.7.0.1:4300 secret $S role controlled >/dev/null
established_4300() { ca -j flow show local 10.7.0.1:4300 | grep -q '"established"'; }
wait_for 100 established_4300
t_expect "a secret read by 'secret -' is the one the peer holds: established" "established" \
	"$(ca -j flow show local 10.7.0.1:4300 | jq -r '.[0].state')"
cat >"$TMP/batch" <<EOB
# two flows, one bad line, one more
flow add local 10.7.0.1:4400 peer 10.7.0.2:5400 secret $S role controlling passive
flow add local 10.7.0.1:4401 peer 10.7.0.2:5401 secret $S role controlling passive
flow add local 10.7.0.1:4401 peer 10.7.0.2:5401 secret $S role controlling passive
flow add local 10.7.0.1:4402 peer 10.7.0.2:5402 secret $S role controlling passive
EOB
"$PUNCHCTL" -n "$A" -batch "$TMP/batch" >/dev/null 2>"$TMP/err"
rc=$?
t_expect "a batch stops at the kernel's refusal (line 4, a duplicate), status 1" \
	"1 1 4400,4401" "$rc $(grep -c "command failed $TMP/batch:4" "$TMP/err") $(ca -j flow show |
		jq -r '[.[].local | select(startswith("10.7.0.1:44")) | split(":")[1]] | sort | join(",")')"
printf 'flow del local 10.7.0.1:%s\n' 4400 4401 4401 4402 >"$TMP/batch"
"$PUNCHCTL" -n "$A" -force -batch "$TMP/batch" >/dev/null 2>"$TMP/err"
rc=$?
t_expect "-force runs every line: all three flows gone, two lines failed, status 1" \
	"1 2 0" "$rc $(grep -c 'command failed' "$TMP/err") $(ca -j flow show |
		jq '[.[].local | select(startswith("10.7.0.1:44"))] | length')"
t_done
