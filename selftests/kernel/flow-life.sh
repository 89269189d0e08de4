#!/bin/bash
# Flow lifetimes under stress: an owned flow dies with its socket however
# its process ends; several processes add, delete and dump at once without
# an error or a torn dump; a namespace deleted while its flows punch and a
# mapping query waits leaves nothing behind (the audit after this script
# checks the kernel log and the unload).
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/wait.sh"
NS=nfp-life-$$
GONE=nfp-life-gone-$$
S=000102030405060708090a0b0c0d0e0f
OWNED=$T_BIN/selftests/tools/owned-flow
CHURN=$T_BIN/selftests/tools/churn
TMP=$(mktemp -d)
cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip netns del "$GONE" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 192.0.2.10/32 dev lo
in_ns() { ip netns exec "$NS" "$@"; }
flows() { in_ns "$PUNCHCTL" -j stats | jq .flows; }

# wait_flows N: up to 5 s for the namespace to hold N flows.
has_flows() { [ "$(flows)" = "$1" ]; }
wait_flows() { wait_for 50 has_flows "$1"; }

# --- Owned flows ---
timeout 300 ip netns exec "$NS" "$PUNCHCTL" -j monitor >"$TMP/events" &
mon=$!
wait_event_listeners "$NS" 1
mkfifo "$TMP/in"
in_ns "$OWNED" 192.0.2.10:4000 198.51.100.7:5000 $S <"$TMP/in" >"$TMP/id" &
owner=$!
exec 7>"$TMP/in"
wait_nonempty "$TMP/id"
id=$(cat "$TMP/id")
t_match "an owned flow is added" '^[0-9]+$' "$id"
t_expect "it lives while its owner runs" "punching" \
	"$(in_ns "$PUNCHCTL" -j flow show id "$id" | jq -r '.[0].state')"
exec 7>&-
wait "$owner"
t_check "it is gone once its owner exits" wait_flows 0

mkfifo "$TMP/in2"
in_ns "$OWNED" 192.0.2.10:4001 198.51.100.7:5000 $S <"$TMP/in2" >"$TMP/id2" &
owner=$!
exec 8>"$TMP/in2"	# held open: only the kill can end it
wait_nonempty "$TMP/id2"
t_expect "a second owned flow is live" "1" "$(flows)"
{
	kill -9 "$owner"
	wait "$owner"
} 2>/dev/null
exec 8>&-
t_check "it is gone when its owner is killed" wait_flows 0
# Up to 5 s for both deletions to reach the monitor.
two_deleted() {
	[ "$(jq -r 'select(.event == "deleted") | .flow.id' "$TMP/events" 2>/dev/null |
		wc -l)" -ge 2 ]
}
wait_for 50 two_deleted
kill "$mon" 2>/dev/null
wait "$mon" 2>/dev/null
t_expect "monitor saw both flows deleted" "$(printf '%s\n%s' "$id" "$(cat "$TMP/id2")")" \
	"$(jq -r 'select(.event == "deleted") | .flow.id' "$TMP/events" | sort -n)"

# --- Concurrent add/del/dump from several processes ---
pids=()
for w in 0 1 2 3; do
	in_ns "$CHURN" add-del 192.0.2.10 $((20000 + w * 64)) 5 >"$TMP/churn-$w" 2>&1 &
	pids+=($!)
done
for w in 4 5; do
	in_ns "$CHURN" dump 5 >"$TMP/churn-$w" 2>&1 &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do
	wait "$p" || failed=$((failed + 1))
done
t_expect "4 writers and 2 dumpers for 5 s: no process failed" "0" "$failed"
t_match "every writer made progress without errors" \
	'^(ops=[1-9][0-9]* errors=0 intr=0 ){4}$' \
	"$(cat "$TMP"/churn-[0-3] | tr '\n' ' ')"
t_match "every dumper finished dumps, none torn or duplicated" \
	'^(ops=[1-9][0-9]* errors=0 intr=[0-9]+ ){2}$' \
	"$(cat "$TMP"/churn-[45] | tr '\n' ' ')"
t_expect "the table is empty afterwards" "0" "$(flows)"
printf '# %s\n' "$(cat "$TMP"/churn-* | tr '\n' ' ')"

# --- A namespace deleted while its flows punch ---
ip netns add "$GONE"
ip -n "$GONE" link set lo up
ip -n "$GONE" addr add 192.0.2.20/32 dev lo
ip -n "$GONE" route add 198.51.100.0/24 dev lo
# One process for all of them: 200 punchctl runs take minutes in the
# debug lane's guest.
t_check "200 flows punch in a namespace about to go" \
	ip netns exec "$GONE" "$T_BIN/bench/flowbench" add 200 192.0.2.20 198.51.100.9 \
	--first-port 30000 --ports 200 --active
ip netns exec "$GONE" "$PUNCHCTL" mapping local 192.0.2.20:31000 \
	server 198.51.100.9:3478 timeout 3s >/dev/null 2>&1 &
query=$!
sleep 0.5
sent=$(ip netns exec "$GONE" "$PUNCHCTL" -j stats | jq .probes_sent)
t_match "they are sending probes" '^[1-9][0-9]*$' "$sent"
t_check "the namespace is deleted under them" ip netns del "$GONE"
wait "$query"
t_expect "the other namespace is untouched" "0" "$(flows)"

# --- A dump torn by changes says so (NLM_F_DUMP_INTR) ---
# 1500 quiet flows make a dump span many messages; writers change the
# table between them, and each message after a change must carry the
# flag in its own header (written before the buffer, it was lost).
FLOWBENCH=$T_BIN/bench/flowbench
t_check "1500 passive flows for a long dump" \
	in_ns "$FLOWBENCH" add 1500 192.0.2.10 198.51.100.7 --first-port 40000 --ports 1500
pids=()
for w in 0 1; do
	in_ns "$CHURN" add-del 192.0.2.10 $((20000 + w * 64)) 4 >"$TMP/intr-$w" 2>&1 &
	pids+=($!)
done
in_ns "$CHURN" dump 4 >"$TMP/intr-2" 2>&1 &
pids+=($!)
in_ns "$CHURN" dump-raw 4 >"$TMP/intr-3" 2>&1 &
pids+=($!)
for p in "${pids[@]}"; do
	wait "$p"
done
t_match "dumps across concurrent changes are marked interrupted, never torn" \
	'^ops=[0-9]+ errors=0 intr=[1-9][0-9]*$' "$(cat "$TMP/intr-2")"
t_match "the flag is on the flow messages after a change, not only on DONE" \
	'^dumps=[1-9][0-9]* intr_msgs=[1-9][0-9]* intr_done=[0-9]+ errors=0$' \
	"$(cat "$TMP/intr-3")"
t_expect "the 1500 flows are still there" "1500" "$(flows)"
printf '# %s\n' "$(cat "$TMP"/intr-* | tr '\n' ' ')"
t_done
