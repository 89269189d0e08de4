#!/usr/bin/python3
"""The application side of the tests: a plain UDP socket on a flow's port.

  udp.py send LOCAL_ADDR LOCAL_PORT REMOTE_ADDR REMOTE_PORT TEXT [COUNT]
  udp.py recv LOCAL_ADDR LOCAL_PORT SECONDS [COUNT]

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


def main(argv):
    if len(argv) >= 6 and argv[1] == "send":
        s = sock(argv[2], argv[3])
        for _ in range(int(argv[7]) if len(argv) > 7 else 1):
            s.sendto(argv[6].encode(), (host(argv[4]), int(argv[5])))
            time.sleep(0.05)
        return 0
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
