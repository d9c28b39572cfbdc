"""sd_notify and socket activation, seen from a test NOTIFY_SOCKET.

READY=1 only once the control socket accepts, STATUS= with the health line,
WATCHDOG=1 every half WATCHDOG_USEC (and none when WATCHDOG_PID names another
process, as sd_watchdog_enabled(3) says), STOPPING=1 on SIGTERM; then the
listening socket handed over by systemd-socket-activate is the one served.
Every daemon runs in its own network namespace (unshare -n)."""
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

VD_BIN = os.environ["VD_BIN"]
DAEMON = os.path.join(VD_BIN, "vpndoctord")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Notify:
    """A NOTIFY_SOCKET that records each datagram with the sender's pid."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.sock.bind(path)
        # open to every user, as systemd's own: a root daemon's engine runs as nobody
        os.chmod(path, 0o666)
        os.chmod(os.path.dirname(path), 0o711)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.msgs = []  # (monotonic time, pid, {key: value})

    def poll(self, timeout):
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return None
        data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = None
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid, _, _ = struct.unpack("iII", cdata[:12])
        fields = {}
        for line in data.decode("utf-8", "replace").split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                fields[k] = v
        m = (time.monotonic(), pid, fields)
        self.msgs.append(m)
        return m

    def wait_for(self, key, timeout, value=None):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            m = self.poll(left)
            if m and key in m[2] and (value is None or m[2][key] == value):
                return m

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.poll(end - time.monotonic())

    def close(self):
        self.sock.close()


def varlink_call(path, method, params=None, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    s.settimeout(timeout)
    s.connect(path)
    msg = {"method": method}
    if params is not None:
        msg["parameters"] = params
    s.sendall(json.dumps(msg).encode() + b"\0")
    buf = b""
    while b"\0" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            fail(f"{method}: connection closed before a reply")
        buf += chunk
    s.close()
    return json.loads(buf.split(b"\0", 1)[0])


def write_config(work):
    prof = os.path.join(work, "office.conf")
    with open(prof, "w") as f:
        f.write("client\ndev tun\nremote 192.0.2.1 1194\nauth-user-pass\n")
    conf = os.path.join(work, "vpndoctor.conf")
    with open(conf, "w") as f:
        f.write(f"[Tunnel office]\nConfig={prof}\n")
    os.makedirs(os.path.join(work, "state"), exist_ok=True)
    return conf


def daemon_args(work, conf, sock):
    # as root, the engine runs as nobody under a privileged parent
    return [DAEMON, "--foreground", "--user", "nobody", "--config", conf, "--socket", sock,
            "--state-dir", os.path.join(work, "state"), "--log-target", "stderr"]


def main_pid(notify, pid):
    """The main process as systemd would track it: the one started, or the
    one it names with MAINPID= (vpndoctord's engine, when it separates)."""
    for m in notify.msgs:
        if m[1] == pid and "MAINPID" in m[2]:
            pid = int(m[2]["MAINPID"])
    return pid


def stop(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_notify(work, conf):
    sock = os.path.join(work, "io.vpndoctor")
    notify = Notify(os.path.join(work, "notify"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="2000000")
    env.pop("WATCHDOG_PID", None)
    env.pop("LISTEN_FDS", None)
    env.pop("LISTEN_PID", None)
    # unshare execs the daemon in place, so proc.pid is the daemon's pid
    # (what WATCHDOG_PID would have to name, were it set).
    proc = subprocess.Popen(["unshare", "-n"] + daemon_args(work, conf, sock), env=env,
                            stderr=open(os.path.join(work, "stderr-notify"), "w"))
    try:
        ready = notify.wait_for("READY", 15, "1")
        if not ready:
            fail("no READY=1 within 15 s")
        main = main_pid(notify, proc.pid)
        if ready[1] != main:
            fail(f"READY=1 came from pid {ready[1]}, the daemon's main process is {main} ({notify.msgs})")
        if os.geteuid() == 0 and main == proc.pid:
            fail("started as root, the daemon named no engine with MAINPID=")
        # READY=1 promises a listening socket: a call must work right now.
        if not os.path.exists(sock):
            fail("READY=1 sent before the control socket exists")
        reply = varlink_call(sock, "io.vpndoctor.GetStatus")
        health = reply.get("parameters", {}).get("health")
        if health not in ("healthy", "degraded", "broken", "unknown"):
            fail(f"GetStatus right after READY=1: {reply}")

        # Watchdog: 2 s timeout, so pings at least every second.
        t0 = time.monotonic()
        notify.drain(3.0)
        dogs = [m for m in notify.msgs if m[2].get("WATCHDOG") == "1" and m[0] >= t0]
        if len(dogs) < 2:
            fail(f"{len(dogs)} WATCHDOG=1 in 3 s with WATCHDOG_USEC=2000000 (want >= 2)")
        gaps = [b[0] - a[0] for a, b in zip(dogs, dogs[1:])]
        if gaps and max(gaps) > 2.0:
            fail(f"watchdog gap of {max(gaps):.2f} s exceeds WATCHDOG_USEC")
        if any(m[1] != main for m in dogs):
            fail("WATCHDOG=1 from a pid other than the daemon's main process")

        status = [m[2]["STATUS"] for m in notify.msgs if "STATUS" in m[2]]
        if not status:
            fail("no STATUS= line")
        if not any(w in s for s in status for w in ("healthy", "degraded", "broken", "unknown")):
            fail(f"STATUS= lines carry no health word: {status}")

        proc.send_signal(signal.SIGTERM)
        if not notify.wait_for("STOPPING", 10, "1"):
            fail("no STOPPING=1 after SIGTERM")
        rc = proc.wait(timeout=15)
        if rc != 0:
            fail(f"daemon exited {rc} after SIGTERM")
        if os.path.exists(sock):
            fail("control socket left behind after a clean stop")
        print(f"ok: READY=1 after the socket, STATUS={status[-1]!r}, {len(dogs)} WATCHDOG=1 "
              f"in 3 s (gaps {', '.join(f'{g:.2f}' for g in gaps)} s), STOPPING=1, exit 0")
    finally:
        stop(proc)
        notify.close()


def test_watchdog_other_pid(work, conf):
    """WATCHDOG_PID naming another process: the watchdog is not ours."""
    sock = os.path.join(work, "io.vpndoctor-2")
    notify = Notify(os.path.join(work, "notify-2"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path, WATCHDOG_USEC="2000000",
               WATCHDOG_PID=str(os.getpid()))
    proc = subprocess.Popen(["unshare", "-n"] + daemon_args(work, conf, sock), env=env,
                            stderr=open(os.path.join(work, "stderr-wdpid"), "w"))
    try:
        if not notify.wait_for("READY", 15, "1"):
            fail("no READY=1 within 15 s (WATCHDOG_PID set to another pid)")
        notify.drain(2.5)
        dogs = [m for m in notify.msgs if m[2].get("WATCHDOG") == "1"]
        if dogs:
            fail(f"{len(dogs)} WATCHDOG=1 although WATCHDOG_PID={os.getpid()} is not the daemon")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        print("ok: no WATCHDOG=1 when WATCHDOG_PID names another process")
    finally:
        stop(proc)
        notify.close()


def test_socket_activation(work, conf):
    if not shutil.which("systemd-socket-activate"):
        fail("systemd-socket-activate not found")
    path = os.path.join(work, "activated.sock")
    unused = os.path.join(work, "not-bound.sock")
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID")}
    proc = subprocess.Popen(
        ["unshare", "-n", "systemd-socket-activate", "-l", path, "--fdname=varlink"]
        + daemon_args(work, conf, unused), env=env,
        stderr=open(os.path.join(work, "stderr-activate"), "w"))
    try:
        end = time.monotonic() + 10
        while not os.path.exists(path):
            if time.monotonic() > end or proc.poll() is not None:
                fail("systemd-socket-activate did not create the socket")
            time.sleep(0.05)
        # The first connection starts the daemon on the inherited socket.
        reply = varlink_call(path, "io.vpndoctor.GetStatus", timeout=15)
        params = reply.get("parameters")
        if not isinstance(params, dict) or params.get("health") not in (
                "healthy", "degraded", "broken", "unknown"):
            fail(f"GetStatus over the activated socket: {reply}")
        tunnels = [t.get("name") for t in params.get("tunnels", [])]
        if "office" not in tunnels:
            fail(f"GetStatus lists tunnels {tunnels}, want office")
        # A second connection reaches the same daemon.
        reply = varlink_call(path, "org.varlink.service.GetInfo")
        if "parameters" not in reply:
            fail(f"GetInfo over the activated socket: {reply}")
        if os.path.exists(unused):
            fail("the daemon bound --socket although systemd passed it a socket")
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        if rc != 0:
            fail(f"activated daemon exited {rc} after SIGTERM")
        print("ok: socket activation: GetStatus and GetInfo over the inherited socket")
    finally:
        stop(proc)


def main():
    if os.geteuid() != 0:
        fail("needs root for unshare -n")
    if not os.access(DAEMON, os.X_OK):
        fail(f"no {DAEMON}")
    work = tempfile.mkdtemp(prefix="vd-sdnotify.")
    ok = False
    try:
        conf = write_config(work)
        test_notify(work, conf)
        test_watchdog_other_pid(work, conf)
        test_socket_activation(work, conf)
        ok = True
    finally:
        if not ok:
            for name in sorted(os.listdir(work)):
                if name.startswith("stderr"):
                    print(f"--- {name}:", file=sys.stderr)
                    with open(os.path.join(work, name)) as f:
                        sys.stderr.write(f.read()[-4000:])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
