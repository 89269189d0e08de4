#!/bin/bash
# TCP hole punching between two hosts behind real Linux NATs (issue 18):
# each side learns its port's TCP mapping from rendezvousd (STUN over TCP
# on the signaling port), then both connect() from that port to the
# other's at once and prove the session secret. The module takes part
# only in priming (its TCP prime).
#
# The race that Linux NATs punish applies to TCP too. With a firewall on
# the NAT (the topology's default) a SYN that arrives first is dropped
# and leaves nothing behind: a simultaneous open works in both orders. On
# a plain masquerade gateway the NAT's own stack answers it with a RST,
# and conntrack keeps an entry for it, so the late side's SYN leaves from
# another port and the punch fails. Priming: the side that starts first
# sends its SYNs with a TTL that crosses its own NAT and dies at the
# router beyond it (TTL 2 here) until the other side's SYN has come
# through; the other side connects as usual, and its SYN finds the first
# side's NAT open. With the module's prime that works in both orders on
# every NAT here; from userspace alone (IP_TTL) it cannot.
# vm-timeout: 300
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
rdv_up
SECRET=000102030405060708090a0b0c0d0e0f
TP=$T_BIN/selftests/tools/tcp-punch

t_expect "alice learns her port's TCP mapping from rendezvousd (STUN over TCP)" \
	"mapped 198.51.100.1:4000" "$(in_a "$TP" mapping 10.0.1.2:4000 192.0.2.1:3478)"
t_expect "and bob his" "mapped 203.0.113.1:5000" \
	"$(in_b "$TP" mapping 10.0.2.2:5000 192.0.2.1:3478)"

# punch FIRST PORT_A PORT_B [ALICE'S OPTIONS -- BOB'S OPTIONS]: both sides
# connect, FIRST (alice or bob) GAP seconds (1) before the other, each to the
# port the other's mapping announced (the NATs preserve ports). Sets RA
# and RB to their outputs (one line each: result, then what they heard).
punch() {
	local first=$1 pa=$2 pb=$3 ao=() bo=() side=a
	shift 3
	for o in "$@"; do
		if [ "$o" = -- ]; then side=b; continue; fi
		if [ $side = a ]; then ao+=("$o"); else bo+=("$o"); fi
	done
	run_a() {
		in_a "$TP" connect "10.0.1.2:$pa" "203.0.113.1:$pb" "${SEC_A:-$SECRET}" \
			controlling timeout 6000 "${ao[@]}" >"$TMP/ra" 2>&1
	}
	run_b() {
		in_b "$TP" connect "10.0.2.2:$pb" "198.51.100.1:$pa" "${SEC_B:-$SECRET}" \
			controlled timeout 6000 "${bo[@]}" >"$TMP/rb" 2>&1
	}
	if [ "$first" = alice ]; then
		run_a & p1=$!; sleep "${GAP:-1}"; run_b & p2=$!
	else
		run_b & p1=$!; sleep "${GAP:-1}"; run_a & p2=$!
	fi
	wait "$p1" "$p2"
	RA=$(tr '\n' ' ' <"$TMP/ra") RB=$(tr '\n' ' ' <"$TMP/rb")
}
both_ok() {
	[[ $RA == "ok "*" remote=203.0.113.1:$2 heard controlled " ]] &&
		[[ $RB == "ok "*" remote=198.51.100.1:$1 heard controlling " ]]
}
# show: both sides' outputs, for a failure's report.
show() { echo "alice: $RA"; echo "bob: $RB"; false; }
# times: how long each side took to its proven connection.
times() { echo "# alice: ${RA%% local=*}; bob: ${RB%% local=*}"; }

# --- firewalled NATs: a simultaneous open, both orders --------------------
punch alice 4100 5100
t_check "firewalled NATs, both connect, alice's SYN first: one connection, each heard the other" \
	eval "both_ok 4100 5100 || show"
punch bob 4110 5110
t_check "and bob's first" eval "both_ok 4110 5110 || show"
times

# --- a wrong secret: connected, not proven ---------------------------------
SEC_B=ffffffffffffffffffffffffffffffff punch alice 4130 5130
t_match "bob with another secret: alice refuses the connection" \
	'^fail error="Permission denied"' "$RA"
t_match "and bob too" '^fail error="Permission denied"' "$RB"

# --- plain masquerade gateways: the race, and priming ----------------------
ip netns exec "$NA" nft delete table inet filter
ip netns exec "$NB" nft delete table inet filter
# Unprimed, the early side's SYNs meet RSTs from the other NAT, each of
# which leaves a stale entry there. Its retries recreate that entry over
# and over, so the late side's SYN sometimes slips through a gap and
# sometimes leaves from another port: a matter of luck (see bench/).
punch alice 4200 5200
t_match "plain NATs, both connect, alice's SYN first: it meets RSTs from bob's NAT" \
	'refused=[1-9]' "$RA"
echo "# (and the punch: alice ${RA%% local=*}; bob ${RB%% local=*})"
punch bob 4250 5250 -- prime 2
t_match "bob first and primed (TTL 2), the router's ICMP reaching him: it aborts his connect()s" \
	'refused=[1-9]' "$RB"

# Two things stand in the way of priming from userspace alone, and the
# module's TCP prime (tcp-punch "kprime": NFPUNCH_CMD_TCP_PRIME_NEW) does
# them, with no host firewall rule:
# - the router beyond the NAT answers a primed SYN with ICMP time
#   exceeded, and Linux aborts a connect() on it (tcp_v4_err: fatal in
#   SYN_SENT and SYN_RECV): the module drops those errors;
# - IP_TTL also shortens the SYN-ACK the kernel sends the moment the
#   peer's SYN comes (in softirq, before userspace can restore the TTL):
#   it dies, but moves the NAT's entry on to SYN_RECV, where the peer's
#   next SYN is invalid and meets a RST. The module shortens only pure
#   SYNs, and none once the peer's SYN has come; the socket keeps its
#   own TTL.
punch bob 4300 5300 -- kprime 2
t_check "plain NATs, bob first and primed by the module (TTL 2): connected" \
	eval "both_ok 4300 5300 || show"
times
punch alice 4310 5310 kprime 2
t_check "and the other order: alice first and primed" \
	eval "both_ok 4310 5310 || show"
times
# 3.5 s: past the primed side's SYN resends at 1 and 3 s (6.1 backs off).
GAP=3.5 punch bob 4330 5330 -- kprime 2
t_check "bob primed, alice 3.5 s later: connected" eval "both_ok 4330 5330 || show"
times
stats_b() { in_b "$PUNCHCTL" -j stats | jq -r "$1"; }
t_expect "bob's module shortened his SYNs and dropped the router's errors; no prime outlives its punch" \
	"true true 0" "$(stats_b '"\(.tcp_prime_syns > 0) \(.tcp_prime_icmp > 0) \(.tcp_primes)"')"
punch bob 4320 5320 -- kprime 3
t_match "a TTL one hop too long (3) reaches alice's NAT: no priming, bob meets her NAT's RSTs" \
	'refused=[1-9]' "$RB"
t_done
