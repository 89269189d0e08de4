#!/usr/bin/python3
"""rendezvousd against one hostile host, and against a hostile registered user.

Each case plays the attacker and checks that the attack is refused, that
what it makes the server log is bounded, and that honest users carry on:

- one address opening idle connections cannot fill --max-clients
  (--ip-handshakes), and reconnecting in a loop is slowed (--ip-connects);
- out of file descriptors, the server neither spins nor stops serving;
- a registered user's sessions are capped and go with its connection;
- calling an id that does not exist, one that is offline and one that
  never answers look the same (nobody learns who exists or is online);
- removing a user (or changing its secret) and reloading closes its
  live connection;
- users who share no group cannot reach each other;
- the users file's own limits (sessions=, relays=) beat the command line's
  for that user only, follow a reload, and a bad one refuses the file;
- a caller that stops reading is dropped without harm to the server;
- a relay port belongs to its owner: a replayed probe, or a fresh one
  from elsewhere while the owner talks, cannot take it; a roaming owner
  can; datagrams up to 65507 bytes cross whole; the relay quota is the
  asker's; IPv4 and IPv6 peers meet;
- signaling over TLS binds the registration to the session;
- the metrics endpoint counts right, names nobody, and stalled or odd
  scrapers cost the server nothing.

Runs in a network namespace of its own; 127.0.0.0/8 gives as many source
addresses as it needs. Prints KTAP."""
import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import rdvtest  # noqa: E402
import sigtls  # noqa: E402
from rdvtest import hear, kv, probe, relayed_pair, result, udp  # noqa: E402

rdvtest.enter_netns("NFP_HOSTILE_NETNS")
SERVER = "127.0.0.1"
PORT = 3478
rdvtest.ktap_start()
tmp = tempfile.mkdtemp(prefix="rdv-hostile.")
KEYS = {name: os.urandom(32) for name in ("alice", "bob", "carol", "dave")}
# A test CA and the server's certificate for 127.0.0.1 (section 8).
CA, CAKEY = os.path.join(tmp, "ca.pem"), os.path.join(tmp, "ca.key")
CERT, KEY = os.path.join(tmp, "server.pem"), os.path.join(tmp, "server.key")
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", CAKEY, "-out", CA,
                "-days", "2", "-subj", "/CN=nfpunch test CA"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", KEY, "-out", CERT + ".csr", "-subj", "/CN=rendezvous"],
               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.run(["openssl", "x509", "-req", "-in", CERT + ".csr", "-CA", CA, "-CAkey", CAKEY,
                "-CAcreateserial", "-days", "2", "-out", CERT, "-extfile", "/dev/stdin"],
               input=b"subjectAltName=IP:127.0.0.1,IP:::1\n", check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def write_users(keys, groups=None):
    rdvtest.write_users(os.path.join(tmp, "users"), keys, groups)


class Server(rdvtest.Server):
    def __init__(self, name, *opts, prefix=(), tls=False):
        super().__init__(os.path.join(tmp, name + ".log"), os.path.join(tmp, "users"),
                         *opts, host=SERVER, port=PORT, prefix=prefix,
                         tls=(CERT, KEY) if tls else None)


class Conn(rdvtest.Conn):
    """One signaling connection from address src."""

    def __init__(self, src, timeout=2.0, rcvbuf=0):
        super().__init__(src, SERVER, PORT, timeout, rcvbuf)

    def register(self, name, key=None, extra=""):
        return super().register(name, key or KEYS[name], extra)


def client(src, name):
    c = Conn(src)
    if not c.hello():
        return None, "no HELLO"
    answer = c.register(name)
    return c, answer


def ping(c):
    """PONG if c is served (lines queued before it are skipped)."""
    if c is None:
        return None
    c.send("PING")
    for _ in range(100):
        line = c.line()
        if line in ("PONG", "", None):
            return line
    return None


write_users(KEYS)

# 1. Idle connections from one address, at a pace under --ip-connects.
srv = Server("lockout", "--max-clients", "20")
hogs, greeted = [], 0
for i in range(40):
    try:
        c = Conn("127.0.0.66", timeout=1.0)
    except OSError:
        continue
    if c.hello(timeout=1.0):
        greeted += 1
        hogs.append(c)
    else:
        c.close()
    time.sleep(0.06)
result(greeted == 8, "40 idle connections from one address: %d greeted (--ip-handshakes 8)" % greeted)
t0 = time.monotonic()
alice, answer = client("127.0.0.5", "alice")
took = time.monotonic() - t0
result(answer is not None and answer.startswith("REGISTERED") and took < 1.0,
       "meanwhile alice (another address) registers in %.3f s" % took, answer)
refused = len(srv.lines("reason=ip-handshakes"))
result(1 <= refused <= 15, "the refusals are logged at a bounded rate (%d lines for 32)" % refused)
for c in hogs:
    c.close()

# Reconnecting in a loop: each connection says something bad and is
# dropped, so only the connect rate can slow it down.
t0 = time.monotonic()
accepted = 0
for i in range(200):
    try:
        c = Conn("127.0.0.67", timeout=1.0)
    except OSError:
        continue
    c.send("GARBAGE")
    if c.hello(timeout=1.0):
        accepted += 1
    c.close()
    time.sleep(0.01)
took = time.monotonic() - t0
cap = int(2 + 20 * took + 3)
result(accepted <= cap,
       "200 connect-and-misbehave rounds in %.1f s: %d served (burst 2 + 20/s: at most %d)" %
       (took, accepted, cap))
lines = len(srv.lines("addr=127.0.0.67"))
result(lines <= 5 * (took + 2) + 10,
       "what they made the server log: %d lines in %.1f s (--log-rate 5)" % (lines, took),
       *srv.lines("addr=127.0.0.67")[-3:])
result(ping(alice) == "PONG", "alice is still served")
if alice:
    alice.close()
srv.stop()

# An IPv6 site's many /64s count together (four times one /64), and
# unregistered connections in all stay under --max-handshakes.
for i in range(1, 11):
    subprocess.run(["ip", "-6", "addr", "add", "fd00:48:0:%x::1/128" % i, "dev", "lo"],
                   check=True)
srv = Server("site", "-l", "::1", "--max-handshakes", "40")
hogs = []
for i in range(1, 11):
    for _ in range(4):
        try:
            c = Conn("fd00:48:0:%x::1" % i, timeout=1.0)
        except OSError:
            continue
        if c.hello(timeout=1.0):
            hogs.append(c)
        else:
            c.close()
        time.sleep(0.06)	# under --ip-connects
result(len(hogs) == 32,
       "40 idle connections from ten /64s of one /48: %d greeted (4 x --ip-handshakes)" % len(hogs))
time.sleep(1.1)		# a fresh second of --log-rate for the refusals
for i in range(20):
    try:
        c = Conn("127.0.3.%d" % (i + 1), timeout=1.0)
    except OSError:
        continue
    if c.hello(timeout=1.0):
        hogs.append(c)
    else:
        c.close()
result(len(hogs) == 40 and len(srv.lines("reason=max-handshakes")) >= 1,
       "twenty more from other addresses: %d unregistered in all (--max-handshakes 40)" % len(hogs))
for c in hogs:
    c.close()
srv.stop()

# 2. Out of file descriptors: the server must not spin on its listener.
srv = Server("fds", prefix=["prlimit", "--nofile=40"])
hogs = []
for i in range(60):
    src = "127.0.1.%d" % (1 + i // 2)
    try:
        c = Conn(src, timeout=1.0)
    except OSError:
        continue
    hogs.append(c)
time.sleep(0.5)
greeted = sum(1 for c in hogs if c.hello(timeout=0.2))
# One more, left in the listen queue while the hogs hold every descriptor.
extra = Conn("127.0.2.1", timeout=1.0)
cpu0, t0 = srv.cpu(), time.monotonic()
time.sleep(2.0)
busy = (srv.cpu() - cpu0) / (time.monotonic() - t0)
result(greeted < 60 and busy < 0.10,
       "60 connections with 40 descriptors: %d served, CPU %.1f%% while more wait" %
       (greeted, 100 * busy))
result(extra.line(timeout=1.0) == "",
       "a connection past the descriptor limit is closed, not left waiting")
result(len(srv.lines("reason=fd-limit")) >= 1, "and logged (reason=fd-limit)")
for c in hogs:
    c.close()
time.sleep(0.3)
alice, answer = client("127.0.0.5", "alice")
result(answer is not None and answer.startswith("REGISTERED"),
       "once they are gone, alice registers", answer)
if alice:
    alice.close()
result(srv.alive(), "rendezvousd is still running")
srv.stop()

# 3. A registered user's sessions: capped, and gone with the connection.
srv = Server("sessions", "--msg-rate", "1000", "--answer-timeout", "2",
             "--client-sessions", "64")
alice, a1 = client("127.0.0.5", "alice")
bob, b1 = client("127.0.0.6", "bob")
dave, d1 = client("127.0.0.8", "dave")
accepted = 0
last = ""
for i in range(70):
    alice.send("CONNECT peer=bob cand=192.0.2.10:4000")
    offer = bob.line()
    if offer and offer.startswith("OFFER"):
        bob.send("ANSWER sid=%s cand=192.0.2.20:4000" % kv(offer)["sid"])
    last = alice.line()
    if last and last.startswith("ACCEPTED"):
        accepted += 1
    elif last and "too-many-sessions" in last:
        break
result(accepted == 64 and "code=too-many-sessions" in (last or ""),
       "alice's 65th session is refused (too-many-sessions) after %d accepted" % accepted, last)
st = srv.stats()
result(st.get("sessions") == "64", "the server holds 64 sessions", st)
alice.close()
time.sleep(0.3)
st = srv.stats()
result(st.get("sessions") == "0", "alice disconnects: none is left", st)

# Unknown id, offline id, online id that never answers: one answer.
alice, a1 = client("127.0.0.5", "alice")
outcomes = {}
for peer in ("mallory", "carol", "dave"):
    t0 = time.monotonic()
    alice.send("CONNECT peer=%s cand=192.0.2.10:4000" % peer)
    line = alice.line(timeout=5)
    outcomes[peer] = (kv(line).get("code"), round(time.monotonic() - t0, 1))
codes = {o[0] for o in outcomes.values()}
delays = [o[1] for o in outcomes.values()]
result(codes == {"timeout"} and max(delays) - min(delays) < 0.6 and min(delays) >= 1.5,
       "calling a nonexistent, an offline and a silent id looks the same: %s" % outcomes)
bad = []
for name in ("mallory", "alice"):
    c = Conn("127.0.0.9")
    c.hello()
    bad.append(c.register(name, key=b"\0" * 32))
    c.close()
result(bad[0] == bad[1] == "ERROR code=auth",
       "a wrong key for an existing id and any key for a nonexistent one: the same answer", bad)

# 4. Revocation: carol removed, dave's secret changed, alice untouched.
carol, c1 = client("127.0.0.7", "carol")
result(c1 is not None and c1.startswith("REGISTERED"), "carol registers", c1)
keys = dict(KEYS)
del keys["carol"]
keys["dave"] = os.urandom(32)
write_users(keys)
srv.proc.send_signal(signal.SIGHUP)


def last_words(c):
    """Lines until EOF (at most 10): what a connection was told last."""
    got = []
    for _ in range(10):
        got.append(c.line())
        if got[-1] in ("", None):
            break
    return got[-2:]


got = last_words(carol)
result(got == ["ERROR code=revoked", ""], "carol removed and SIGHUP: told revoked, closed", got)
got = last_words(dave)
result(got == ["ERROR code=revoked", ""], "dave's secret changed: the same", got)
result(ping(alice) == "PONG", "alice, unchanged, is still connected")
c = Conn("127.0.0.7")
c.hello()
result(c.register("carol") == "ERROR code=auth", "carol cannot register again")
result(srv.alive(), "rendezvousd is still running")
srv.stop()

# 6 (below). The relay: probes for its ports (rdvtest.probe), as the modules send them.

# 5. Groups: only users who share one may call each other.
KEYS = {name: os.urandom(32) for name in ("alice", "bob", "carol", "dave")}
write_users(KEYS, {"alice": "team", "bob": "team,ops", "dave": "other"})
srv = Server("groups", "--answer-timeout", "2")
alice, _ = client("127.0.0.5", "alice")
bob, _ = client("127.0.0.6", "bob")
carol, _ = client("127.0.0.7", "carol")
dave, _ = client("127.0.0.8", "dave")
for caller in (dave, carol):
    caller.send("CONNECT peer=bob cand=192.0.2.10:4000")
got = [kv(c.line(timeout=4)).get("code") for c in (dave, carol)]
result(got == ["timeout", "timeout"] and bob.line(timeout=0.5) is None,
       "dave (group other) and carol (no group) call bob (team, ops): "
       "they time out as if he were offline, and bob hears nothing", got)
alice.send("CONNECT peer=bob cand=192.0.2.10:4000")
offer = bob.line()
result(offer is not None and offer.startswith("OFFER") and kv(offer).get("peer") == "alice",
       "alice (team) calls bob: he gets the offer", offer)
result(len(srv.lines("event=connect-refused")) == 2,
       "the two refusals are logged with their reason",
       *srv.lines("event=connect-refused"))
srv.stop()

# 5b. Limits per user (users file sessions=, relays=): a hub gets more
# than the command line's, a guest none, and a reload changes them for the
# next call without dropping anybody; a bad limit refuses the whole file.
def connect(caller, callee):
    caller.send("CONNECT peer=%s cand=192.0.2.10:4000" % callee)
    return caller.line()


def relay_code(pair):
    return "granted" if isinstance(pair[2], tuple) else pair[2].get("code")


limits = {"alice": "team sessions=3 relays=2", "bob": "team", "carol": "team relays=0",
          "dave": "team sessions=0"}
write_users(KEYS, limits)
srv = Server("user-limits", "--client-sessions", "2", "--client-relays", "1")
alice, a1 = client("127.0.0.5", "alice")
bob, b1 = client("127.0.0.6", "bob")
carol, c1 = client("127.0.0.7", "carol")
dave, d1 = client("127.0.0.8", "dave")
result(all(r and r.startswith("REGISTERED") for r in (a1, b1, c1, d1)),
       "a users file with limits loads, and its users register", a1, b1, c1, d1)
got = [relay_code(relayed_pair(alice, bob, "bob")) for _ in range(3)]
got.append(kv(connect(alice, "bob")).get("code"))
result(got == ["granted", "granted", "relay-quota", "too-many-sessions"],
       "alice (sessions=3 relays=2, the command line 2 and 1): 3 sessions, "
       "2 relays, then refusals", got)
got = [relay_code(relayed_pair(bob, carol, "carol")) for _ in range(2)]
got.append(kv(connect(bob, "carol")).get("code"))
result(got == ["granted", "relay-quota", "too-many-sessions"],
       "bob, with no limits of his own, gets the command line's", got)
got = [relay_code(relayed_pair(carol, dave, "dave")),
       kv(connect(dave, "carol")).get("code")]
result(got == ["relay-quota", "too-many-sessions"],
       "carol (relays=0) gets no relay, dave (sessions=0) no session", got)
def reload(keys, limits):
    """Write the file, SIGHUP, and wait until the server has read it: the
    log's "loaded" lines, then its refusals."""
    before = len(srv.lines("event=users"))
    write_users(keys, limits)
    srv.proc.send_signal(signal.SIGHUP)
    for _ in range(100):
        if len(srv.lines("event=users")) > before:
            break
        time.sleep(0.02)


limits["alice"] = "team sessions=5 relays=2"
reload(KEYS, limits)
got = [ping(alice), relay_code(relayed_pair(alice, bob, "bob"))]
result(got == ["PONG", "relay-quota"],
       "reloaded with sessions=5: alice stays connected and gets a 4th "
       "session, no more relays", got)
loaded = len(srv.lines("loaded="))
bad = ["team sessions=x", "team sessions=1000001", "team sessions=5 sessions=6",
       "team flows=9", "team sessions=", "sessions=9 team", "team sessions=-1",
       "team sessions=+9", "team =9", "team relays=0x10", "team,x=1 sessions=9"]
for line in bad:
    reload(KEYS, dict(limits, alice=line))
refused = len(srv.lines("bad or duplicate entry"))
result(refused == len(bad) and len(srv.lines("loaded=")) == loaded,
       "%d users files with a bad limit for alice: each refused as a whole "
       "(%d logged, none loaded)" % (len(bad), refused))
# Her 5th session: still possible under the old table's 5, not under the
# command line's 2 a half-read file would leave her.
got = [ping(alice), relay_code(relayed_pair(alice, bob, "bob")),
       kv(connect(alice, "bob")).get("code")]
result(got == ["PONG", "relay-quota", "too-many-sessions"],
       "the old table stays: alice's 5th session is accepted, her 6th not", got)
srv.stop()

# 6. The relay belongs to its two peers: replays and fresh probes from
# elsewhere cannot take a port from its talking owner.
write_users(KEYS)
srv = Server("relay", "--client-relays", "2", "-l", "::1")
alice, _ = client("127.0.0.5", "alice")
bob, _ = client("127.0.0.6", "bob")
secret, sid, ra, rb = relayed_pair(alice, bob, "bob")
result(isinstance(ra, tuple) and isinstance(rb, tuple), "alice asks for a relay: both get a port",
       ra, rb)
a1, b1 = udp("127.0.0.5"), udp("127.0.0.6")
pa1 = probe(secret, "controlling")
a1.sendto(pa1, ra)
b1.sendto(probe(secret, "controlled"), rb)
time.sleep(0.1)
a1.sendto(b"data1", ra)
got = hear(b1)
b1.sendto(b"back1", rb)
result(got == b"data1" and hear(a1) == b"back1", "their probes lock the ports; data flows both ways")

thief = udp("127.0.0.5")	# another port of alice's address
thief.sendto(pa1, ra)
time.sleep(0.1)
b1.sendto(b"for-alice", rb)
got_a, got_t = hear(a1), hear(thief, 0.3)
result(got_a == b"for-alice" and got_t is None,
       "alice's captured probe replayed from another port of her address: the port stays hers",
       "alice got %r, the thief %r" % (got_a, got_t))
result(len(srv.lines("reason=replay")) >= 1, "the replay is logged (reason=replay)")

thief2 = udp("127.0.0.9")
a1.sendto(b"keepalive", ra)
thief2.sendto(probe(secret, "controlling"), ra)
time.sleep(0.1)
b1.sendto(b"still-alice", rb)
result(hear(a1) == b"still-alice" and hear(thief2, 0.3) is None,
       "a fresh authentic probe from elsewhere while alice talks: refused (port-in-use)")

time.sleep(5.5)		# alice's carrier NAT gives her a new address
a2 = udp("127.0.0.10")
a2.sendto(probe(secret, "controlling"), ra)
time.sleep(0.1)
b1.sendto(b"roamed", rb)
result(hear(a2) == b"roamed", "after 5 s of silence her fresh probe from a new address takes it")

while hear(b1, 0.2) is not None:	# what earlier cases left queued
    pass
for size in (4000, 65507):
    blob = os.urandom(size)
    a2.sendto(blob, ra)
    got = hear(b1, 1.0)
    result(got == blob, "a %d-byte datagram crosses whole (got %s bytes)" %
           (size, len(got) if got else 0))

# The quota is the asker's: alice's two relays do not use up bob's.
_, _, r2, _ = relayed_pair(alice, bob, "bob")
s3 = relayed_pair(alice, bob, "bob")
result(isinstance(r2, tuple) and s3[2].get("code") == "relay-quota",
       "alice's third relay is refused (--client-relays 2)", s3[2])
bob.send("RELAY sid=%s" % s3[1])
got = (kv(bob.line()).get("relay"), kv(alice.line()).get("relay"))
result(all(got), "bob asks for that session's relay himself: granted", got)

# An IPv6 peer meets an IPv4 one.
dave6, _ = client("::1", "dave")
secret, sid, rd, rb = relayed_pair(dave6, bob, "bob", relay_asker=bob)
ok = isinstance(rd, tuple) and isinstance(rb, tuple) and ":" in rd[0] and ":" not in rb[0]
if ok:
    d6, b2 = udp("::1"), udp("127.0.0.6")
    d6.sendto(probe(secret, "controlling"), rd)
    b2.sendto(probe(secret, "controlled"), rb)
    time.sleep(0.1)
    d6.sendto(b"v6-to-v4", rd)
    ok = hear(b2) == b"v6-to-v4"
result(ok, "dave on IPv6 and bob on IPv4 get a relay, and it carries", rd, rb)
if ok:
    # IPv6 carries longer datagrams than IPv4 can: 65508 bytes cannot go
    # out to bob, 65520 would be cut short; neither may hold up or
    # corrupt what comes with them in the same batch.
    d6.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    b2.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    for big in (65508, 65520):
        d6.sendto(b"x" * big, rd)
        d6.sendto(b"after-%d" % big, rd)
    got = [hear(b2), hear(b2), hear(b2, 0.3)]
    result(got == [b"after-65508", b"after-65520", None],
           "too long for IPv4 or cut short: dropped, and what follows still carried",
           [g if g is None or len(g) < 32 else "%d bytes" % len(g) for g in got])
before = srv.stats().get("relays")
keys = dict(KEYS)
del keys["alice"]
write_users(keys)
srv.proc.send_signal(signal.SIGHUP)
time.sleep(0.3)
after = srv.stats().get("relays")
result(before == "4" and after == "1",
       "alice revoked: her three relays end with her (relays %s -> %s)" % (before, after))
bob.send("RELAY sid=%s" % s3[1])
result(kv(bob.line()).get("code") == "unknown-session",
       "and bob cannot get her session's relay again")
srv.stop()

# 6b. Relay first: a relay path beside a punch runs under the session's
# relay secret (its own tags, relay_secret.h); probes under it lock the
# ports, and each side's relay key is still its own. The direct punch's
# probes (under the session secret, never seen by the relay) cannot be
# replayed to take a port.
write_users(KEYS)
srv = Server("relay-first", "-l", "::1")
alice, _ = client("127.0.0.5", "alice")
bob, _ = client("127.0.0.6", "bob")
secret, sid, ra, rb = relayed_pair(alice, bob, "bob", rf=" relayfirst=1")
rs = hmac.new(secret, b"nfpunch 2 relay secret", hashlib.sha1).digest()
a1, b1 = udp("127.0.0.5"), udp("127.0.0.6")
a1.sendto(probe(rs, "controlled"), ra)	# bob's relay key on alice's port
b1.sendto(probe(rs, "controlled"), rb)
time.sleep(0.1)
a1.sendto(b"early", ra)
result(hear(b1, 0.3) is None,
       "a probe under the other side's relay key does not take a port")
a1.sendto(probe(secret, "controlling"), ra)	# a direct probe, replayed
time.sleep(0.1)
a1.sendto(b"early2", ra)
result(hear(b1, 0.3) is None,
       "nor, in a relay first session, one under the session secret")
a1.sendto(probe(rs, "controlling"), ra)
time.sleep(0.1)
a1.sendto(b"rf-data", ra)
got = hear(b1)
b1.sendto(b"rf-back", rb)
result(got == b"rf-data" and hear(a1) == b"rf-back",
       "probes under the session's relay secret lock the ports; data flows both ways")
srv.stop()

# 6c. TCP sessions (proto=tcp, signaling v=3): the server passes the
# protocol on, only to a client that registered with v=3 (an older one
# closes its link on a key it does not know, so a UDP call never carries
# proto at all), takes an answer only in kind, keeps nothing once a TCP
# call is accepted (no relay for it), and its errors for a TCP call say
# so: a client tells its calls apart.
write_users(KEYS)
srv = Server("tcp-session", "--answer-timeout", "1")
c = Conn("127.0.0.5")
greeting = c.line()
result(greeting is not None and kv(greeting).get("v", "0").isdigit() and
       int(kv(greeting)["v"]) >= 3,
       "the server greets with signaling v=3 or later", greeting)
c.close()
alice, _ = client("127.0.0.5", "alice")
bob, _ = client("127.0.0.6", "bob")		# an older client: no v
alice.send("CONNECT peer=bob cand=192.0.2.10:40000 proto=tcp")
old = alice.line()
result(kv(old).get("code") == "peer-without-tcp" and kv(old).get("proto") == "tcp" and
       bob.line(timeout=0.3) is None,
       "a TCP call to a client that registered without v=3: refused, it hears nothing", old)
alice.send("CONNECT peer=bob cand=192.0.2.10:4000 proto=udp")
offer = bob.line()
result(offer is not None and offer.startswith("OFFER") and "proto=" not in offer,
       "a UDP call reaches it without proto, even when the caller said proto=udp", offer)
bob.send("REJECT sid=%s code=busy" % kv(offer).get("sid"))
alice.line()
bob = Conn("127.0.0.6")
bob.hello()
reg = bob.register("bob", extra=" v=3")
result(reg is not None and reg.startswith("REGISTERED"),
       "bob registers again, with v=3", reg)
alice.send("CONNECT peer=bob cand=192.0.2.10:40000 proto=tcp")
offer = bob.line()
result(kv(offer).get("proto") == "tcp" and kv(offer).get("cand") == "192.0.2.10:40000",
       "now a TCP call reaches him as one: OFFER proto=tcp with alice's TCP endpoint", offer)
sid = kv(offer).get("sid")
bob.send("RELAY sid=%s" % sid)
nr = bob.line()
result(kv(nr).get("code") == "no-relay" and kv(nr).get("proto") == "tcp",
       "a TCP session has no relay (ERROR code=no-relay proto=tcp)", nr)
bob.send("ANSWER sid=%s cand=192.0.2.20:40000" % sid)
wrong, told = bob.line(), alice.line()
result(kv(wrong).get("code") == "wrong-proto" and kv(wrong).get("proto") == "tcp" and
       kv(told).get("code") == "rejected" and kv(told).get("proto") == "tcp",
       "bob answers it as a UDP call: refused, and alice's call ends as rejected",
       wrong, told)
alice.send("CONNECT peer=bob cand=192.0.2.10:40001 proto=tcp")
sid = kv(bob.line()).get("sid")
bob.send("ANSWER sid=%s cand=192.0.2.20:40001 proto=tcp" % sid)
acc = alice.line()
result(acc is not None and acc.startswith("ACCEPTED") and kv(acc).get("proto") == "tcp" and
       kv(acc).get("cand") == "192.0.2.20:40001",
       "answered in kind: alice gets ACCEPTED proto=tcp with bob's endpoint", acc)
st = srv.stats()
result(st.get("sessions") == "0",
       "and the server keeps nothing of it (sessions %s): TCP calls cost no session quota"
       % st.get("sessions"))
alice.send("CONNECT peer=carol cand=192.0.2.10:40002 proto=tcp")
to = alice.line(timeout=3)
result(kv(to).get("code") == "timeout" and kv(to).get("proto") == "tcp",
       "an unanswered TCP call times out with proto=tcp in the error", to)
srv.stop()

# 7. A caller that stops reading while its calls are rejected: the
# rejection that overflows its output ends it inside the session code
# (the server once freed the session twice there). Small socket buffers
# in this namespace make its output back up quickly.
subprocess.run(["sysctl", "-qw", "net.ipv4.tcp_wmem=4096 4096 4096"], check=True)
write_users(KEYS)
srv = Server("slow", "--msg-rate", "100000", "--max-outbuf", "4096")
slow = Conn("127.0.0.5", rcvbuf=1024)
slow.hello()
slow.register("mallory" if "mallory" in KEYS else "alice")
bob, _ = client("127.0.0.6", "bob")
# Only rejections reach it, so the one that overflows comes from REJECT.
try:
    for _ in range(200):
        slow.s.sendall(b"CONNECT peer=bob cand=192.0.2.1:4000\n" * 8)
        for _ in range(8):
            offer = bob.line(timeout=0.3)
            if not offer or not offer.startswith("OFFER"):
                break
            bob.send("REJECT sid=%s code=busy" % kv(offer)["sid"])
except OSError:
    pass		# it was dropped: what this case waits for
time.sleep(0.3)
result(len(srv.lines("reason=slow-reader")) >= 1 and srv.alive(),
       "a caller that does not read is dropped (slow-reader) and the server lives on",
       *srv.lines("AddressSanitizer")[:3])
result(ping(bob) == "PONG", "bob is still served")
srv.stop()

# 8. Signaling over TLS: the registration proof is bound to the session,
# so a proof an on-path attacker relays from another connection fails.
# Its clients come from 127.0.0.1 back to back, and --ip-connects (a
# burst of two) is section 1's business: lift it here.
write_users(KEYS)
srv = Server("tls", "--ip-connects", "1000", tls=True)
c = sigtls.SigTLS("127.0.0.1", PORT, CA)
got = c.register("alice", KEYS["alice"])
result(got is not None and got.startswith("REGISTERED"),
       "alice registers over TLS 1.3, her proof covering the session's exporter", got)
c.send("PING")
result(c.line() == "PONG", "and is served")
c.close()
mitm = sigtls.SigTLS("127.0.0.1", PORT, CA)
victim = sigtls.SigTLS("127.0.0.1", PORT, CA)
result(None not in (mitm.nonce, victim.binding),
       "the attacker and alice both get a TLS session and a HELLO",
       *srv.lines("refuse"))
# The attacker hands alice its nonce; her proof covers her own session.
proof = sigtls.register_mac(KEYS["alice"], mitm.nonce or bytes(16),
                           victim.binding or bytes(32), "alice")
mitm.send("REGISTER id=alice mac=%s" % proof)
result(mitm.line() == "ERROR code=auth",
       "a proof made on another TLS session (a relay in the middle) is refused")
mitm.close()
victim.close()
# Key updates cost key derivations and no line limit sees them.
time.sleep(1.1)		# a fresh second of --log-rate for its line
ku = subprocess.run(
    "(for i in $(seq 40); do echo k; sleep 0.02; done; sleep 1) | "
    "timeout 10 openssl s_client -connect 127.0.0.1:%d -CAfile %s 2>&1 | "
    "grep -c KEYUPDATE" % (PORT, CA), shell=True, capture_output=True, text=True)
time.sleep(0.2)
result(len(srv.lines("key updates")) == 1,
       "a client streaming TLS key updates is dropped after 16 (it sent %s)" %
       ku.stdout.strip(), *srv.lines("tls-failed"))
raw = Conn("127.0.0.5")
raw.send("REGISTER id=alice mac=%s" % ("0" * 64))
result(raw.line(timeout=2) in ("", None) and not raw.nonce,
       "a plaintext client gets no HELLO and nothing in the clear")
raw.close()
srv.stop()

# 9. Metrics (--metrics): the counts an operator scrapes are right, the
# page holds no ids or addresses, and clients of the endpoint that stall,
# flood or ask for anything else cost the server nothing.
MPORT = 9478


def http(req, src="127.0.0.1", timeout=3.0):
    """Send req (bytes) to the metrics port; the whole answer, or None."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    try:
        s.connect((SERVER, MPORT))
        s.sendall(req)
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return got.decode(errors="replace")
            got += chunk
    except OSError:
        return None
    finally:
        s.close()


def scrape():
    """{"name{labels}": value} from GET /metrics; None on failure."""
    got = http(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    if not got or " 200 " not in got.split("\r\n", 1)[0]:
        return None
    body = got.split("\r\n\r\n", 1)[1]
    out = {}
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        out[name] = float(value)
    return out, body


write_users(KEYS)
srv = Server("metrics", "--metrics", "%s:%d" % (SERVER, MPORT), "--stun-rate", "10",
             "--answer-timeout", "2")
alice, _ = client("127.0.0.5", "alice")
bob, _ = client("127.0.0.6", "bob")
bad = Conn("127.0.0.7")
bad.hello()
bad.register("carol", key=b"\0" * 32)
stun = udp("127.0.0.8")
for _ in range(30):		# a burst of 30 against a bucket of 1 + 10/s
    stun.sendto(b"\0\x01\0\0\x21\x12\xa4\x42" + os.urandom(12), (SERVER, PORT))
stun.sendto(b"not stun at all", (SERVER, PORT))
alice.send("CONNECT peer=bob cand=192.0.2.1:4000")
time.sleep(0.5)
got = scrape()
m, body = got if got else ({}, "")
want = {
    'rendezvousd_clients{state="registered"}': 2,
    'rendezvousd_registrations_total': 2,
    'rendezvousd_auth_failures_total': 1,
    'rendezvousd_disconnects_total{reason="auth-failed"}': 1,
    'rendezvousd_sessions_open': 1,
    'rendezvousd_sessions_total': 1,
    'rendezvousd_stun_ignored_total': 1,
}
wrong = {k: m.get(k) for k, v in want.items() if m.get(k) != v}
result(got is not None and not wrong,
       "GET /metrics: clients, registrations, auth failures, disconnects, sessions, ignored STUN",
       wrong or "", body if wrong else "")
answers, limited = m.get("rendezvousd_stun_answers_total"), m.get("rendezvousd_stun_limited_total")
result(answers is not None and limited is not None and answers + limited == 30 and
       1 <= answers <= 4,
       "STUN answers and refusals add up to the 30 requests (%s answered, %s limited)" %
       (answers, limited))
result(body and "alice" not in body and "127.0.0" not in body,
       "the page names no user and no address")
typed = {line.split()[2]: line.split()[3] for line in body.splitlines()
         if line.startswith("# TYPE")}
samples = {k.split("{")[0] for k in m}
result(len(typed) >= 10 and set(typed.values()) <= {"counter", "gauge"} and
       samples <= set(typed) and all(k.endswith("_total") == (v == "counter")
                                     for k, v in typed.items()),
       "every sample's metric declares its type; counters, and only they, end in _total (%d)" %
       len(typed), sorted(samples - set(typed)))
status = [(http(req) or "").split("\r\n", 1)[0] for req in (
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
    b"GARBAGE\r\n\r\n")]
result(" 404 " in status[0] and " 405 " in status[1] and " 200 " not in status[2],
       "another path: 404; another method: 405; garbage: no page", status)
# Two connections per address: a third from the same one is turned away.
per_ip = []
for _ in range(3):
    c = socket.socket()
    c.bind(("127.0.2.1", 0))
    c.settimeout(1)
    c.connect((SERVER, MPORT))
    per_ip.append(c)
time.sleep(0.5)


def closed(c, wait=0.05):
    """Has the server closed c (EOF or reset) within wait seconds?"""
    try:
        c.settimeout(wait)
        return c.recv(100) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


got = [closed(c) for c in per_ip]
result(got == [False, False, True], "a third connection from one address is closed at once", got)
for c in per_ip:
    c.close()
# Stalled clients, from 24 addresses: the server takes at most 16 at a
# time (the rest wait in the listen queue), drops each after its 5 s,
# and the signaling does not notice.
def fds():
    return len(os.listdir("/proc/%d/fd" % srv.proc.pid))


fd0 = fds()
stall = []
for i in range(24):
    try:
        c = socket.socket()
        c.bind(("127.0.1.%d" % (i + 1), 0))
        c.settimeout(1)
        c.connect((SERVER, MPORT))
        c.sendall(b"GET /metr")		# and never more
        stall.append(c)
    except OSError:
        pass
t0 = time.monotonic()
pong = ping(alice)
result(pong == "PONG" and time.monotonic() - t0 < 1.0,
       "24 stalled scrapers: signaling still answers at once (%.2f s)" % (time.monotonic() - t0))
time.sleep(1)
early = sum(closed(c) for c in stall)
result(len(stall) == 24 and fds() - fd0 <= 16 and early == 0,
       "the server holds at most 16 of them (%d descriptors more), closing none early (%d)" %
       (fds() - fd0, early))

left = stall
for _ in range(150):		# two rounds of 5 s, and slack
    left = [c for c in left if not closed(c, 0.01)]
    if not left:
        break
    time.sleep(0.1)
result(not left, "each is closed after the 5 s timeout, all within %.1f s (%d left)" %
       (time.monotonic() - t0, len(left)))
for c in stall:
    c.close()
result(scrape() is not None, "and serves a scrape again")
srv.stop()
bad.close()

# 10. Every state has a deadline (kept by a timer heap, not a scan):
# unregistered and idle connections, sessions after their lifetime,
# relays idle or past --relay-lifetime, a session whose relay ended.
write_users(KEYS)
srv = Server("deadlines", "--register-timeout", "1", "--idle-timeout", "2",
             "--session-lifetime", "2", "--relay-idle", "2")
mute = Conn("127.0.0.9")
mute.hello()
t0 = time.monotonic()
got = mute.line(timeout=4)
dt = time.monotonic() - t0
result(got == "" and 0.9 < dt < 2.5 and srv.lines("reason=register-timeout"),
       "no REGISTER: closed after --register-timeout 1 (%.1f s)" % dt)
alice, _ = client("127.0.0.5", "alice")
bob, _ = client("127.0.0.6", "bob")
carol, _ = client("127.0.0.7", "carol")
t_carol = time.monotonic()
# alice and bob keep talking; carol says nothing.
secret, sid, ra, rb = relayed_pair(alice, bob, "bob")
a1, b1 = udp("127.0.0.5"), udp("127.0.0.6")
a1.sendto(probe(secret, "controlling"), ra)
b1.sendto(probe(secret, "controlled"), rb)
alice.send("CONNECT peer=bob cand=192.0.2.10:4000")
sid2 = kv(bob.line()).get("sid")
bob.send("ANSWER sid=%s cand=192.0.2.20:4000" % sid2)
alice.line()
t_answer = time.monotonic()
counts = []
for i in range(6):		# 3 s: past every 2 s deadline but the relay's
    time.sleep(0.5)
    a1.sendto(b"keep", ra)
    alice.send("PING")
    bob.send("PING")
    if i in (1, 5):		# 1 s and 3 s after the answer
        counts.append(srv.stats().get("sessions"))
words = last_words(carol)
dt = time.monotonic() - t_carol
idle = [line for line in srv.lines("id=carol") if "reason=idle-timeout" in line]
result(words[-1] == "" and idle and 1.8 < dt < 4.5,
       "a registered client silent for --idle-timeout 2 is closed (by %.1f s)" % dt)
while alice.line(timeout=0.1) not in (None, ""):
    pass
result(ping(alice) == "PONG" and ping(bob) == "PONG",
       "alice and bob, who talk, are not")
result(counts == ["2", "1"],
       "the answered session without a relay lives 1 s, and is gone by 3 s "
       "(--session-lifetime 2); the relayed one stays", counts)
alice.send("RELAY sid=%s" % sid2)
got = kv(alice.line()).get("code")
result(got == "unknown-session" and srv.lines("reason=lifetime"),
       "its id is unknown now", got)
result(srv.stats().get("relays") == "1",
       "the relay that carries traffic outlives its session's lifetime and --relay-idle")
for _ in range(6):		# the relay silent (--relay-idle 2), its users not
    time.sleep(0.5)
    alice.send("PING")
    bob.send("PING")
st = srv.stats()
result(st.get("relays") == "0" and st.get("sessions") == "0" and
       len(srv.lines("reason=lifetime")) == 2,
       "a relay silent for --relay-idle 2 ends, and its session, past its lifetime, with it",
       st)
srv.stop()
# A busy relay ends at --relay-lifetime, and the session it kept after
# one side left ends with it.
srv = Server("relay-gone", "--relay-idle", "1", "--relay-lifetime", "3")
alice, _ = client("127.0.0.5", "alice")
bob, _ = client("127.0.0.6", "bob")
secret, sid, ra, rb = relayed_pair(alice, bob, "bob")
a1, b1 = udp("127.0.0.5"), udp("127.0.0.6")
a1.sendto(probe(secret, "controlling"), ra)
b1.sendto(probe(secret, "controlled"), rb)
t0 = time.monotonic()
bob.close()
mid = None
while time.monotonic() - t0 < 4.0:	# traffic keeps it from idling
    a1.sendto(b"keep", ra)
    time.sleep(0.3)
    if mid is None and time.monotonic() - t0 > 2.0:
        mid = srv.stats()
st = srv.stats()
end = srv.lines("event=relay-end")
result(mid and mid.get("relays") == "1" and mid.get("sessions") == "1",
       "2 s of traffic: past --relay-idle 1, the relay and the session it keeps live", mid)
result(st.get("relays") == "0" and st.get("sessions") == "0" and
       srv.lines("reason=relay-gone") and end and "a_to_b_packets=0" not in end[0],
       "--relay-lifetime 3 ends the busy relay, and the session with it (relay-gone)",
       st, *end)
srv.stop()

subprocess.run(["rm", "-rf", tmp])
rdvtest.ktap_done()
