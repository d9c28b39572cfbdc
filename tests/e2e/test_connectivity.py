#!/usr/bin/python3
"""End-to-end test of the connectivity check and the captive-portal and
no-internet causes: vpndoctord in a network namespace ("lap") whose only
uplink leads to another ("web", 10.77.0.1) where a small HTTP server plays
the internet's check URL or a hotel's login page, and python3-dbusmock's
NetworkManager template on a private system bus.

The tunnel's gateway cannot be reached from "lap" (its name resolves
nowhere), so the network's state is the story:
- no NetworkManager: the daemon's own check of [Connectivity] URL= answered
  204 is full; a redirect, then another page, is a portal (captive-portal,
  its Location escaped: remote text); a 204 again resolves it; a server that
  refuses is no internet (no-internet);
- NetworkManager on the bus: its Connectivity wins (FULL, then PORTAL via
  PropertiesChanged at once); UNKNOWN (its checking off) hands back to the
  daemon's check; NetworkManager=no ignores it (SIGHUP);
- no URL and no NetworkManager: the section is unknown, nothing is asked.
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

for tool in ("dbus-daemon", "ip"):
    if not shutil.which(tool):
        print("SKIP: no %s" % tool)
        sys.exit(77)
try:
    import dbus
    import dbusmock  # noqa: F401
except ImportError:
    print("SKIP: no python3-dbus / python3-dbusmock")
    sys.exit(77)
if os.geteuid() != 0:
    print("SKIP: needs root for network namespaces")
    sys.exit(77)

failures = []
procs = {}
tag = "vdc%d" % os.getpid()
lap, web = tag + "-lap", tag + "-web"
work = tempfile.mkdtemp(prefix="vd-conn-")
# the bus socket in it is reached by the daemon's engine, which runs as nobody
os.chmod(work, 0o711)
sock = os.path.join(work, "io.vpndoctor")
bus_addr = "unix:path=" + os.path.join(work, "system_bus_socket")
env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_addr)
URL = "http://10.77.0.1/generate_204"


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def wait_for(pred, timeout, step=0.2):
    end = time.monotonic() + timeout * SLOW
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def sh(*argv):
    subprocess.run(argv, check=True)


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


def vd_json(*args):
    p = subprocess.run([os.path.join(VD_BIN, "vpndoctor"), "--socket", sock] + list(args) + ["--json"],
                       capture_output=True, text=True, timeout=30 * SLOW)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return None


def conn():
    f = vd_json("facts")
    return (f or {}).get("facts", {}).get("host", {}).get("connectivity")


def findings():
    st = vd_json("status")
    return {f["cause"]: f for f in (st or {}).get("findings", [])}


def mode(m):
    with open(os.path.join(work, "mode.new"), "w") as f:
        f.write(m)
    os.rename(os.path.join(work, "mode.new"), os.path.join(work, "mode"))


# --- the network: lap --- web -----------------------------------------------------------
def net_up():
    sh("ip", "netns", "add", lap)
    sh("ip", "netns", "add", web)
    for ns in (lap, web):
        sh("ip", "-n", ns, "link", "set", "lo", "up")
    sh("ip", "-n", lap, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", web)
    sh("ip", "-n", lap, "addr", "add", "10.77.0.2/24", "dev", "eth0")
    sh("ip", "-n", web, "addr", "add", "10.77.0.1/24", "dev", "eth0")
    sh("ip", "-n", lap, "link", "set", "eth0", "up")
    sh("ip", "-n", web, "link", "set", "eth0", "up")
    sh("ip", "-n", lap, "route", "add", "default", "via", "10.77.0.1")
    # no resolver reaches anything from the laptop
    os.makedirs("/etc/netns/" + lap, exist_ok=True)
    with open("/etc/netns/%s/resolv.conf" % lap, "w") as f:
        f.write("nameserver 10.77.0.53\n")


SERVER = r'''
import http.server, os, sys
MODE = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        m = open(MODE).read().strip()
        if m == "ok":
            self.send_response(204); self.end_headers()
        elif m == "portal":
            self.send_response(302)
            self.send_header("Location", "http://login.hotel.example/?from=\x1b[31mred")
            self.send_header("Content-Length", "0"); self.end_headers()
        else:
            body = b"<html><body>Welcome to the Hotel WiFi. Please log in.</body></html>"
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("10.77.0.1", 80), H).serve_forever()
'''


def start_server():
    with open(os.path.join(work, "server.py"), "w") as f:
        f.write(SERVER)
    start("server", ["ip", "netns", "exec", web, "/usr/bin/python3", os.path.join(work, "server.py"),
                     os.path.join(work, "mode")], "server.log")
    ok = wait_for(lambda: subprocess.run(["ip", "netns", "exec", web, "ss", "-Hltn", "sport = :80"],
                                         capture_output=True, text=True).stdout.strip(), 10)
    assert ok, "the HTTP server did not listen: " + read("server.log")


# --- the bus and NetworkManager --------------------------------------------------------------
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


def nm():
    b = dbus.bus.BusConnection(bus_addr)
    return b.get_object("org.freedesktop.NetworkManager", "/org/freedesktop/NetworkManager")


def start_nm():
    start("nm", ["/usr/bin/python3", "-m", "dbusmock", "--system", "--template", "networkmanager"], "nm.log")

    def up():
        try:
            nm().Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
            return True
        except Exception:
            return False
    assert wait_for(up, 10), "the NetworkManager mock did not start: " + read("nm.log")


def set_connectivity(v):
    nm().SetConnectivity(dbus.UInt32(v), dbus_interface="org.freedesktop.DBus.Mock")


# --- the daemon ---------------------------------------------------------------------------------
def write_conf(extra=""):
    with open(os.path.join(work, "vpndoctor.conf"), "w") as f:
        f.write("""[Clock]
Enabled=no
[Connectivity]
URL=%s
Interval=10s
%s
[Tunnel office]
Config=%s/sample.ovpn
""" % (URL, extra, work))


def start_daemon():
    start("daemon", ["ip", "netns", "exec", lap, os.path.join(VD_BIN, "vpndoctord"), "--foreground", "--user", "nobody",
                     "--log-target", "stderr", "--config", os.path.join(work, "vpndoctor.conf"), "--socket", sock,
                     "--state-dir", os.path.join(work, "state")], "daemon.log")
    assert wait_for(lambda: os.path.exists(sock), 10), "the daemon did not listen: " + read("daemon.log")


def state_is(state, source):
    c = conn()
    return c if c and c.get("state") == state and c.get("source") == source else None


def main():
    for f in os.listdir(os.path.join(VD_SRC, "tests/data/sample")):
        shutil.copy(os.path.join(VD_SRC, "tests/data/sample", f), work)
    net_up()
    mode("ok")
    start_server()
    start("bus", ["dbus-daemon", "--config-file=" + os.path.join(work, "bus.conf"), "--nofork", "--nopidfile"],
          "bus.log")
    assert wait_for(lambda: os.path.exists(os.path.join(work, "system_bus_socket")), 10), "no bus"
    write_conf()
    start_daemon()

    # --- the daemon's own check -----------------------------------------------------------------
    c = wait_for(lambda: state_is("full", "http"), 10)
    check(c and c.get("url") == URL and c.get("http_status") == 204, "204 from URL=: full (%s)" % c)
    mode("portal")
    c = wait_for(lambda: state_is("portal", "http"), 15)
    check(c and c.get("http_status") == 302, "a redirect: portal (%s)" % c)
    check(c and c.get("redirect", "").startswith("http://login.hotel.example/?from=\\x1b[31mred"),
          "the Location is kept escaped: %r" % (c or {}).get("redirect"))
    f = wait_for(lambda: findings().get("captive-portal"), 25)
    check(f and f["severity"] == "error" and "redirected to http://login.hotel.example/" in f["summary"],
          "captive-portal is open: %s" % (f or {}).get("summary"))
    fs = findings()
    check("no-internet" not in fs and "gateway-unreachable" not in fs,
          "nothing else about the network: %s" % sorted(fs))
    mode("page")
    c = wait_for(lambda: (conn() or {}).get("http_status") == 200 and conn(), 15)
    check(c and c["state"] == "portal" and "redirect" not in c, "another page (200): portal still (%s)" % c)
    mode("ok")
    check(wait_for(lambda: "captive-portal" not in findings(), 15), "a 204 again: resolved")
    # a server that refuses
    stop("server")
    c = wait_for(lambda: state_is("limited", "http"), 15)
    check(c and c.get("error") == "connection refused", "nothing listens: limited (%s)" % c)
    f = wait_for(lambda: findings().get("no-internet"), 45)
    check(f and "gets no answer (connection refused)" in f["summary"], "no-internet is open: %s"
          % (f or {}).get("summary"))

    # --- NetworkManager on the bus: its word wins -----------------------------------------------------
    start_nm()
    c = wait_for(lambda: state_is("full", "networkmanager"), 15)
    check(c is not None, "NetworkManager's FULL, though URL= gets no answer (%s)" % conn())
    check(wait_for(lambda: "no-internet" not in findings(), 5), "no-internet resolved")
    t0 = time.monotonic()
    set_connectivity(2)  # PORTAL
    c = wait_for(lambda: state_is("portal", "networkmanager"), 5)
    check(c is not None and time.monotonic() - t0 < 3 * SLOW,
          "PORTAL through PropertiesChanged, at once (%.1f s)" % (time.monotonic() - t0))
    f = wait_for(lambda: findings().get("captive-portal"), 25)
    check(f and f["summary"].startswith("NetworkManager finds a login page"), "captive-portal from NetworkManager")
    set_connectivity(3)  # LIMITED
    c = wait_for(lambda: state_is("limited", "networkmanager"), 5)
    check(c is not None, "LIMITED: limited")
    check(wait_for(lambda: "captive-portal" not in findings(), 5), "captive-portal resolved")
    mode("ok")
    start_server()
    set_connectivity(0)  # UNKNOWN: its checking is off
    c = wait_for(lambda: state_is("full", "http"), 15)
    check(c is not None, "UNKNOWN: the daemon's own check again (%s)" % conn())
    set_connectivity(2)
    c = wait_for(lambda: state_is("portal", "networkmanager"), 5)
    check(c is not None, "PORTAL again while the daemon's own check was used: NetworkManager's word")
    at = (c or {}).get("at", 0)
    write_conf("NetworkManager=no")
    procs["daemon"].send_signal(signal.SIGHUP)
    c = wait_for(lambda: state_is("full", "http"), 15)
    check(c is not None and c["at"] >= at, "NetworkManager=no (SIGHUP): its PORTAL is not asked for (%s)" % conn())

    # --- neither: nothing is asked ---------------------------------------------------------------------
    with open(os.path.join(work, "vpndoctor.conf"), "w") as f:
        f.write("[Clock]\nEnabled=no\n[Connectivity]\nInterval=10s\n[Tunnel office]\nConfig=%s/sample.ovpn\n" % work)
    stop("nm")
    logged = len(read("daemon.log"))
    procs["daemon"].send_signal(signal.SIGHUP)
    c = wait_for(lambda: (conn() or {}).get("status") == "unknown" and conn(), 15)
    check(c is not None and "state" not in c, "no URL and no NetworkManager: unknown (%s)" % conn())
    check(wait_for(lambda: "captive-portal" not in findings(), 5), "and no finding about the network")
    time.sleep(12 * SLOW)  # past an Interval=
    check("connectivity: " not in read("daemon.log")[logged:], "nothing was asked after that: %s"
          % [l for l in read("daemon.log")[logged:].splitlines() if "connectivity" in l])
    check(procs["daemon"].poll() is None, "the daemon is still running")
    check(stop("daemon") == 0, "it exits 0 on SIGTERM")


def cleanup():
    for name in list(procs):
        stop(name, signal.SIGKILL)
    for ns in (lap, web):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
    shutil.rmtree("/etc/netns/" + lap, ignore_errors=True)
    try:
        os.rmdir("/etc/netns")  # only when no one else uses it
    except OSError:
        pass
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
        for name in ("daemon.log", "nm.log"):
            sys.stderr.write("--- %s\n%s" % (name, read(name)[-5000:]))
    cleanup()
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("all ok")
