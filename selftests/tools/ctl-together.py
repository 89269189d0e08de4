#!/usr/bin/python3
"""Send commands to several punchd control sockets at the same moment.

  ctl-together.py SOCKET COMMAND OUT [SOCKET COMMAND OUT]... [--timeout S]

Connects to every SOCKET first, then writes each COMMAND line back to
back, so the daemons start them microseconds apart however slow the
machine is (two "punchd connect" processes started from a shell are
seconds apart on the debug kernel). Each daemon's reply lines go to its
OUT file. Exits 1 if a daemon did not close its connection in time."""
import select
import socket
import sys
import time


def main(argv):
    timeout = 60.0
    if len(argv) >= 2 and argv[-2] == "--timeout":
        timeout = float(argv[-1])
        argv = argv[:-2]
    if not argv or len(argv) % 3:
        sys.exit(__doc__)
    jobs = []
    for i in range(0, len(argv), 3):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(argv[i])
        jobs.append((s, argv[i + 1], open(argv[i + 2], "wb")))
    for s, cmd, _ in jobs:
        s.sendall(cmd.encode() + b"\n")
    open_socks = {s: out for s, _, out in jobs}
    end = time.monotonic() + timeout
    while open_socks and time.monotonic() < end:
        ready, _, _ = select.select(list(open_socks), [], [], end - time.monotonic())
        for s in ready:
            data = s.recv(4096)
            if data:
                open_socks[s].write(data)
                continue
            open_socks.pop(s).close()
            s.close()
    return 1 if open_socks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
