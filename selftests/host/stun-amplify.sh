#!/bin/bash
# rendezvousd's STUN service must not amplify: anyone can spoof a
# request's source, so the server answers only what its client can use
# and at most --stun-rate answers per second to one source address. An
# attacker floods Binding Requests "from" its victim; the test counts the
# bytes the victim would receive against the bytes the attacker sent, and
# checks that a real client from another address is answered meanwhile.
# The flood runs against one STUN worker, so that the honest client shares
# the flooded socket. Then four workers (on any number of CPUs): a flood
# spread over many source ports of one address, or over many addresses of
# one IPv6 /64, must still meet one limit, not one per worker; every
# worker answers; and a STUN port someone already holds is refused.
# Runs in a network namespace of its own (127.0.0.0/8 on its loopback).
if [ -z "${NFP_AMP_NETNS:-}" ]; then
	NFP_AMP_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/test.sh"
ip link set lo up
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
echo "alice $(printf '%064d' 0)" >"$dir/users"
# Sixteen addresses of one /64, for the IPv6 flood.
for i in $(seq 16); do ip -6 addr add "fd00:1::$i/64" dev lo nodad; done
# start WORKERS [OPTION...]: a fresh server (its log: $dir/log).
start() {
	local w=$1
	shift
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	"$T_BIN/rendezvousd" -l 127.0.0.1 -o 127.0.0.2 -l ::1 -u "$dir/users" \
		--stun-rate 100 --log-rate 5 --stun-workers "$w" \
		--plaintext-testing-only "$@" >"$dir/log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		ss -Hlun 'src 127.0.0.1:3478' | grep -q . && break
		sleep 0.05
	done
}
start 1

# client.py MODE: one line of results (see each mode).
measure() {
	python3 - "$@" <<'PY'
import os, socket, struct, sys, time
server = ("127.0.0.1", 3478)

def request(fingerprint=False):
    tid = os.urandom(12)
    body = b""
    if fingerprint:
        import binascii
        hdr = struct.pack("!HHI", 1, 8, 0x2112A442) + tid
        crc = (binascii.crc32(hdr) ^ 0x5354554E) & 0xFFFFFFFF
        body = struct.pack("!HHI", 0x8028, 4, crc)
    return struct.pack("!HHI", 1, len(body), 0x2112A442) + tid + body

def sock(src):
    s = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(0.5)
    return s

def attrs(msg):
    out, off = [], 20
    while off + 4 <= len(msg):
        t, l = struct.unpack("!HH", msg[off:off + 4])
        out.append(t)
        off += 4 + ((l + 3) & ~3)
    return out

mode = sys.argv[1]
if mode == "one":
    s = sock("127.0.0.3")
    for fp in (False, True):
        q = request(fp)
        s.sendto(q, server)
        a = s.recv(2048)
        print(len(q), len(a), " ".join("%04x" % t for t in attrs(a)))
elif mode == "flood":
    # The victim's socket receives; the attacker "is" the victim.
    s = sock("127.0.0.3")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    n, sent = int(sys.argv[2]), 0
    t0 = time.monotonic()
    for _ in range(n):
        sent += s.sendto(request(), server)
    took = time.monotonic() - t0
    # An honest client elsewhere, during the flood's aftermath.
    # An honest client retransmits as STUN clients do: the flood may have
    # filled the server's socket buffer, where the kernel drops its
    # request before the server sees it.
    c = sock("127.0.0.4")
    c.settimeout(0.5)
    other = 0
    for _ in range(6):
        c.sendto(request(), server)
        try:
            other = len(c.recv(2048))
            break
        except socket.timeout:
            pass
    got = answers = 0
    s.settimeout(1.0)
    try:
        while True:
            got += len(s.recv(2048))
            answers += 1
    except socket.timeout:
        pass
    print(n, sent, answers, got, "%.3f" % took, other)
elif mode == "spread":
    # One address, 64 source ports, for SECONDS: the kernel's own
    # SO_REUSEPORT hash would spread them over every worker.
    srcs = sys.argv[3].split(",")
    if ":" in srcs[0]:
        server = ("::1", 3478)
    socks = [sock(srcs[i % len(srcs)]) for i in range(64)]
    for s in socks:
        s.setblocking(False)
    def drain():
        got = 0
        for s in socks:
            try:
                while True:
                    s.recv(2048)
                    got += 1
            except BlockingIOError:
                pass
        return got
    secs, sent, answers = float(sys.argv[2]), 0, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < secs:
        for s in socks:
            s.sendto(request(), server)
            sent += 1
        answers += drain()
    took = time.monotonic() - t0
    time.sleep(0.5)
    answers += drain()
    print(sent, answers, "%.3f" % took)
elif mode == "many":
    # 64 addresses, one request each (retried): all answered.
    ok = 0
    for i in range(64):
        s = sock("127.0.1.%d" % (i + 10))
        for _ in range(3):
            s.sendto(request(), server)
            try:
                s.recv(2048)
                ok += 1
                break
            except socket.timeout:
                pass
    print(ok)
PY
}

out=$(measure one)
line1=$(sed -n 1p <<<"$out") line2=$(sed -n 2p <<<"$out")
t_match "a plain 20-byte request: XOR-MAPPED-ADDRESS, RESPONSE-ORIGIN, OTHER-ADDRESS only" \
	"^20 56 0020 802b 802c$" "$line1"
t_match "with FINGERPRINT (28 bytes): the same and FINGERPRINT (no SOFTWARE, no MAPPED-ADDRESS)" \
	"^28 64 0020 802b 802c 8028$" "$line2"

read -r n sent answers got took other <<<"$(measure flood 5000)"
ratio=$(awk -v a="$got" -v s="$sent" 'BEGIN { printf "%.4f", a / s }')
cap=$(awk -v t="$took" 'BEGIN { printf "%d", 10 + 100 * (t + 1) + 1 }')
if [ "${answers:-0}" -ge 10 ] && [ "$answers" -le "$cap" ]; then
	t_ok "a flood of $n requests from one address in ${took}s: $answers answered (burst 10 + 100/s, at most $cap)"
else
	t_fail "a flood from one address is answered at --stun-rate" \
		"requests $n in ${took}s, answers ${answers:-none}, expected 10..$cap"
fi
if awk -v r="$ratio" 'BEGIN { exit !(r < 0.25) }'; then
	t_ok "bytes the victim receives per byte the attacker sends: $ratio ($got / $sent)"
else
	t_fail "bytes the victim receives per byte the attacker sends is under 0.25" \
		"$ratio ($got / $sent)"
fi
t_expect "another address is answered during the flood (56 bytes)" 56 "${other:-0}"
lines=$(grep -c 'event=stun-limit' "$dir/log")
if [ "$lines" -ge 1 ] && [ "$lines" -le 20 ]; then
	t_ok "the refusals are logged at a bounded rate ($lines lines for $((n - answers)))"
else
	t_fail "the refusals are logged at a bounded rate" "$lines stun-limit lines" \
		"$(tail -n 5 "$dir/log")"
fi

# --- four workers: one limit per source, every worker serving -------------
start 4 --log-level debug
v6=$(seq -s, -f 'fd00:1::%g' 16)
for src in 127.0.0.5 ::1 "$v6"; do
	what=$src
	[ "$src" = "$v6" ] && what="16 addresses of fd00:1::/64"
	read -r sent answers took <<<"$(measure spread 2 "$src")"
	cap=$(awk -v t="$took" 'BEGIN { printf "%d", 10 + 100 * (t + 0.5) + 1 }')
	if [ "${answers:-0}" -ge 10 ] && [ "$answers" -le "$cap" ]; then
		t_ok "a flood from $what over 64 ports for ${took}s: $answers of $sent answered (one limit for 4 workers, at most $cap)"
	else
		t_fail "a flood from $what over 64 ports meets one limit, not one per worker" \
			"requests $sent in ${took}s, answers ${answers:-none}, expected 10..$cap"
	fi
done
t_expect "four STUN worker threads" "rdv-stun0 rdv-stun1 rdv-stun2 rdv-stun3" \
	"$(cat /proc/"$pid"/task/*/comm | grep '^rdv-stun' | sort | xargs)"
t_expect "64 sources, one request each: all answered" 64 "$(measure many)"
t_expect "and every worker answered some of them" "0 1 2 3" \
	"$(grep 'event=stun-binding from=127\.0\.1\.' "$dir/log" |
	   sed -n 's/.* worker=\([0-9]*\).*/\1/p' | sort -u | xargs)"
t_check "the steering program was taken (no stun-steer warning)" \
	sh -c "! grep -q 'event=stun-steer' '$dir/log'"
t_check "rendezvousd is still running" kill -0 "$pid"

# --- a STUN port already held: refused, even when the holder shares it -----
kill "$pid" && wait "$pid" 2>/dev/null
pid=
for reuse in 0 1; do
	python3 - "$reuse" <<-'PY' &
	import socket, sys, time
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	if sys.argv[1] == "1":
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
	s.bind(("127.0.0.1", 3478))
	time.sleep(3)
	PY
	holder=$!
	sleep 0.5
	"$T_BIN/rendezvousd" -l 127.0.0.1 -u "$dir/users" --stun-workers 2 \
		--plaintext-testing-only >"$dir/held.log" 2>&1 &
	srv=$!
	( sleep 5; kill "$srv" 2>/dev/null ) &
	wait "$srv"
	rc=$?
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	what=plainly
	[ "$reuse" = 1 ] && what="with SO_REUSEPORT (to join the workers' group)"
	t_check "a STUN port held $what: rendezvousd refuses to start (exit $rc)" \
		eval "[ $rc -eq 1 ] && grep -q 'event=startup-failed' '$dir/held.log'"
done
t_done
