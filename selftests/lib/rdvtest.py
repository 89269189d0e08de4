"""What the Python tests of rendezvousd share: KTAP results, a users
file, a server process, and a plaintext signaling client.

Each test runs in a network namespace of its own (enter_netns()), where
127.0.0.0/8 gives as many source addresses as it needs."""
import hashlib
import hmac
import os
import signal
import socket
import struct
import subprocess
import sys
import time

import sigtls

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("NFP_BIN") or (
    os.path.join(REPO, "build/san") if os.access(os.path.join(REPO, "build/san/punchctl"), os.X_OK)
    else os.path.join(REPO, "build"))
RDV = os.path.join(BIN, "rendezvousd")

n = failed = 0


def enter_netns(flag):
    """Re-run this script in a network namespace of its own, once."""
    if os.environ.get(flag) != "1":
        os.environ[flag] = "1"
        os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def result(ok, desc, *diag):
    global n, failed
    n += 1
    if not ok:
        failed += 1
    print("%s %d %s" % ("ok" if ok else "not ok", n, desc))
    for d in diag:
        for line in str(d).splitlines():
            print("# " + line)
    sys.stdout.flush()


def crashed(kind, value, tb):
    """A case the server broke (e.g. no answer where one was due) ends the
    script: say so as a failing case, with where."""
    import traceback
    result(False, "the test runs to its end", *traceback.format_exception(kind, value, tb))
    print("1..%d" % n)
    sys.exit(1)


def ktap_start():
    sys.excepthook = crashed
    print("KTAP version 1")


def ktap_done():
    print("1..%d" % n)
    sys.exit(1 if failed else 0)


def write_users(path, keys, groups=None):
    with open(path + ".new", "w") as f:
        for name, key in keys.items():
            g = (groups or {}).get(name)
            f.write("%s %s%s\n" % (name, key.hex(), " " + g if g else ""))
    os.rename(path + ".new", path)


def kv(line):
    return dict(w.split("=", 1) for w in (line or "").split()[1:] if "=" in w)


def wait_for(fn, seconds=5.0):
    """Until fn() is true (True), or seconds passed (False)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if fn():
            return True
        time.sleep(0.05)
    return False


class Redis:
    """redis-server on 127.0.0.1:port for a cluster's instances (the
    caller's netns), with requirepass if password, its log in log; calling
    it runs redis-cli with the arguments and returns what it printed."""

    def __init__(self, log, port, password=None):
        self.log, self.port, self.password = log, port, password
        self.start()

    def start(self):
        auth = ["--requirepass", self.password] if self.password else []
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind",
                                      "127.0.0.1", "--save", "", "--appendonly", "no"] + auth,
                                     stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        wait_for(lambda: self("PING") == "PONG")

    def __call__(self, *args):
        auth = ["--no-auth-warning", "-a", self.password] if self.password else []
        r = subprocess.run(["redis-cli", "-p", str(self.port)] + auth + list(args),
                           capture_output=True, text=True)
        return r.stdout.strip()

    def stop(self, kill=False):
        """Gone (SIGKILL if kill, else SIGTERM), and reaped."""
        (self.proc.kill if kill else self.proc.terminate)()
        self.proc.wait()


class Server:
    """rendezvousd on host:port, its log in log; plaintext unless tls=(cert, key)."""

    def __init__(self, log, users, *opts, host="127.0.0.1", port=3478, prefix=(), tls=None):
        self.log = log
        self.host, self.port = host, port
        self.proc = subprocess.Popen(
            list(prefix) + [RDV, "-l", host, "-u", users, "--log-rate", "5"] + list(opts) +
            (["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else
             ["--plaintext-testing-only"]),
            stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        for _ in range(200):
            try:
                socket.create_connection((host, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        # That probe connection counts as one from this address: forget it.
        time.sleep(0.2)

    def lines(self, needle=""):
        with open(self.log) as f:
            return [line for line in f if needle in line]

    def lines_soon(self, needle, secs):
        """Log lines with needle, once there are some or after secs."""
        end = time.monotonic() + secs
        while not self.lines(needle) and time.monotonic() < end:
            time.sleep(0.1)
        return self.lines(needle)

    def stats(self):
        before = len(self.lines("event=stats"))
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(100):
            got = self.lines("event=stats")
            if len(got) > before:
                return dict(kv.split("=", 1) for kv in got[-1].split() if "=" in kv)
            time.sleep(0.02)
        return {}

    def cpu(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """Stop it; it must exit 0 with no sanitizer report."""
        self.proc.terminate()
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        reports = [line for line in self.lines()
                   if "Sanitizer" in line or "runtime error" in line]
        result(rc == 0 and not reports,
               "rendezvousd (%s) exits 0 on SIGTERM with no sanitizer report" %
               os.path.basename(self.log), "exit %s" % rc, *reports[:5])


class Conn:
    """One plaintext signaling connection from address src to host:port."""

    def __init__(self, src, host="127.0.0.1", port=3478, timeout=2.0, rcvbuf=0):
        six = ":" in src
        self.s = socket.socket(socket.AF_INET6 if six else socket.AF_INET,
                               socket.SOCK_STREAM)
        if rcvbuf:	# before connect, or the window is already open
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.bind((src, 0))
        self.s.settimeout(timeout)
        self.s.connect(("::1" if six else host, port))
        self.buf = b""
        self.nonce = None

    def line(self, timeout=2.0):
        """The next line, "" at EOF, None on timeout."""
        self.s.settimeout(timeout)
        while b"\n" not in self.buf:
            try:
                chunk = self.s.recv(4096)
            except socket.timeout:
                return None
            except OSError:
                return ""
            if not chunk:
                return ""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def hello(self, timeout=2.0):
        line = self.line(timeout)
        if line and line.startswith("HELLO "):
            self.nonce = bytes.fromhex(dict(w.split("=") for w in line.split()[1:])["nonce"])
            return True
        return False

    def send(self, line):
        try:
            self.s.sendall((line + "\n").encode())
        except OSError:
            pass

    def register(self, name, key, extra=""):
        # Plaintext: no TLS session to bind.
        mac = sigtls.register_mac(key, self.nonce, bytes(32), name)
        self.send("REGISTER id=%s mac=%s%s" % (name, mac, extra))
        return self.line()

    def close(self):
        self.s.close()


def settle(c):
    """What the server does for c's lines, done: a PING's PONG follows."""
    c.send("PING")
    return c.line()


def port(ep):
    """An (address, port) pair as ADDR:PORT."""
    return "%s:%d" % ep


def registered(src, name, key, v):
    """A connection from src registered as name with signaling version v
    (e.g. " v=5", "" for none), reported as a result: (conn, HELLO line)."""
    c = Conn(src)
    greet = c.line()
    c.nonce = bytes.fromhex(kv(greet)["nonce"])
    reg = c.register(name, key, v)
    result((reg or "").startswith("REGISTERED"), "%s registers (%s)" % (name, v.strip() or "no v"),
           reg)
    return c, greet


def relayed_pair(caller, callee, name_callee, relay_asker=None, rf=""):
    """CONNECT, ANSWER, RELAY: (secret, sid, caller's port, callee's port)
    as (host, port) pairs, or the two RELAYED lines as dicts if refused.
    rf=" relayfirst=1": both sides run the relay beside the punch."""
    caller.send("CONNECT peer=%s cand=192.0.2.10:4000%s" % (name_callee, rf))
    offer = callee.line()
    sid = kv(offer)["sid"]
    callee.send("ANSWER sid=%s cand=192.0.2.20:4000%s" % (sid, rf))
    acc = caller.line()
    secret = bytes.fromhex(kv(acc)["secret"])
    (relay_asker or caller).send("RELAY sid=%s" % sid)
    a, b = kv(caller.line()), kv(callee.line())
    if "relay" not in a or "relay" not in b:
        return secret, sid, a, b
    ep = lambda v: (v.rsplit(":", 1)[0].strip("[]"), int(v.rsplit(":", 1)[1]))
    return secret, sid, ep(a["relay"]), ep(b["relay"])


# The relay: probes for its ports, as the modules send them.
def direction(secret, role):
    """(key, tag) of the requests of role 'controlling' or 'controlled'."""
    key = hmac.new(secret, ("nfpunch 2 %s key" % role).encode(), hashlib.sha1).digest()
    tag = hmac.new(secret, ("nfpunch 2 %s tag" % role).encode(), hashlib.sha1).digest()[:8]
    return key, tag


def probe(secret, role):
    """A fresh Binding Request tagged and keyed as role's."""
    key, tag = direction(secret, role)
    user = b"nfpunch:" + tag.hex().encode()
    attrs = struct.pack("!HH", 0x0006, len(user)) + user
    tid = os.urandom(12)
    head = struct.pack("!HHI", 0x0001, len(attrs) + 24, 0x2112A442) + tid
    mac = hmac.new(key, head + attrs, hashlib.sha1).digest()
    return head + attrs + struct.pack("!HH", 0x0008, 20) + mac


def lock(secret, a_sock, b_sock, ra, rb):
    """Both sides' probes (a_sock the caller's, b_sock the callee's) take
    their relay ports ra and rb, as their modules' would."""
    a_sock.sendto(probe(secret, "controlling"), ra)
    b_sock.sendto(probe(secret, "controlled"), rb)
    time.sleep(0.2)


def forwards(src, dst, relay, text):
    """A datagram from src to its relay port arrives at dst."""
    src.sendto(text, relay)
    return hear(dst, 1.0) == text


def udp(src):
    u = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((src, 0))
    u.settimeout(0.5)
    return u


def hear(u, timeout=0.5):
    """The next datagram that is not a forwarded probe (a module would
    answer those; this test only counts its data)."""
    end = time.monotonic() + timeout
    while True:
        u.settimeout(max(0.01, end - time.monotonic()))
        try:
            d = u.recv(70000)
        except (socket.timeout, OSError):
            return None
        if not (d[:2] == b"\0\x01" and d[4:8] == b"\x21\x12\xa4\x42"):
            return d
