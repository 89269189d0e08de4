#!/usr/bin/python3
"""A session kept for its relay after one side's connection dropped is
that side's again once a new connection of the same id names it
(signaling v=7), and a side that released a relay hears nothing more
from it:

- a reconnected alice asking RELAY relay=PORT early hears of the relay
  with its lifetime (it was refused as unknown before), and in the
  relay's second half bob's renewal reaches her new connection;
- mallory, another user who knows the session id, takes nothing;
- a reconnected side's RELEASE counts (the relay ends once both did);
- taking a session back does not count as a call waiting for an answer
  (--max-pending 1: alice can still call);
- once alice released a relay, bob's datagrams through it no longer
  reach her (a roaming application would follow them back there), hers
  still reach bob; asking for it again undoes that.

Runs in a network namespace of its own. Prints KTAP."""
import atexit
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import rdvtest  # noqa: E402
from rdvtest import (Server, forwards, kv, lock, port, relayed_pair, result,  # noqa: E402
                     settle, udp, write_users)

rdvtest.enter_netns("NFP_REATTACH_NETNS")
rdvtest.ktap_start()
tmp = tempfile.mkdtemp(prefix="rdv-reattach.")
KEYS = {n: os.urandom(32) for n in ("alice", "bob", "carol", "mallory")}
users = os.path.join(tmp, "users")
write_users(users, KEYS)
LIFE = 10
srv = Server(os.path.join(tmp, "rdv.log"), users, "--max-pending", "1",
             "--relay-idle", "120", "--relay-lifetime", str(LIFE))
atexit.register(lambda: srv.proc.kill())     # should the script end early

ADDR = {"alice": "127.0.0.5", "bob": "127.0.0.6", "carol": "127.0.0.7",
        "mallory": "127.0.0.8"}


def client(name, v=" v=7"):
    return rdvtest.registered(ADDR[name], name, KEYS[name], v)


def allocs():
    return len(srv.lines("event=relay-alloc "))


def drop(conn, name):
    """name's connection closes, and the server saw it."""
    n = len(srv.lines("event=disconnect id=%s " % name))
    conn.close()
    end = time.monotonic() + 3
    while len(srv.lines("event=disconnect id=%s " % name)) == n and time.monotonic() < end:
        time.sleep(0.05)


alice, greet = client("alice")
result(kv(greet).get("v") == "7", "the server greets with signaling v=7", greet)
bob, _ = client("bob")
mallory, _ = client("mallory")

secret, sid, ra, rb = relayed_pair(alice, bob, "bob")
t0 = time.monotonic()
a1, b1 = udp(ADDR["alice"]), udp(ADDR["bob"])
lock(secret, a1, b1, ra, rb)

# alice's link drops; her relayed session stays, without her.
drop(alice, "alice")
bob.send("RELAY sid=%s relay=%s" % (sid, port(rb)))
got = bob.line()
result(kv(got).get("code") == "renew-unavailable" and
       forwards(a1, b1, ra, b"kept") and forwards(b1, a1, rb, b"kept-back"),
       "alice gone: her relay carries on, and bob cannot renew it", got)

# mallory knows the session id: it is not hers to take.
mallory.send("RELAY sid=%s relay=%s" % (sid, port(ra)))
got = mallory.line()
result(kv(got).get("code") == "unknown-session" and not srv.lines("event=session-reattach"),
       "mallory naming alice's session takes nothing", got)

# alice back, on a new connection: she names the session early.
alice, _ = client("alice")
alice.send("RELAY sid=%s relay=%s" % (sid, port(ra)))
got = alice.line()
re = srv.lines("event=session-reattach sid=%s id=alice side=caller" % sid)
left = LIFE - (time.monotonic() - t0)
result(kv(got).get("relay") == port(ra) and
       abs(int(kv(got).get("lifetime", "-99")) - left) <= 1.5 and
       allocs() == 1 and re and settle(bob) == "PONG",
       "reconnected, alice takes her session back: the relay there, with its lifetime; "
       "bob hears nothing", got, *re)

# A call of hers is not waiting for an answer: --max-pending 1 lets her call.
alice.send("CONNECT peer=mallory cand=192.0.2.10:4000")
offer = mallory.line()
result(offer and offer.startswith("OFFER "),
       "taken back, the session is no unanswered call of hers (--max-pending 1)", offer)
mallory.send("REJECT sid=%s code=busy" % kv(offer).get("sid"))
alice.line()

# The second half: bob's renewal reaches her new connection.
time.sleep(max(0, LIFE / 2 + 0.3 - (time.monotonic() - t0)))
bob.send("RELAY sid=%s relay=%s" % (sid, port(rb)))
b_line, a_line = bob.line(), alice.line()
result(kv(b_line).get("gen") == "1" and kv(a_line).get("gen") == "1" and
       kv(a_line).get("relay") not in (None, port(ra)) and allocs() == 2,
       "in the second half bob renews, and alice hears of the successor", b_line, a_line)

# Deaf once released: alice releases the old relay, bob's datagrams
# through it stop reaching her; hers still reach him.
alice.send("RELEASE sid=%s relay=%s" % (sid, port(ra)))
settle(alice)
result(not forwards(b1, a1, rb, b"to-released") and forwards(a1, b1, ra, b"from-released"),
       "alice released the old relay: bob's datagrams through it no longer reach her, "
       "hers still reach bob")
bob.send("RELEASE sid=%s relay=%s" % (sid, port(rb)))
settle(bob)
end = srv.lines_soon("reason=released", 2)
result(len(end) == 1 and "a_port=%s" % port(ra) in end[0], "bob too: the old relay ends", *end)
srv.stop()

# A RELEASE from a new connection counts; asking again undoes deafness.
srv = Server(os.path.join(tmp, "rdv-2.log"), users)
carol, _ = client("carol")
bob, _ = client("bob")
secret, sid, rc, rb = relayed_pair(carol, bob, "bob")
c1, b1 = udp(ADDR["carol"]), udp(ADDR["bob"])
lock(secret, c1, b1, rc, rb)
carol.send("RELEASE sid=%s" % sid)
settle(carol)
result(not forwards(b1, c1, rb, b"to-carol") and forwards(c1, b1, rc, b"from-carol"),
       "carol released the relay: bob's datagrams no longer reach her")
carol.send("RELAY sid=%s" % sid)
carol.line()
result(forwards(b1, c1, rb, b"again") and not srv.lines("event=relay-end "),
       "carol asks for the relay again: bob's datagrams reach her again")
drop(carol, "carol")
carol, _ = client("carol", " v=6")	# an older punchd: it just releases
carol.send("RELEASE sid=%s" % sid)
settle(carol)
re = srv.lines("event=session-reattach sid=%s id=carol" % sid)
bob.send("RELEASE sid=%s" % sid)
settle(bob)
end = srv.lines_soon("event=relay-end ", 2)
result(re and len(end) == 1 and "reason=released" in end[0],
       "reconnected, carol's RELEASE counts: with bob's the relay ends", *(re + end))
srv.stop()

subprocess.run(["rm", "-rf", tmp])
rdvtest.ktap_done()
