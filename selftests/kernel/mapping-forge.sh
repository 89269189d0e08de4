#!/bin/bash
# A mapping query's answer carries no MESSAGE-INTEGRITY: its transaction
# id is all that keeps an off-path forger from choosing the address we
# report. The id is 96 random bits (RFC 8489 section 5), the same for
# every retransmission of a query (section 6.2.1), new for every query,
# and only an exact copy from the server's own endpoint is taken.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/netns.sh"
. "$T_REPO/selftests/lib/wait.sh"
A=nfp-mapf-a-$$
S=nfp-mapf-s-$$
EVIL=$T_REPO/selftests/tools/attacker.py
TMP=$(mktemp -d)
cleanup() {
	ns_del "$A" "$S"
	rm -rf "$TMP"
}
trap cleanup EXIT
in_a() { ip netns exec "$A" "$@"; }
# ep ADDR PORT: the endpoint as punchctl writes it.
ep() { case $1 in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }

ns_pair "$A" "$S" 10.10.0.1/24 10.10.0.2/24 fd00:10::1/64 fd00:10::2/64 ||
	{ t_fail "two namespaces come up"; t_done; }

for fam in 4 6; do
	if [ $fam = 4 ]; then la=10.10.0.1 srv=10.10.0.2
	else la=fd00:10::1 srv=fd00:10::2; fi
	log=$TMP/requests$fam
	# Killed once both queries are done; 30 s is only the bound (the
	# debug lane's guest is slow).
	ip netns exec "$S" "$EVIL" forge "$srv" 3478 30 "$log" >"$TMP/forge$fam" &
	forge_pid=$!
	wait_udp_bound "$S" 3479
	for lport in 4300 4301; do
		out=$(in_a "$PUNCHCTL" -j mapping local "$(ep $la $lport)" \
			server "$(ep $srv 3478)" timeout 4s 2>&1)
		t_expect "ipv$fam: query $lport: forged answers are ignored, the true one is taken" \
			"$(ep $la $lport)" "$(jq -r .mapped <<<"$out" 2>/dev/null || echo "$out")"
		t_expect "ipv$fam: query $lport: answered after a resend, so no RTT (Karn)" \
			null "$(jq -r .rtt_us <<<"$out" 2>/dev/null || echo "$out")"
	done
	kill "$forge_pid" 2>/dev/null
	wait "$forge_pid" 2>/dev/null
	first=$(ep $la 4300) second=$(ep $la 4301)
	n1=$(awk -v c="$first" '$1 == c' "$log" | wc -l)
	u1=$(awk -v c="$first" '$1 == c { print $2 }' "$log" | sort -u | wc -l)
	t_expect "ipv$fam: the query was retransmitted before its answer" yes \
		"$([ "$n1" -ge 2 ] && echo yes || echo "no: $n1 requests")"
	t_expect "ipv$fam: its retransmissions reuse its transaction id" 1 "$u1"
	t1=$(awk -v c="$first" '$1 == c { print $2; exit }' "$log")
	t2=$(awk -v c="$second" '$1 == c { print $2; exit }' "$log")
	t_expect "ipv$fam: a new query has a new 96-bit id" yes \
		"$([ ${#t1} = 24 ] && [ ${#t2} = 24 ] && [ "$t1" != "$t2" ] && echo yes || echo "no: '$t1' '$t2'")"
done

t_done
