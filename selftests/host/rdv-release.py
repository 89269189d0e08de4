#!/usr/bin/python3
"""rendezvousd ends a session's relay once both sides RELEASE it
(signaling v=5), not after --relay-idle, and only then:

- one side's RELEASE ends nothing, nor does the same side's twice;
- mallory, who knows the session id (an observer of signaling), cannot
  release it, nor make the server answer her;
- the second side's RELEASE ends it (relay-end reason=released) and
  gives the requester's relay quota back: with --client-relays 1, alice
  gets a relay for her next call at once, where before she was refused
  until the idle time ran out;
- a RELAY after the release allocates a new relay, and a side that asks
  again before the end is counted as using it again;
- RELEASE of an unknown session or of one without a relay has no
  answer, and the link stays up;
- a side that asks and releases in a loop gets 8 relays in a session's
  life, then relay-limit.

Runs in a network namespace of its own. Prints KTAP."""
import atexit
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import rdvtest  # noqa: E402
from rdvtest import Server, kv, relayed_pair, result, write_users  # noqa: E402

rdvtest.enter_netns("NFP_RELEASE_NETNS")
rdvtest.ktap_start()
tmp = tempfile.mkdtemp(prefix="rdv-release.")
KEYS = {n: os.urandom(32) for n in ("alice", "bob", "mallory")}
users = os.path.join(tmp, "users")
write_users(users, KEYS)
# A relay would idle out only after 120 s: any end seen here is a release.
srv = Server(os.path.join(tmp, "rdv.log"), users, "--client-relays", "1",
             "--relay-idle", "120")
atexit.register(lambda: srv.proc.kill())     # should the script end early

ADDR = {"alice": "127.0.0.5", "bob": "127.0.0.6", "mallory": "127.0.0.8"}


def client(name):
    return rdvtest.registered(ADDR[name], name, KEYS[name], " v=5")


def quiet(c, secs=0.5):
    """Nothing for c within secs."""
    return c.line(secs) is None


def ends(reason=""):
    return srv.lines("event=relay-end" if not reason else "reason=" + reason)


def settle():
    """What the server does for a line, done: a PING's PONG follows it."""
    alice.send("PING")
    return alice.line()


alice, greet = client("alice")
result(int(kv(greet).get("v", "0")) >= 5, "the server greets with signaling v=5 or later", greet)
bob, _ = client("bob")
mallory, _ = client("mallory")

_, sid, a_port, b_port = relayed_pair(alice, bob, "bob", rf=" relayfirst=1")
result(isinstance(a_port, tuple), "alice and bob have a relay", a_port, b_port)

# Her quota is spent: a second call's relay is refused.
_, sid2, err, _ = relayed_pair(alice, bob, "bob")
result(err.get("code") == "relay-quota",
       "with --client-relays 1, alice's second relay is refused (relay-quota)", str(err))

alice.send("RELEASE sid=%s" % sid)
alice.send("RELEASE sid=%s" % sid)
pong = settle()
result(pong == "PONG" and quiet(alice, 0.2) and quiet(bob) and not ends(),
       "alice releases it, twice: no answer, nobody hears a thing, the relay stays "
       "(bob still uses it)", pong, *ends())
mallory.send("RELEASE sid=%s" % sid)
mallory.send("PING")
pong = mallory.line()
result(pong == "PONG" and not ends() and quiet(alice) and quiet(bob),
       "mallory, who knows the id, releases it: nothing ends, no answer to her", pong, *ends())

bob.send("RELEASE sid=%s" % sid)
settle()
rel = srv.lines("event=relay-release ")
result(len(ends("released")) == 1 and len(rel) == 2 and "both=yes" in rel[-1] and
       "by=bob" in rel[-1],
       "bob releases it too: the relay ends (relay-end reason=released)", *rel, *ends())
result(quiet(alice) and quiet(bob), "and nobody is told: they had let it go")

# Her quota is back.
alice.send("RELAY sid=%s" % sid2)
r1, r2 = alice.line(), bob.line()
result((r1 or "").startswith("RELAYED ") and (r2 or "").startswith("RELAYED "),
       "alice's relay for her second call is granted at once (quota given back)", r1, r2)

# The first session again: a new relay (on bob's quota: he asks).
bob.send("RELAY sid=%s" % sid)
r1, r2 = alice.line(), bob.line()
result((r1 or "").startswith("RELAYED ") and (r2 or "").startswith("RELAYED ") and
       kv(r1).get("relay") != "%s:%d" % a_port,
       "a RELAY for the first call after its release: a new relay, on other ports", r1, r2)

# Bob releases the second relay and asks for it again: his release no
# longer counts, so alice's release alone ends nothing.
bob.send("RELEASE sid=%s" % sid2)
bob.send("RELAY sid=%s" % sid2)
again = bob.line()
alice.send("RELEASE sid=%s" % sid2)
settle()
result((again or "").startswith("RELAYED ") and len(ends()) == 1,
       "a side that asks again after its release uses the relay again: "
       "the other side's release alone ends nothing", again, *ends())
bob.send("RELEASE sid=%s" % sid2)
bob.send("PING")
bob.line()
result(len(ends("released")) == 2, "until bob releases it once more", *ends())

# A side that asks and releases in a loop: 8 relays in a session's life.
made = 1        # this session's relays so far (one refused, one granted)
for _ in range(10):
    alice.send("RELAY sid=%s" % sid2)
    r1, r2 = alice.line(), bob.line(0.3)
    if not (r1 or "").startswith("RELAYED "):
        break
    made += 1
    alice.send("RELEASE sid=%s" % sid2)
    bob.send("RELEASE sid=%s" % sid2)
    settle()
result(made == 8 and kv(r1 or "").get("code") == "relay-limit",
       "a RELAY and RELEASE loop gets 8 relays per session, then relay-limit (%d)" % made, r1)

# Nothing to release: no answer, the link stays.
alice.send("RELEASE sid=0011223344556677")
alice.send("RELEASE sid=%s" % sid2)
pong = settle()
result(pong == "PONG", "RELEASE of an unknown session or of one without a relay: "
       "no answer, the link stays up", pong)
bad = [line for line in srv.lines() if "relay-release" in line and "sid=0011223344556677" in line]
result(not bad, "and nothing logged as released", *bad)

srv.stop()
subprocess.run(["rm", "-rf", tmp])
rdvtest.ktap_done()
