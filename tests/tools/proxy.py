#!/usr/bin/python3
"""A small HTTP CONNECT and SOCKS5 proxy for the tests, one behaviour per port.

    proxy.py --log FILE [--map NAME=ADDR ...] ADDR PORT:MODE [PORT:MODE ...]

MODE is what the proxy does with every connection on that port:
  http-ok        CONNECT: 200 Connection established, then relays
  http-403       CONNECT: 403 with control characters in the reason phrase
                 (remote text the daemon must escape)
  http-407       CONNECT: 407 Proxy Authentication Required
  socks-ok       SOCKS5 without authentication, CONNECT succeeds, relays
  socks-ruleset  SOCKS5: reply 2 (connection not allowed by ruleset)
  socks-auth     SOCKS5: method 0xFF (none of those offered: wants credentials)
  silent         accepts the connection and never answers

Names in a CONNECT are looked up in the --map table alone (a test's proxy
resolves nothing else). Every request head it gets is appended to FILE, one
JSON object a line ({"port", "mode", "request"}), so that a test can see what
the daemon sent (the target as the profile names it, no credentials).
Ready once "ready" is printed on stdout; stops on SIGTERM.
"""

import argparse
import json
import signal
import socket
import struct
import sys
import threading

MAX_HEAD = 8192


def relay(a, b):
    def pump(src, dst):
        try:
            while True:
                data = src.recv(4096)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    t = threading.Thread(target=pump, args=(b, a), daemon=True)
    t.start()
    pump(a, b)
    t.join(5)


class Proxy:
    def __init__(self, log, names):
        self.log = log
        self.names = names
        self.lock = threading.Lock()

    def record(self, port, mode, request):
        with self.lock, open(self.log, "a") as f:
            f.write(json.dumps({"port": port, "mode": mode, "request": request}) + "\n")

    def target(self, host, port):
        addr = self.names.get(host, host)
        return socket.create_connection((addr, port), timeout=5)

    def http(self, conn, port, mode):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < MAX_HEAD:
            data = conn.recv(1024)
            if not data:
                return
            head += data
        text = head.decode("latin-1")
        self.record(port, mode, text)
        if mode == "http-403":
            conn.sendall(b"HTTP/1.1 403 Forbidden \x1b[31mby policy\x07\r\nContent-Length: 0\r\n\r\n")
            return
        if mode == "http-407":
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b"Proxy-Authenticate: Basic realm=\"vd-test\"\r\nContent-Length: 0\r\n\r\n")
            return
        words = text.split("\r\n", 1)[0].split(" ")
        if len(words) != 3 or words[0] != "CONNECT":
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            return
        host, _, p = words[1].rpartition(":")
        try:
            up = self.target(host.strip("[]"), int(p))
        except (OSError, ValueError):
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        relay(conn, up)
        up.close()

    def recv_n(self, conn, n):
        data = b""
        while len(data) < n:
            more = conn.recv(n - len(data))
            if not more:
                raise EOFError
            data += more
        return data

    def socks(self, conn, port, mode):
        ver, nm = self.recv_n(conn, 2)
        methods = list(self.recv_n(conn, nm))
        if ver != 5:
            return
        if mode == "socks-auth" or 0 not in methods:
            self.record(port, mode, {"methods": methods})
            conn.sendall(b"\x05\xff")
            return
        conn.sendall(b"\x05\x00")
        ver, cmd, _, atyp = self.recv_n(conn, 4)
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, self.recv_n(conn, 4))
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, self.recv_n(conn, 16))
        else:
            host = self.recv_n(conn, self.recv_n(conn, 1)[0]).decode("latin-1")
        (p,) = struct.unpack("!H", self.recv_n(conn, 2))
        self.record(port, mode, {"methods": methods, "cmd": cmd, "atyp": atyp, "host": host, "port": p})
        if mode == "socks-ruleset":
            conn.sendall(b"\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        try:
            up = self.target(host, p)
        except OSError:
            conn.sendall(b"\x05\x04\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        conn.sendall(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")
        relay(conn, up)
        up.close()

    def serve(self, conn, port, mode):
        try:
            conn.settimeout(30)
            if mode == "silent":
                self.record(port, mode, None)
                conn.recv(4096)
                threading.Event().wait(30)
            elif mode.startswith("http"):
                self.http(conn, port, mode)
            else:
                self.socks(conn, port, mode)
        except (OSError, EOFError, ValueError):
            pass
        finally:
            conn.close()

    def listen(self, addr, port, mode):
        s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(16)

        def loop():
            while True:
                conn, _ = s.accept()
                threading.Thread(target=self.serve, args=(conn, port, mode), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--map", action="append", default=[])
    ap.add_argument("addr")
    ap.add_argument("ports", nargs="+")
    a = ap.parse_args()
    names = dict(m.split("=", 1) for m in a.map)
    p = Proxy(a.log, names)
    modes = ("http-ok", "http-403", "http-407", "socks-ok", "socks-ruleset", "socks-auth", "silent")
    for spec in a.ports:
        port, mode = spec.split(":", 1)
        if mode not in modes:
            sys.exit("unknown mode " + mode)
        p.listen(a.addr, int(port), mode)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    while not stop.wait(1):
        pass


if __name__ == "__main__":
    main()
