#!/usr/bin/python3
"""The hostile side of the tests: a host that only reflects, captures and
replays datagrams, and knows no secret.

  attacker.py echo ADDR PORT SECONDS
      send every datagram back to where it came from; prints the count
  attacker.py sniff IFACE SRC DST SECONDS OUT
      capture the first STUN Binding Request from SRC to DST (ADDR:PORT,
      IPv4) seen on IFACE, write its UDP payload in hex to OUT
  attacker.py replay ADDR PORT DST HEXFILE COUNT INTERVAL [REFLECT_SECONDS]
      from ADDR:PORT send the captured payload to DST COUNT times,
      INTERVAL seconds apart; with REFLECT_SECONDS also echo whatever
      comes back to ADDR:PORT until then; prints "sent N reflected M"
  attacker.py forge ADDR PORT SECONDS OUT
      a STUN server that makes mapping queries pay: to each client it
      answers once it has seen a retransmission (or a third request),
      first with 12 forged answers (one byte of the transaction id
      changed each, mapped 203.0.113.66:6666), then with the right id
      from port PORT+1 (mapped 203.0.113.77:7777), then truly; writes
      "CLIENT TID" for every request to OUT; prints "requests N answered M"
  attacker.py lie ADDR PORT SECONDS MAPPED
      a STUN server that answers every Binding Request, with its right
      transaction id, that the client is at MAPPED (ADDR:PORT, IPv4);
      prints "answered N"
  attacker.py signal SERVER ID KEYFILE CAFILE SECONDS LINE...
      a registered user turned hostile: register at rendezvousd (SERVER,
      TLS on TCP 3478, its CA in CAFILE) as ID with the hex secret in
      KEYFILE, send each LINE (e.g. CONNECT with candidates aimed
      elsewhere), print every line the server sends until SECONDS have
      passed; "{sid}" in a LINE is the id of the first session the
      server ACCEPTED (waited for, SECONDS at most); a LINE "await-accepted" only waits for
      that, one "sleep S" waits S seconds; neither is sent

  attacker.py tcp SRC DST FLAGS good|bad
      send one TCP segment from SRC to DST (ADDR:PORT, IPv4) with FLAGS
      (letters of S, A, F, R) and a right or wrong checksum: a forged
      "peer's SYN", or a segment that must not pass for one
  attacker.py icmp-te SRC_ADDR DST_ADDR INNER_SRC INNER_DST CODE
      send DST_ADDR an ICMP time exceeded (CODE 0: in transit, 1:
      reassembly) quoting a TCP segment from INNER_SRC to INNER_DST
      (ADDR:PORT), as a router beyond a NAT answers a short SYN
  attacker.py decoy ADDR FIRST LAST SECONDS
      listen on TCP ports FIRST..LAST of ADDR and accept whoever comes,
      as a service that is not the peer would: on even ports answer with
      48 bytes of junk (a nonce and a proof that are not), on odd ones
      say nothing and hold the connection; prints "accepted N"

Every loop is bounded by its count or its seconds.
"""
import select
import socket
import struct
import sys
import time

STUN_BINDING_REQUEST = 0x0001
STUN_MAGIC = 0x2112A442
ETH_P_IP = 0x0800


def ep(s):
    addr, port = s.rsplit(":", 1)
    return addr.strip("[]"), int(port)


def udp_sock(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s


def datagrams(s, seconds):
    """Each (payload, source) s receives, for that many seconds."""
    deadline = time.monotonic() + float(seconds)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([s], [], [], left)
        if r:
            yield s.recvfrom(65535)


def echo(addr, port, seconds):
    s = udp_sock(addr, int(port))
    n = 0
    for data, src in datagrams(s, seconds):
        s.sendto(data, src)
        n += 1
    print(f"echoed {n}")
    return 0


def is_request(payload):
    if len(payload) < 20:
        return False
    mtype, _, magic = struct.unpack("!HHI", payload[:8])
    return mtype == STUN_BINDING_REQUEST and magic == STUN_MAGIC


def sniff(iface, src, dst, seconds, out):
    saddr, sport = ep(src)
    daddr, dport = ep(dst)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    s.bind((iface, 0))
    deadline = time.monotonic() + float(seconds)
    want = (socket.inet_aton(saddr), socket.inet_aton(daddr), sport, dport)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            print("sniff: nothing captured", file=sys.stderr)
            return 1
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        pkt = s.recv(65535)
        if len(pkt) < 28 or pkt[9] != 17:
            continue
        ihl = (pkt[0] & 0x0F) * 4
        sp, dp, ulen = struct.unpack("!HHH", pkt[ihl:ihl + 6])
        if (pkt[12:16], pkt[16:20], sp, dp) != want:
            continue
        payload = pkt[ihl + 8:ihl + ulen]
        if is_request(payload):
            with open(out, "w") as f:
                f.write(payload.hex() + "\n")
            return 0


def replay(addr, port, dst, hexfile, count, interval, reflect=0.0):
    s = udp_sock(addr, int(port))
    payload = bytes.fromhex(open(hexfile).read().strip())
    target = ep(dst)
    start = time.monotonic()
    deadline = start + max(float(reflect), int(count) * float(interval))
    sent = reflected = 0
    next_send = start
    while True:
        now = time.monotonic()
        if now >= deadline and sent >= int(count):
            break
        if sent < int(count) and now >= next_send:
            s.sendto(payload, target)
            sent += 1
            next_send += float(interval)
            continue
        until = next_send if sent < int(count) else deadline
        r, _, _ = select.select([s], [], [], max(0.0, until - now))
        if r:
            data, src = s.recvfrom(65535)
            if float(reflect) > 0:
                s.sendto(data, src)
                reflected += 1
    print(f"sent {sent} reflected {reflected}")
    return 0


def xor_mapped(tid, addr, port):
    """An XOR-MAPPED-ADDRESS attribute (RFC 8489 section 14.2)."""
    if ":" in addr:
        ip = socket.inet_pton(socket.AF_INET6, addr)
        key = struct.pack("!I", STUN_MAGIC) + tid
        fam = 2
    else:
        ip = socket.inet_aton(addr)
        key = struct.pack("!I", STUN_MAGIC)
        fam = 1
    xip = bytes(a ^ b for a, b in zip(ip, key))
    value = struct.pack("!BBH", 0, fam, port ^ (STUN_MAGIC >> 16)) + xip
    return struct.pack("!HH", 0x0020, len(value)) + value


def binding_success(tid, addr, port):
    attr = xor_mapped(tid, addr, port)
    return struct.pack("!HHI", 0x0101, len(attr), STUN_MAGIC) + tid + attr


def forge(addr, port, seconds, out):
    srv = udp_sock(addr, int(port))
    other = udp_sock(addr, int(port) + 1)
    lie_addr = "2001:db8::66" if ":" in addr else "203.0.113.66"
    wrong_addr = "2001:db8::77" if ":" in addr else "203.0.113.77"
    seen = {}
    answered = set()
    n = 0
    with open(out, "w") as log:
        for data, src in datagrams(srv, seconds):
            if not is_request(data):
                continue
            n += 1
            tid = data[8:20]
            client = f"[{src[0]}]:{src[1]}" if ":" in src[0] else f"{src[0]}:{src[1]}"
            log.write(f"{client} {tid.hex()}\n")
            log.flush()
            tids = seen.setdefault(client, [])
            tids.append(tid)
            if client in answered:
                continue
            if len(tids) < 3 and tids.count(tid) < 2:
                continue
            for i in range(len(tid)):
                bad = bytearray(tid)
                bad[i] ^= 0x01
                srv.sendto(binding_success(bytes(bad), lie_addr, 6666), src)
            other.sendto(binding_success(tid, wrong_addr, 7777), src)
            time.sleep(0.05)    # the forgeries arrive first
            srv.sendto(binding_success(tid, src[0], src[1]), src)
            answered.add(client)
    print(f"requests {n} answered {len(answered)}")
    return 0


def lie(addr, port, seconds, mapped):
    srv = udp_sock(addr, int(port))
    lie_addr, lie_port = ep(mapped)
    n = 0
    for data, src in datagrams(srv, seconds):
        if is_request(data):
            srv.sendto(binding_success(data[8:20], lie_addr, lie_port), src)
            n += 1
    print(f"answered {n}")
    return 0


def signal(server, ident, keyfile, cafile, seconds, *lines):
    import os
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../lib"))
    import sigtls
    key = bytes.fromhex(open(keyfile).read().split()[0])
    c = sigtls.SigTLS(server, 3478, cafile)
    print(c.register(ident, key))
    sid_by = time.monotonic() + float(seconds)
    sid = None
    for line in lines:
        if line.startswith("sleep "):
            time.sleep(float(line[6:]))
            continue
        # "{sid}": the session the server last accepted for us.
        while ("{sid}" in line or line == "await-accepted") and sid is None \
                and time.monotonic() < sid_by:
            got = c.line(sid_by - time.monotonic())
            if not got:
                break
            print(got)
            if got.startswith("ACCEPTED "):
                sid = next((w[4:] for w in got.split() if w.startswith("sid=")), None)
        if line == "await-accepted":
            continue
        if "{sid}" in line:
            if sid is None:
                print("attacker: no session accepted to use", file=sys.stderr)
                break
            line = line.replace("{sid}", sid)
        c.send(line)
        time.sleep(0.05)
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        line = c.line(end - time.monotonic())
        if not line:
            break
        print(line)
        sys.stdout.flush()
    c.close()
    return 0


def inet_sum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "A": 0x10}


def tcp(src, dst, flags, checksum):
    (saddr, sport), (daddr, dport) = ep(src), ep(dst)
    bits = sum(TCP_FLAGS[f] for f in flags)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, 0x1000, 0, 5 << 4, bits, 65535, 0, 0)
    pseudo = socket.inet_aton(saddr) + socket.inet_aton(daddr) + struct.pack("!BBH", 0, 6, len(hdr))
    csum = inet_sum(pseudo + hdr) ^ (0 if checksum == "good" else 0x5555)
    hdr = hdr[:16] + struct.pack("!H", csum) + hdr[18:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    s.bind((saddr, 0))
    s.sendto(hdr, (daddr, 0))
    print("sent 1")
    return 0


def icmp_te(src, dst, inner_src, inner_dst, code):
    (isaddr, isport), (idaddr, idport) = ep(inner_src), ep(inner_dst)
    inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 1, 6, 0,
                        socket.inet_aton(isaddr), socket.inet_aton(idaddr))
    inner += struct.pack("!HHI", isport, idport, 0x1000)
    body = struct.pack("!BBHI", 11, int(code), 0, 0) + inner
    body = body[:2] + struct.pack("!H", inet_sum(body)) + body[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((src, 0))
    s.sendto(body, (dst, 0))
    print("sent 1")
    return 0


def decoy(addr, first, last, seconds):
    listeners = []
    for port in range(int(first), int(last) + 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(4)
        listeners.append(s)
    held = []
    accepted = 0
    deadline = time.monotonic() + float(seconds)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select(listeners, [], [], left)
        for s in r:
            c, _ = s.accept()
            accepted += 1
            if s.getsockname()[1] % 2 == 0:
                c.sendall(bytes(range(48)))
                c.close()
            else:
                held.append(c)
    for c in held + listeners:
        c.close()
    print(f"accepted {accepted}")
    return 0


def main(argv):
    try:
        if len(argv) == 5 and argv[1] == "echo":
            return echo(*argv[2:])
        if len(argv) == 7 and argv[1] == "sniff":
            return sniff(*argv[2:])
        if len(argv) in (8, 9) and argv[1] == "replay":
            return replay(*argv[2:])
        if len(argv) == 6 and argv[1] == "forge":
            return forge(*argv[2:])
        if len(argv) == 6 and argv[1] == "lie":
            return lie(*argv[2:])
        if len(argv) >= 7 and argv[1] == "signal":
            return signal(*argv[2:])
        if len(argv) == 6 and argv[1] == "tcp":
            return tcp(*argv[2:])
        if len(argv) == 7 and argv[1] == "icmp-te":
            return icmp_te(*argv[2:])
        if len(argv) == 6 and argv[1] == "decoy":
            return decoy(*argv[2:])
    except (OSError, ValueError) as e:
        print(f"attacker: {e}", file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
