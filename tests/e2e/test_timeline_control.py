#!/usr/bin/python3
"""GetTimeline, Record and StopRecording on vpndoctord's control socket.

The daemon runs in its own network namespace on a temporary socket, state
directory and configuration (one tunnel, no OpenVPN client: the probes have
nothing to measure, so a recording has progress and no samples; what samples
hold is tests/daemon/test_timeline's), its state directory seeded with a week
of minutes (tests/tools/timeline_seed). Checked:
- GetTimeline: a week (10080 samples, ~3 MB) without "more" is ExpectedMore;
  with it, pages of about 256 KiB that add up to every sample once, in order;
  since/until/resolution; each bad parameter named; an unknown tunnel;
- Record: needs "more"; duration 1..600; a progress reply at once and one a
  second; the end after its duration (stopped_early false); one at a time
  (RecordingBusy with since); StopRecording from another connection ends it
  early, and so does the client's half-close (its Ctrl-C); calls after Record
  on the same connection wait for its last page; StopRecording with none;
- both refused to a user outside group vpndoctor.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

VD_BIN = os.environ.get("VD_BIN", "build/bin")
VD_SRC = os.environ.get("VD_SRC", ".")
SLOW = 3 if os.environ.get("VD_SANITIZED") else 1
NOBODY = 65534
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class Client:
    def __init__(self, path, timeout=20 * SLOW):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""

    def send(self, method, params=None, more=False):
        msg = {"method": method}
        if params is not None:
            msg["parameters"] = params
        if more:
            msg["more"] = True
        self.s.sendall(json.dumps(msg).encode() + b"\0")

    def recv(self):
        while b"\0" not in self.buf:
            chunk = self.s.recv(1 << 16)
            if not chunk:
                return None
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg), len(msg)

    def call(self, method, params=None, more=False):
        self.send(method, params, more)
        return self.recv()[0]

    def pages(self, method, params=None):
        """Every reply of a call with more, and their sizes."""
        self.send(method, params, True)
        out = []
        while True:
            r, n = self.recv()
            out.append((r, n))
            if not r.get("continues"):
                return out

    def close(self):
        self.s.close()


def error(r):
    return r.get("error") if isinstance(r, dict) else None


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (unshare -n, setuid)")
        return 77
    tmp = tempfile.mkdtemp(prefix="vd-e2e-tl.")
    state = os.path.join(tmp, "state")
    os.mkdir(state)
    sock = os.path.join(tmp, "io.vpndoctor")
    conf = os.path.join(tmp, "vd.conf")
    with open(conf, "w") as f:
        f.write("[Clock]\nEnabled=no\n[Tunnel office]\nConfig=%s/nonexistent.conf\n" % tmp)
    # a week of minutes ending an hour ago, and a tunnel gone since
    end = int(time.time()) // 60 * 60 - 3600
    start = end - 10080 * 60
    with subprocess.Popen([os.path.join(VD_BIN, "timeline_seed"), state], stdin=subprocess.PIPE) as seed:
        for i in range(10080):
            s = {"tunnel": "office", "time": start + 60 * i, "state": "connected", "health": "healthy",
                 "inside": {"sent": 10, "received": 10 - i % 3, "rtt_min_ms": 9, "rtt_median_ms": 10 + i % 7,
                            "rtt_p95_ms": 20, "jitter_ms": 1},
                 "outside": {"sent": 10, "received": 10, "rtt_median_ms": 5}}
            seed.stdin.write((json.dumps(s) + "\n").encode())
        seed.stdin.write((json.dumps({"tunnel": "old", "time": start, "state": "exited"}) + "\n").encode())
    log = open(os.path.join(tmp, "daemon.log"), "w+")
    # --user root: uid nobody is this test's outsider, and a socket trusts
    # its daemon's own user; one process, as root
    proc = subprocess.Popen(["unshare", "-n", os.path.join(VD_BIN, "vpndoctord"), "--foreground",
                             "--user", "root", "--socket", sock, "--state-dir", state, "--config", conf, "--log-target", "stderr"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200 * SLOW):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        run(sock, start, end)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if failures:
            log.seek(0)
            print("---- daemon log ----\n" + log.read()[-3000:])
        subprocess.run(["rm", "-rf", tmp])
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


def run(sock, start, end):
    c = Client(sock)
    # --- GetTimeline ---------------------------------------------------------
    r = c.call("io.vpndoctor.GetTimeline", {"tunnel": "office", "since": start, "until": start + 600})
    p = r.get("parameters", {})
    check(p.get("resolution") == 60 and len(p.get("samples", [])) == 10 and not r.get("continues"),
          "GetTimeline: ten minutes in one reply")
    r = c.call("io.vpndoctor.GetTimeline", {"since": 0})
    check(error(r) == "org.varlink.service.ExpectedMore", "GetTimeline: a week without more: ExpectedMore")
    pages = c.pages("io.vpndoctor.GetTimeline", {"since": 0})
    samples = [s for r, _ in pages for s in r["parameters"]["samples"]]
    office = [s["time"] for s in samples if s["tunnel"] == "office"]
    check(len(pages) >= 8 and all(r.get("continues") for r, _ in pages[:-1]) and not pages[-1][0].get("continues"),
          "GetTimeline: a week in %d pages, continues on all but the last" % len(pages))
    check(max(n for _, n in pages) < 300 * 1024, "GetTimeline: pages of about 256 KiB (largest %d bytes)"
          % max(n for _, n in pages))
    check(office == list(range(start, end, 60)), "GetTimeline: 10080 minutes of office, each once, in order")
    check([s["tunnel"] for s in samples][0] == "office" and samples[-1]["tunnel"] == "old"
          or samples[0]["tunnel"] == "old",
          "GetTimeline: a tunnel gone (a file, no configuration) is listed too, by name")
    r = c.call("io.vpndoctor.GetTimeline", {"tunnel": "old", "since": 0})
    check(len(r["parameters"]["samples"]) == 1 and r["parameters"]["samples"][0]["state"] == "exited",
          "GetTimeline: the gone tunnel by name")
    r = c.call("io.vpndoctor.GetTimeline", {"tunnel": "office", "since": start, "until": end, "resolution": 86400})
    days = r["parameters"]["samples"]
    check(len(days) in (7, 8) and sum(s["periods"] for s in days) == 10080
          and sum(s["inside"]["sent"] for s in days) == 100800,
          "GetTimeline: a week by day adds up (%d buckets)" % len(days))
    for params, bad in (({"resolution": 90}, "resolution"), ({"resolution": 0}, "resolution"),
                        ({"resolution": 172800}, "resolution"), ({"since": "x"}, "since"),
                        ({"until": 1.5}, "until"), ({"tunnel": 3}, "tunnel"), ({"limit": 3}, "limit")):
        r = c.call("io.vpndoctor.GetTimeline", params)
        check(error(r) == "org.varlink.service.InvalidParameter" and r["parameters"]["parameter"] == bad,
              "GetTimeline %s: InvalidParameter %s" % (json.dumps(params), bad))
    r = c.call("io.vpndoctor.GetTimeline", {"tunnel": "nope"})
    check(error(r) == "io.vpndoctor.NoSuchTunnel" and r["parameters"]["tunnel"] == "nope",
          "GetTimeline: NoSuchTunnel")

    # --- Record ----------------------------------------------------------------
    r = c.call("io.vpndoctor.Record", {"duration": 2})
    check(error(r) == "org.varlink.service.ExpectedMore", "Record without more: ExpectedMore")
    for d in (0, 601, "10"):
        r = c.call("io.vpndoctor.Record", {"duration": d}, more=True)
        check(error(r) == "org.varlink.service.InvalidParameter" and r["parameters"]["parameter"] == "duration",
              "Record duration %r: InvalidParameter" % (d,))
    r = c.call("io.vpndoctor.Record", {"duration": 5, "tunnel": "nope"}, more=True)
    check(error(r) == "io.vpndoctor.NoSuchTunnel", "Record of an unknown tunnel: NoSuchTunnel")
    r = c.call("io.vpndoctor.StopRecording")
    check(r.get("parameters") == {"stopped": False}, "StopRecording with none running")

    # to its end, with a call queued behind it
    t0 = time.monotonic()
    c.send("io.vpndoctor.Record", {"duration": 2}, more=True)
    c.send("io.vpndoctor.GetStatus")
    replies = []
    while True:
        r, _ = c.recv()
        replies.append(r)
        if "progress" not in r.get("parameters", {}) and not r.get("continues"):
            break
    took = time.monotonic() - t0
    prog = [r["parameters"]["progress"] for r in replies if "progress" in r.get("parameters", {})]
    last = replies[-1]["parameters"]
    check(prog and prog[0]["elapsed_s"] == 0 and prog[0]["duration_s"] == 2 and len(prog) in (2, 3),
          "Record: a progress reply at once and one a second (%s)" % prog)
    check(1.8 <= took < 6 * SLOW, "Record: ends after its 2 s (%.1f s)" % took)
    check(last.get("stopped_early") is False and last.get("truncated") is False and last.get("duration_s") == 2
          and last.get("tunnel") is None and last["ended"] >= last["started"] and "samples" in last,
          "Record: its figures in the last page")
    r, _ = c.recv()
    check("health" in r.get("parameters", {}), "Record: the call queued behind it is answered after it")

    # one at a time; StopRecording from elsewhere ends it early
    c.send("io.vpndoctor.Record", {"duration": 60}, more=True)
    r, _ = c.recv()
    check(r["parameters"].get("progress", {}).get("elapsed_s") == 0, "Record of 60 s started")
    other = Client(sock)
    r = other.call("io.vpndoctor.Record", {"duration": 5}, more=True)
    check(error(r) == "io.vpndoctor.RecordingBusy" and isinstance(r["parameters"].get("since"), int),
          "a second Record: RecordingBusy with since")
    time.sleep(1.2)
    t0 = time.monotonic()
    r = other.call("io.vpndoctor.StopRecording")
    check(r.get("parameters") == {"stopped": True}, "StopRecording from another connection")
    while True:
        r, _ = c.recv()
        if "progress" not in r.get("parameters", {}):
            break
    check(r["parameters"].get("stopped_early") is True and time.monotonic() - t0 < 2 * SLOW,
          "Record stopped early by StopRecording: its samples at once")
    other.close()

    # the client's half-close (Ctrl-C in vpndoctor report --record) ends it too
    h = Client(sock)
    h.send("io.vpndoctor.Record", {"duration": 60}, more=True)
    h.recv()
    time.sleep(0.5)
    h.s.shutdown(socket.SHUT_WR)
    t0 = time.monotonic()
    while True:
        got = h.recv()
        if got is None:
            r = None
            break
        r = got[0]
        if "progress" not in r.get("parameters", {}) and not r.get("continues"):
            break
    check(r is not None and r["parameters"].get("stopped_early") is True and time.monotonic() - t0 < 2 * SLOW,
          "Record ended by the client's half-close, the samples still sent")
    check(h.recv() is None, "then the connection closes")
    h.close()
    r = c.call("io.vpndoctor.Record", {"duration": 1}, more=True)
    check("progress" in r.get("parameters", {}), "a new recording after those")
    while True:
        r, _ = c.recv()
        if "progress" not in r.get("parameters", {}) and not r.get("continues"):
            break
    c.close()

    # --- only root and the group ---------------------------------------------------
    # the socket open to all, as a misconfigured mode would: the daemon still refuses
    os.chmod(os.path.dirname(sock), 0o755)
    os.chmod(sock, 0o666)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(NOBODY)
            n = Client(sock)
            out = [error(n.call("io.vpndoctor.GetTimeline")), error(n.call("io.vpndoctor.Record", {"duration": 5},
                                                                            more=True)),
                   error(n.call("io.vpndoctor.StopRecording"))]
            os.write(wfd, json.dumps(out).encode())
        except BaseException as e:
            os.write(wfd, json.dumps({"exception": repr(e)}).encode())
        finally:
            os._exit(0)
    os.close(wfd)
    out = json.loads(os.read(rfd, 4096) or b"null")
    os.waitpid(pid, 0)
    check(out == ["org.varlink.service.PermissionDenied"] * 3, "uid nobody: PermissionDenied (%s)" % out)


if __name__ == "__main__":
    sys.exit(main())
