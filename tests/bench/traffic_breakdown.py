#!/usr/bin/python3
"""Where a probe's bytes go: counts the IP packets on the given interfaces
for SECONDS and prints, per interface, direction and kind (ICMP echo, DNS,
NTP, other UDP/TCP port, size class), packets and IP bytes per minute.
Run inside the namespace to look at (the lab's laptop). A benchmark's aid,
not a test: the figures the cost phase quotes come from nftables counters.

usage: traffic_breakdown.py SECONDS IFACE... [--skip-udp-port PORT]
"""
import collections
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def kind(ip):
    if not ip:
        return "empty"
    v = ip[0] >> 4
    if v == 4:
        ihl = (ip[0] & 15) * 4
        proto = ip[9]
        l4 = ip[ihl:]
    elif v == 6:
        proto = ip[6]
        l4 = ip[40:]
    else:
        return "not ip"
    if proto in (1, 58):
        t = l4[0] if l4 else -1
        names = {0: "echo reply", 8: "echo", 128: "echo", 129: "echo reply", 3: "unreachable", 11: "time exceeded"}
        return "icmp %s" % names.get(t, "type %d" % t)
    if proto in (6, 17) and len(l4) >= 4:
        sp, dp = struct.unpack("!HH", l4[:4])
        port = min(sp, dp)
        name = {53: "dns", 123: "ntp"}.get(port, "port %d" % port)
        return "%s %s" % ("udp" if proto == 17 else "tcp", name)
    return "proto %d" % proto


def main():
    args = sys.argv[1:]
    skip = set()
    while "--skip-udp-port" in args:
        i = args.index("--skip-udp-port")
        skip.add(int(args[i + 1]))
        del args[i:i + 2]
    secs = float(args[0])
    ifaces = args[1:]
    socks = {}
    for name in ifaces:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        socks[s.fileno()] = (s, name)
    stats = collections.defaultdict(lambda: [0, 0])
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select(list(socks), [], [], left)
        for fd in r:
            s, name = socks[fd]
            data, addr = s.recvfrom(65536)
            hatype = addr[3]
            out = addr[2] == PACKET_OUTGOING
            ip = data[14:] if hatype == 1 else data  # Ethernet, or tun's bare IP
            k = kind(ip)
            if k.startswith("udp port "):
                if int(k.split()[-1]) in skip:
                    continue
            size = len(ip)
            cls = "<=64" if size <= 64 else "<=128" if size <= 128 else "<=512" if size <= 512 else ">512"
            st = stats[(name, "out" if out else "in", k, cls)]
            st[0] += 1
            st[1] += size
    m = 60.0 / secs
    tot = collections.defaultdict(float)
    for (name, d, k, cls), (p, b) in sorted(stats.items()):
        print("%-6s %-3s %-22s %-6s %7.2f packets/min %8.1f B/min (%d packets, %d B)" % (name, d, k, cls, p * m, b * m, p, b))
        tot[name] += b * m
    for name in ifaces:
        print("%-6s total %.1f B/min of IP" % (name, tot[name]))


if __name__ == "__main__":
    main()
