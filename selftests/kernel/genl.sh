#!/bin/bash
# The generic netlink family: reachable, namespaced, admin-only, strict.
. "$(dirname "$0")/../lib/test.sh"

cleanup() { ip netns del nfp-genl 2>/dev/null; }
trap cleanup EXIT

out=$("$PUNCHCTL" stats 2>&1)
t_match "stats answers with the module version" \
	"^version $(modinfo -F version "$NFP_MODULE")\$" "$(echo "$out" | head -1)"

json=$("$PUNCHCTL" -j stats 2>&1)
t_expect "stats -j is JSON with no flows" 0 "$(echo "$json" | jq -e .flows 2>&1)"

ip netns add nfp-genl
t_check "the family answers in another network namespace" \
	ip netns exec nfp-genl "$PUNCHCTL" stats

t_check "a user namespace that owns its network namespace is admin there" \
	unshare --user --map-root-user --net "$PUNCHCTL" stats

err=$(unshare --user --map-root-user "$PUNCHCTL" stats 2>&1)
rc=$?
t_expect "root of a user namespace that does not own the netns is refused" \
	"1 punchctl: cannot read statistics: Operation not permitted" "$rc $err"

err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PUNCHCTL" stats 2>&1)
rc=$?
t_expect "an unprivileged user is refused" \
	"1 punchctl: cannot read statistics: Operation not permitted" "$rc $err"

# Hand-made requests (genl-send prints "error ERRNO EXTACK").
t_expect "an attribute the request must not carry is rejected with a reason" \
	"error 22 the version is reported, not set" \
	"$("$GENL_SEND" 1 0600010078000000)"
t_expect "an unknown attribute is rejected" \
	"error 22 Unknown attribute type" \
	"$("$GENL_SEND" 1 0800630001000000)"
t_expect "a truncated attribute is rejected" \
	"error 22 bytes leftover after parsing attributes" \
	"$("$GENL_SEND" 1 08000200)"
t_expect "a non-zero reserved header field is rejected" \
	"error 22 genlmsghdr.reserved field is not 0" "$("$GENL_SEND" -r 1 1)"
t_expect "an unknown command is refused" \
	"error 95 " "$("$GENL_SEND" 200)"

# Flow commands take only what they use (NFPUNCH_A_FLOW payloads).
t_expect "get refuses a keepalive" "error 22 get takes a flow id only" \
	"$("$GENL_SEND" 4 1400038008000100010000000800060088130000)"
t_expect "delete refuses a keepalive" \
	"error 22 delete takes an id, or a local endpoint and/or an app tag" \
	"$("$GENL_SEND" 3 1400038008000100010000000800060088130000)"
t_expect "delete refuses a role" \
	"error 22 delete takes an id, or a local endpoint and/or an app tag" \
	"$("$GENL_SEND" 3 1400038008000100010000000500130001000000)"
# The application tag (FLOW_A_APP_TAG 21 = 7, beside ID 1): set at
# creation only, a filter of dumps and deletes, never of get.
idtag=1400038008000100010000000800150007000000
t_expect "set refuses an app tag: fixed for the life of the flow" \
	"error 95 fixed for the life of a flow: delete it and add a new one" \
	"$("$GENL_SEND" 5 $idtag)"
t_expect "get refuses an app tag (a dump filters)" \
	"error 22 get takes a flow id only (dump to filter)" "$("$GENL_SEND" 4 $idtag)"
t_expect "delete refuses an id with an app tag" \
	"error 22 delete by an id or by a filter (local endpoint, app tag), not both" \
	"$("$GENL_SEND" 3 $idtag)"
t_expect "delete refuses a state" "error 22 delete does not filter on the state" \
	"$("$GENL_SEND" 3 0c00038005000b0001000000)"
t_expect "delete by an app tag no flow has" "error 2 no flow matches" \
	"$("$GENL_SEND" 3 0c0003800800150007000000)"
# 6.1 gives a dump's start no extack (cb->extack is set only while dumping).
t_expect "a dump refuses an id" "error 22 " \
	"$("$GENL_SEND" -f 0x304 4 0c0003800800010001000000)"
new=400003801400028008000100c0000201060003000fa000001400038008000100c6336407060003001388000014000500000102030405060708090a0b0c0d0e0f
t_expect "a new flow needs a role" \
	"error 22 a flow needs a role (controlling or controlled)" "$("$GENL_SEND" 2 "$new")"
t_expect "a role other than controlling or controlled is refused" \
	"error 34 integer out of range" "$("$GENL_SEND" 2 "${new/#4000/4800}0500130003000000")"

# Priming: PRIME_TTL (22, u8) and PRIME_TIME (23, u32 ms), both or neither.
# new_with ATTRS: $new (192.0.2.1:4000, not ours: the checks come first)
# with role controlling and ATTRS added to its flow nest.
new_with() {
	local extra=0500130001000000$1 len
	len=$((0x40 + ${#extra} / 2))
	printf '%02x%02x%s%s' $((len & 255)) $((len >> 8)) "${new:4}" "$extra"
}
ttl2=0500160002000000 t100=0800170064000000
t_expect "a prime TTL without a prime time is refused" \
	"error 22 priming needs both a TTL and a time" "$("$GENL_SEND" 2 "$(new_with $ttl2)")"
t_expect "a prime time without a prime TTL is refused" \
	"error 22 priming needs both a TTL and a time" "$("$GENL_SEND" 2 "$(new_with $t100)")"
t_expect "a prime TTL of 0 is refused" "error 34 integer out of range" \
	"$("$GENL_SEND" 2 "$(new_with 0500160000000000$t100)")"
t_expect "a prime time over 10 s is refused" "error 34 integer out of range" \
	"$("$GENL_SEND" 2 "$(new_with ${ttl2}0800170011270000)")"
t_expect "priming that outlasts the punch timeout is refused" \
	"error 22 priming must end before the punch timeout" \
	"$("$GENL_SEND" 2 "$(new_with ${ttl2}08001700e803000008000800e8030000)")"
t_expect "a passive flow cannot prime" \
	"error 22 a passive flow sends no probes to prime with" \
	"$("$GENL_SEND" 2 "$(new_with ${ttl2}${t100}08000a0002000000)")"
t_expect "valid priming passes the checks (then the address is not ours)" \
	"error 99 local address is not an address of this host" \
	"$("$GENL_SEND" 2 "$(new_with ${ttl2}${t100})")"
t_expect "set refuses priming: fixed for the life of the flow" \
	"error 95 fixed for the life of a flow: delete it and add a new one" \
	"$("$GENL_SEND" 5 140003800800010001000000${ttl2})"
t_expect "get refuses priming" "error 22 get takes a flow id only" \
	"$("$GENL_SEND" 4 140003800800010001000000${ttl2})"
t_expect "delete refuses priming" \
	"error 22 delete takes an id, or a local endpoint and/or an app tag" \
	"$("$GENL_SEND" 3 140003800800010001000000${ttl2})"
# Nomination: FLAGS (10) may carry CANDIDATE (4); NOMINATE (24, a flag)
# is FLOW_SET's only.
nominate=04001800
t_expect "a new flow refuses nominate" \
	"error 22 nominate is for flow set: a new flow is nominated unless a candidate" \
	"$("$GENL_SEND" 2 "$(new_with $nominate)")"
t_expect "the candidate flag passes the checks (then the address is not ours)" \
	"error 99 local address is not an address of this host" \
	"$("$GENL_SEND" 2 "$(new_with 08000a0004000000)")"
t_expect "a flag the module does not know is refused (punchd relies on the words)" \
	"error 22 reserved bit set" "$("$GENL_SEND" 2 "$(new_with 08000a0008000000)")"
t_expect "get refuses nominate" "error 22 get takes a flow id only" \
	"$("$GENL_SEND" 4 100003800800010001000000$nominate)"
t_expect "delete refuses nominate" \
	"error 22 delete takes an id, or a local endpoint and/or an app tag" \
	"$("$GENL_SEND" 3 100003800800010001000000$nominate)"
t_expect "nominate carries no payload" "error 34 " \
	"$("$GENL_SEND" 5 1400038008000100010000000800180001000000 | cut -c1-9)"
# PEER 198.51.100.7:5000, then PEER 198.51.100.7:1-65535: 65536 targets,
# which a 16-bit sum would read as 0.
wrap=1c00038008000100c6336407060003000001000006000400ffff0000
ip -n nfp-genl link set lo up
ip -n nfp-genl addr add 192.0.2.1/32 dev lo
t_expect "4096 targets in all, however the ranges add up" \
	"error 7 too many punch targets (at most 4096 ports in all)" \
	"$(ip netns exec nfp-genl "$GENL_SEND" 2 "$(new_with "$wrap")")"

t_done
