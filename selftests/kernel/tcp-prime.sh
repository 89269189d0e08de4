#!/bin/bash
# The module's TCP primes (NFPUNCH_CMD_TCP_PRIME_NEW/DEL, punchctl
# tcp-prime, libnfpunch nfp_tcp_prime_start) on two namespaces joined by
# a veth, no NAT: which SYNs leave short and which do not, IPv4 and IPv6,
# the peer's SYN ending the shortening (and forged segments that must
# not), the ICMP errors dropped, deadlines, limits, namespaces and every
# refusal. tcp-punch.sh shows what priming is for, through real
# NATs (the router's ICMP errors dropped included).
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/wait.sh"
. "$T_REPO/selftests/lib/netns.sh"
. "$T_REPO/selftests/lib/json-doc.sh"
A=nfp-tp-a-$$ B=nfp-tp-b-$$
TP=$T_BIN/selftests/tools/tcp-punch
S=000102030405060708090a0b0c0d0e0f
TMP=$(mktemp -d)
cleanup() { ns_del "$A" "$B"; rm -rf "$TMP"; }
trap cleanup EXIT
ns_pair "$A" "$B" 10.7.0.1/24 10.7.0.2/24 fd00:7::1/64 fd00:7::2/64 ||
	{ t_fail "two namespaces joined by a veth"; t_done; }
ca() { ip netns exec "$A" "$PUNCHCTL" "$@"; }
cb() { ip netns exec "$B" "$PUNCHCTL" "$@"; }
stat_a() { ca -j stats | jq -r ".$1"; }

# B counts the SYNs (without ACK) that reach it, by TTL or hop limit.
ip netns exec "$B" nft -f - <<'NFT'
table inet syns {
	counter short4 {}
	counter full4 {}
	counter short6 {}
	counter full6 {}
	chain input {
		type filter hook input priority -300; policy accept;
		tcp flags & (syn | ack) == syn ip ttl 1 counter name short4
		tcp flags & (syn | ack) == syn ip ttl > 1 counter name full4
		tcp flags & (syn | ack) == syn ip6 hoplimit 1 counter name short6
		tcp flags & (syn | ack) == syn ip6 hoplimit > 1 counter name full6
	}
}
NFT
syns() {
	ip netns exec "$B" nft -j list counters table inet syns |
		jq -r '[.nftables[] | .counter? // empty | "\(.name)=\(.packets)"] | join(" ")'
}
reset_syns() { ip netns exec "$B" nft reset counters table inet syns >/dev/null; }
# connect_from NS LOCAL PEER MS: SYNs from LOCAL to PEER for MS ms (the
# peer has no listener: each meets a RST and tcp-punch tries again).
connect_from() {
	ip netns exec "$1" "$TP" connect "$2" "$3" $S controlling timeout "$4" >/dev/null 2>&1
}

# --- what leaves short ----------------------------------------------------
# Primes of 30 s: the debug kernel takes seconds per step.
ca -j tcp-prime add local 10.7.0.1:4000 remote 10.7.0.2:5000 ttl 1 time 30s | jq -s . >"$TMP/add.json"
id=$(jq '.[0].id' "$TMP/add.json")
t_match "tcp-prime add (JSON) gives the prime's id" '^[1-9][0-9]*$' "$id"
schema "$T_REPO/helper/punchctl/punchctl.8" "TCP prime" "$TMP/add.json"
t_expect "stats count it" 1 "$(stat_a tcp_primes)"
reset_syns
connect_from "$A" 10.7.0.1:4000 10.7.0.2:5000 700
connect_from "$A" 10.7.0.1:4001 10.7.0.2:5000 300
connect_from "$A" 10.7.0.1:4000 10.7.0.2:5001 300
t_match "the primed port's SYNs to the primed peer arrive with TTL 1; another port's, or another peer's, at full TTL" \
	'^short4=[1-9][0-9]* full4=[1-9][0-9]* short6=0 full6=0$' "$(syns)"
short=$(stat_a tcp_prime_syns)
t_expect "the module counted each SYN it shortened (as B saw them)" \
	"$(syns | sed 's/^short4=\([0-9]*\) .*/\1/')" "$short"

# The peer's SYN (here one that meets a RST: no socket on A's port yet)
# means its side is open: ours must reach it now.
connect_from "$B" 10.7.0.2:5000 10.7.0.1:4000 300
reset_syns
connect_from "$A" 10.7.0.1:4000 10.7.0.2:5000 300
t_match "after the peer's SYN came, the primed port's SYNs leave at full TTL" \
	'^short4=0 full4=[1-9]' "$(syns)"
t_expect "tcp-prime del ends it" "0 0" \
	"$(ca tcp-prime del id "$id"; echo "$? $(stat_a tcp_primes)")"
err=$(ca tcp-prime del id "$id" 2>&1)
t_expect "deleting it again: exit 1, the kernel's reason" \
	"1 punchctl: cannot end the prime: no TCP prime has this id (it may have ended)" "$? $err"

reset_syns
id6=$(ca tcp-prime add local "[fd00:7::1]:4600" remote "[fd00:7::2]:5600" ttl 1 | sed -n 's/^id //p')
t_match "tcp-prime add (human), IPv6" '^[1-9][0-9]*$' "$id6"
connect_from "$A" "[fd00:7::1]:4600" "[fd00:7::2]:5600" 500
t_match "IPv6: the SYNs arrive with hop limit 1" '^short4=0 full4=0 short6=[1-9][0-9]* full6=0$' "$(syns)"
ca tcp-prime del id "$id6"

# --- the forger: what does not end the priming, what is dropped ----------
# B forges from the peer's endpoint (an off-path host that knows both
# endpoints could do the same through the NATs).
ATK=$T_REPO/selftests/tools/attacker.py
atk_b() { ip netns exec "$B" python3 "$ATK" "$@" >/dev/null; }
ida=$(ca tcp-prime add local 10.7.0.1:4400 remote 10.7.0.2:5400 ttl 1 time 30s | sed -n 's/^id //p')
for f in "SA good" "SF good" "SR good" "S bad"; do
	# shellcheck disable=SC2086 # flags and checksum, two words
	atk_b tcp 10.7.0.2:5400 10.7.0.1:4400 $f
done
reset_syns
connect_from "$A" 10.7.0.1:4400 10.7.0.2:5400 300
t_match "a SYN-ACK, a SYN with FIN or RST, a SYN with a wrong checksum from the peer's endpoint: still primed" \
	'^short4=[1-9][0-9]* full4=0 ' "$(syns)"
atk_b tcp 10.7.0.2:5400 10.7.0.1:4400 S good
reset_syns
connect_from "$A" 10.7.0.1:4400 10.7.0.2:5400 300
t_match "a well-formed SYN from it ends the priming (the forger's own check)" '^short4=0 full4=[1-9]' "$(syns)"
ca tcp-prime del id "$ida"
ida=$(ca tcp-prime add local 10.7.0.1:4400 remote 10.7.0.2:5400 ttl 1 time 30s | sed -n 's/^id //p')
icmp0=$(stat_a tcp_prime_icmp)
atk_b icmp-te 10.7.0.2 10.7.0.1 10.7.0.1:4400 10.7.0.2:5400 1
atk_b icmp-te 10.7.0.2 10.7.0.1 10.7.0.1:4401 10.7.0.2:5400 0
t_expect "a time exceeded in reassembly, or quoting another pair: not the prime's, passed" \
	"$icmp0" "$(stat_a tcp_prime_icmp)"
atk_b icmp-te 10.7.0.2 10.7.0.1 10.7.0.1:4400 10.7.0.2:5400 0
t_expect "one in transit quoting the primed pair: dropped" "$((icmp0 + 1))" "$(stat_a tcp_prime_icmp)"
ca tcp-prime del id "$ida"

# --- deadlines -------------------------------------------------------------
ca tcp-prime add local 10.7.0.1:4100 remote 10.7.0.2:5100 ttl 1 time 100ms >/dev/null
t_expect "a prime of 100 ms is alive at first" 1 "$(stat_a tcp_primes)"
ended() { [ "$(stat_a tcp_primes)" = 0 ]; }
t0=$(now_ms)
wait_for 80 ended
t1=$(now_ms)
t_check "and gone by itself, after its time and the 3 s grace for the last error ($((t1 - t0)) ms)" \
	test "$(stat_a tcp_primes)" = 0 -a $((t1 - t0)) -ge 2500
reset_syns
ca tcp-prime add local 10.7.0.1:4200 remote 10.7.0.2:5200 ttl 1 time 100ms >/dev/null
sleep 0.3
connect_from "$A" 10.7.0.1:4200 10.7.0.2:5200 300
t_match "past its time (still alive for errors), a prime shortens nothing" '^short4=0 full4=[1-9]' "$(syns)"

# --- refusals --------------------------------------------------------------
ca tcp-prime add local 10.7.0.1:4300 remote 10.7.0.2:5300 ttl 2 time 30s >/dev/null
err=$(ca tcp-prime add local 10.7.0.1:4300 remote 10.7.0.2:5300 ttl 3 2>&1)
t_expect "the same endpoints twice: refused" \
	"1 punchctl: cannot prime: these endpoints are primed already" "$? $err"
err=$(ca tcp-prime add local 10.7.0.2:4300 remote 10.7.0.2:5300 ttl 2 2>&1)
t_expect "a local address this host does not have: refused" \
	"1 punchctl: cannot prime: local address is not an address of this host" "$? $err"
err=$(ca tcp-prime add local 10.7.0.1:4300 remote "[fd00:7::2]:5300" ttl 2 2>&1)
t_expect "mixed families: refused" \
	"1 punchctl: cannot prime: not the local endpoint's address family" "$? $err"
ca tcp-prime add local 10.7.0.1:4300 remote 10.7.0.2:5300 ttl 0 >/dev/null 2>&1
t_expect "ttl 0 is a usage error (exit 2)" 2 "$?"
ca tcp-prime add local 10.7.0.1:4300 ttl 2 >/dev/null 2>&1
t_expect "no remote: a usage error" 2 "$?"

# Hand-made requests (genl-send: "error ERRNO EXTACK"). attr TYPE HEX:
# one attribute, little-endian header, padded.
attr() {
	local len=$((4 + ${#2} / 2)) pad
	pad=$(printf '%0*d' $(((4 - len % 4) % 4 * 2)) 0)
	[ "$pad" = 0 ] && pad=""
	printf '%02x%02x%02x%02x%s%s' $((len & 255)) $((len >> 8)) $(($1 & 255)) $(($1 >> 8)) "$2" "$pad"
}
ep4() { attr $((0x8000 | $1)) "$(attr 1 "$2")$(attr 3 "$3")"; }	# IPV4, PORT
prime() { attr $((0x8000 | 7)) "$1"; }	# NFPUNCH_A_TCP_PRIME
NEW=12 DEL=13
L=$(ep4 2 0a070001 1194) R=$(ep4 3 0a070002 1388)	# 10.7.0.1:4500 -> 10.7.0.2:5000
gs() { ip netns exec "$A" "$GENL_SEND" "$@"; }
t_expect "a new prime carrying an id: refused" "error 22 the prime id is chosen by the kernel" \
	"$(gs $NEW "$(prime "$(attr 1 07000000)$L$R$(attr 4 02)")")"
t_expect "a new prime without a TTL: refused" \
	"error 22 a TCP prime needs a local and a remote endpoint and a TTL" \
	"$(gs $NEW "$(prime "$L$R")")"
t_expect "TTL 0: out of range" "error 34 integer out of range" \
	"$(gs $NEW "$(prime "$L$R$(attr 4 00)")")"
t_expect "a time of 50 ms: out of range" "error 34 integer out of range" \
	"$(gs $NEW "$(prime "$L$R$(attr 4 02)$(attr 5 32000000)")")"
t_expect "a time of 31 s: out of range" "error 34 integer out of range" \
	"$(gs $NEW "$(prime "$L$R$(attr 4 02)$(attr 5 18790000)")")"
t_match "an attribute the prime does not have: refused" "^error 22 " \
	"$(gs $NEW "$(prime "$L$R$(attr 4 02)$(attr 9 01000000)")")"
t_expect "delete with a TTL: refused" "error 22 delete takes a prime id only" \
	"$(gs $DEL "$(prime "$(attr 1 01000000)$(attr 4 02)")")"
t_expect "delete without an id: refused" "error 22 delete needs the prime's id" \
	"$(gs $DEL "$(prime "")")"
t_expect "delete of an id no prime has" "error 2 no TCP prime has this id (it may have ended)" \
	"$(gs $DEL "$(prime "$(attr 1 ffffff7f)")")"
t_expect "none of the refusals left a prime behind (only 4300's)" 1 "$(stat_a tcp_primes)"
t_match "a well-formed request gets the id" "^reply 12" \
	"$(gs $NEW "$(prime "$L$R$(attr 4 02)$(attr 5 30750000)")")"

# --- limits and namespaces -------------------------------------------------
for p in $(seq 6001 $((6000 + 64 - $(stat_a tcp_primes)))); do
	echo "tcp-prime add local 10.7.0.1:$p remote 10.7.0.2:5000 ttl 2"
done | ip netns exec "$A" "$PUNCHCTL" -batch - >/dev/null
t_expect "64 primes alive in a namespace" 64 "$(stat_a tcp_primes)"
err=$(ca tcp-prime add local 10.7.0.1:6100 remote 10.7.0.2:5000 ttl 2 2>&1)
t_expect "the 65th is refused" "1 punchctl: cannot prime: too many TCP primes in this namespace" "$? $err"
t_expect "another namespace has its own primes and limit" "0 1" \
	"$(cb tcp-prime add local 10.7.0.2:5000 remote 10.7.0.1:6001 ttl 2 >/dev/null; echo "$? $(cb -j stats | jq .tcp_primes)")"
# The namespace goes with 64 primes alive: the kernel log check (the
# runner's) finds no warning and no leak.
ns_del "$A"
t_check "a namespace with 64 primes alive is deleted" eval "! ip netns list | grep -q '^$A\\b'"
# And one in this namespace, alive when the runner unloads the module
# after the script (its audit: clean unload, no leak).
t_match "a prime left alive for the module's unload" '^id [0-9]+$' \
	"$("$PUNCHCTL" tcp-prime add local 127.0.0.1:7000 remote 127.0.0.2:7001 ttl 1 time 30s)"
t_done
