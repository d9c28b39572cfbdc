#!/usr/bin/python3
"""End-to-end test of vpndoctord's Varlink control socket.

Starts the daemon in its own network namespace (unshare -n) on a temporary
socket, state dir and configuration (one tunnel whose profile has no
certificates, so a config-invalid finding is there to see), then exercises
every method, every error and every limit a client controls, checking after
each that the daemon is alive and still answers GetStatus.
"""
import errno
import json
import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

VD_BIN = os.environ.get("VD_BIN", "build/bin")
VD_SRC = os.environ.get("VD_SRC", ".")
SANITIZED = bool(os.environ.get("VD_SANITIZED"))
SLOW = 3 if SANITIZED else 1
IDLE_TIMEOUT = 2           # [Daemon] IdleTimeoutSec= below (the default is 60)
MAX_CONNECTIONS = 256
MAX_PER_UID = 32
ROOT_SLOTS = 8             # of MAX_CONNECTIONS, only root's
MAX_OUTPUT = 1024 * 1024
NOBODY = 65534

failures = []


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)


class Client:
    """A Varlink client speaking raw bytes, for well- and ill-formed input."""

    def __init__(self, path, rcvbuf=None, timeout=10 * SLOW):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send_raw(self, data):
        self.s.sendall(data)

    def call(self, method, params=None, more=False, oneway=False, send_only=False):
        msg = {"method": method}
        if params is not None:
            msg["parameters"] = params
        if more:
            msg["more"] = True
        if oneway:
            msg["oneway"] = True
        self.send_raw(json.dumps(msg).encode() + b"\0")
        if send_only or oneway:
            return None
        return self.recv()

    def recv(self, timeout=None):
        """The next message as a dict, or None at EOF/reset."""
        if timeout is not None:
            self.s.settimeout(timeout)
        while b"\0" not in self.buf:
            try:
                chunk = self.s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                return None
            if not chunk:
                return None
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def wait_eof(self, timeout):
        """True when the daemon closes the connection within timeout
        (messages before the close are skipped)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.s.settimeout(max(0.1, end - time.monotonic()))
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
        return False

    def close(self):
        self.s.close()


class Daemon:
    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "run", "io.vpndoctor")
        self.state = os.path.join(tmp, "state")
        os.mkdir(os.path.join(tmp, "run"))
        os.mkdir(self.state)
        self.profile = os.path.join(tmp, "office.conf")
        make_certs(tmp)
        self.write_profile(good=False)
        self.conf = os.path.join(tmp, "vpndoctor.conf")
        with open(self.conf, "w") as f:
            # A short idle timeout keeps the test short; only the profile
            # probe is needed, the others would only make Check wait.
            f.write("[Daemon]\nIdleTimeoutSec=%d\nMaxConnections=%d\nMaxConnectionsPerUser=%d\n"
                    % (IDLE_TIMEOUT, MAX_CONNECTIONS, MAX_PER_UID))
            for section in ("Clock", "OpenVPN", "Routes", "Conflicts", "DNS", "Transport", "Path",
                            "Ping", "MTU", "Throughput"):
                f.write("[%s]\nEnabled=no\n" % section)
            f.write("[Tunnel office]\nConfig=%s\n" % self.profile)
        self.log = open(os.path.join(tmp, "daemon.log"), "w+")
        self.proc = subprocess.Popen(
            # --user root: uid nobody is this test's outsider, and a socket
            # trusts its daemon's own user; one process, as root
            ["unshare", "-n", os.path.join(VD_BIN, "vpndoctord"), "--foreground", "--user", "root",
             "--socket", self.sock, "--state-dir", self.state, "--config", self.conf,
             "--log-target", "stderr", "--log-level", "info"],
            stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 20 * SLOW
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            try:
                c = Client(self.sock)
                c.close()
                return
            except OSError:
                time.sleep(0.05)
        self.dump()
        raise SystemExit("vpndoctord did not start listening on %s" % self.sock)

    def write_profile(self, good):
        """good: a complete profile; else one naming missing files, which
        makes a config-invalid finding."""
        body = "client\ndev tun\nproto udp\nremote 192.0.2.1 1194\nremote-cert-tls server\n"
        if good:
            body += "ca ca.crt\ncert client.crt\nkey client.key\n"
        else:
            body += "ca missing-ca.crt\ncert missing.crt\nkey missing.key\n"
        tmpf = self.profile + ".new"
        with open(tmpf, "w") as f:
            f.write(body)
        os.rename(tmpf, self.profile)

    def dump(self):
        self.log.flush()
        self.log.seek(0)
        sys.stdout.write("---- daemon log ----\n" + self.log.read()[-20000:] + "---- end ----\n")

    def alive_and_serving(self, what):
        alive = self.proc.poll() is None
        ok = False
        if alive:
            try:
                c = Client(self.sock, timeout=5 * SLOW)
                r = c.call("io.vpndoctor.GetStatus")
                c.close()
                ok = r is not None and "error" not in r and \
                    r["parameters"]["health"] in ("healthy", "degraded", "broken", "unknown")
            except OSError as e:
                print("     GetStatus after %s: %s" % (what, e))
        check(alive and ok, "daemon alive and serving GetStatus after " + what)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(30 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return rc


def make_certs(d):
    def run(*args):
        subprocess.run(["openssl"] + list(args), cwd=d, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "365", "-subj", "/CN=test-ca")
    run("req", *ec, "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=laptop")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n")
    run("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "client.crt", "-days", "365", "-extfile", "ext.cnf")


def err_name(r):
    return r.get("error") if isinstance(r, dict) else None


def as_user(uid, fn, *args):
    """Runs fn(*args) in a forked child as uid (gid nogroup); returns what it
    printed to the pipe as JSON."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(rfd)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(uid)
            out = fn(*args)
            os.write(wfd, json.dumps(out).encode())
        except BaseException as e:  # report, never fall back into the test
            os.write(wfd, json.dumps({"exception": repr(e)}).encode())
        finally:
            os._exit(0)
    os.close(wfd)
    data = b""
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    os.waitpid(pid, 0)
    return json.loads(data) if data else None


def test_methods(d):
    c = Client(d.sock)
    r = c.call("org.varlink.service.GetInfo")
    p = r["parameters"]
    check(p.get("vendor") and p.get("product") == "vpndoctord" and p.get("version")
          and "io.vpndoctor" in p.get("interfaces", []) and "org.varlink.service" in p["interfaces"],
          "GetInfo: vendor, product, version, interfaces")

    with open(os.path.join(VD_SRC, "packaging", "io.vpndoctor.varlink")) as f:
        idl = f.read()
    r = c.call("org.varlink.service.GetInterfaceDescription", {"interface": "io.vpndoctor"})
    check(r["parameters"].get("description") == idl,
          "GetInterfaceDescription(io.vpndoctor) is packaging/io.vpndoctor.varlink")
    r = c.call("org.varlink.service.GetInterfaceDescription", {"interface": "org.varlink.service"})
    check("interface org.varlink.service" in r["parameters"].get("description", ""),
          "GetInterfaceDescription(org.varlink.service)")
    r = c.call("org.varlink.service.GetInterfaceDescription", {"interface": "com.example.nope"})
    check(err_name(r) == "org.varlink.service.InterfaceNotFound"
          and r["parameters"].get("interface") == "com.example.nope",
          "GetInterfaceDescription(unknown): InterfaceNotFound")
    r = c.call("org.varlink.service.GetInterfaceDescription", {})
    check(err_name(r) == "org.varlink.service.InvalidParameter"
          and r["parameters"].get("parameter") == "interface",
          "GetInterfaceDescription without interface: InvalidParameter")

    r = c.call("io.vpndoctor.GetStatus")
    p = r["parameters"]
    check(p.get("health") in ("healthy", "degraded", "broken", "unknown")
          and isinstance(p.get("findings"), list) and isinstance(p.get("probes"), list)
          and [t["name"] for t in p.get("tunnels", [])] == ["office"],
          "GetStatus: health, tunnels [office], findings, probes")
    r = c.call("io.vpndoctor.GetStatus", {"bogus": 1})
    check(err_name(r) == "org.varlink.service.InvalidParameter" and r["parameters"]["parameter"] == "bogus",
          "GetStatus with an unknown parameter: InvalidParameter")

    # Check without more: one reply, after the probes ran.
    r = c.call("io.vpndoctor.Check")
    check(r is not None and "error" not in r and not r.get("continues")
          and "health" in r["parameters"], "Check: one final reply with the status")
    findings = r["parameters"]["findings"]
    check(any(f["cause"] == "config-invalid" and f["tunnel"] == "office" for f in findings),
          "Check: config-invalid found on the certificate-less profile")
    probes = r["parameters"]["probes"]
    check(any(pr["name"] == "profile" and pr["tunnel"] == "office" and pr["status"] in ("ok", "fail")
              for pr in probes), "Check: the profile probe has run")

    # Check with more: progress replies, then the status without continues.
    c.call("io.vpndoctor.Check", {"probes": ["profile"]}, more=True, send_only=True)
    progress = []
    while True:
        r = c.recv()
        if r is None or "error" in r or not r.get("continues"):
            break
        progress.append(r["parameters"].get("progress"))
    check(len(progress) >= 1 and all(pr and pr["probe"] == "profile" and "status" in pr for pr in progress),
          "Check with more: progress replies with continues (%d)" % len(progress))
    check(r is not None and "health" in r.get("parameters", {}) and "progress" not in r["parameters"],
          "Check with more: final status reply")

    r = c.call("io.vpndoctor.Check", {"probes": ["no-such-probe"]})
    check(err_name(r) == "io.vpndoctor.NoSuchProbe" and r["parameters"].get("probe") == "no-such-probe",
          "Check(unknown probe): NoSuchProbe")
    for bad in ("profile", [1], {"a": 1}, [""]):
        r = c.call("io.vpndoctor.Check", {"probes": bad})
        check(err_name(r) == "org.varlink.service.InvalidParameter" and r["parameters"]["parameter"] == "probes",
              "Check(probes=%s): InvalidParameter" % json.dumps(bad))

    r = c.call("io.vpndoctor.Subscribe")
    check(err_name(r) == "org.varlink.service.ExpectedMore", "Subscribe without more: ExpectedMore")

    r = c.call("io.vpndoctor.GetHistory")
    check(isinstance(r["parameters"].get("events"), list), "GetHistory: events")
    r = c.call("io.vpndoctor.GetHistory", {"since": 0, "limit": 1})
    check(isinstance(r["parameters"].get("events"), list) and len(r["parameters"]["events"]) <= 1,
          "GetHistory(since, limit 1): at most one event")
    for name, val in (("since", "yesterday"), ("limit", -1), ("limit", 1.5), ("limit", "3"), ("since", True)):
        r = c.call("io.vpndoctor.GetHistory", {name: val})
        check(err_name(r) == "org.varlink.service.InvalidParameter" and r["parameters"]["parameter"] == name,
              "GetHistory(%s=%s): InvalidParameter" % (name, json.dumps(val)))

    r = c.call("io.vpndoctor.Explain", {"cause": "clock-skew"})
    cause = r["parameters"].get("cause", {})
    check(cause.get("id") == "clock-skew" and cause.get("remedy") and len(cause.get("message_id", "")) == 32,
          "Explain(clock-skew): the catalogue entry")
    r = c.call("io.vpndoctor.Explain", {"cause": "no-such-cause"})
    check(err_name(r) == "io.vpndoctor.NoSuchCause" and r["parameters"].get("cause") == "no-such-cause",
          "Explain(unknown): NoSuchCause")
    r = c.call("io.vpndoctor.Explain", {"cause": 7})
    check(err_name(r) == "org.varlink.service.InvalidParameter" and r["parameters"]["parameter"] == "cause",
          "Explain(cause=7): InvalidParameter")

    r = c.call("io.vpndoctor.NoSuchMethod")
    check(err_name(r) == "org.varlink.service.MethodNotFound"
          and r["parameters"].get("method") == "io.vpndoctor.NoSuchMethod", "unknown method: MethodNotFound")
    r = c.call("org.varlink.service.NoSuchMethod")
    check(err_name(r) == "org.varlink.service.MethodNotFound", "unknown service method: MethodNotFound")
    r = c.call("com.example.Thing.Do")
    check(err_name(r) == "org.varlink.service.InterfaceNotFound"
          and r["parameters"].get("interface") == "com.example.Thing", "unknown interface: InterfaceNotFound")

    # oneway: no reply; the next call's reply is the next message.
    c.call("io.vpndoctor.GetStatus", oneway=True)
    c.call("io.vpndoctor.Explain", {"cause": "nope"}, oneway=True)
    r = c.call("org.varlink.service.GetInfo")
    check(r is not None and r["parameters"].get("product") == "vpndoctord", "oneway calls get no reply")
    c.close()
    d.alive_and_serving("every method")


def test_pipelined(d):
    c = Client(d.sock)
    calls = [
        {"method": "io.vpndoctor.Check"},
        {"method": "org.varlink.service.GetInfo"},
        {"method": "io.vpndoctor.Explain", "parameters": {"cause": "cert-expired"}},
        {"method": "io.vpndoctor.GetHistory", "parameters": {"limit": 5}},
        {"method": "io.vpndoctor.NoSuch"},
        {"method": "io.vpndoctor.GetStatus"},
    ]
    c.send_raw(b"".join(json.dumps(m).encode() + b"\0" for m in calls))
    got = [c.recv() for _ in calls]
    ok = (got[0] and "health" in got[0]["parameters"]
          and got[1] and got[1]["parameters"].get("product") == "vpndoctord"
          and got[2] and got[2]["parameters"]["cause"]["id"] == "cert-expired"
          and got[3] and "events" in got[3]["parameters"]
          and got[4] and got[4].get("error") == "org.varlink.service.MethodNotFound"
          and got[5] and "health" in got[5]["parameters"])
    check(bool(ok), "pipelined calls (a Check first) answered in order")
    c.close()
    d.alive_and_serving("pipelined calls")


def test_bad_input(d):
    cases = [
        (b"this is not json\0", "message", "invalid JSON"),
        (b"[1,2,3]\0", "message", "a non-object (array)"),
        (b"\"method\"\0", "message", "a non-object (string)"),
        (b"{\"method\":42}\0", "method", "method of the wrong type"),
        (b"{\"method\":\"GetStatus\"}\0", "method", "method without an interface"),
        (b"{\"method\":\"io.vpndoctor.GetStatus\",\"parameters\":[]}\0", "parameters", "parameters not an object"),
        (b"{\"method\":\"io.vpndoctor.GetStatus\",\"more\":\"yes\"}\0", "more", "more of the wrong type"),
        (b"{\"method\":\"io.vpndoctor.GetStatus\",\"more\":true,\"oneway\":true}\0", "oneway", "more and oneway"),
        (b"{\"method\":\"io.vpndoctor.GetStatus\",\"extra\":1}\0", "message", "an unknown member"),
        (b"\0", "message", "an empty message"),
        (b"{\"method\":\"io.vpndoctor.GetStatus\"} trailing\0", "message", "trailing garbage"),
        # issue 16 item 9: a NUL escape cut the method to "GetStatus" and it
        # was served; bytes that are not UTF-8 were echoed back in errors
        (b"{\"method\":\"io.vpndoctor.GetStatus\\u0000x\"}\0", "message", "a method with a NUL escape"),
        (b"{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"\xff\xfe\x1b]0;x\x07\"}}\0", "message",
         "a parameter that is not UTF-8"),
        (b"{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"a\\u0000b\"}}\0", "message",
         "a parameter with a NUL escape"),
    ]
    for data, param, what in cases:
        c = Client(d.sock)
        c.send_raw(data)
        r = c.recv()
        check(err_name(r) == "org.varlink.service.InvalidParameter" and r["parameters"].get("parameter") == param
              and c.wait_eof(5 * SLOW), "%s: InvalidParameter(%s), then closed" % (what, param))
        c.close()
    d.alive_and_serving("malformed messages")

    # A good call before the bad one is still answered, in order.
    c = Client(d.sock)
    c.send_raw(b"{\"method\":\"org.varlink.service.GetInfo\"}\0{oops\0{\"method\":\"org.varlink.service.GetInfo\"}\0")
    r1, r2, r3 = c.recv(), c.recv(), c.recv()
    check(r1 and "vendor" in r1["parameters"] and err_name(r2) == "org.varlink.service.InvalidParameter"
          and r3 is None, "good call answered, bad one errored, nothing after it")
    c.close()

    # 10 MiB without a NUL: an error and a closed connection, never buffered.
    c = Client(d.sock)
    blob = b"{\"method\":\"io.vpndoctor.GetStatus\",\"parameters\":{\"x\":\"" + b"A" * (10 * 1024 * 1024)
    sent = 0
    try:
        while sent < len(blob):
            sent += c.s.send(blob[sent:sent + 1024 * 1024])
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    check(sent < len(blob) or c.wait_eof(10 * SLOW), "10 MiB blob: connection closed (sent %d bytes)" % sent)
    c.close()
    d.alive_and_serving("a 10 MiB blob")

    # 70 KiB complete with a NUL: over the 64 KiB limit.
    c = Client(d.sock)
    try:
        c.send_raw(b"{\"method\":\"io.vpndoctor.GetStatus\",\"parameters\":{\"x\":\"" + b"B" * 70000 + b"\"}}\0")
        r = c.recv()
        check(r is None or err_name(r) == "org.varlink.service.InvalidParameter",
              "a 70 KB message: error or close")
        check(c.wait_eof(5 * SLOW), "a 70 KB message: closed")
    except (BrokenPipeError, ConnectionResetError):
        check(True, "a 70 KB message: closed while sending")
    c.close()
    # Exactly under the limit passes.
    c = Client(d.sock)
    pad = 60000
    c.send_raw(b"{\"method\":\"io.vpndoctor.Explain\",\"parameters\":{\"cause\":\"" + b"x" * pad + b"\"}}\0")
    r = c.recv()
    check(err_name(r) == "io.vpndoctor.NoSuchCause", "a 60 KB message is still read and answered")
    c.close()
    d.alive_and_serving("oversized messages")


def test_connections(d):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))

    def flood(path, n):
        """n connections, a GetInfo on each; returns (connected, answered, conns)."""
        conns = []
        for _ in range(n):
            try:
                conns.append(Client(path, timeout=5 * SLOW))
            except OSError:
                pass
        for c in conns:
            try:
                c.call("org.varlink.service.GetInfo", send_only=True)
            except OSError:
                pass
        answered = 0
        for c in conns:
            try:
                r = c.recv(timeout=2 * SLOW)
            except (socket.timeout, OSError):
                r = None
            if r and "parameters" in r:
                answered += 1
        return len(conns), answered, conns

    # root is held to the total, not to the per-uid limit (issue 16 item 8:
    # root was capped at 32)
    connected, answered, conns = flood(d.sock, 1100)
    check(connected >= 1000, "1100 connection attempts, %d connected at the socket level" % connected)
    check(MAX_CONNECTIONS - 4 <= answered <= MAX_CONNECTIONS,
          "root: %d of %d connections served (limit %d in all, none per uid)" % (answered, connected, MAX_CONNECTIONS))
    for c in conns:
        c.close()
    time.sleep(0.5 * SLOW)
    d.alive_and_serving("1100 root connections")

    # any other uid is held to the per-uid limit
    def one_uid(path):
        connected, answered, conns = flood(path, 100)
        for c in conns:
            c.close()
        return answered
    n = as_user(61000, one_uid, d.sock)
    check(n == MAX_PER_UID, "uid 61000: %s of 100 connections served (limit %d)" % (n, MAX_PER_UID))
    time.sleep(0.5 * SLOW)

    # The total: 9 uids x 32 = 288 > 256, and while they hold all they may,
    # root still gets in on the slots kept for it.
    def hold(path, n, go_fd):
        held, ok = [], 0
        for _ in range(n):
            try:
                c = Client(path, timeout=3 * SLOW)
                c.call("org.varlink.service.GetInfo", send_only=True)
                held.append(c)
            except OSError:
                pass
        for c in held:
            try:
                r = c.recv()
            except OSError:
                r = None
            if r:
                ok += 1
        os.write(go_fd, b"x")
        os.read(go_fd, 1)  # parent says when to let go
        return ok
    # Simpler than a barrier per child: run them one after another, each
    # keeping its connections until all have counted.
    results = []
    pipes = []
    pids = []
    for i in range(9):
        a, b = socket.socketpair()
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                a.close()
                os.close(rfd)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(61000 + i)
                n = hold(d.sock, MAX_PER_UID, b.fileno())
                os.write(wfd, str(n).encode())
            finally:
                os._exit(0)
        b.close()
        os.close(wfd)
        a.recv(1)  # this child holds its connections now
        pipes.append((a, rfd))
        pids.append(pid)
    # everyone else holds what they could: root's slots are still free
    connected, root_ok, conns = flood(d.sock, ROOT_SLOTS)
    for c in conns:
        c.close()
    for a, rfd in pipes:
        a.send(b"g")
    for a, rfd in pipes:
        data = os.read(rfd, 64)
        results.append(int(data) if data else -1)
        os.close(rfd)
        a.close()
    for pid in pids:
        os.waitpid(pid, 0)
    total = sum(results)
    check(MAX_CONNECTIONS - ROOT_SLOTS - 8 <= total <= MAX_CONNECTIONS - ROOT_SLOTS and max(results) <= MAX_PER_UID,
          "total limit: %d served across 9 uids (limit %d, %d kept for root): %s"
          % (total, MAX_CONNECTIONS, ROOT_SLOTS, results))
    check(root_ok >= ROOT_SLOTS - 1, "root served on %d of its %d slots while 9 uids hold the rest"
          % (root_ok, ROOT_SLOTS))
    time.sleep(0.5 * SLOW)
    d.alive_and_serving("the connection limit")


def test_permission(d):
    def nobody(path):
        c = Client(path)
        out = {
            "status": err_name(c.call("io.vpndoctor.GetStatus")),
            "explain": err_name(c.call("io.vpndoctor.Explain", {"cause": "clock-skew"})),
            "subscribe": err_name(c.call("io.vpndoctor.Subscribe", more=True)),
        }
        r = c.call("org.varlink.service.GetInfo")
        out["info"] = r["parameters"].get("product") if r else None
        return out
    out = as_user(NOBODY, nobody, d.sock)
    denied = "org.varlink.service.PermissionDenied"
    check(out and out.get("status") == denied and out.get("explain") == denied and out.get("subscribe") == denied,
          "uid nobody: PermissionDenied on io.vpndoctor (%s)" % out)
    check(out and out.get("info") == "vpndoctord", "uid nobody: org.varlink.service.GetInfo stays open")
    d.alive_and_serving("PermissionDenied")


def test_slow_readers(d):
    # A client that pipelines GetStatus calls and never reads: its replies
    # pile up to the output limit and it is dropped; others are not delayed.
    slow = Client(d.sock, rcvbuf=4096)
    call = json.dumps({"method": "io.vpndoctor.GetStatus"}).encode() + b"\0"
    one = Client(d.sock)
    size = len(json.dumps(one.call("io.vpndoctor.GetStatus")))
    one.close()
    n = (2 * MAX_OUTPUT + 1024 * 1024) // size + 100
    sent = 0
    try:
        for _ in range(n):
            slow.send_raw(call)
            sent += 1
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    t0 = time.monotonic()
    fresh = Client(d.sock)
    r = fresh.call("io.vpndoctor.GetStatus")
    dt = time.monotonic() - t0
    fresh.close()
    check(r is not None and "health" in r["parameters"] and dt < 2 * SLOW,
          "another client served in %.3f s while a reader stalls" % dt)
    # Now read what is there: fewer replies than calls, then EOF.
    got = 0
    slow.s.settimeout(10 * SLOW)
    while True:
        r = slow.recv()
        if r is None:
            break
        got += 1
    check(got < sent, "a client that stops reading is dropped (%d calls, %d replies of %d bytes before the close)"
          % (sent, got, size))
    slow.close()

    # A subscriber that never reads does not hold up another subscriber.
    stalled = Client(d.sock, rcvbuf=4096)
    r = stalled.call("io.vpndoctor.Subscribe", more=True)
    check(r and r.get("continues") and r["parameters"].get("event") == "subscribed", "Subscribe: subscribed reply")
    live = Client(d.sock)
    r = live.call("io.vpndoctor.Subscribe", more=True)
    # Fix the profile's problem by removing the missing files' lines: the
    # config-invalid finding resolves (inotify or Check) and subscribers hear it.
    d.write_profile(good=True)
    poke = Client(d.sock)
    poke.call("io.vpndoctor.Check", {"probes": ["profile"]})
    poke.close()
    events = []
    end = time.monotonic() + 15 * SLOW
    while time.monotonic() < end:
        try:
            r = live.recv(timeout=max(0.1, end - time.monotonic()))
        except socket.timeout:
            break
        if r is None:
            break
        events.append(r["parameters"])
        if any(e.get("event") == "resolved" for e in events):
            break
    check(any(e.get("event") == "resolved" and e.get("finding", {}).get("cause") == "config-invalid"
              for e in events), "subscriber sees config-invalid resolve (%s)"
          % [(e.get("event"), e.get("finding", {}).get("cause")) for e in events])
    # Break it again: the finding opens (after its grace period).
    d.write_profile(good=False)
    poke = Client(d.sock)
    poke.call("io.vpndoctor.Check", {"probes": ["profile"]})
    poke.close()
    end = time.monotonic() + 30 * SLOW
    opened = False
    while time.monotonic() < end and not opened:
        try:
            r = live.recv(timeout=max(0.1, end - time.monotonic()))
        except socket.timeout:
            break
        if r is None:
            break
        opened = r["parameters"].get("event") == "opened"
    check(opened, "subscriber sees a finding open")
    live.close()
    stalled.close()
    d.alive_and_serving("slow readers")


class Trickler(threading.Thread):
    """Sends one byte every 2 s and never a NUL: must be closed at the idle timeout."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.c = Client(path)
        self.closed_at = None
        self.start_t = time.monotonic()

    def run(self):
        while True:
            try:
                self.c.s.send(b" ")
            except OSError:
                self.closed_at = time.monotonic()
                return
            r, _, _ = select.select([self.c.s], [], [], 2)
            if r:
                try:
                    if not self.c.s.recv(4096):
                        self.closed_at = time.monotonic()
                        return
                except OSError:
                    self.closed_at = time.monotonic()
                    return


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (unshare -n, setuid)")
        return 77
    tmp = tempfile.mkdtemp(prefix="vd-control-")
    os.chmod(tmp, 0o755)
    d = Daemon(tmp)
    try:
        st = os.stat(d.sock)
        check(st.st_mode & 0o777 == 0o660, "socket mode 0660 (%o)" % (st.st_mode & 0o777))
        # Let other uids reach the socket so that the daemon's own check
        # (SO_PEERCRED), not the file mode, is what is tested.
        os.chmod(os.path.join(tmp, "run"), 0o755)
        os.chmod(d.sock, 0o666)

        # Idle connections, started first and checked last.
        silent = Client(d.sock)
        half = Client(d.sock)
        half.send_raw(b"{\"method\":\"io.vpndoctor.GetSt")
        trickle = Trickler(d.sock)
        trickle.start()
        t_idle = time.monotonic()

        test_methods(d)
        test_pipelined(d)
        test_bad_input(d)
        test_permission(d)
        test_slow_readers(d)
        test_connections(d)

        left = IDLE_TIMEOUT + 10 * SLOW - (time.monotonic() - t_idle)
        check(silent.wait_eof(max(left, 1)), "a silent connection is closed at the idle timeout")
        check(half.wait_eof(5), "half a message then silence: closed at the idle timeout")
        trickle.join(15 * SLOW)
        check(trickle.closed_at is not None and trickle.closed_at - trickle.start_t >= IDLE_TIMEOUT - 1,
              "bytes without a NUL do not keep a connection open (closed after %s s)"
              % (None if trickle.closed_at is None else round(trickle.closed_at - trickle.start_t, 1)))
        d.alive_and_serving("idle timeouts")

        rc = d.stop()
        check(rc == 0, "SIGTERM: exit status 0 (%s)" % rc)
        check(not os.path.exists(d.sock), "socket file removed at exit")
    finally:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        if failures:
            d.dump()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
