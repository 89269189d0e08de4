#!/usr/bin/python3
"""rendezvousd's relay workers (--relay-workers): relays spread over the
threads, forward at once, and end while their datagrams flow, with no
data race (ThreadSanitizer, build/tsan, which "make check" builds; the
ASan build otherwise) and no sanitizer report.

- four relays go two to each of two workers, and all four carry traffic
  both ways at the same time (bench/relay-load, as punchd's module takes
  the ports: authenticated probes);
- a user revoked (SIGHUP) while two of its relays carry traffic: they end
  at once, the other two go on;
- a relay that stops carrying traffic ends at its idle deadline, which
  the main loop reads while the worker writes;
- SIGTERM while relays carry traffic: exit 0, no report.

Runs in a network namespace of its own. Prints KTAP."""
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import rdvtest  # noqa: E402
from rdvtest import Conn, Server, kv, relayed_pair, result, write_users  # noqa: E402

rdvtest.enter_netns("NFP_RELAY_WORKERS_NETNS")
rdvtest.ktap_start()
TSAN = os.path.join(rdvtest.REPO, "build", "tsan", "rendezvousd")
if os.access(TSAN, os.X_OK):
    # ThreadSanitizer wants the fixed layout it knows: no ASLR for it.
    rdvtest.RDV = TSAN
    prefix = ("setarch", platform.machine(), "-R")
else:
    prefix = ()
LOAD = next(p for p in (os.path.join(rdvtest.BIN, "bench", "relay-load"),
                        os.path.join(rdvtest.REPO, "build", "bench", "relay-load"))
            if os.access(p, os.X_OK))
print("# rendezvousd: %s" % rdvtest.RDV)

tmp = tempfile.mkdtemp(prefix="rdv-relay-workers.")
KEYS = {n: os.urandom(32) for n in ("alice", "bob", "carol")}
users = os.path.join(tmp, "users")
write_users(users, KEYS)
srv = Server(os.path.join(tmp, "rdv.log"), users, "--relay-workers", "2",
             "--relay-rate", "100000000", "--client-relays", "16", "--relay-idle", "3",
             prefix=prefix)
conns = {}
for i, name in enumerate(KEYS):
    c = Conn("127.0.0.%d" % (5 + i))
    ok = c.hello() and (c.register(name, KEYS[name]) or "").startswith("REGISTERED")
    result(ok, "%s registers" % name)
    conns[name] = c
result(len(srv.lines("event=relay-workers workers=2")) == 1, "two relay workers start",
       *srv.lines("relay-workers"))


def pair(callee):
    """alice's relay with callee: (secret, alice's port, callee's port,
    the callee's address)."""
    secret, _, ra, rb = relayed_pair(conns["alice"], conns[callee], callee)
    return secret, ra, rb, conns[callee].s.getsockname()[0]


def load(p, secs, window=8):
    secret, ra, rb, addr_b = p
    return subprocess.Popen([LOAD, "nfpunch", "127.0.0.5", addr_b,
                             "%s:%d" % ra, "%s:%d" % rb, secret.hex(), str(secs), "200",
                             str(window)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ended_port(p):
    return any("a_port=%s:%d " % p[1] in e for e in srv.lines("event=relay-end"))


def forwarded(proc):
    out, err = proc.communicate(timeout=30)
    words = out.split()
    return int(float(words[1])) if words[:1] == ["forwarded"] else -1, out + err


bob_pairs = [pair("bob") for _ in range(2)]
carol_pairs = [pair("carol") for _ in range(2)]
pairs = bob_pairs + carol_pairs
result(all(isinstance(p[1], tuple) for p in pairs), "alice gets four relays, two with bob "
       "and two with carol")
workers = [kv(line).get("worker") for line in srv.lines("event=relay-alloc")]
result(sorted(workers) == ["0", "0", "1", "1"], "two go to each worker", workers)

procs = [load(p, 1.5) for p in pairs]
got = [forwarded(p) for p in procs]
result(all(n > 1000 for n, _ in got), "all four carry traffic both ways at once",
       *[o for _, o in got])

# Revoked while its relays carry traffic (fresh relays: a port stays
# with the sender that took it).
bob_pairs = [pair("bob") for _ in range(2)]
carol_pairs = [pair("carol") for _ in range(2)]
procs = [load(p, 2.5) for p in bob_pairs + carol_pairs]
time.sleep(1.0)
del KEYS["carol"]
write_users(users, KEYS)
srv.proc.send_signal(1)	# SIGHUP
for _ in range(100):
    if all(ended_port(p) for p in carol_pairs):
        break
    time.sleep(0.02)
result(all(ended_port(p) for p in carol_pairs) and not any(ended_port(p) for p in bob_pairs),
       "carol revoked while her two relays carry traffic: both end at once, bob's do not",
       *srv.lines("event=relay-end"))
got = [forwarded(p) for p in procs]
result(all(n > 1000 for n, _ in got[:2]), "bob's two carry on", *[o for _, o in got[:2]])


# The idle deadline, read by the main loop while a worker writes: of two
# new relays, the quiet one ends 3 s after it was made, the busy one not.
quiet, busy_pair = pair("bob"), pair("bob")
busy = load(busy_pair, 8, window=1)
start = time.monotonic()
while not ended_port(quiet) and time.monotonic() - start < 6:
    time.sleep(0.02)
took = time.monotonic() - start
result(ended_port(quiet) and 2.5 < took < 4.5 and not ended_port(busy_pair),
       "a relay left idle ends at its deadline (3 s: after %.1f s), the busy one does not" % took,
       *srv.lines("event=relay-end"))

# Stopped while the busy relay carries traffic.
srv.stop()
busy.kill()
busy.wait()
reports = [line for line in srv.lines() if "ThreadSanitizer" in line or "data race" in line]
result(not reports, "no data race reported over the whole run", *reports[:20])
subprocess.run(["rm", "-rf", tmp])
rdvtest.ktap_done()
