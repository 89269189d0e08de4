#!/bin/bash
# bench/wg-time.sh - in the test VM (bench/wireguard drives it): how long
# from nothing to the first ping over kernel WireGuard between two hosts
# behind real Linux NATs, with nfpunch and with the userspace way it
# replaces, and the throughput of the tunnel direct and relayed.
#
# Sites as in selftests/lib/zoo.sh (alice on side a, bob on side b), ZOO_DELAY
# ms each way on every public link (ZOO_JITTER around it), each attempt on
# fresh sites, fresh wg0s with each other as peers and no endpoint:
#   nfpunch     both punchd start at t0 with --wireguard wg0 and --connect
#               each other; they register, discover, punch (or relay) and
#               set the endpoint, with a handshake at once.
#   nfpunch-rf  the same with --relay-first yes.
#   raw         what the userspace tools do (wireguard-tools' contrib
#               nat-hole-punching, natpunch-go): each side learns its wg
#               port's public endpoint with a STUN request written on a
#               raw socket (bench/raw-stun.c), the two swap them for free
#               (a file: no server round trip counted, which favours this
#               way), and each sets the other's endpoint with a persistent
#               keepalive, which sends at once; bob does so WGT_SKEW ms
#               after alice (the difference of the two sides' paths from
#               the server that tells them).
# The time is from t0 to the first echo reply alice gets from bob over wg0
# (one ping at a time from t0, 100 ms apart while none can leave), or
# "fail" after WGT_TIMEOUT s (the raw way: WGT_RAW_TIMEOUT, 15 s, three of
# WireGuard's 5 s handshake retries).
#
# Env: WGT_PAIRS ("pp/dbl pp/random": kinds of sides a/b), WGT_METHODS,
# WGT_FIREWALL ("yes no": NATs that drop what comes unasked, or plain
# masquerade), WGT_SKEW ("0 150"), WGT_ATTEMPTS (3), WGT_TIMEOUT (30),
# WGT_TPUT (5: seconds of iperf3 over wg0, first nfpunch attempt per pair
# with firewalls; 0: none), WGT_RAW_MUST (1: the raw way must connect
# every time too; by default its rate is a result, but it must always
# learn both endpoints and set them), WGT_NO_RETRY
# (1: with nfpunch, the first ping must come less than WireGuard's 5 s
# handshake retry after the endpoint was set), WGT_DEBUG (1: both sides'
# wg counters and the NATs' entries, each second for 8 s once up).
# Prints "# wgt-result METHOD PAIR FIREWALL SKEW MS|fail MODE" per attempt
# and "# wgt-tput PAIR MODE MBIT/S" per throughput run.
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
. "$T_REPO/selftests/lib/rdv.sh"
. "$T_REPO/selftests/lib/zoo.sh"
. "$T_REPO/selftests/lib/wg.sh"
nat_scratch
trap 'zoo_down; rm -rf "$TMP"' EXIT
RAW_STUN=$T_BIN/bench/raw-stun
export ZOO_DELAY=${ZOO_DELAY:-20} ZOO_JITTER=${ZOO_JITTER:-5}
pairs=${WGT_PAIRS:-"pp/dbl pp/random"}
methods=${WGT_METHODS:-"nfpunch nfpunch-rf raw"}
firewalls=${WGT_FIREWALL:-"yes no"}
skews=${WGT_SKEW:-"0 150"}
attempts=${WGT_ATTEMPTS:-3}
limit=${WGT_TIMEOUT:-30}
raw_limit=${WGT_RAW_TIMEOUT:-15}
tput=${WGT_TPUT:-5}
command -v wg >/dev/null && [ -x "$RAW_STUN" ] ||
	{ t_fail "wireguard-tools and $RAW_STUN are there"; t_done; }

now_ms() { date +%s%3N; }

# sites KIND_A KIND_B: fresh sites, server and wg0s; KEY_A, KEY_B.
sites() {
	zoo_down
	# The last attempt's logs, when it went wrong, for the record.
	[ "${MS:-}" = fail ] && tail -n 5 "$TMP"/alice.log "$TMP"/bob.log 2>/dev/null | sed 's/^/# /'
	rm -rf "$TMP"/*.state "$TMP"/*.log "$TMP"/*.ep "$TMP"/*.hook
	zoo_pub_up && zoo_side a "$1" && zoo_side b "$2" || return 1
	HA=$(zoo_ns a h) HB=$(zoo_ns b h)
	rdv_users alice bob
	rdv_start || return 1
	KEY_A=$(wg_up "$HA" 51820 10.77.0.1/24) && KEY_B=$(wg_up "$HB" 51820 10.77.0.2/24) ||
		return 1
	ip netns exec "$HA" wg set wg0 peer "$KEY_B" allowed-ips 10.77.0.2/32 &&
		ip netns exec "$HB" wg set wg0 peer "$KEY_A" allowed-ips 10.77.0.1/32
}

# first_reply T0 SECS: ms from T0 to alice's first echo reply from bob, or
# fail after SECS. One ping at a time: ping gives up at once while wg0 has
# no endpoint for bob (EDESTADDRREQ); with one, WireGuard holds the echo
# until its handshake is done, and the reply's time is the one printed.
first_reply() {
	local t0=$1 end=$(($(now_ms) + $2 * 1000)) line=""
	while [ -z "$line" ] && [ "$(now_ms)" -lt "$end" ]; do
		line=$(ip netns exec "$HA" ping -D -n -c 1 -W 1 10.77.0.2 2>/dev/null |
		       sed -n 's/^\[\([0-9.]*\)\] .*bytes from.*/\1/p')
		[ -n "$line" ] || sleep 0.1
	done
	[ -n "$line" ] || { echo fail; return; }
	awk -v t="$line" -v t0="$t0" 'BEGIN { printf "%d\n", t * 1000 - t0 }'
}

run_nfpunch() {
	local extra=() t0
	[ "$1" = nfpunch-rf ] && extra=(--relay-first yes)
	t0=$(now_ms)
	# punchd's defaults but for the keepalive (pd_start's 2 s).
	pd_start "$HA" alice 51820 --wireguard wg0 --wg-peer "bob=$KEY_B" --connect bob \
		--punch-timeout 10 "${extra[@]}"
	pd_start "$HB" bob 51820 --wireguard wg0 --wg-peer "alice=$KEY_A" --connect alice \
		--punch-timeout 10 "${extra[@]}"
	if [ "${WGT_DEBUG:-0}" = 1 ]; then
		wait_for 300 eval "pd '$HA' alice status | grep -q '^peer bob .*mode=direct'"
		for i in 1 2 3 4 5 6 7 8; do
			echo "# dbg $(date -u +%T.%3N) A: $(ip netns exec "$HA" wg show wg0 dump | tail -n 1 | cut -f 3,5-7)"
			echo "# dbg B: $(ip netns exec "$HB" wg show wg0 dump | tail -n 1 | cut -f 3,5-7)"
			ip netns exec "$(zoo_ns a n)" conntrack -L -p udp 2>/dev/null | grep 51820 | sed 's/^/# dbg natA /'
			ip netns exec "$(zoo_ns b c)" conntrack -L -p udp 2>/dev/null | grep 51820 | sed 's/^/# dbg cgnB /'
			sleep 1
		done
	fi
	MS=$(first_reply "$t0" "$limit")
	MODE=$(pd_field "$(pd "$HA" alice status | grep '^peer bob ')" mode)
	# From alice's endpoint to her first reply: under WireGuard's 5 s
	# retransmission when no initiation was lost or refused on the way.
	local set
	set=$(sed -n 's/^ts=\([^ ]*\)Z id=alice event=wg-endpoint .*/\1/p' "$TMP/alice.log" | head -n 1)
	HS=-
	[ -n "$set" ] && [ "$MS" != fail ] &&
		HS=$((t0 + MS - $(date -u -d "$set" +%s%3N)))
	# Where the time went, for the record.
	echo "# t0 $(date -u -d "@${t0:0:-3}.${t0: -3}" +%T.%3N), first reply after ${MS} ms;" \
		"alice's handshake $(ip netns exec "$HA" wg show wg0 latest-handshakes | awk '{ print $2 }')"
	grep -h 'event=\(registered\|nat \|offered\|answered\|punching\|up\|failed\|relay\|glare\|retry\|wg-endpoint\)' \
		"$TMP/alice.log" "$TMP/bob.log" | sort | sed 's/^ts=[0-9-]*T//; s/^/# /' | head -n 30
}

# raw_side NS LOCAL SELF OTHER KEY DELAY_MS: one side of the raw way.
raw_side() {
	local ep
	ep=$(ip netns exec "$1" "$RAW_STUN" "$2" 51820 192.0.2.1:3478 5000) || return 1
	echo "$ep" >"$TMP/$3.ep.new" && mv "$TMP/$3.ep.new" "$TMP/$3.ep"
	wait_for 100 test -s "$TMP/$4.ep" || return 1
	sleep "$(awk -v d="$6" 'BEGIN { print d / 1000 }')"
	ip netns exec "$1" wg set wg0 peer "$5" endpoint "$(cat "$TMP/$4.ep")" \
		persistent-keepalive 25
}

run_raw() {
	local t0 pa pb
	t0=$(now_ms)
	raw_side "$HA" 10.0.1.2 alice bob "$KEY_B" 0 &
	pa=$!
	raw_side "$HB" 10.0.2.2 bob alice "$KEY_A" "$1" &
	pb=$!
	MS=$(first_reply "$t0" "$raw_limit")
	wait "$pa" "$pb"
	MODE=direct
	[ "$MS" = fail ] || return 0
	MODE=-
	# Where it stopped: the endpoints each learnt, each side's peer.
	echo "# raw failed: alice learnt $(cat "$TMP/alice.ep" 2>/dev/null), bob $(cat "$TMP/bob.ep" 2>/dev/null)"
	ip netns exec "$HA" wg show wg0 dump | tail -n +2 | sed 's/^/# alice wg0 peer: /'
	ip netns exec "$HB" wg show wg0 dump | tail -n +2 | sed 's/^/# bob wg0 peer: /'
}

# throughput: MBIT/S of 'tput' seconds of iperf3 from alice to bob over wg0.
throughput() {
	local srv out
	ip netns exec "$HB" iperf3 -s -1 -B 10.77.0.2 >/dev/null 2>&1 &
	srv=$!
	wait_for 50 eval "ip netns exec '$HB' ss -Hltn 'sport = 5201' | grep -q ."
	out=$(ip netns exec "$HA" iperf3 -c 10.77.0.2 -t "$tput" -J 2>/dev/null |
	      jq -r '.end.sum_received.bits_per_second // empty')
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	[ -n "$out" ] && awk -v b="$out" 'BEGIN { printf "%.1f\n", b / 1e6 }'
}

for pair in $pairs; do
	ka=${pair%/*} kb=${pair#*/}
	for fw in $firewalls; do
		export ZOO_FIREWALL=$fw
		for method in $methods; do
			sk_list=0
			[ "$method" = raw ] && sk_list=$skews
			for sk in $sk_list; do
				ok=0
				for ((n = 1; n <= attempts; n++)); do
					sites "$ka" "$kb" || { t_fail "sites $pair come up"; continue; }
					case $method in
					raw) run_raw "$sk"
					     t_check "raw $pair: STUN gave each side the other's endpoint, and wg0 has it" \
						eval "ip netns exec '$HA' wg show wg0 endpoints | grep -qF \"\$(cat '$TMP/bob.ep')\" &&
						      ip netns exec '$HB' wg show wg0 endpoints | grep -qF \"\$(cat '$TMP/alice.ep')\"" ;;
					*) run_nfpunch "$method" ;;
					esac
					echo "# wgt-result $method $pair $fw $sk $MS ${MODE:--}"
					[ "$method" != raw ] && [ "${WGT_NO_RETRY:-0}" = 1 ] &&
						t_check "$method $pair: the first ping $HS ms after the endpoint was set (no handshake retry: < 4500)" \
							test "$HS" != - -a "${HS#-}" -lt 4500
					[ "$MS" != fail ] && ok=$((ok + 1))
					if [ "$method" = nfpunch ] && [ "$fw" = yes ] && [ "$n" = 1 ] &&
					   [ "$tput" != 0 ] && [ "$MS" != fail ]; then
						echo "# wgt-tput $pair ${MODE:--} $(throughput)"
					fi
					pd_stop alice
					pd_stop bob
					rdv_stop
				done
				# nfpunch must connect every time; the baseline's
				# rate is a result, not a check.
				if [ "$method" = raw ] && [ "${WGT_RAW_MUST:-0}" != 1 ]; then
					t_ok "$method $pair firewall=$fw skew=$sk: $ok of $attempts connected"
				else
					t_expect "$method $pair firewall=$fw$([ "$method" = raw ] && echo " skew=$sk"): every attempt connected" \
						"$attempts" "$ok"
				fi
			done
		done
	done
done
t_done
