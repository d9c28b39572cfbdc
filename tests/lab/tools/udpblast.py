#!/usr/bin/python3
"""UDP traffic for the lab's gateway-bandwidth scenario: datagrams of SIZE
bytes to DST:PORT at MBPS Mbit/s (IP bytes), paced in 10 ms slices so the
rate holds without a busy loop. Runs until killed."""
import argparse
import socket
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=9)
    ap.add_argument("--mbps", type=float, required=True)
    ap.add_argument("--size", type=int, default=1400)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = bytes(a.size)
    per_s = a.mbps * 1e6 / 8 / (a.size + 28)
    t0 = time.monotonic()
    sent = 0
    while True:
        due = int((time.monotonic() - t0) * per_s)
        while sent < due:
            try:
                s.sendto(payload, (a.dst, a.port))
            except OSError:
                pass  # ENOBUFS, a port unreachable coming back: keep the pace
            sent += 1
        time.sleep(0.01)


if __name__ == "__main__":
    main()
