#!/usr/bin/python3
"""rendezvousd passes CANDIDATE (trickle, signaling v=4) on, and only as
its rules say, against honest clients and a hostile one:

- either side of an accepted UDP session sends one: the other side gets
  it with who sent it and the address the server sees it at;
- not before the call is answered, not for a session of others (mallory
  has alice's and bob's session id: nobody hears a thing), not for an
  unknown session;
- never to a client that registered without v=4 (it would close its
  link on a verb it does not know): the sender is told;
- a client's CANDIDATE that names a peer or an observed address itself,
  or carries two candidates, is refused; four per side and session, then
  refused; every refusal has a code of its own (trickle-...), which a
  client does not mistake for the end of its session;
- through a relayed session too, and the connection of the refused
  sender stays up.

Runs in a network namespace of its own. Prints KTAP."""
import atexit
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import rdvtest  # noqa: E402
from rdvtest import Server, kv, result, write_users  # noqa: E402

rdvtest.enter_netns("NFP_TRICKLE_NETNS")
rdvtest.ktap_start()
tmp = tempfile.mkdtemp(prefix="rdv-trickle.")
KEYS = {n: os.urandom(32) for n in ("alice", "bob", "carol", "mallory")}
users = os.path.join(tmp, "users")
write_users(users, KEYS)
srv = Server(os.path.join(tmp, "rdv.log"), users, "--answer-timeout", "2")
atexit.register(lambda: srv.proc.kill())     # should the script end early

ADDR = {"alice": "127.0.0.5", "bob": "127.0.0.6", "carol": "127.0.0.7",
        "mallory": "127.0.0.8"}


def client(name, v=" v=4"):
    return rdvtest.registered(ADDR[name], name, KEYS[name], v)


alice, greet = client("alice")
result(int(kv(greet).get("v", "0")) >= 4, "the server greets with signaling v=4 or later", greet)
bob, _ = client("bob")
mallory, _ = client("mallory")


def call(caller, callee, name):
    caller.send("CONNECT peer=%s cand=192.0.2.10:4000" % name)
    sid = kv(callee.line())["sid"]
    return sid


def quiet(c, secs=0.5):
    """Nothing for c within secs."""
    return c.line(secs) is None


# Before the answer: refused.
sid = call(alice, bob, "bob")
alice.send("CANDIDATE sid=%s cand=192.0.2.10:40000" % sid)
err = alice.line()
result(kv(err).get("code") == "trickle-not-accepted" and quiet(bob),
       "a CANDIDATE before the call is answered: refused (trickle-not-accepted), bob hears nothing",
       err)
bob.send("ANSWER sid=%s cand=192.0.2.20:5000" % sid)
acc = alice.line()
result(acc is not None and acc.startswith("ACCEPTED"), "bob answers", acc)

# Either side, passed on with who and where.
alice.send("CANDIDATE sid=%s cand=127.0.0.5:40000" % sid)
got = bob.line()
g = kv(got)
result(got is not None and got.startswith("CANDIDATE ") and g.get("sid") == sid and
       g.get("peer") == "alice" and g.get("observed", "").startswith("127.0.0.5:") and
       g.get("cand") == "127.0.0.5:40000",
       "alice's CANDIDATE reaches bob, with her id and where the server sees her", got)
bob.send("CANDIDATE sid=%s cand=127.0.0.6:50000" % sid)
got = alice.line()
result(got is not None and kv(got).get("peer") == "bob" and
       kv(got).get("cand") == "127.0.0.6:50000",
       "and bob's (the callee's) reaches alice", got)

# Mallory knows the session id (an observer of signaling): not hers.
mallory.send("CANDIDATE sid=%s cand=127.0.0.8:6666" % sid)
err = mallory.line()
result(kv(err).get("code") == "trickle-unknown-session" and quiet(alice) and quiet(bob),
       "mallory's CANDIDATE for alice's and bob's session: refused, neither hears it", err)
mallory.send("CANDIDATE sid=0011223344556677 cand=127.0.0.8:6666")
err = mallory.line()
result(kv(err).get("code") == "trickle-unknown-session", "a CANDIDATE for no session: refused", err)

# The server says who and where, never the sender.
alice.send("CANDIDATE sid=%s peer=carol cand=127.0.0.5:40001" % sid)
err = alice.line()
ok = kv(err).get("code") == "trickle-bad"
alice.send("CANDIDATE sid=%s observed=192.0.2.99:1 cand=127.0.0.5:40001" % sid)
err2 = alice.line()
alice.send("CANDIDATE sid=%s cand=127.0.0.5:40001 cand=127.0.0.5:40002" % sid)
err3 = alice.line()
result(ok and kv(err2).get("code") == "trickle-bad" and kv(err3).get("code") == "trickle-bad" and
       quiet(bob),
       "a CANDIDATE naming a peer or an observed address itself, or two candidates: refused, "
       "bob hears nothing", err, err2, err3)

# Four per side and session (alice has sent one).
for port in (40002, 40003, 40004):
    alice.send("CANDIDATE sid=%s cand=127.0.0.5:%d" % (sid, port))
passed = [bob.line() for _ in range(3)]
alice.send("CANDIDATE sid=%s cand=127.0.0.5:40005" % sid)
err = alice.line()
result(all(p and p.startswith("CANDIDATE ") for p in passed) and
       kv(err).get("code") == "trickle-too-many" and quiet(bob),
       "four CANDIDATEs from one side pass, the fifth is refused", *passed, err)
bob.send("CANDIDATE sid=%s cand=127.0.0.6:50001" % sid)
got = alice.line()
result(got is not None and got.startswith("CANDIDATE "),
       "the other side's count is its own: bob's second still passes", got)

# A client from before v=4 never gets one.
carol, _ = client("carol", v=" v=3")
sid2 = call(alice, carol, "carol")
carol.send("ANSWER sid=%s cand=192.0.2.30:6000" % sid2)
alice.line()
alice.send("CANDIDATE sid=%s cand=127.0.0.5:40000" % sid2)
err = alice.line()
result(kv(err).get("code") == "trickle-old-peer" and quiet(carol),
       "a CANDIDATE for a client registered with v=3: refused (trickle-old-peer), "
       "carol hears nothing", err)
carol.send("PING")
pong = carol.line()
alice.send("PING")
pong_a = alice.line()
result(pong == "PONG" and pong_a == "PONG", "both links stay up", pong, pong_a)

# A relayed session takes them too.
alice.send("RELAY sid=%s" % sid)
r1, r2 = alice.line(), bob.line()
alice_obs = kv(r1)
bob.send("CANDIDATE sid=%s cand=127.0.0.6:50002" % sid)
got = alice.line()
result(r1 and r1.startswith("RELAYED") and got is not None and got.startswith("CANDIDATE "),
       "a relayed session still passes them", r1, r2, got, str(alice_obs))
result(len(srv.lines("event=trickle ")) == 7, "the server logged each one passed (7)",
       *srv.lines("event=trickle "))

srv.stop()
subprocess.run(["rm", "-rf", tmp])
rdvtest.ktap_done()
