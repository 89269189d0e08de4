#!/usr/bin/python3
"""rendezvousd renews a relay that --relay-lifetime will end (signaling
v=6), so that its clients move to another before it goes:

- RELAYED says the relay's lifetime to a v=6 client, never to an older
  one (its parser would refuse the key);
- RELAY relay=PORT in the first half of that relay's life, or naming a
  port that is not the asker's, or from a stranger who knows the session
  id, makes no relay: the asker hears of the one there is;
- in the second half it makes another, even at the requester's quota,
  and both sides hear of it, with its generation: its owners probe
  under a secret of its own (relay_secret.h), and the session secret no
  longer opens it; the other side asking with the old port then hears
  of the new one, and no third is made;
- the old relay forwards on while they move, and ends once both sides
  RELEASE it by their port of it (one side, or a stranger, ends
  nothing), or else by its lifetime; the session and the new relay live
  on, and the new one renews again;
- with one side gone or older than v=6, or a lifetime too short (or
  none), a renewal is refused (renew-unavailable) and RELAYED says no
  lifetime: nothing for a client to ask again and again.

Runs in a network namespace of its own. Prints KTAP."""
import atexit
import os
import subprocess
import sys
import hashlib
import hmac
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import rdvtest  # noqa: E402
from rdvtest import (Server, forwards, kv, lock, port, probe, relayed_pair, result,  # noqa: E402
                     settle, udp, write_users)

rdvtest.enter_netns("NFP_RENEW_NETNS")
rdvtest.ktap_start()
tmp = tempfile.mkdtemp(prefix="rdv-renew.")
KEYS = {n: os.urandom(32) for n in ("alice", "bob", "carol", "mallory")}
users = os.path.join(tmp, "users")
write_users(users, KEYS)
LIFE = 10
srv = Server(os.path.join(tmp, "rdv.log"), users, "--client-relays", "1",
             "--relay-idle", "120", "--relay-lifetime", str(LIFE))
atexit.register(lambda: srv.proc.kill())     # should the script end early

ADDR = {"alice": "127.0.0.5", "bob": "127.0.0.6", "carol": "127.0.0.7",
        "mallory": "127.0.0.8"}


def client(name, v=" v=6"):
    return rdvtest.registered(ADDR[name], name, KEYS[name], v)


def allocs():
    return len(srv.lines("event=relay-alloc "))


def accepted_call(caller, callee, cand):
    """caller calls callee (bob), who answers: the session id, once the
    caller heard ACCEPTED (its line returned)."""
    caller.send("CONNECT peer=bob cand=%s" % cand)
    sid = kv(callee.line())["sid"]
    callee.send("ANSWER sid=%s cand=192.0.2.20:4000" % sid)
    return sid, caller.line()


def gen_secret(secret, gen):
    """The secret a renewed relay's owners probe under (relay_secret.h)."""
    return hmac.new(secret, b"nfpunch 2 relay secret %d" % gen, hashlib.sha1).digest()


alice, greet = client("alice")
result(kv(greet).get("v") == "7", "the server greets with signaling v=7", greet)
bob, _ = client("bob")
carol, _ = client("carol", " v=5")
mallory, _ = client("mallory")

# RELAYED's lifetime: relayed_pair() reads the lines itself, so ask here.
sid, acc = accepted_call(alice, bob, "192.0.2.10:4000")
secret = bytes.fromhex(kv(acc)["secret"])
alice.send("RELAY sid=%s" % sid)
t0 = time.monotonic()
ra_line, rb_line = alice.line(), bob.line()
ep = lambda v: (v.rsplit(":", 1)[0], int(v.rsplit(":", 1)[1]))  # noqa: E731
ra, rb = ep(kv(ra_line)["relay"]), ep(kv(rb_line)["relay"])
life = [kv(x).get("lifetime") for x in (ra_line, rb_line)]
result(life[0] in (str(LIFE - 1), str(LIFE)) and life[1] == life[0],
       "RELAYED tells both v=6 sides the relay's lifetime (%s s)" % LIFE, ra_line, rb_line)

a1, b1 = udp(ADDR["alice"]), udp(ADDR["bob"])
lock(secret, a1, b1, ra, rb)
result(forwards(a1, b1, ra, b"first") and forwards(b1, a1, rb, b"back"),
       "the relay carries their datagrams")

# Too early, another's port, a stranger: no new relay.
alice.send("RELAY sid=%s relay=%s" % (sid, port(ra)))
early = alice.line()
result(kv(early).get("relay") == port(ra) and settle(bob) == "PONG" and allocs() == 1,
       "a renewal in the relay's first half: alice hears of the same relay, bob of nothing",
       early)
mallory.send("RELAY sid=%s relay=%s" % (sid, port(ra)))
got = mallory.line()
result(kv(got).get("code") == "unknown-session" and allocs() == 1,
       "mallory, who knows the session id, renews nothing", got)

time.sleep(max(0, LIFE / 2 + 0.3 - (time.monotonic() - t0)))
alice.send("RELAY sid=%s relay=%s" % (sid, port(rb)))
got = alice.line()
result(kv(got).get("relay") == port(ra) and settle(bob) == "PONG" and allocs() == 1,
       "in the second half, alice naming bob's port renews nothing", got)

# The renewal, at alice's quota (--client-relays 1).
alice.send("RELAY sid=%s relay=%s" % (sid, port(ra)))
na_line, nb_line = alice.line(), bob.line()
t_renew = time.monotonic()
na, nb = kv(na_line).get("relay"), kv(nb_line).get("relay")
result(na and nb and na != port(ra) and nb != port(rb) and allocs() == 2 and
       kv(na_line).get("lifetime") in (str(LIFE - 1), str(LIFE)) and
       kv(na_line).get("gen") == "1" and kv(nb_line).get("gen") == "1" and
       srv.lines("event=relay-renew sid=%s by=alice result=ok" % sid),
       "in the second half alice's renewal makes another relay, at her quota all the same, "
       "and both hear of it with its lifetime and generation 1", na_line, nb_line)
na, nb = ep(na), ep(nb)
bob.send("RELAY sid=%s relay=%s" % (sid, port(rb)))
again = bob.line()
result(kv(again).get("relay") == port(nb) and allocs() == 2 and alice.line(0.3) is None,
       "bob asking with his old port hears of the new relay; no third is made", again)

result(forwards(a1, b1, ra, b"old-still") and forwards(b1, a1, rb, b"old-back"),
       "the old relay still forwards while they move")
# The session secret does not open the successor: a2 is not let in.
a2 = udp(ADDR["alice"])
a2.sendto(probe(secret, "controlling"), na)
b1.sendto(probe(gen_secret(secret, 1), "controlled"), nb)
time.sleep(0.2)
result(not forwards(a2, b1, na, b"not-yours"),
       "a probe under the session secret does not open the new relay")
a1.sendto(probe(gen_secret(secret, 1), "controlling"), na)
time.sleep(0.2)
result(forwards(a1, b1, na, b"new") and forwards(b1, a1, nb, b"new-back"),
       "under generation 1's secret, the new one forwards")

# They moved: the old one ends once both let it go, by their ports.
alice.send("RELEASE sid=%s relay=%s" % (sid, port(ra)))
mallory.send("RELEASE sid=%s relay=%s" % (sid, port(rb)))
alice.send("RELEASE sid=%s relay=%s" % (sid, port(rb)))	# bob's port: not hers
settle(alice)
settle(mallory)
result(not srv.lines("event=relay-end ") and forwards(a1, b1, ra, b"old-kept"),
       "alice releases the old relay; mallory and a port not hers release nothing: it stays")
bob.send("RELEASE sid=%s relay=%s" % (sid, port(rb)))
settle(bob)
end = srv.lines_soon("event=relay-end ", 2)
st = srv.stats()
result(len(end) == 1 and "a_port=%s" % port(ra) in end[0] and "reason=released" in end[0] and
       st.get("sessions") == "1" and st.get("relays") == "1",
       "bob too: the old relay ends (reason=released); the session and the new one live on",
       *end, st)
result(not forwards(a1, b1, ra, b"gone") and forwards(a1, b1, na, b"after"),
       "after it, only the new relay forwards")

# The new one renews in its own second half; not released, it ends by
# its lifetime.
time.sleep(max(0, LIFE / 2 + 0.3 - (time.monotonic() - t_renew)))
alice.send("RELAY sid=%s relay=%s" % (sid, port(na)))
r1, r2 = alice.line(), bob.line()
result(kv(r1).get("relay") not in (None, port(na), port(ra)) and
       kv(r2).get("relay") not in (None, port(nb)) and allocs() == 3 and
       kv(r1).get("gen") == "2",
       "the new relay renews in its own second half (generation 2)", r1, r2)
end = srv.lines_soon("reason=lifetime", LIFE + 2 - (time.monotonic() - t_renew))
result(len(end) == 1 and "a_port=%s" % port(na) in end[0] and
       time.monotonic() - t_renew >= LIFE - 1.5,
       "never released, generation 1 ends by its lifetime (%.1f s)" %
       (time.monotonic() - t_renew), *end)

# An older client: its sessions have no lifetime said, and no renewal.
sid2, _ = accepted_call(carol, bob, "192.0.2.30:4000")
bob.send("RELAY sid=%s" % sid2)
c_line, b_line = carol.line(), bob.line()
result(c_line.startswith("RELAYED ") and "lifetime=" not in c_line + b_line,
       "carol (v=5) with bob: no lifetime said to either", c_line, b_line)
bob.send("RELAY sid=%s relay=%s" % (sid2, kv(b_line)["relay"]))
got = bob.line()
result(kv(got).get("code") == "renew-unavailable",
       "bob's renewal there is refused: renew-unavailable", got)

# mallory calls bob and leaves: no renewal either.
sid3, _ = accepted_call(mallory, bob, "192.0.2.40:4000")
mallory.send("RELAY sid=%s" % sid3)
m_line = mallory.line()
b3_line = bob.line()
result("lifetime=" in m_line and "lifetime=" in b3_line,
       "mallory (v=6) and bob: the lifetime is said", m_line, b3_line)
mallory.close()
srv.lines_soon("event=disconnect id=mallory", 3)	# the server saw her go
made = allocs()
bob.send("RELAY sid=%s relay=%s" % (sid3, kv(b3_line)["relay"]))
got = bob.line()
result(kv(got).get("code") == "renew-unavailable" and allocs() == made,
       "mallory gone: bob's renewal is refused (renew-unavailable)", got)
srv.stop()

# A lifetime too short to move in (or none): nothing said, nothing renewed.
for opts in (("--relay-lifetime", "5"), ()):
    srv = Server(os.path.join(tmp, "rdv-%d.log" % len(opts)), users, *opts)
    alice, _ = client("alice")
    bob, _ = client("bob")
    sid, _ = accepted_call(alice, bob, "192.0.2.10:4000")
    alice.send("RELAY sid=%s" % sid)
    a_line, _ = alice.line(), bob.line()
    alice.send("RELAY sid=%s relay=%s" % (sid, kv(a_line).get("relay")))
    got = alice.line()
    result("lifetime=" not in a_line and kv(got).get("code") == "renew-unavailable" and
           allocs() == 1,
           "%s: no lifetime said, a renewal refused" % (" ".join(opts) or "no --relay-lifetime"),
           a_line, got)
    srv.stop()

subprocess.run(["rm", "-rf", tmp])
rdvtest.ktap_done()
