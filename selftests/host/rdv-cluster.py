#!/usr/bin/python3
"""Three rendezvousd on one Redis (--redis, issue 19 section 3).

Alice is connected to instance a, bob to instance c:
- a call from alice reaches bob through Redis and is answered; each side
  sees the other's address as its own instance saw it;
- the session lives on a (the caller's): the relay it allocates is on a's
  address, both sides get it, and a ends it once both released it;
- a rejection, an unknown callee and a callee who leaves travel back;
- bob registering again on b closes his connection on c (the newest
  wins across instances), and calls then reach him on b;
- Redis restarts empty: the instances write their clients' presence
  again at once, and calls go through;
- a callee's user revoked (removed, every instance reloading) loses the
  relay its session has on the caller's instance;
- a call to a client whose instance died (its presence not yet expired)
  fails at once: nobody listens on that instance's channel;
- instances stop cleanly with cross-instance sessions and relays alive,
  and take their clients' presence with them;
- an instance that cannot authenticate to Redis says so, and serves its
  own clients alone.

Redis and the instances run in a network namespace of the test's own.
Prints KTAP."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import rdvtest  # noqa: E402
from rdvtest import Conn, Server, kv, result, wait_for  # noqa: E402

rdvtest.enter_netns("NFP_CLUSTER_NETNS")
rdvtest.ktap_start()
if not shutil.which("redis-server"):
    print("ok 1 rdv-cluster # SKIP redis-server is not installed")
    print("1..1")
    sys.exit(0)
tmp = tempfile.mkdtemp(prefix="rdv-cluster.")
REDIS_PORT = 6390
PASSWORD = os.urandom(12).hex()
KEYS = {name: os.urandom(32) for name in ("alice", "bob", "carol")}
USERS = os.path.join(tmp, "users")
rdvtest.write_users(USERS, KEYS)
with open(os.path.join(tmp, "redis.pw"), "w") as f:
    f.write(PASSWORD + "\n")
HOST = {"a": "127.0.0.11", "b": "127.0.0.12", "c": "127.0.0.13"}


def instance(name, password=True):
    opts = ["--redis", "127.0.0.1:%d" % REDIS_PORT, "--instance", name,
            "--answer-timeout", "2", "-r", HOST[name]]
    if password:
        opts += ["--redis-password-file", os.path.join(tmp, "redis.pw")]
    return Server(os.path.join(tmp, name + ".log"), USERS, *opts, host=HOST[name])


def join(host, name, src):
    """name's connection from src to the instance on host, registered (v=4)."""
    c = Conn(src, host=host)
    c.hello()
    return c, c.register(name, KEYS[name], " v=4")


def ups(srv):
    return len(srv.lines("event=redis-up"))


def call(caller, callee, cand="192.0.2.10:4000"):
    caller.send("CONNECT peer=%s cand=%s" % (callee, cand))


redis = rdvtest.Redis(os.path.join(tmp, "redis.log"), REDIS_PORT, PASSWORD)
srv = {name: instance(name) for name in ("a", "b", "c")}
result(all(wait_for(lambda s=s: ups(s) >= 2) for s in srv.values()),
       "three instances connect to Redis (commands and subscriber)",
       *[line for s in srv.values() for line in s.lines("redis-")][:6])

alice, ra = join(HOST["a"], "alice", "127.0.0.5")
bob, rb = join(HOST["c"], "bob", "127.0.0.6")
result((ra or "").startswith("REGISTERED") and (rb or "").startswith("REGISTERED"),
       "alice registers with instance a, bob with instance c", ra, rb)
result(wait_for(lambda: redis("GET", "nfpunch:presence:bob").startswith("c ")),
       "Redis says where bob is: on c", redis("GET", "nfpunch:presence:bob"))

# --- a call across instances ----------------------------------------------------
call(alice, "bob")
offer = bob.line(timeout=3)
result(offer is not None and offer.startswith("OFFER") and kv(offer).get("peer") == "alice" and
       kv(offer).get("observed", "").startswith("127.0.0.5:") and
       kv(offer).get("cand") == "192.0.2.10:4000",
       "alice (on a) calls bob (on c): bob's OFFER, with her address as a saw it", offer)
sid = kv(offer).get("sid")
bob.send("ANSWER sid=%s cand=192.0.2.20:5000" % sid)
acc = alice.line(timeout=3)
result(acc is not None and acc.startswith("ACCEPTED") and kv(acc).get("sid") == sid and
       kv(acc).get("observed", "").startswith("127.0.0.6:") and
       kv(acc).get("cand") == "192.0.2.20:5000",
       "bob answers: alice's ACCEPTED, with his address as c saw it", acc)
# Trickle, both ways: the session lives on a, bob's link on c.
for frm, to, name, addr, cand, desc in (
        (alice, bob, "alice", "127.0.0.5", "127.0.0.5:40000",
         "alice's CANDIDATE reaches bob on c, with her address as a saw it"),
        (bob, alice, "bob", "127.0.0.6", "127.0.0.6:50000",
         "and bob's reaches alice, through c to a")):
    frm.send("CANDIDATE sid=%s cand=%s" % (sid, cand))
    got = to.line(timeout=3)
    result(got is not None and got.startswith("CANDIDATE ") and kv(got).get("peer") == name and
           kv(got).get("observed", "").startswith(addr + ":") and kv(got).get("cand") == cand,
           desc, got)
bob.send("RELAY sid=%s" % sid)
rb, ra = bob.line(timeout=3), alice.line(timeout=3)
result(kv(ra).get("relay", "").startswith(HOST["a"] + ":") and
       kv(rb).get("relay", "").startswith(HOST["a"] + ":"),
       "bob asks for the relay: both get ports on a, the session's home", ra, rb)
# Released by both: bob's RELEASE travels from c to a, which ends it.
alice.send("RELEASE sid=%s" % sid)
bob.send("RELEASE sid=%s" % sid)
result(wait_for(lambda: any("reason=released" in line
                            for line in srv["a"].lines("event=relay-end")), 5),
       "both release it, bob through c: a ends the relay (reason=released)",
       *srv["a"].lines("event=relay-"))

call(alice, "bob")
offer = bob.line(timeout=3)
bob.send("REJECT sid=%s code=busy" % kv(offer).get("sid"))
err = alice.line(timeout=3)
result(kv(err).get("code") == "rejected" and kv(err).get("peer") == "bob",
       "bob rejects a call: alice hears it through a", err)

call(alice, "carol")
to = alice.line(timeout=4)
result(kv(to).get("code") == "timeout", "a call to carol, online nowhere, times out", to)

# --- newest registration wins, across instances ----------------------------------
bob2, r2 = join(HOST["b"], "bob", "127.0.0.7")
result((r2 or "").startswith("REGISTERED") and
       wait_for(lambda: bob.line(timeout=0.2) == ""),
       "bob registers again on b: his connection to c is closed", r2)
call(alice, "bob")
offer = bob2.line(timeout=3)
result(offer is not None and offer.startswith("OFFER") and
       kv(offer).get("observed", "").startswith("127.0.0.5:"),
       "alice's next call reaches him on b", offer)
bob2.close()
err = alice.line(timeout=3)
result(kv(err).get("code") == "peer-gone",
       "bob leaves before answering: alice is told at once (peer-gone)", err)

# --- Redis restarts empty ----------------------------------------------------------
bob, _ = join(HOST["c"], "bob", "127.0.0.8")
before = {name: ups(s) for name, s in srv.items()}
redis.stop()
redis.start()
result(all(wait_for(lambda n=n, s=s: ups(s) >= before[n] + 2, 10) for n, s in srv.items()),
       "Redis restarts: the instances connect again",
       *[line for s in srv.values() for line in s.lines("redis-down")][-3:])
result(wait_for(lambda: redis("GET", "nfpunch:presence:bob").startswith("c ") and
                redis("GET", "nfpunch:presence:alice").startswith("a "), 5),
       "and write their clients' presence again at once", redis("KEYS", "*"))
call(alice, "bob")
offer = bob.line(timeout=3)
result(offer is not None and offer.startswith("OFFER"),
       "calls go through again", offer)
bob.send("REJECT sid=%s code=busy" % kv(offer).get("sid"))
alice.line(timeout=3)

# --- revocation reaches the relay on the caller's instance --------------------------
def relayed(caller, callee):
    call(caller, "bob")
    offer = callee.line(timeout=3)
    sid = kv(offer).get("sid")
    callee.send("ANSWER sid=%s cand=192.0.2.20:5000" % sid)
    caller.line(timeout=3)
    caller.send("RELAY sid=%s" % sid)
    return caller.line(timeout=3), callee.line(timeout=3)


ra, rb = relayed(alice, bob)
result("relay=" in (ra or "") and "relay=" in (rb or ""),
       "a relayed session between alice (on a) and bob (on c)", ra, rb)
relays_before = srv["a"].stats().get("relays")
rdvtest.write_users(USERS, {k: v for k, v in KEYS.items() if k != "bob"})
for s in srv.values():
    s.proc.send_signal(signal.SIGHUP)
result(wait_for(lambda: srv["a"].stats().get("relays") == "0"),
       "bob's user is removed and every instance reloads: his relays on a end, that of a "
       "session he already left too (relays %s -> %s)"
       % (relays_before, srv["a"].stats().get("relays")))
rdvtest.write_users(USERS, KEYS)
for s in srv.values():
    s.proc.send_signal(signal.SIGHUP)
time.sleep(0.3)

# --- an instance that died --------------------------------------------------------------
bob, _ = join(HOST["c"], "bob", "127.0.0.10")
wait_for(lambda: redis("GET", "nfpunch:presence:bob").startswith("c "))
srv["c"].proc.kill()
srv["c"].proc.wait()
t0 = time.monotonic()
call(alice, "bob")
err = alice.line(timeout=4)
took = time.monotonic() - t0
result(kv(err).get("code") == "peer-gone" and took < 1.5,
       "instance c dies, bob's presence still names it: alice's call fails at once "
       "(%.2f s), not at the answer timeout" % took, err)
del srv["c"]

# --- sessions alive at the stop ---------------------------------------------------------
bob, _ = join(HOST["b"], "bob", "127.0.0.21")
wait_for(lambda: redis("GET", "nfpunch:presence:bob").startswith("b "))
ra, rb = relayed(alice, bob)
result("relay=" in (ra or "") and "relay=" in (rb or ""),
       "a relayed session across a and b, left alive for the stop", ra, rb)

# --- a wrong password ----------------------------------------------------------------
with open(os.path.join(tmp, "wrong.pw"), "w") as f:
    f.write("not-the-password\n")
bad = Server(os.path.join(tmp, "d.log"), USERS, "--redis", "127.0.0.1:%d" % REDIS_PORT,
             "--instance", "d", "--redis-password-file", os.path.join(tmp, "wrong.pw"),
             host="127.0.0.14")
result(wait_for(lambda: bad.lines("redis-auth-failed")),
       "an instance with the wrong Redis password says so", *bad.lines("redis-")[:3])
carol, rc = join("127.0.0.14", "carol", "127.0.0.9")
result((rc or "").startswith("REGISTERED"), "and still serves its own clients", rc)
bad.stop()

# Stopped, an instance takes its clients' presence with it at once (not
# 60 s later): the keys are deleted before it exits.
srv["b"].stop()
result(redis("GET", "nfpunch:presence:bob") == "",
       "instance b stops: bob's presence is gone at once", redis("KEYS", "*"))
srv["a"].stop()
result(redis("GET", "nfpunch:presence:alice") == "",
       "and a: alice's", redis("KEYS", "*"))
redis.stop()
shutil.rmtree(tmp, ignore_errors=True)
rdvtest.ktap_done()
