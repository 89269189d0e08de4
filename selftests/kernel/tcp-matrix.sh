#!/bin/bash
# TCP hole punching across NAT behaviours, orders, delays and priming
# (issue 18), attempt after attempt, as success rates: the matrix that
# bench/tcp-matrix prints in full; this quick form runs in CI.
#
# Per cell: the NATs (fw: a firewall drops what comes unasked; plain: a
# masquerade gateway whose own stack answers an early SYN with a RST and
# keeps an entry), which side's SYNs leave first (alice, bob: the second
# starts one trip through the server later, two links and 100 ms, as an
# untimed callee and caller would; together: both at once, as punchd
# times them from their round trips to the server), the delay of each
# public link (netem, both ways: the peers are two links apart), and
# priming (the module's TCP prime on the first side: its SYNs at TTL 2
# until the other's come, the router's errors dropped; see tcp-punch.sh).
#
# Each attempt: fresh ports, both sides connect() with a 6 s deadline,
# their first SYNs held to a shared wall-clock start (tcp-punch "at"),
# "# tcp-result NAT FIRST PRIME DELAY ok|fail MS_FIRST MS_SECOND REFUSED"
# for the bench. Checked: every attempt ends by its deadline, the
# firewalled cells and the primed cells all connect, and so do the
# plain ones that start together over delayed links (each SYN crosses
# its own NAT before the other's arrives; 20 ms or more, 200 on the debug
# kernel); the plain ones one trip apart (1 in 68 attempts connected so
# far), or together over links without delay, are luck (reported only).
# The CI form runs 50 ms links only; bench/tcp-matrix adds 0 and 150.
#
#   TCPM_ATTEMPTS (2), TCPM_DELAYS ("50"), TCPM_NATS ("fw plain"),
#   TCPM_PRIMES ("no yes"), TCPM_JITTER (0 ms), TCPM_LOSS (0 %)
# vm-timeout: 900
. "$(dirname "$0")/../lib/test.sh"
. "$T_REPO/selftests/lib/nat.sh"
TP=$T_BIN/selftests/tools/tcp-punch
SECRET=000102030405060708090a0b0c0d0e0f
ATTEMPTS=${TCPM_ATTEMPTS:-2}
# "Together" is as together as the two hosts' clocks and schedulers make
# it: within a few ms here, but on the debug kernel (KASAN, TCG) the two
# first SYNs left up to a link trip apart (stop 31: 1 of 2 at 50 ms).
# There the cell is judged only over links slower than that.
together_min=20
[ "${NFP_DEBUG_KERNEL:-0}" = 1 ] && together_min=200
DELAYS=${TCPM_DELAYS:-50}
NATS=${TCPM_NATS:-fw plain}
nat_scratch
trap 'nat_down; rm -rf "$TMP"' EXIT
nat_up || { t_fail "the NAT topology comes up"; t_done; }

# shape MS: every public link delays MS each way (and jitter, loss).
shape() {
	local ns dev ns_dev args=(delay "${1}ms")
	[ "${TCPM_JITTER:-0}" != 0 ] && args+=("${TCPM_JITTER}ms" distribution normal)
	[ "${TCPM_LOSS:-0}" != 0 ] && args+=(loss "${TCPM_LOSS}%")
	for ns_dev in "$NA wan" "$NB wan" "$PUB to-a" "$PUB to-b"; do
		read -r ns dev <<<"$ns_dev"
		ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null
		if [ "$1" != 0 ] || [ "${TCPM_JITTER:-0}" != 0 ] || [ "${TCPM_LOSS:-0}" != 0 ]; then
			ip netns exec "$ns" tc qdisc add dev "$dev" root netem "${args[@]}" || return 1
		fi
	done
}

# table_on "NS..." TABLE [BODY]: inet TABLE replaced by BODY in each
# namespace, or (no BODY) gone.
table_on() {
	local ns
	for ns in $1; do
		ip netns exec "$ns" nft delete table inet "$2" 2>/dev/null
		[ -z "${3:-}" ] ||
			printf 'table inet %s {%s\n}\n' "$2" "$3" | ip netns exec "$ns" nft -f -
	done
}

# firewall fw|plain: the NATs' filter as nat.sh makes it (what comes
# unasked from the wan is dropped, so the router's own stack never
# answers it), or none.
firewall() {
	table_on "$NA $NB" filter "$([ "$1" = fw ] && echo '
		chain input {
			type filter hook input priority filter; policy accept;
			iifname "wan" ct state new counter drop
		}')"
}

port=20000
late=0 cells=""
# attempt NAT FIRST PRIME DELAY: one punch; prints its result line.
attempt() {
	local nat=$1 first=$2 prime=$3 delay=$4 pa pb gap start oa=() ob=() ra rb res ms1 ms2
	port=$((port + 1))
	pa=$port pb=$((port + 5000))
	# One trip through the server (two public links) and 100 ms.
	gap=$((2 * delay + 100))
	[ "$first" = together ] && gap=0
	if [ "$prime" = yes ]; then
		if [ "$first" = alice ]; then oa=(kprime 2); else ob=(kprime 2); fi
	fi
	# Both processes wait for a wall-clock start 1 s ahead: the gap is
	# then the gap asked for, however long each took to start (under TCG,
	# easily more than the 100 ms that "together" over 50 ms links allows).
	start=$(($(date +%s%3N) + 1000))
	if [ "$first" = bob ]; then
		ob+=(at "$start") oa+=(at $((start + gap)))
	else
		oa+=(at "$start") ob+=(at $((start + gap)))
	fi
	local t0=$SECONDS
	timeout 11 ip netns exec "$A" "$TP" connect "10.0.1.2:$pa" "203.0.113.1:$pb" \
		$SECRET controlling timeout 6000 "${oa[@]}" >"$TMP/ra" 2>&1 &
	p1=$!
	timeout 11 ip netns exec "$B" "$TP" connect "10.0.2.2:$pb" "198.51.100.1:$pa" \
		$SECRET controlled timeout 6000 "${ob[@]}" >"$TMP/rb" 2>&1 &
	p2=$!
	wait "$p1" "$p2"
	[ $((SECONDS - t0)) -le 10 ] || late=$((late + 1))
	ra=$(head -1 "$TMP/ra") rb=$(head -1 "$TMP/rb")
	res=fail
	grep -q '^heard controlled$' "$TMP/ra" && grep -q '^heard controlling$' "$TMP/rb" && res=ok
	if [ "$first" != bob ]; then
		ms1=$(pd_ms "$ra") ms2=$(pd_ms "$rb")
	else
		ms1=$(pd_ms "$rb") ms2=$(pd_ms "$ra")
	fi
	echo "$nat $first $prime $delay $res $ms1 $ms2 $(( $(refused "$ra") + $(refused "$rb") ))"
}
pd_ms() { sed -n 's/^ok ms=\([0-9]*\).*/\1/p' <<<"$1" | grep . || echo -; }
refused() { sed -n 's/.* refused=\([0-9]*\).*/\1/p' <<<"$1" | grep . || echo 0; }

for nat in $NATS; do
	firewall "$nat"
	for delay in $DELAYS; do
		if ! shape "$delay"; then
			t_fail "netem shapes the public links (${delay} ms)"
			continue
		fi
		for prime in ${TCPM_PRIMES:-no yes}; do
			starts="alice bob"
			[ "$prime" = no ] && starts="alice bob together"
			for first in $starts; do
				ok=0
				for ((i = 0; i < ATTEMPTS; i++)); do
					line=$(attempt "$nat" "$first" "$prime" "$delay")
					echo "# tcp-result $line"
					[ "$(echo "$line" | cut -d' ' -f5)" = ok ] && ok=$((ok + 1))
				done
				cells+="$nat/$first/prime=$prime/${delay}ms:$ok/$ATTEMPTS "
				if [ "$nat" = fw ] || [ "$prime" = yes ] ||
				   { [ "$first" = together ] && [ "$delay" -ge "$together_min" ]; }; then
					t_expect "$nat NATs, $first first, priming $prime, ${delay} ms links: all connect" \
						"$ATTEMPTS/$ATTEMPTS" "$ok/$ATTEMPTS"
				fi
			done
		done
	done
done
shape 0
echo "# cells: $cells"
t_expect "every attempt ended by its deadline" 0 "$late"
t_done
