#!/bin/bash
# Flow commands through netlink: bad input gets the right errno and the
# kernel's own reason, and changes nothing; the module unloads with live
# flows (the audit after this script checks that it does so cleanly).
. "$(dirname "$0")/../lib/test.sh"
NS=nfp-flownl-$$
S=000102030405060708090a0b0c0d0e0f
cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 192.0.2.10/32 dev lo
ctl() { ip netns exec "$NS" "$PUNCHCTL" "$@" 2>&1; echo "rc=$?"; }

t_expect "a local address the host does not have is refused" \
	"punchctl: cannot add the flow: local address is not an address of this host rc=1" \
	"$(ctl flow add local 198.51.100.9:4000 peer 203.0.113.1:5000 secret $S role controlling | xargs)"
t_expect "keepalive not shorter than the timeout is refused" \
	"punchctl: cannot add the flow: keepalive must be shorter than the timeout rc=1" \
	"$(ctl flow add local 192.0.2.10:4000 peer 203.0.113.1:5000 secret $S role controlling keepalive 30s timeout 20s | xargs)"
t_expect "an out-of-range keepalive is refused by the policy" \
	"punchctl: cannot add the flow: integer out of range rc=1" \
	"$(ctl flow add local 192.0.2.10:4000 peer 203.0.113.1:5000 secret $S role controlling keepalive 10ms | xargs)"
t_expect "mixed address families are refused" \
	"punchctl: cannot add the flow: peer and local address families differ rc=1" \
	"$(ctl flow add local 192.0.2.10:4000 peer '[fd00::1]:5000' secret $S role controlling | xargs)"
t_expect "a secret of the wrong length never reaches the kernel" \
	"punchctl: invalid secret: want 16 to 32 bytes in hex (try punchctl --help) rc=2" \
	"$(ctl flow add local 192.0.2.10:4000 peer 203.0.113.1:5000 secret 0011 | xargs)"
t_expect "nothing was created by the refused requests" "0" \
	"$(ip netns exec "$NS" "$PUNCHCTL" -j stats | jq .flows)"

id=$(ip netns exec "$NS" "$PUNCHCTL" -j flow add local 192.0.2.10:4000 \
	peer 203.0.113.1:5000 peer-range 203.0.113.2:6000-6003 secret $S role controlling | jq .id)
t_match "a good flow is added and punching" '^[0-9]+ punching$' \
	"$id $(ip netns exec "$NS" "$PUNCHCTL" -j flow show id "$id" | jq -r '.[0].state')"
t_expect "the same local endpoint and secret twice is refused" \
	"punchctl: cannot add the flow: a flow with this local endpoint and secret exists rc=1" \
	"$(ctl flow add local 192.0.2.10:4000 peer 203.0.113.1:5000 secret $S role controlling | xargs)"
t_expect "an unknown flow id is refused" \
	"punchctl: cannot delete: no such flow rc=1" "$(ctl flow del id 99999 | xargs)"
t_expect "set: a keepalive beyond the flow's timeout is refused" "rc=1" \
	"$(ctl flow set id "$id" keepalive 100s | tail -1)"
t_expect "a non-admin caller is refused" \
	"punchctl: cannot add the flow: Operation not permitted rc=1" \
	"$( (ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PUNCHCTL" flow add local 192.0.2.10:4001 peer 203.0.113.1:5000 secret $S role controlling 2>&1
	     echo "rc=$?") | xargs)"

# Deleting by local endpoint takes exactly that endpoint's flows: not the
# same port on another address or family, not another port.
ip -n "$NS" addr add 192.0.2.11/32 dev lo
fb() { ip netns exec "$NS" "$T_BIN/bench/flowbench" add "$@" >/dev/null; }
fb 3 192.0.2.10 203.0.113.1 --first-port 4100 --ports 1 --start 0
fb 2 192.0.2.10 203.0.113.1 --first-port 4101 --ports 1 --start 10
fb 2 192.0.2.11 203.0.113.1 --first-port 4100 --ports 1 --start 20
fb 1 ::1 ::1 --first-port 4100 --ports 1 --start 30
per_local() {
	ip netns exec "$NS" "$PUNCHCTL" -j flow show |
		jq -r '[.[].local] | group_by(.) | map("\(.[0])=\(length)") | join(" ")'
}
t_expect "four endpoints hold 3, 2, 2 and 1 flows (and the earlier one)" \
	"192.0.2.10:4000=1 192.0.2.10:4100=3 192.0.2.10:4101=2 192.0.2.11:4100=2 [::1]:4100=1" \
	"$(per_local)"
t_expect "flow del local takes the three of its endpoint" "rc=0" \
	"$(ctl flow del local 192.0.2.10:4100 | xargs)"
t_expect "and only them" \
	"192.0.2.10:4000=1 192.0.2.10:4101=2 192.0.2.11:4100=2 [::1]:4100=1" \
	"$(per_local)"
t_expect "an endpoint without flows: nothing to delete" \
	"punchctl: cannot delete: no flow matches rc=1" \
	"$(ctl flow del local 192.0.2.10:4100 | xargs)"
for ep in 192.0.2.10:4101 192.0.2.11:4100 '[::1]:4100'; do
	ip netns exec "$NS" "$PUNCHCTL" flow del local "$ep"
done
t_expect "the rest deleted endpoint by endpoint" "192.0.2.10:4000=1" "$(per_local)"

# Leave 300 live, punching flows behind for the unload audit (from one
# process: 300 punchctl runs take minutes in the debug lane's guest).
ip netns exec "$NS" "$T_BIN/bench/flowbench" add 300 192.0.2.10 203.0.113.1 \
	--first-port 10000 --ports 300 --active >/dev/null
t_expect "300 more flows are live in the namespace" "301" \
	"$(ip netns exec "$NS" "$PUNCHCTL" -j stats | jq .flows)"
t_expect "a dump lists all of them" "301" \
	"$(ip netns exec "$NS" "$PUNCHCTL" -j flow show | jq length)"
trap - EXIT	# the namespace and its flows stay for the unload audit
t_done
