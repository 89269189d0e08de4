# A NAT that moves a mapping while both sides punch (trickle, issue 16):
# the scenario punchd-trickle.sh checks and trickle-rate.sh counts, on
# nat.sh's topology with rdv.sh's server and punchd (alice calls bob).
# shellcheck shell=bash

# move NS HOST WAN PORT NEWPORT: the NAT NS maps HOST's PORT to NEWPORT
# of its WAN address from now on, and forgets what it had for it.
move() {
	ip netns exec "$1" nft insert rule inet nat post ip saddr "$2" \
		udp sport "$4" oifname wan snat ip to "$3:$5"
	ip netns exec "$1" conntrack -D -p udp -s "$2" --sport "$4" >/dev/null 2>&1
}

round=0
# scenario WHO PORT_A PORT_B NEWPORT [PUNCHD OPTION...]: alice calls bob,
# WHO's (alice's or bob's) mapping moves while both punch; the connect's
# result is in a.res. Each round on ports of its own, from a clean slate.
# UDP between the NATs is cut until the move is made, so the first punch
# cannot win before it.
scenario() {
	local who=$1 pa=$2 pb=$3 np=$4 n na nb
	shift 4
	round=$((round + 1))
	: >"$TMP/alice.hook"
	: >"$TMP/bob.hook"
	na=$(pd_discoveries alice) nb=$(pd_discoveries bob)
	pd_start "$A" alice "$pa" --punch-timeout 20 "$@"
	pd_start "$B" bob "$pb" --punch-timeout 20 "$@"
	# Discovery done too: a call never waits for it, as on a host up
	# for a while, so a call's time is its punch's.
	t_check "alice's and bob's punchd register and know their NATs (round $round)" \
		eval "pd_registered alice $round && pd_registered bob $round &&
		      pd_discovered alice $na && pd_discovered bob $nb"
	nat_cut
	n=$(grep -c 'event=punching peer=' "$TMP/$who.log")
	pd "$A" alice connect bob >"$TMP/a.res" &
	ca=$!
	t_check "$who punches (round $round)" \
		wait_for 100 eval "[ \$(grep -c 'event=punching peer=' '$TMP/$who.log') -gt $n ]"
	if [ "$who" = alice ]; then
		move "$NA" 10.0.1.2 198.51.100.1 "$pa" "$np"
	else
		move "$NB" 10.0.2.2 203.0.113.1 "$pb" "$np"
	fi
	nat_uncut
	wait "$ca"
}

# direct NAME PEER EP: NAME's hook says PEER is up direct at EP (a regex),
# within the punch timeout.
direct() { wait_for 250 grep -q "^up $2 $3 direct" "$TMP/$1.hook"; }

# since NAME LINE: NAME's log after its first LINE lines.
since() { tail -n +"$(($2 + 1))" "$TMP/$1.log"; }

# trickle_diag: the punch's story, when alice's path did not go direct.
trickle_diag() {
	grep -q '^up bob [^ ]* direct' "$TMP/alice.hook" ||
		grep -h 'event=\(punching\|rediscover\|trickle\|candidate\|up\|relay\)' \
			"$TMP/alice.log" "$TMP/bob.log" | tail -30 | sed 's/^/# /'
}
