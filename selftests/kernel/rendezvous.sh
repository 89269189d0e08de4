#!/bin/bash
# rendezvousd on its own: standard STUN clients get the right answers
# (RFC 3489's stun, coturn's turnutils_stunclient with RFC 5780), the
# module's mapping query works against it, and hostile signaling input
# gets an error and a log line while honest clients carry on.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
nat_scratch

nat_up || { t_fail "the NAT topology comes up"; t_done; }
rdv_users alice bob
# Not through t_check: that runs in a subshell, and RDV_PID must stay here.
rdv_start -l fd00:99::1
t_check "rendezvousd starts on 192.0.2.1 (with 192.0.2.2 for RFC 5780) and fd00:99::1" \
	kill -0 "$RDV_PID"

out=$(in_a timeout 10 turnutils_stunclient -p 3478 192.0.2.1 2>&1)
t_match "turnutils_stunclient from behind nat-a: its reflexive address is nat-a's" \
	"UDP reflexive addr: 198.51.100.1:[0-9]+" "$out"
t_match "turnutils_stunclient: RFC 5780 RESPONSE-ORIGIN and OTHER-ADDRESS" \
	"Other addr: : 192.0.2.2:3479" "$out"
out=$(in_a timeout 15 stun 192.0.2.1 2>&1)
rc=$?
# stun's exit code is its verdict: 0x2..0x8 are the NAT kinds, 0xa "blocked".
t_match "stun (RFC 3489 client) sees a NAT in front of alice (exit $rc)" "^Primary: .*(Mapping|NAT)" \
	"$(printf '%s\n' "$out" | grep Primary)"
out=$(ip netns exec "$PUB" timeout 15 stun 192.0.2.1 2>&1)
t_match "stun from the public side: no NAT (Open)" "^Primary: Open" \
	"$(printf '%s\n' "$out" | grep Primary)"
out=$(in_a "$PUNCHCTL" -j mapping local 10.0.1.2:4000 server 192.0.2.1:3478 2>&1)
t_match "the module's mapping query against rendezvousd" '"mapped":"198.51.100.1:[0-9]+"' "$out"
out=$(in_a "$PUNCHCTL" -j mapping local '[fd00:1::2]:4000' server '[fd00:99::1]:3478' 2>&1)
t_match "IPv6: the module's mapping query gets nat-a's IPv6 mapping" '"mapped":"\[fd00:a::1\]:[0-9]+"' "$out"
out=$(in_b timeout 10 turnutils_stunclient -p 3478 fd00:99::1 2>&1)
t_match "IPv6: turnutils_stunclient from behind nat-b" "UDP reflexive addr: \[?fd00:b::1\]?:[0-9]+" "$out"
out=$(in_a "$PUNCHCTL" -j mapping local '[fd00:1::2]:4000' server '[fd00:99::1]:3479' 2>&1)
t_match "no alternate port for IPv6 (no other address given): the query times out cleanly" \
	"timed out|timeout" "$out"

# Signaling by hand, over TLS with openssl s_client.
# say LINE...: connect, send the lines, print what the server answers
# after its HELLO. Each case ends with the server closing; the timeout is
# for a debug kernel under emulation, where s_client takes seconds.
say() {
	ip netns exec "$PUB" bash -c '
		ca=$1; shift
		{ for l in "$@"; do printf "%s\n" "$l"; done; sleep 3; } |
		timeout 30 openssl s_client -quiet -connect 192.0.2.1:3478 \
			-CAfile "$ca" -verify_return_error 2>/dev/null | tail -n +2' \
		say "$TMP/ca.pem" "$@"
}
t_match "wrong credentials: ERROR code=auth" "^ERROR code=auth" \
	"$(say "REGISTER id=alice mac=$(printf '%064d' 0)")"
t_match "unknown id: ERROR code=auth" "^ERROR code=auth" \
	"$(say "REGISTER id=mallory mac=$(printf '%064d' 0)")"
t_match "CONNECT before REGISTER: ERROR code=not-registered" "^ERROR code=not-registered" \
	"$(say "CONNECT peer=bob cand=192.0.2.9:1")"
t_match "garbage: ERROR code=malformed" "^ERROR code=malformed" \
	"$(say "HELLO=world x")"
t_match "a key the verb does not take: ERROR code=malformed" "^ERROR code=malformed" \
	"$(say "PING secret=00")"
t_match "a 4 KiB line: ERROR code=line-too-long" "^ERROR code=line-too-long" \
	"$(say "PING $(head -c 4096 /dev/zero | tr '\0' a)")"
t_match "a flood of 200 PINGs: answered up to the rate limit, then cut off" \
	"ERROR code=rate-limit" "$(say $(for i in $(seq 200); do echo PING; done))"
t_match "server-to-client verbs from a client are refused" "ERROR code=(not-registered|unexpected)" \
	"$(say "OFFER sid=0000000000000000 peer=bob secret=$(printf '%032d' 0) observed=192.0.2.9:1 cand=192.0.2.9:1")"
# Silent clients are dropped after the register timeout (2 s here would
# need a restart; the default is 10 s, so just check the log's reasons).
t_check "each refusal left a log line with its reason" \
	eval "grep -q 'event=auth-failed id=alice' $TMP/rdv.log &&
	      grep -q 'reason=malformed' $TMP/rdv.log &&
	      grep -q 'reason=line-too-long' $TMP/rdv.log &&
	      grep -q 'reason=rate-limit' $TMP/rdv.log"

# Hostile UDP: garbage to the STUN port is dropped (rate-limited log),
# and the server still answers the next real client.
ip netns exec "$PUB" python3 - <<'PY'
import socket, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(500):
    s.sendto(os.urandom(i % 60), ("192.0.2.1", 3478))
# A header that promises more than it carries, and a giant length field.
s.sendto(bytes.fromhex("000100102112a442") + os.urandom(12), ("192.0.2.1", 3478))
s.sendto(bytes.fromhex("0001fff02112a442") + os.urandom(12), ("192.0.2.1", 3478))
PY
out=$(in_b timeout 10 turnutils_stunclient -p 3478 192.0.2.1 2>&1)
t_match "after 502 bad datagrams the server still answers (bob: 203.0.113.1)" \
	"UDP reflexive addr: 203.0.113.1:[0-9]+" "$out"
t_check "bad datagrams were logged, rate-limited" grep -q 'event=stun-reject' "$TMP/rdv.log"
t_check "rendezvousd is still running" kill -0 "$RDV_PID"
rdv_stop
t_check "rendezvousd stops cleanly on SIGTERM" grep -q 'event=stop signal=Terminated' "$TMP/rdv.log"
t_done
