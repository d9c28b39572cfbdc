#!/usr/bin/python3
"""One DNS A query over UDP, for the lab's own checks (no dig on these machines).

Usage: dnsq.py SERVER NAME [TIMEOUT_S]
Prints "answer ADDR...", "nxdomain", "servfail", "refused", "rcode N",
"timeout" or "error MSG"; exits 0 only for an answer.
"""
import os
import random
import socket
import struct
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: dnsq.py SERVER NAME [TIMEOUT_S]")
    server, name = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0
    qid = random.randint(0, 0xFFFF)
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.connect((server, 53))
        s.send(q)
        while True:
            r = s.recv(4096)
            if len(r) >= 12 and struct.unpack("!H", r[:2])[0] == qid:
                break
    except socket.timeout:
        print("timeout")
        return 1
    except OSError as e:
        print("error %s" % os.strerror(e.errno) if e.errno else "error %s" % e)
        return 1
    flags, qd, an = struct.unpack("!HHH", r[2:8])
    rcode = flags & 0xF
    if rcode:
        print({2: "servfail", 3: "nxdomain", 5: "refused"}.get(rcode, "rcode %d" % rcode))
        return 1
    off = 12
    for _ in range(qd):
        while r[off]:
            off += r[off] + 1
        off += 5
    addrs = []
    for _ in range(an):
        if r[off] & 0xC0 == 0xC0:
            off += 2
        else:
            while r[off]:
                off += r[off] + 1
            off += 1
        typ, _cls, _ttl, rdlen = struct.unpack("!HHIH", r[off:off + 10])
        off += 10
        if typ == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(r[off:off + 4]))
        off += rdlen
    if not addrs:
        print("nodata")
        return 1
    print("answer " + " ".join(addrs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
