#!/usr/bin/python3
"""The application side of the tests: a plain UDP socket on a flow's port.

  udp.py send LOCAL_ADDR LOCAL_PORT REMOTE_ADDR REMOTE_PORT TEXT [COUNT]
  udp.py recv LOCAL_ADDR LOCAL_PORT SECONDS [COUNT]
  udp.py stream LOCAL_ADDR LOCAL_PORT HOOK_LOG PEER SECONDS

stream sends "seq-N" every 50 ms for SECONDS to where punchd's hook last
said PEER's path goes (lines "up PEER ENDPOINT MODE MS" in HOOK_LOG),
from the first "up" on, and prints "N ENDPOINT" per datagram: an
application that follows the path as punchd moves it.

recv prints "SOURCE_ADDR SOURCE_PORT TEXT" per datagram (non-text payloads
as "<binary N bytes>"), stops after COUNT datagrams or SECONDS."""
import socket
import sys
import time


def host(addr):
    return addr.strip("[]")


def sock(addr, port):
    addr = host(addr)
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, int(port)))
    return s


def endpoint(hook_log, peer):
    """Where the hook last said peer's path goes, or None."""
    ep = None
    try:
        with open(hook_log) as f:
            for line in f:
                w = line.split()
                if len(w) >= 3 and w[0] in ("up", "changed") and w[1] == peer:
                    ep = w[2]
    except OSError:
        pass
    if not ep:
        return None
    addr, port = ep.rsplit(":", 1)
    return host(addr), int(port)


def stream(s, hook_log, peer, seconds):
    deadline = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < deadline:
        ep = endpoint(hook_log, peer)
        if ep:
            s.sendto(f"seq-{seq}".encode(), ep)
            print(seq, f"{ep[0]}:{ep[1]}", flush=True)
            seq += 1
        time.sleep(0.05)
    return 0


def main(argv):
    if len(argv) >= 6 and argv[1] == "send":
        s = sock(argv[2], argv[3])
        for _ in range(int(argv[7]) if len(argv) > 7 else 1):
            s.sendto(argv[6].encode(), (host(argv[4]), int(argv[5])))
            time.sleep(0.05)
        return 0
    if len(argv) >= 7 and argv[1] == "stream":
        return stream(sock(argv[2], argv[3]), argv[4], argv[5], float(argv[6]))
    if len(argv) >= 5 and argv[1] == "recv":
        s = sock(argv[2], argv[3])
        deadline = time.monotonic() + float(argv[4])
        want = int(argv[5]) if len(argv) > 5 else 1
        got = 0
        while got < want:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data, src = s.recvfrom(2048)
            except socket.timeout:
                break
            try:
                text = data.decode()
                if not text.isprintable():
                    raise ValueError
            except ValueError:
                text = f"<binary {len(data)} bytes>"
            print(src[0], src[1], text, flush=True)
            got += 1
        return 0 if got >= want else 1
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main(sys.argv))
