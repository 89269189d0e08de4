#!/usr/bin/python3
"""A relayed session across instances renews and follows its sides from
instance to instance (--redis, issue 19 section 3), as on one server:

- alice on a calls bob on c; the relay is on a (the session's home) and
  both RELAYED say its lifetime, bob's through c;
- bob's link to c drops and he registers on b: his RELAY relay=PORT there
  takes the session back (b finds its home in Redis), and mallory, also on
  b and knowing the session id, takes nothing;
- in the relay's second half alice renews, and bob hears of the successor
  on b; his RELEASE of the old relay travels from b to a, which ends it;
- alice (the caller, whose side lived on a) moves to c and takes her side
  back from there;
- Redis restarts empty: the home writes where its relayed sessions live
  again, and bob, moving once more, takes his side back;
- a key naming an instance that does not hold the session: the client
  hears unknown-session (the home answers through its instance);
- Redis down while bob moves: his new instance says nothing, asks again
  once Redis is back, and he takes his side back;
- the session's end (its relay released, both sides gone) removes its key
  from Redis;
- a side connected to the home itself registers on another instance and
  names the session in the same breath: the kick that closes its old
  connection and its message may reach the home in one round, and it still
  takes its side back.

Redis and the instances run in a network namespace of the test's own.
Prints KTAP."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import rdvtest  # noqa: E402
from rdvtest import Conn, Server, forwards, kv, lock, port, result, udp, wait_for  # noqa: E402

rdvtest.enter_netns("NFP_CLUSTER_RELAY_NETNS")
rdvtest.ktap_start()
if not shutil.which("redis-server"):
    print("ok 1 rdv-cluster-relay # SKIP redis-server is not installed")
    print("1..1")
    sys.exit(0)
tmp = tempfile.mkdtemp(prefix="rdv-cluster-relay.")
REDIS_PORT = 6391
LIFE = 20
KEYS = {name: os.urandom(32) for name in ("alice", "bob", "mallory")}
USERS = os.path.join(tmp, "users")
rdvtest.write_users(USERS, KEYS)
HOST = {"a": "127.0.0.11", "b": "127.0.0.12", "c": "127.0.0.13"}
SRC = {"alice": "127.0.0.5", "bob": "127.0.0.6", "mallory": "127.0.0.8"}


def instance(name):
    return Server(os.path.join(tmp, name + ".log"), USERS, "--redis",
                  "127.0.0.1:%d" % REDIS_PORT, "--instance", name, "--answer-timeout", "2",
                  "-r", HOST[name], "--relay-lifetime", str(LIFE), "--relay-idle", "120",
                  host=HOST[name])


def join(on, name, presence=True):
    """name's connection to instance on, registered with signaling v=7
    (and, if presence, Redis saying so)."""
    c = Conn(SRC[name], host=HOST[on])
    c.hello()
    reg = c.register(name, KEYS[name], " v=7")
    if presence:
        wait_for(lambda: redis("GET", "nfpunch:presence:" + name).startswith(on + " "))
    return c, reg


def drop(conn, name, on):
    """name's connection to instance on closes, and every instance hears it."""
    n = len(srv[on].lines("event=disconnect id=%s " % name))
    conn.close()
    wait_for(lambda: len(srv[on].lines("event=disconnect id=%s " % name)) > n, 3)
    time.sleep(0.3)		# "gone" through Redis to the home


def ep(v):
    return (v.rsplit(":", 1)[0], int(v.rsplit(":", 1)[1]))


def reattached(name, side):
    return srv["a"].lines("event=session-reattach sid=%s id=%s side=%s" % (sid, name, side))


redis = rdvtest.Redis(os.path.join(tmp, "redis.log"), REDIS_PORT)
srv = {name: instance(name) for name in ("a", "b", "c")}
result(all(wait_for(lambda s=s: len(s.lines("event=redis-up")) >= 2) for s in srv.values()),
       "three instances connect to Redis")

alice, _ = join("a", "alice")
bob, _ = join("c", "bob")
mallory, _ = join("b", "mallory")

# --- the relayed session: lifetimes on both sides --------------------------------------
alice.send("CONNECT peer=bob cand=192.0.2.10:4000")
offer = bob.line(timeout=3)
sid = kv(offer).get("sid")
bob.send("ANSWER sid=%s cand=192.0.2.20:4000" % sid)
secret = bytes.fromhex(kv(alice.line(timeout=3)).get("secret", ""))
alice.send("RELAY sid=%s" % sid)
t0 = time.monotonic()
la, lb = alice.line(timeout=3), bob.line(timeout=3)
ra, rb = ep(kv(la).get("relay", "x:0")), ep(kv(lb).get("relay", "x:0"))
result(ra[0] == HOST["a"] and rb[0] == HOST["a"] and kv(la).get("lifetime") and
       kv(lb).get("lifetime"),
       "alice (on a) and bob (on c) relayed on a: both hear the relay's lifetime", la, lb)
a1, b1 = udp(SRC["alice"]), udp(SRC["bob"])
lock(secret, a1, b1, ra, rb)
result(forwards(a1, b1, ra, b"one") and forwards(b1, a1, rb, b"two"),
       "the relay carries both ways")
key = "nfpunch:session:" + sid
result(redis("GET", key) == "a", "Redis says where the session lives: on a",
       redis("GET", key))

# --- bob moves from c to b ----------------------------------------------------------
drop(bob, "bob", "c")
bob, _ = join("b", "bob")
mallory.send("RELAY sid=%s relay=%s" % (sid, port(rb)))
got = mallory.line(timeout=3)
result(kv(got).get("code") == "unknown-session" and not reattached("mallory", "callee"),
       "mallory (on b) naming the session takes nothing", got)
# A key that names a (live) home that does not hold the session.
stale = "00112233445566aa"
redis("SET", "nfpunch:session:" + stale, "a", "EX", "60")
mallory.send("RELAY sid=%s relay=%s" % (stale, port(rb)))
got = mallory.line(timeout=3)
result(kv(got).get("code") == "unknown-session",
       "a key naming a, which does not hold that session: the client on b hears so", got)
bob.send("RELAY sid=%s relay=%s" % (sid, port(rb)))
got = bob.line(timeout=3)
left = LIFE - (time.monotonic() - t0)
result(kv(got).get("relay") == port(rb) and
       abs(int(kv(got).get("lifetime", "-99")) - left) <= 1.5 and reattached("bob", "callee"),
       "bob, now on b, takes his side back: the relay, with its lifetime", got,
       *reattached("bob", "callee"))

# --- renewal across instances -----------------------------------------------------------
time.sleep(max(0, LIFE / 2 + 0.3 - (time.monotonic() - t0)))
alice.send("RELAY sid=%s relay=%s" % (sid, port(ra)))
la, lb = alice.line(timeout=3), bob.line(timeout=3)
result(kv(la).get("gen") == "1" and kv(lb).get("gen") == "1" and
       kv(lb).get("relay") not in (None, port(rb)),
       "in the second half alice renews: bob hears of the successor on b", la, lb)
ra2, rb2 = ep(kv(la).get("relay", "x:0")), ep(kv(lb).get("relay", "x:0"))
t1 = time.monotonic()
alice.send("RELEASE sid=%s relay=%s" % (sid, port(ra)))
bob.send("RELEASE sid=%s relay=%s" % (sid, port(rb)))
end = srv["a"].lines_soon("reason=released", 3)
result(len(end) == 1 and "a_port=%s" % port(ra) in end[0],
       "both release the old relay, bob's RELEASE from b: a ends it", *end)

# --- the caller moves: alice from a to c ------------------------------------------------
drop(alice, "alice", "a")
alice, _ = join("c", "alice")
alice.send("RELAY sid=%s relay=%s" % (sid, port(ra2)))
got = alice.line(timeout=3)
result(kv(got).get("relay") == port(ra2) and kv(got).get("gen") == "1" and
       reattached("alice", "caller"),
       "alice, the caller, now on c, takes her side back", got, *reattached("alice", "caller"))

# --- Redis restarts empty ------------------------------------------------------------------
redis.stop(kill=True)
redis.start()
result(wait_for(lambda: redis("GET", key) == "a", 30),
       "Redis restarts empty: a writes where its relayed session lives again",
       redis("GET", key))
drop(bob, "bob", "b")
bob, _ = join("c", "bob")
bob.send("RELAY sid=%s relay=%s" % (sid, port(rb2)))
got = bob.line(timeout=3)
result(kv(got).get("relay") == port(rb2) and len(reattached("bob", "callee")) == 2,
       "bob moves again, to c: he takes his side back", got)

# --- Redis down while bob moves --------------------------------------------------------------
# c cannot tell a that bob left, nor can b find the session's home: b
# says nothing and asks again until Redis is back.
redis.stop(kill=True)
drop(bob, "bob", "c")
bob, reg = join("b", "bob", presence=False)
bob.send("RELAY sid=%s relay=%s" % (sid, port(rb2)))
early = bob.line(timeout=1.5)
redis.start()
got = bob.line(timeout=10)
result(early is None and kv(got).get("relay") == port(rb2) and
       len(reattached("bob", "callee")) == 3,
       "Redis down as bob moves to b: no answer until it is back, then he takes his side back",
       reg, early, got)

# --- the end -------------------------------------------------------------------------------
alice.send("RELEASE sid=%s" % sid)
bob.send("RELEASE sid=%s" % sid)
wait_for(lambda: len(srv["a"].lines("reason=released")) == 2, 3)
end = srv["a"].lines("reason=released")
result(len(end) == 2 and "a_port=%s" % port(ra2) in end[1],
       "both release the successor, from c: a ends it", *end)
drop(alice, "alice", "c")
drop(bob, "bob", "b")
result(wait_for(lambda: srv["a"].lines("event=session-end sid=%s" % sid), 5) and
       wait_for(lambda: redis("EXISTS", key) == "0", 3),
       "both leave: the session ends on a, and its key leaves Redis",
       *srv["a"].lines("event=session-end sid=%s" % sid))

# --- a side on the home itself moves, and names its session at once ---------------------
# Its registration on b closes its connection on a (a kick through Redis)
# and its RELAY follows right behind: both can reach a in one round, while
# the closed connection still holds the side.
alice, _ = join("a", "alice")
bob, _ = join("a", "bob")
alice.send("CONNECT peer=bob cand=192.0.2.10:4000")
sid = kv(bob.line(timeout=3)).get("sid")
bob.send("ANSWER sid=%s cand=192.0.2.20:4000" % sid)
alice.line(timeout=3)
alice.send("RELAY sid=%s" % sid)
alice.line(timeout=3)
rb = kv(bob.line(timeout=3)).get("relay")
bob2 = Conn(SRC["bob"], host=HOST["b"])
bob2.hello()
mac = rdvtest.sigtls.register_mac(KEYS["bob"], bob2.nonce, bytes(32), "bob")
bob2.send("REGISTER id=bob mac=%s v=7\nRELAY sid=%s relay=%s" % (mac, sid, rb))
reg, got = bob2.line(timeout=3), bob2.line(timeout=3)
result((reg or "").startswith("REGISTERED") and kv(got).get("relay") == rb,
       "bob, on a with alice, registers on b and names the session in the same breath: "
       "he takes his side back", reg, got, *srv["a"].lines("id=bob side=callee instance=b"))

for s in srv.values():
    s.stop()
redis.stop(kill=True)
subprocess.run(["rm", "-rf", tmp])
rdvtest.ktap_done()
