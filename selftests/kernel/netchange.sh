#!/bin/bash
# A network change: alice's host (which keeps bob connected, --connect)
# gets another address and loses the old one, as after a move to
# another network. punchd sees it (rtnetlink),
# makes its server link again, and punches bob again from the new
# address; the applications talk again. A change that does not touch
# the way to the server (a container bridge appearing) changes nothing.
# What punchd knew of the old network's NAT is forgotten: while the
# new network's discovery goes unanswered, punchd knows nothing rather
# than the old result.
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

# The new network's discovery goes unanswered at first (its sockets'
# STUN to the server is dropped; the punch port's is not), so what punchd
# says of its NAT then is what it carried over from the old network.
ip netns exec "$A" nft -f - <<'EOF'
table inet mute {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr { 192.0.2.1, 192.0.2.2 } udp sport != 4000 drop
	}
}
EOF

# The move: a new address, the old one gone (the route follows; the new
# one must survive the old primary's removal).
ip netns exec "$A" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
ip -n "$A" addr add 10.0.1.3/24 dev eth0
ip -n "$A" addr del 10.0.1.2/24 dev eth0
ip -n "$A" route replace default via 10.0.1.1 src 10.0.1.3
t_check "punchd sees the network change" \
	wait_for 100 grep -q 'event=network-changed source=10.0.1.2->10.0.1.3 ' "$TMP/alice.log"
t_check "it registers again" pd_registered alice 2
moved_log() { sed -n '/event=network-changed source=10.0.1.2->10.0.1.3 /,$p' "$TMP/alice.log"; }
t_check "the old network's NAT result is forgotten, not kept" \
	wait_for 100 eval "moved_log | grep -q 'event=nat result=unknown reason=no-answer .*kept=none'"
t_match "and status knows nothing of the new one" "^nat unknown " "$(pd "$A" alice status | grep '^nat ')"
ip netns exec "$A" nft delete table inet mute
t_match "punchd discover then learns the new network's NAT" "^nat eim\\." "$(pd "$A" alice discover)"
pd "$A" alice disconnect bob >/dev/null
t_match "a call is answered" "^ok peer=bob mode=" "$(pd "$A" alice connect bob)"
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
