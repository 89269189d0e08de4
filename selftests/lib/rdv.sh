# rendezvousd and punchd on top of the NAT topology (nat.sh): the server
# in the public namespace on 192.0.2.1 (and 192.0.2.2 for RFC 5780), a
# punchd per host. Everything runs in the test's namespaces and writes
# under $TMP; nat_down stops it.
# shellcheck shell=bash

RDV=${RDV:-$NFP_BIN/rendezvousd}
PUNCHD=${PUNCHD:-$NFP_BIN/punchd}
C=$NAT_P-carol

# rdv_tls: a test CA ($TMP/ca.pem) and the server's certificate for its
# addresses ($TMP/server.pem, .key), once per test.
rdv_tls() {
	[ -s "$TMP/server.pem" ] && return 0
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 2 \
		-subj "/CN=nfpunch test CA" 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$TMP/server.key" -out "$TMP/server.csr" \
		-subj "/CN=rendezvous" 2>/dev/null &&
	printf 'subjectAltName=IP:192.0.2.1,IP:192.0.2.3,IP:fd00:99::1\n' >"$TMP/server.ext" &&
	openssl x509 -req -in "$TMP/server.csr" -CA "$TMP/ca.pem" \
		-CAkey "$TMP/ca.key" -CAcreateserial -days 2 \
		-extfile "$TMP/server.ext" -out "$TMP/server.pem" 2>/dev/null
}

# rdv_users ID...: a users file for the server and a key file per id.
rdv_users() {
	local id key
	: >"$TMP/users"
	for id in "$@"; do
		key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
		echo "$id $key" >>"$TMP/users"
		echo "$key" >"$TMP/$id.key"
	done
}

_tcp_listening() { ip netns exec "$PUB" ss -Hltn "src 192.0.2.1:3478" | grep -q .; }

# rdv_start [OPTION...]: start (or restart) rendezvousd; RDV_PID is set.
rdv_start() {
	ip -n "$PUB" addr add 192.0.2.2/32 dev lo 2>/dev/null
	rdv_tls || return 1
	ip netns exec "$PUB" "$RDV" -l 192.0.2.1 -o 192.0.2.2 -u "$TMP/users" \
		--tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" \
		"$@" >>"$TMP/rdv.log" 2>&1 &
	RDV_PID=$!
	wait_udp_bound "$PUB" 3478 192.0.2.1 && wait_for 100 _tcp_listening
}

rdv_stop() {
	kill "$RDV_PID" 2>/dev/null
	wait "$RDV_PID" 2>/dev/null
}

# A cluster (rendezvousd --redis): rdv_redis_up starts Redis in the public
# namespace on 127.0.0.1:6390 (REDIS_PID); rdv_start --redis 127.0.0.1:6390
# --instance one is the first instance, and rdv2_start [OPTION...] a second
# one on 192.0.2.3 (RDV2_PID, its log rdv2.log). The caller's EXIT trap
# kills $REDIS_PID and $RDV2_PID.
rdv_redis_up() {
	ip netns exec "$PUB" redis-server --port 6390 --bind 127.0.0.1 --save "" \
		--appendonly no >>"$TMP/redis.log" 2>&1 &
	REDIS_PID=$!
	wait_for 100 eval "ip netns exec '$PUB' redis-cli -p 6390 ping 2>/dev/null | grep -q PONG"
}

rdv2_start() {
	rdv_tls || return 1
	ip -n "$PUB" addr add 192.0.2.3/32 dev lo 2>/dev/null
	ip netns exec "$PUB" "$RDV" -l 192.0.2.3 -u "$TMP/users" --tls-cert "$TMP/server.pem" \
		--tls-key "$TMP/server.key" --redis 127.0.0.1:6390 --instance two "$@" \
		>>"$TMP/rdv2.log" 2>&1 &
	RDV2_PID=$!
	wait_udp_bound "$PUB" 3478 192.0.2.3
}

# Both instances' Redis connections (commands, subscriber) are up.
_rdv_cluster_up() {
	[ "$(grep -c event=redis-up "$TMP/rdv.log")" -ge 2 ] &&
		[ "$(grep -c event=redis-up "$TMP/rdv2.log")" -ge 2 ]
}
rdv_cluster_up() { wait_for 50 _rdv_cluster_up; }

# pd_start NS ID PORT [OPTION...]: a punchd for ID in NS, punching from
# PORT, with the server 192.0.2.1 first (PD_SERVER: another one first),
# trusting the test CA (a later --tls-ca, or --tls-pin, overrides),
# keepalive 2 s (PD_KEEPALIVE=auto: measured), relay after 4 s. Its hook appends
# "EVENT PEER ENDPOINT MODE MS" lines to $TMP/ID.hook.
pd_start() {
	local ns=$1 id=$2 port=$3 ka=(--keepalive 2)
	shift 3
	# PD_KEEPALIVE=auto: let punchd measure the NAT for it.
	[ "${PD_KEEPALIVE:-}" = auto ] && ka=()
	mkdir -p "$TMP/$id.state"
	printf '#!/bin/sh\necho "$*" >>%s\n' "$TMP/$id.hook" >"$TMP/$id.hook.sh"
	chmod +x "$TMP/$id.hook.sh"
	rdv_tls || return 1
	# The test CA, unless the caller pins the server's key instead.
	local trust=(--tls-ca "$TMP/ca.pem")
	case " $* " in *" --tls-pin "*) trust=() ;; esac
	ip netns exec "$ns" "$PUNCHD" -s "${PD_SERVER:-192.0.2.1}" -i "$id" -k "$TMP/$id.key" \
		"${trust[@]}" \
		-p "$port" -u "$TMP/$id.sock" -d "$TMP/$id.state" \
		-H "$TMP/$id.hook.sh" "${ka[@]}" --punch-timeout 4 "$@" \
		>>"$TMP/$id.log" 2>&1 &
	eval "PD_PID_$id=\$!"
}

pd_stop() {
	local pid
	eval "pid=\$PD_PID_$1"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# pd_fresh NS ID: stop ID's punchd and leave nothing for the next one to
# resume: its flows (punchd's default tag, 1) and its saved sessions.
pd_fresh() {
	pd_stop "$2"
	ip netns exec "$1" "$PUNCHCTL" flow del tag 1 2>/dev/null
	rm -rf "$TMP/$2.state"
}

_registered() { [ "$(grep -c 'event=registered' "$TMP/$1.log" 2>/dev/null)" -ge "$2" ]; }

# pd_registered ID [N]: up to 20 s until ID has registered N times (1).
pd_registered() {
	wait_for 200 _registered "$1" "${2:-1}"
}

# pd_discoveries ID: how many NAT discovery runs ID's punchd has logged
# (found or not); pd_discovered ID N: up to 10 s until there are more
# than N.
pd_discoveries() {
	local n
	n=$(grep -c 'event=nat result=' "$TMP/$1.log" 2>/dev/null)
	echo "${n:-0}"
}
_discovered() { [ "$(pd_discoveries "$1")" -gt "$2" ]; }
pd_discovered() { wait_for 100 _discovered "$1" "$2"; }

# pd NS ID ARGS...: punchd's client side against ID's daemon.
pd() {
	local ns=$1 id=$2
	shift 2
	ip netns exec "$ns" "$PUNCHD" -u "$TMP/$id.sock" "$@"
}

# pd_field LINE KEY: the value of KEY=VALUE in a result line.
pd_field() {
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# pd_hook_direct ID PEER FIELD: FIELD (3 endpoint, 5 ms) of ID's first
# hook line saying PEER is up direct; nothing while there is none (with
# relay first, an "up" through the relay may come before it).
pd_hook_direct() {
	awk -v p="$2" -v f="$3" '$1 == "up" && $2 == p && $4 == "direct" { print $f; exit }' \
		"$TMP/$1.hook" 2>/dev/null
}
pd_has_direct() { [ -n "$(pd_hook_direct "$1" "$2" 3)" ]; }

# nat_carol: a third host on a second LAN of alice's router, so behind
# the same NAT as alice: 10.0.3.2.
nat_carol() {
	ip netns add "$C" || return 1
	ip -n "$C" link set lo up
	nat_link "$C" eth0 "$NA" lan2
	ip -n "$NA" addr add 10.0.3.1/24 dev lan2
	ip -n "$C" addr add 10.0.3.2/24 dev eth0
	ip -n "$C" route add default via 10.0.3.1
}

# nat_cut [PROTO]: the public router drops PROTO (udp, the default, or
# tcp) between the two NATs, so only paths through the server remain;
# nat_uncut ends it.
nat_cut() {
	ip netns exec "$PUB" nft -f - <<-NFT
		table inet cut {
			chain cut_forward {
				type filter hook forward priority -10; policy accept;
				ip saddr 198.51.100.1 ip daddr 203.0.113.1 meta l4proto ${1:-udp} drop
				ip saddr 203.0.113.1 ip daddr 198.51.100.1 meta l4proto ${1:-udp} drop
			}
		}
	NFT
}
nat_uncut() { ip netns exec "$PUB" nft delete table inet cut; }

# rdv_hold [MATCH]: the server takes no signaling from the two NATs (only
# the packets that also match MATCH, when given) until rdv_release; TCP
# resends what was held then. So that two calls cross (glare).
rdv_hold() {
	ip netns exec "$PUB" nft -f - <<-NFT
		table inet hold {
			chain in {
				type filter hook input priority filter; policy accept;
				ip saddr { 198.51.100.1, 203.0.113.1 } tcp dport 3478 ${1:-} drop
			}
		}
	NFT
}
rdv_release() { ip netns exec "$PUB" nft delete table inet hold; }

# rdv_up [RENDEZVOUSD OPTION...]: how a punchd test begins: a scratch
# directory, the NAT topology, users alice and bob, and rendezvousd, all
# gone when the script exits; the test ends there if one does not come up.
rdv_up() {
	nat_scratch
	trap 'rdv_down; rm -rf "$TMP"' EXIT
	nat_up || { t_fail "the NAT topology comes up"; t_done; }
	rdv_users alice bob
	rdv_start "$@" || { t_fail "rendezvousd starts"; t_done; }
}

rdv_down() {
	ip netns pids "$C" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$C" 2>/dev/null
	nat_down
}

# stream_lost RECV SENT: "FIRST LAST LOST" of a udp stream: the first
# sequence number the receiver got (RECV), the last one sent (SENT), and
# how many in between never arrived.
stream_lost() {
	local first last
	first=$(awk '{ sub("seq-", "", $3); print $3; exit }' "$1")
	last=$(tail -1 "$2" | awk '{ print $1 }')
	awk -v f="${first:-0}" -v l="${last:-0}" -v shown="${first:-none} ${last:-none}" '
		{ sub("seq-", "", $3); got[$3] = 1 }
		END { n = 0; for (i = f; i <= l; i++) if (!(i in got)) n++; print shown, n }' "$1"
}

# relay_stream_whole [LOG...]: alice's stream (relay_stream) is over: bob
# heard it and lost nothing of it; if he did, what alice's, bob's and the
# LOGs' lines say of relays, paths and servers is shown.
relay_stream_whole() {
	local first last lost
	read -r first last lost <<<"$(stream_lost "$TMP/recv" "$TMP/sent")"
	t_check "bob heard the stream (seq $first to $last)" test "$first" != none
	t_expect "nothing of it was lost" 0 "$lost"
	[ "$lost" = 0 ] || grep -h 'event=\(relay\|up\|down\|registered\|server\)' \
		"$TMP/alice.log" "$TMP/bob.log" "$@" | tail -30 | sed 's/^/# /'
}

# pd_relay_stream LISTEN SEND [OPTION...]: alice (port 4000) and bob (5000)
# with these punchd options; bob's application hears what reaches its
# port for LISTEN s, alice's streams for SEND s to wherever her hook last
# said bob's path goes (selftests/tools/udp), and alice connects to bob. Checks
# that both register and that connect answers through the relay; leaves
# rcv and snd (the applications' pids) and res (connect's answer).
pd_relay_stream() {
	local listen=$1 send=$2
	shift 2
	pd_start "$A" alice 4000 "$@"
	pd_start "$B" bob 5000 "$@"
	relay_stream "$listen" "$send"
}

# relay_stream LISTEN SEND: pd_relay_stream with alice's and bob's punchd
# already started.
relay_stream() {
	local listen=$1 send=$2
	t_check "both punchd register" eval "pd_registered alice && pd_registered bob"
	ip netns exec "$B" "$NAT_UDP" recv 10.0.2.2 5000 "$listen" 100000 >"$TMP/recv" &
	rcv=$!
	wait_udp_bound "$B" 5000
	ip netns exec "$A" "$NAT_UDP" stream 10.0.1.2 4000 "$TMP/alice.hook" bob "$send" \
		>"$TMP/sent" &
	snd=$!
	res=$(pd "$A" alice connect bob)
	t_match "connect answers through the relay" \
		"^ok peer=bob mode=relay endpoint=192\.0\.2\.1:[0-9]+ " "$res"
}
