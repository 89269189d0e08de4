#!/bin/bash
# STUN over TCP on rendezvousd's signaling port (RFC 8489 section 6.2), the
# first step of TCP hole punching (issue 18): a TCP punch learns its
# port's mapping from a connection of its own. TLS signaling and STUN
# share the port; the client's first byte tells them apart. Plays the
# clients that get it wrong too: split and back-to-back messages, a bad
# cookie, an oversized length, neither TLS nor STUN, a flood on one
# connection, and one that never finishes.
# Runs in a network namespace of its own (loopback only).
if [ -z "${NFP_STUN_TCP_NETNS:-}" ]; then
	NFP_STUN_TCP_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. "$(dirname "$0")/../lib/test.sh"
ip link set lo up
dir=$(mktemp -d)
pid= turn=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$turn" ] && kill "$turn" 2>/dev/null && wait "$turn" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 -subj "/CN=test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=rendezvous" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,IP:::1\n' >"$dir/server.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
	-CAcreateserial -days 2 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
echo "alice $(printf '%064d' 0)" >"$dir/users"
"$T_BIN/rendezvousd" -l 127.0.0.1 -l ::1 -u "$dir/users" \
	--tls-cert "$dir/server.pem" --tls-key "$dir/server.key" \
	--register-timeout 2 --msg-rate 5 --ip-handshakes 4 --ip-connects 1000 \
	--metrics 127.0.0.1:9478 >"$dir/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	ss -Hltn 'src 127.0.0.1:3478' | grep -q . && break
	sleep 0.05
done

# client.py CASE: one line of results.
client() {
	python3 - "$@" <<'PY'
import os, socket, struct, sys, time

COOKIE = 0x2112A442

def request(attrs=b""):
    return struct.pack("!HHI", 1, len(attrs), COOKIE) + os.urandom(12) + attrs

def conn(family=socket.AF_INET, src=None):
    s = socket.socket(family, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(3)
    s.connect(("::1" if family == socket.AF_INET6 else "127.0.0.1", 3478))
    return s

def read_msg(s):
    hdr = b""
    while len(hdr) < 20:
        d = s.recv(20 - len(hdr))
        if not d:
            return None
        hdr += d
    n = struct.unpack("!H", hdr[2:4])[0]
    body = b""
    while len(body) < n:
        d = s.recv(n - len(body))
        if not d:
            return None
        body += d
    return hdr + body

def xma(msg, tid):
    """(type, addr, port) of an answer, its XOR-MAPPED-ADDRESS decoded."""
    t = struct.unpack("!H", msg[:2])[0]
    if msg[8:20] != tid:
        return (t, "wrong-tid", 0)
    off = 20
    while off + 4 <= len(msg):
        at, al = struct.unpack("!HH", msg[off:off + 4])
        v = msg[off + 4:off + 4 + al]
        if at == 0x0020:
            port = struct.unpack("!H", v[2:4])[0] ^ (COOKIE >> 16)
            if v[1] == 1:
                a = struct.unpack("!I", v[4:8])[0] ^ COOKIE
                return (t, socket.inet_ntoa(struct.pack("!I", a)), port)
            key = struct.pack("!I", COOKIE) + tid
            raw = bytes(x ^ y for x, y in zip(v[4:20], key))
            return (t, socket.inet_ntop(socket.AF_INET6, raw), port)
        off += 4 + ((al + 3) & ~3)
    return (t, "none", 0)

def closed(s, wait=3):
    s.settimeout(wait)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

case = sys.argv[1]
if case in ("one", "one6"):
    s = conn(socket.AF_INET6 if case == "one6" else socket.AF_INET)
    q = request()
    s.sendall(q)
    t, a, p = xma(read_msg(s), q[8:20])
    me = s.getsockname()
    print("%04x %s %s" % (t, "self" if (a, p) == (me[0], me[1]) else "%s:%d" % (a, p),
                          "ok" if t == 0x0101 else "bad"))
elif case == "framing":
    # Two requests in one segment, then one split over three writes.
    s = conn()
    q1, q2, q3 = request(), request(), request()
    s.sendall(q1 + q2)
    got = [xma(read_msg(s), q[8:20])[1] for q in (q1, q2)]
    for part in (q3[:3], q3[3:11], q3[11:]):
        s.sendall(part)
        time.sleep(0.1)
    got.append(xma(read_msg(s), q3[8:20])[1])
    print(" ".join("self" if a == "127.0.0.1" else a for a in got))
elif case == "change":
    # CHANGE-REQUEST is UDP's (RFC 5780): 420 here, on the connection.
    s = conn()
    q = request(struct.pack("!HHI", 0x0003, 4, 0x06))
    s.sendall(q)
    m = read_msg(s)
    print("%04x" % struct.unpack("!H", m[:2])[0] if m else "none")
elif case == "badcookie":
    s = conn()
    q = bytearray(request())
    q[4:8] = b"\0\0\0\0"
    s.sendall(bytes(q))
    print("closed" if closed(s) else "open")
elif case == "toolong":
    s = conn()
    s.sendall(struct.pack("!HHI", 1, 2000, COOKIE) + os.urandom(12))
    print("closed" if closed(s) else "open")
elif case == "other":
    s = conn()
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    print("closed" if closed(s) else "open")
elif case == "flood":
    # --msg-rate 5 (burst 10): 40 requests at once close the connection.
    s = conn()
    s.sendall(b"".join(request() for _ in range(40)))
    n = 0
    while read_msg(s) is not None:
        n += 1
    print(n)
elif case == "silent":
    # Connected, nothing sent: closed at the register deadline (2 s).
    s = conn()
    t0 = time.monotonic()
    c = closed(s, 6)
    print("closed" if c else "open", "%.0f" % (time.monotonic() - t0))
elif case == "slow":
    # Half a header, then nothing: closed at the register deadline (2 s).
    s = conn()
    s.sendall(request()[:10])
    t0 = time.monotonic()
    c = closed(s, 6)
    print("closed" if c else "open", "%.0f" % (time.monotonic() - t0))
elif case == "gauge":
    # Two STUN connections open, answered: the metrics call them stun.
    import urllib.request
    held = [conn() for _ in range(2)]
    for s in held:
        s.sendall(request())
        read_msg(s)
    page = urllib.request.urlopen("http://127.0.0.1:9478/metrics").read().decode()
    gauge = dict(l.split() for l in page.splitlines()
                 if l.startswith("rendezvousd_clients{"))
    print(gauge.get('rendezvousd_clients{state="stun"}'),
          gauge.get('rendezvousd_clients{state="handshake"}'))
elif case == "hold":
    # More unfinished connections from one address than --ip-handshakes.
    held = []
    for _ in range(4):
        s = conn(src="127.0.0.7")
        s.sendall(request()[:5])
        held.append(s)
    time.sleep(0.3)
    s = conn(src="127.0.0.7")
    print("closed" if closed(s, 1) else "open")
PY
}

t_match "a Binding request over TCP: answered with the connection's own address" \
	"^0101 self ok$" "$(client one)"
t_match "and over IPv6" "^0101 self ok$" "$(client one6)"
t_expect "two requests in one segment, and one split over three writes: all answered" \
	"self self self" "$(client framing)"
t_expect "CHANGE-REQUEST (RFC 5780, UDP only) gets a 420 error" 0111 "$(client change)"
t_expect "a request without the magic cookie: the connection is closed" closed "$(client badcookie)"
t_expect "a length past the limit: closed" closed "$(client toolong)"
t_expect "neither TLS nor STUN: closed" closed "$(client other)"
n=$(client flood)
t_check "40 requests at once over --msg-rate 5 (burst 10): answered up to the burst, then closed ($n answers)" \
	test "${n:-99}" -ge 1 -a "${n:-99}" -le 11
read -r state secs <<<"$(client silent)"
t_check "connected and silent: closed at the 2 s register deadline (after ${secs:-?} s)" \
	test "$state" = closed -a "${secs:-0}" -ge 1 -a "${secs:-9}" -le 4
read -r state secs <<<"$(client slow)"
t_check "half a message, then silence: closed at the 2 s register deadline (after ${secs:-?} s)" \
	test "$state" = closed -a "${secs:-0}" -ge 1 -a "${secs:-9}" -le 4
t_expect "STUN connections count as unregistered ones (--ip-handshakes 4): the 5th is refused" \
	closed "$(client hold)"
t_expect "the metrics gauge open STUN connections apart: clients{state=stun} 2, handshake 0" \
	"2 0" "$(client gauge)"

# punchd's side (helper/common/tcp_punch.c) against this server and
# against an independent one (coturn, TCP STUN on 127.0.0.2).
t_expect "tcp_punch_mapping() against rendezvousd: the port as the server saw it" \
	"mapped 127.0.0.3:4000" "$("$T_BIN/selftests/tools/tcp-punch" mapping 127.0.0.3:4000 127.0.0.1:3478)"
if command -v turnserver >/dev/null; then
	turnserver -n --no-tls --no-dtls --no-cli -S -L 127.0.0.2 -p 3478 --no-stdout-log \
		--log-file "$dir/turn.log" --pidfile "$dir/turn.pid" >/dev/null 2>&1 &
	turn=$!
	for _ in $(seq 100); do
		ss -Hltn 'src 127.0.0.2:3478' | grep -q . && break
		sleep 0.05
	done
	t_expect "and against coturn's STUN over TCP" "mapped 127.0.0.3:4001" \
		"$("$T_BIN/selftests/tools/tcp-punch" mapping 127.0.0.3:4001 127.0.0.2:3478)"
	kill "$turn" 2>/dev/null
	wait "$turn" 2>/dev/null
	turn=
else
	t_skip "and against coturn's STUN over TCP" "coturn (turnserver) is not installed"
fi

# The same port still speaks TLS signaling.
hello=$(timeout 5 openssl s_client -connect 127.0.0.1:3478 -CAfile "$dir/ca.pem" \
	-verify_return_error -quiet </dev/null 2>/dev/null | head -n 1)
t_match "TLS on the same port: the handshake verifies and the server greets" "^HELLO( v=[0-9]+)? nonce=" "$hello"

metrics=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:9478/metrics').read().decode())")
answers=$(awk '$1 == "rendezvousd_stun_answers_total" { print $2 }' <<<"$metrics")
t_check "the metrics count the TCP answers (${answers:-none})" test "${answers:-0}" -ge 6
# The refusals were the server's reading of STUN, not a failed TLS.
reason() { awk -v r="rendezvousd_disconnects_total{reason=\"$1\"}" '$1 == r { print $2 }' <<<"$metrics"; }
t_check "a bad cookie and an oversized length: closed as not-stun ($(reason not-stun))" \
	test "$(reason not-stun)" -ge 2
t_check "the HTTP request: closed as not-tls-or-stun ($(reason not-tls-or-stun))" \
	test "$(reason not-tls-or-stun)" -ge 1
t_check "rendezvousd is still running" kill -0 "$pid"
t_check "no sanitizer report" sh -c "! grep -q 'Sanitizer\|runtime error' '$dir/log'"
t_done
