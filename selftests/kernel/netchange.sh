#!/bin/bash
# A network change: alice's host (which keeps bob connected, --connect)
# gets another address and loses the old one, as after a move to
# another network. punchd sees it (rtnetlink),
# makes its server link again, and punches bob again from the new
# address; the applications talk again. A change that does not touch
# the way to the server (a container bridge appearing) changes nothing.
# A call made right after the move waits for the new network's NAT
# discovery: what punchd knew of the old one is forgotten.
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
rdv_up
# Alice keeps bob connected from the start (--connect): no command.
pd_start "$B" bob 5000
pd_start "$A" alice 4000 --connect bob
t_check "both punchd register" eval "pd_registered alice && pd_registered bob"
up_first() { grep -q 'event=up peer=bob mode=direct .*local=10\.0\.1\.2:4000' "$TMP/alice.log"; }
t_check "--connect bob: alice is up with bob directly, unasked" wait_for 200 up_first

# Not the way to the server: nothing to do.
ip -n "$A" link add docker0 type bridge && ip -n "$A" addr add 172.17.0.1/16 dev docker0 &&
	ip -n "$A" link set docker0 up
sleep 2.5
t_expect "a new bridge elsewhere is no network change" "0" \
	"$(grep -c 'event=network-changed' "$TMP/alice.log")"

# The move: a new address, the old one gone (the route follows; the new
# one must survive the old primary's removal).
ip netns exec "$A" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
ip -n "$A" addr add 10.0.1.3/24 dev eth0
ip -n "$A" addr del 10.0.1.2/24 dev eth0
ip -n "$A" route replace default via 10.0.1.1 src 10.0.1.3
t_check "punchd sees the network change" \
	wait_for 100 grep -q 'event=network-changed source=10.0.1.2->10.0.1.3 ' "$TMP/alice.log"
t_check "it registers again" pd_registered alice 2
# The old network's NAT result is forgotten: a call made now waits for
# the new one (its filtering tests take 1.4 s behind alice's firewall).
pd "$A" alice disconnect bob >/dev/null
pd "$A" alice connect bob >"$TMP/connect.moved" &
cm=$!
t_check "a call right after the move waits for the new network's discovery" \
	wait_for 50 eval "sed -n '/command=connect peer=bob/,\$p' $TMP/alice.log | grep -q 'event=nat-wait peer=bob'"
wait "$cm"
t_match "and is answered once it is over" "^ok peer=bob mode=" "$(cat "$TMP/connect.moved")"
up_again() { grep -q 'event=up peer=bob mode=direct .*local=10\.0\.1\.3:4000' "$TMP/alice.log"; }
t_check "and is up with bob again, directly, from the new address" wait_for 300 up_again
pb2=$(grep 'event=up peer=bob mode=direct .*local=10\.0\.1\.3:4000' "$TMP/alice.log" |
	tail -1 | grep -o 'endpoint=[^ ]*' | cut -d= -f2)
got=$(nat_app "$A" 10.0.1.3:4000 "$B" 10.0.2.2:5000 "$pb2" moved 2)
t_expect "alice's application reaches bob's from the new address" "moved moved" "$(echo $got)"

pd_stop alice
pd_stop bob
rdv_stop
t_check "no punchd or server complained about memory (sanitizers)" \
	eval "! grep -l 'Sanitizer' $TMP/*.log"
t_done
