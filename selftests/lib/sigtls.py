"""A signaling client for the tests: TLS through `openssl s_client`, which
prints the value exported from the session that the registration proof
covers (Python's ssl module cannot export it).

    c = SigTLS("192.0.2.1", 3478, ca_file)
    c.register("alice", key)          # -> "REGISTERED ..." or "ERROR ..."
    c.send("CONNECT peer=bob cand=...")
    c.line(timeout)                   # the next line, None on timeout
"""
import hashlib
import hmac
import os
import select
import subprocess
import time

LABEL = b"nfpunch register v2\0"
EXPORTER = "EXPORTER-nfpunch-register"


def register_mac(key, nonce, binding, ident):
    return hmac.new(key, LABEL + nonce + binding + ident.encode(),
                    hashlib.sha256).hexdigest()


class SigTLS:
    def __init__(self, host, port, ca_file, timeout=5.0):
        peer = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
        self.p = subprocess.Popen(
            ["openssl", "s_client", "-connect", peer, "-CAfile", ca_file,
             "-verify_return_error", "-ign_eof", "-keymatexport", EXPORTER,
             "-keymatexportlen", "32"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        self.buf = b""
        self.binding = None
        self.nonce = None
        end = time.monotonic() + timeout
        # Session facts first, then the server's lines (HELLO first).
        while time.monotonic() < end:
            line = self.line(end - time.monotonic())
            if line is None or line == "":
                break
            if line.strip().startswith("Keying material:"):
                self.binding = bytes.fromhex(line.split(":", 1)[1].strip())
            elif line.startswith("HELLO "):
                self.nonce = bytes.fromhex(line.split("nonce=")[1].split()[0])
                break

    def line(self, timeout=2.0):
        """The next line; "" at EOF; None on timeout."""
        end = time.monotonic() + max(timeout, 0.0)
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return None
            chunk = os.read(self.p.stdout.fileno(), 4096)
            if not chunk:
                return ""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")

    def send(self, line):
        try:
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
        except OSError:
            pass

    def register(self, ident, key, binding=None, extra=""):
        """REGISTER with the session's binding (or another, to forge);
        extra: more words, e.g. " v=3"."""
        if self.nonce is None or self.binding is None:
            return None
        b = self.binding if binding is None else binding
        self.send("REGISTER id=%s mac=%s%s" % (ident, register_mac(key, self.nonce, b, ident),
                                               extra))
        return self.line()

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.kill()
        self.p.wait()
