#!/bin/bash
# FLOW_NEW_BATCH and nfp_flow_add_batch(): many flows in one request, all
# or none. A flow the kernel refuses anywhere in the call (in the first
# request or a later one, for its own fault or the namespace's limit)
# leaves no flow of the call behind, and the error names that flow. The
# flows of a refused batch never sent a probe: they are held until the
# whole batch stands. Batched flows stay for the unload audit.
. "$(dirname "$0")/../lib/test.sh"
NS=nfp-batch-$$
BATCH=$T_BIN/selftests/tools/flow-batch
EVENTS=$(mktemp)
cleanup() { ip netns del "$NS" 2>/dev/null; rm -f "$EVENTS"; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
# Probes to the peer leave through a veth whose other end is up and
# quiet: sent, and dropped. (The debug kernel has veth, not dummy.)
ip -n "$NS" link add d0 type veth peer name d1
ip -n "$NS" addr add 192.0.2.20/24 dev d0
ip -n "$NS" addr add fd00:20::1/64 dev d0 nodad
ip -n "$NS" link set d1 up
ip -n "$NS" link set d0 up
ip -n "$NS" neigh add 192.0.2.99 lladdr 02:00:00:00:00:99 dev d0 nud permanent
ip -n "$NS" neigh add fd00:20::99 lladdr 02:00:00:00:00:99 dev d0 nud permanent
L=192.0.2.20:4000 P=192.0.2.99:5000
batch() { ip netns exec "$NS" "$BATCH" "$@" 2>&1; }
flows() { ip netns exec "$NS" "$PUNCHCTL" -j stats | jq .flows; }
stat() { ip netns exec "$NS" "$PUNCHCTL" -j stats | jq ".$1"; }

t_expect "1000 flows in one call (4 requests): 1000 ids, each in its flow's place" \
	"ok 1000 distinct 1000 ordered 1000" "$(batch $L $P 1000)"
t_expect "the namespace holds them" 1000 "$(flows)"
ip netns exec "$NS" "$PUNCHCTL" flow del local $L
t_expect "deleted by their local endpoint" 0 "$(flows)"

t_expect "a bad flow in the first request: named, and nothing made" \
	"error EAFNOSUPPORT failed 100: flow 100: peer and local address families differ / 0" \
	"$(batch $L $P 200 --break 100:family) / $(flows)"
t_expect "a bad flow in the third request: the first two are undone" \
	"error EAFNOSUPPORT failed 600: flow 600: peer and local address families differ / 0" \
	"$(batch $L $P 700 --break 600:family) / $(flows)"
t_expect "a flow the batch already holds (same endpoint and secret)" \
	"error EEXIST failed 50: flow 50: a flow with this local endpoint and secret exists / 0" \
	"$(batch $L $P 100 --break 50:dup) / $(flows)"
t_expect "a flow without a local endpoint" \
	"error EINVAL failed 3: flow 3: a flow needs a local endpoint / 0" \
	"$(batch $L $P 10 --break 3:nolocal) / $(flows)"

t_expect "a batch that meets a flow already there: refused, and that flow stays" \
	"ok 1 distinct 1 ordered 1 / error EEXIST failed 0: flow 0: a flow with this local endpoint and secret exists / 1" \
	"$(batch $L $P 1) / $(batch $L $P 10) / $(flows)"
ip netns exec "$NS" "$PUNCHCTL" flow del local $L
t_expect "IPv6: 300 flows in one call" "ok 300 distinct 300 ordered 300 / 300" \
	"$(batch '[fd00:20::1]:4000' '[fd00:20::99]:5000' 300) / $(flows)"
ip netns exec "$NS" "$PUNCHCTL" flow del local '[fd00:20::1]:4000'

ip netns exec "$NS" "$PUNCHCTL" config set max-flows 300 >/dev/null
t_expect "the namespace's limit reached at flow 300: nothing made" \
	"error ENOSPC failed 300: flow 300: flow limit of this namespace reached / 0" \
	"$(batch $L $P 400) / $(flows)"
t_expect "a batch within the limit still fits" "ok 300 distinct 300 ordered 300 / 300" \
	"$(batch $L $P 300) / $(flows)"
ip netns exec "$NS" "$PUNCHCTL" flow del local $L
ip netns exec "$NS" "$PUNCHCTL" config set max-flows 65536 >/dev/null

sent=$(stat probes_sent)
ip netns exec "$NS" "$PUNCHCTL" -j monitor >"$EVENTS" 2>&1 &
mon=$!
sleep 0.5
t_expect "255 active flows refused at the last: nothing made" \
	"error EAFNOSUPPORT failed 255: flow 255: peer and local address families differ / 0" \
	"$(batch $L $P 256 --active --break 255:family) / $(flows)"
sleep 0.5
t_expect "and none of them sent a probe (held until the batch stands)" \
	"$sent" "$(stat probes_sent)"
kill $mon 2>/dev/null
wait $mon 2>/dev/null
t_expect "nor did the refused batches say anything to listeners" "" "$(cat "$EVENTS")"
t_expect "256 active flows in one request" "ok 256 distinct 256 ordered 256" \
	"$(batch $L $P 256 --active)"
sleep 1
t_check "they probe once made ($(stat probes_sent) probes)" \
	test "$(stat probes_sent)" -ge $((sent + 256))
ip netns exec "$NS" "$PUNCHCTL" flow del local $L

# What only a hand-made request can say.
t_expect "an empty batch is refused" \
	"error EINVAL failed -1: a batch needs at least one flow" \
	"$(batch $L $P 0 --raw)"
t_expect "more than 256 flows in one request are refused" \
	"error E2BIG failed -1: too many flows in one batch (at most 256) / 0" \
	"$(batch $L $P 257 --raw) / $(flows)"
t_expect "a non-admin caller is refused" \
	"error EPERM failed -1: Operation not permitted" \
	"$(ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BATCH" $L $P 10 2>&1)"

# Left alive for the unload audit.
t_expect "1024 flows by flowbench's batches of 512" 1024 \
	"$(ip netns exec "$NS" "$T_BIN/bench/flowbench" add 1024 192.0.2.20 192.0.2.99 \
		--batch 512 >/dev/null; flows)"
trap - EXIT
t_done
