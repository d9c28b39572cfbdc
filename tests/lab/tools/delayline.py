#!/usr/bin/python3
"""Userspace delay line for the lab (the netem qdisc does not exist here).

Attaches to an existing tun device, reads every IP packet the kernel routes
into it, and writes it back into the same device after DELAY ms plus a uniform
jitter of +-JITTER ms. The kernel then routes the written-back packet again
(with the tun as input interface), so policy routing decides which traffic
passes through: lab.sh routes the gateway's packets towards the internet here.
Packets are never reordered: jitter only stretches the gaps between them.
"""
import argparse
import fcntl
import heapq
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MAX_QUEUE = 20000  # packets held at once; beyond this new ones are dropped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True)
    ap.add_argument("--delay-ms", type=float, default=0.0)
    ap.add_argument("--jitter-ms", type=float, default=0.0)
    ap.add_argument("--pidfile")
    ap.add_argument("--sink", action="store_true",
                    help="hold the device up and discard what it carries (a stand-in VPN link)")
    a = ap.parse_args()
    if a.delay_ms < 0 or a.jitter_ms < 0 or a.jitter_ms > a.delay_ms:
        sys.exit("delayline: need 0 <= jitter <= delay")

    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", a.dev.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    queue = []  # (due, seq, packet)
    seq = 0
    last_due = 0.0
    while not stop:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, pkt = heapq.heappop(queue)
            try:
                os.write(fd, pkt)
            except OSError:
                pass
        timeout = max(0.0, queue[0][0] - now) if queue else 1.0
        try:
            r, _, _ = select.select([fd], [], [], timeout)
        except InterruptedError:
            continue
        if not r:
            continue
        for _ in range(64):
            try:
                pkt = os.read(fd, 65536)
            except BlockingIOError:
                break
            except OSError:
                break
            if a.sink or len(queue) >= MAX_QUEUE:
                continue
            d = a.delay_ms + random.uniform(-a.jitter_ms, a.jitter_ms)
            due = max(time.monotonic() + d / 1000.0, last_due)
            last_due = due
            seq += 1
            heapq.heappush(queue, (due, seq, pkt))
    os.close(fd)


if __name__ == "__main__":
    main()
