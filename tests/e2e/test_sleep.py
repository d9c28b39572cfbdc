#!/usr/bin/python3
"""End-to-end test of sleep and resume: vpndoctord and python3-dbusmock's
logind template on a private system bus (a dbus-daemon of the test's own),
the daemon in a network namespace of its own (unshare -n) watching one
tunnel whose probes run every 5 s.

- awake, the daemon holds a delay lock (Inhibit "sleep", mode "delay");
- PrepareForSleep(true): it stops probing, saves its state and releases the
  lock at once (logind would otherwise wait up to InhibitDelayMaxSec);
  while asleep no probe runs, though they are due every 5 s;
- PrepareForSleep(false): every probe has run again within 5 s, and the lock
  is taken again;
- logind restarted (the bus too): the daemon follows the new one.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

VD_BIN = os.environ.get("VD_BIN", "build/bin")
VD_SRC = os.environ.get("VD_SRC", ".")
SLOW = 3 if os.environ.get("VD_SANITIZED") else 1

for tool in ("dbus-daemon", "unshare"):
    if not shutil.which(tool):
        print("SKIP: no %s" % tool)
        sys.exit(77)
try:
    import dbus  # noqa: F401
    import dbusmock  # noqa: F401
except ImportError:
    print("SKIP: no python3-dbus / python3-dbusmock")
    sys.exit(77)
if os.geteuid() != 0:
    print("SKIP: needs root for a network namespace")
    sys.exit(77)

failures = []
procs = {}
work = tempfile.mkdtemp(prefix="vd-sleep-")
# the bus socket in it is reached by the daemon's engine, which runs as nobody
os.chmod(work, 0o711)
sock = os.path.join(work, "io.vpndoctor")
bus_addr = "unix:path=" + os.path.join(work, "system_bus_socket")
env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_addr)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout * SLOW
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def start(name, argv, log):
    f = open(os.path.join(work, log), "ab")
    procs[name] = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, env=env)
    f.close()
    return procs[name]


def stop(name, sig=signal.SIGTERM):
    p = procs.pop(name, None)
    if p is None:
        return None
    if p.poll() is None:
        p.send_signal(sig)
    try:
        return p.wait(10 * SLOW)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def read(name):
    try:
        with open(os.path.join(work, name), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def vd(*args):
    p = subprocess.run([os.path.join(VD_BIN, "vpndoctor"), "--socket", sock] + list(args),
                       capture_output=True, text=True, timeout=30 * SLOW)
    return p


def status():
    p = vd("status", "--json")
    try:
        return json.loads(p.stdout)
    except ValueError:
        return None


def probes():
    st = status()
    return st["probes"] if st else []


# --- the private system bus and logind on it ---------------------------------------
with open(os.path.join(work, "bus.conf"), "w") as f:
    f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
""" % bus_addr)


def start_bus():
    start("bus", ["dbus-daemon", "--config-file=" + os.path.join(work, "bus.conf"), "--nofork", "--nopidfile"],
          "bus.log")
    assert wait_for(lambda: os.path.exists(os.path.join(work, "system_bus_socket")), 10), "no bus"


def logind():
    import dbus
    b = dbus.bus.BusConnection(bus_addr)
    return b.get_object("org.freedesktop.login1", "/org/freedesktop/login1")


def start_logind():
    start("logind", ["/usr/bin/python3", "-m", "dbusmock", "--system", "--template", "logind"], "logind.log")

    def up():
        try:
            logind().Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
            return True
        except Exception:
            return False
    assert wait_for(up, 10), "the logind mock did not start: " + read("logind.log")


def ours():
    """Our delay locks as logind lists them."""
    try:
        inh = logind().ListInhibitors(dbus_interface="org.freedesktop.login1.Manager")
    except Exception:
        return []
    return [i for i in inh if str(i[1]) == "vpndoctord" and str(i[0]) == "sleep" and str(i[3]) == "delay"]


def prepare(sleeping):
    import dbus
    logind().EmitSignal("org.freedesktop.login1.Manager", "PrepareForSleep", "b", [dbus.Boolean(sleeping)],
                        dbus_interface="org.freedesktop.DBus.Mock")


# --- the daemon -----------------------------------------------------------------------
for f in os.listdir(os.path.join(VD_SRC, "tests/data/sample")):
    shutil.copy(os.path.join(VD_SRC, "tests/data/sample", f), work)
with open(os.path.join(work, "vpndoctor.conf"), "w") as f:
    f.write("""[Clock]
Enabled=no
[OpenVPN]
Interval=5
[Routes]
Interval=5
[Conflicts]
Interval=5
[Throughput]
Interval=5
[Tunnel office]
Config=%s/sample.ovpn
""" % work)


def start_daemon():
    start("daemon", ["unshare", "-n", os.path.join(VD_BIN, "vpndoctord"), "--foreground", "--user", "nobody", "--log-target",
                     "stderr", "--config", os.path.join(work, "vpndoctor.conf"), "--socket", sock,
                     "--state-dir", os.path.join(work, "state")], "daemon.log")


def all_ran_since(t):
    ps = probes()
    return ps and all(p.get("last_run") is not None and p["last_run"] >= t for p in ps)


def main():
    start_bus()
    start_logind()
    start_daemon()
    check(wait_for(lambda: os.path.exists(sock), 10), "the daemon listens")
    check(wait_for(lambda: all_ran_since(0), 20), "every probe ran once")
    check(wait_for(lambda: len(ours()) == 1, 10), "awake, it holds one delay lock for sleep: %s" % ours())

    # --- to sleep ---------------------------------------------------------------------
    t_sleep = time.time()
    prepare(True)
    check(wait_for(lambda: not ours(), 3), "PrepareForSleep(true): the lock is released at once (%.1f s)"
          % (time.time() - t_sleep))
    check(wait_for(lambda: "about to sleep" in read("daemon.log"), 3), "it says so in its log")
    time.sleep(1)
    before = {(p["name"], p["tunnel"]): p["last_run"] for p in probes()}
    check(not [p for p in probes() if p["status"] == "running"], "asleep: nothing runs")
    time.sleep(8 * SLOW)
    after = {(p["name"], p["tunnel"]): p["last_run"] for p in probes()}
    check(before == after, "asleep for 8 s: no probe ran, though four are due every 5 s")

    # --- awake again ------------------------------------------------------------------------
    t_resume = int(time.time())
    prepare(False)
    # a run shows in the status when it ends (the transport probe waits 4 s
    # for UDP answers here); last_run is when it started
    ok = wait_for(lambda: all_ran_since(t_resume), 10)
    started = [p["last_run"] - t_resume for p in probes()]
    check(ok and max(started) <= 5, "PrepareForSleep(false): every probe has run again within 5 s "
          "(started %s s after it)" % sorted(set(started)))
    check(wait_for(lambda: len(ours()) == 1, 5), "the delay lock is taken again")
    st = status() or {}
    settling = (st.get("tunnels") or [{}])[0].get("settling") or {}
    check(settling.get("after") == ["resume", "roam"] and settling.get("until", 0) >= t_resume + 100,
          "the tunnel settles (%s)" % settling)
    human = vd("status").stdout
    check("settling after a resume or a change of network" in human, "status says so: %r" % human[:300])
    check("woke" in read("daemon.log"), "it says so in its log")

    # --- logind restarted: followed again ------------------------------------------------------
    stop("logind")
    start_logind()
    check(wait_for(lambda: len(ours()) == 1, 10), "a new logind gets a new delay lock")
    prepare(True)
    check(wait_for(lambda: not ours(), 3), "and its PrepareForSleep is followed")
    prepare(False)
    check(wait_for(lambda: len(ours()) == 1, 5), "the lock comes back after that resume too")
    check(procs["daemon"].poll() is None, "the daemon is still running")
    check(stop("daemon") == 0, "it exits 0 on SIGTERM")


def cleanup():
    for name in list(procs):
        stop(name, signal.SIGKILL)
    shutil.rmtree(work, ignore_errors=True)


def on_signal(signo, frame):
    raise SystemExit("killed by signal %d" % signo)


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
try:
    main()
except (Exception, SystemExit) as e:
    import traceback
    traceback.print_exc()
    failures.append(repr(e))
finally:
    if failures:
        for name in ("daemon.log", "logind.log"):
            sys.stderr.write("--- %s\n%s" % (name, read(name)[-4000:]))
    cleanup()
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("all ok")
