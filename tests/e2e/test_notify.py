#!/usr/bin/python3
"""End-to-end test of vpndoctor-notify.

Runs itself again under dbus-run-session (a private session bus), with
python3-dbusmock's notification_daemon template as the notification server
(its Notify calls are read back with the mock's GetCalls) and vpndoctord in a
network namespace of its own (unshare -n) on a temporary socket, watching two
tunnels whose profiles the test breaks and mends:

- office: its key file is moved away (config-invalid, an error), then its CA
  instead (same cause, another summary: an update), then mended (resolved);
- branch: a cloud-side overlap (ipsec-route-overlap, a warning) and a cipher
  outside data-ciphers (ncp-cipher, info) that stay all along.

The work dir's name holds "R&D" so that the markup escaping shows in bodies.
Asserts summary, body, icon, urgency, expiry, replaces_id and actions for open,
update and resolve; the Details action (xdg-open on an HTML page, and the
notification fallback when xdg-open fails); a repair shown within 5 s even
inside the interval; a flapping fault bounded to one opening per interval,
each repair still shown at once; the agent started before the daemon, and the
daemon killed and restarted mid-way; MinSeverity, Muted and --min-severity
(with --once); the notification in Japanese under LANGUAGE=ja (with --once), its
summary rendered from the finding's message; a
server without markup or actions; a malformed settings file.
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

if not os.environ.get("VD_NOTIFY_INNER"):
    os.environ["VD_NOTIFY_INNER"] = "1"
    os.execvp("dbus-run-session", ["dbus-run-session", "--", "/usr/bin/python3"] + sys.argv)

import dbus  # noqa: E402 (only inside the private session)

VD_BIN = os.environ.get("VD_BIN", "build/bin")
VD_SRC = os.environ.get("VD_SRC", ".")
SLOW = 3 if os.environ.get("VD_SANITIZED") else 1
INTERVAL = 8 * SLOW        # the agent's Interval= in this test
TITLE_CI = "The SSL server or client configuration is invalid"
TITLE_OVERLAP = "An IPsec-VPN route on the same gateway overlaps the client CIDR"
TITLE_OVERLAP_JA = "同じVPNゲートウェイのIPsec-VPNのルートがクライアントCIDRブロックと重複"

failures = []
procs = {}
work = tempfile.mkdtemp(prefix="vd-notify-R&D-")
sock = os.path.join(work, "run", "io.vpndoctor")


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


def start(name, argv, log, env=None):
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


def cleanup():
    for name in list(procs):
        stop(name, signal.SIGKILL)
    shutil.rmtree(work, ignore_errors=True)


def read(name):
    try:
        with open(os.path.join(work, name), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# --- the notification server -----------------------------------------------------
bus = dbus.SessionBus()


def start_mock(caps):
    start("mock", ["/usr/bin/python3", "-m", "dbusmock", "--session", "--template",
                   "notification_daemon", "-p", '{"capabilities": "%s"}' % caps], "mock.log")
    ok = wait_for(lambda: bus.name_has_owner("org.freedesktop.Notifications"), 10)
    assert ok, "the mock notification server did not start"


def mock():
    obj = bus.get_object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
    return dbus.Interface(obj, "org.freedesktop.DBus.Mock")


def py(v):
    if isinstance(v, (dbus.Array, list)):
        return [py(x) for x in v]
    if isinstance(v, dbus.Dictionary):
        return {str(k): py(x) for k, x in v.items()}
    if isinstance(v, dbus.String):
        return str(v)
    if isinstance(v, (dbus.Byte, dbus.UInt32, dbus.Int32)):
        return int(v)
    return v


ids = {"next": 1}   # the template hands out 1, 2, ... to each new notification
notes = []          # every Notify of the current mock, in order, with its id


def refresh():
    calls = [c for c in mock().GetCalls() if str(c[1]) == "Notify"]
    for c in calls[len(notes):]:
        a = py(c[2])
        n = {"app": a[0], "replaces": a[1], "icon": a[2], "summary": a[3], "body": a[4],
             "actions": a[5], "hints": a[6], "expire": a[7], "t": float(c[0])}
        if n["replaces"]:
            n["id"] = n["replaces"]
        else:
            n["id"] = ids["next"]
            ids["next"] += 1
        notes.append(n)
    return notes


def about(substr, start=0):
    return [n for n in refresh()[start:] if substr in n["summary"]]


def wait_note(substr, start, timeout, pred=lambda n: True):
    got = wait_for(lambda: [n for n in about(substr, start) if pred(n)], timeout)
    return got[0] if got else None


# --- the daemon --------------------------------------------------------------------
for f in os.listdir(os.path.join(VD_SRC, "tests/data/sample")):
    shutil.copy(os.path.join(VD_SRC, "tests/data/sample", f), work)
with open(os.path.join(work, "sample.ovpn")) as f:
    profile = f.read()
shutil.copy(os.path.join(work, "client.key"), os.path.join(work, "branch.key"))
with open(os.path.join(work, "branch.ovpn"), "w") as f:
    f.write(profile.replace("key client.key", "key branch.key") + "cipher AES-128-CBC\n")
with open(os.path.join(work, "vpndoctor.conf"), "w") as f:
    f.write(f"""[Profile]
Interval=1h
[Tunnel office]
Config={work}/sample.ovpn
[Tunnel branch]
Config={work}/branch.ovpn
ClientCIDR=10.8.0.0/24
IPsecRoutes=10.8.0.0/16
""")


# an hour of office's timeline, so that the Details page has a picture to link to
os.makedirs(os.path.join(work, "state"), exist_ok=True)
_end = int(time.time()) // 60 * 60
subprocess.run([os.path.join(VD_BIN, "timeline_seed"), os.path.join(work, "state")], check=True,
               input="".join(json.dumps({"tunnel": "office", "time": _end - 3600 + 60 * i, "state": "connected",
                                         "inside": {"sent": 20, "received": 20, "rtt_median_ms": 20 + i % 7}})
                             + "\n" for i in range(60)).encode())


def start_daemon():
    start("daemon", ["unshare", "-n", os.path.join(VD_BIN, "vpndoctord"), "--foreground", "--user", "nobody",
                     "--log-target", "stderr", "--config", os.path.join(work, "vpndoctor.conf"),
                     "--socket", sock, "--state-dir", os.path.join(work, "state")], "daemon.log")


def mv(a, b):
    os.rename(os.path.join(work, a), os.path.join(work, b))


# --- the agent -------------------------------------------------------------------------
bindir = os.path.join(work, "bin")
os.mkdir(bindir)
with open(os.path.join(bindir, "xdg-open"), "w") as f:
    f.write(f"""#!/bin/sh
[ -e '{work}/xdg-fail' ] && exit 1
cp "$1" '{work}/opened.html' && echo "$1" >> '{work}/xdg-open.log'
""")
os.chmod(os.path.join(bindir, "xdg-open"), 0o755)
rt = os.path.join(work, "rt")
os.mkdir(rt, 0o700)
env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], XDG_RUNTIME_DIR=rt,
           XDG_CONFIG_HOME=os.path.join(work, "xdg"), VPNDOCTOR_SOCKET=sock)
os.makedirs(os.path.join(work, "xdg", "vpndoctor"))
with open(os.path.join(work, "xdg", "vpndoctor", "notify.conf"), "w") as f:
    f.write(f"# the test's settings\n[Notify]\nMinSeverity=warning\nInterval={INTERVAL}\n")


def agent_once(*args, conf=None, lang=None):
    argv = [os.path.join(VD_BIN, "vpndoctor-notify"), "--once"] + list(args)
    if conf is not None:
        path = os.path.join(work, "once.conf")
        with open(path, "w") as f:
            f.write(conf)
        argv += ["--config", path]
    e = env
    if lang:  # the build tree's translations; C.UTF-8 needs no generated locale
        e = dict(env, LC_ALL="C.UTF-8", LANGUAGE=lang,
                 VPNDOCTOR_LOCALEDIR=os.path.join(VD_BIN, "..", "locale"))
    return subprocess.run(argv, env=e, capture_output=True, text=True, timeout=30 * SLOW)


def main():
    start_mock("body body-markup actions")

    # --- started before the daemon: it waits and retries ---------------------------
    mv("client.key", "client.key.away")
    agent = start("agent", [os.path.join(VD_BIN, "vpndoctor-notify"), "--verbose"], "agent.log", env)
    check(wait_for(lambda: "cannot connect to vpndoctord" in read("agent.log"), 10),
          "it says it cannot connect yet")
    check(agent.poll() is None, "the agent waits for a daemon that is not there yet")
    start_daemon()
    check(wait_for(lambda: "following vpndoctord" in read("agent.log"), 15),
          "it connects once the daemon is up (backoff 1 s, 2 s, ...)")

    # --- opened: an error and a warning; the info finding stays quiet ------------------
    o = wait_note(TITLE_CI + " (office)", 0, 15)
    if not check(o is not None, "config-invalid on office is notified"):
        return
    check(o["app"] == "vpndoctor" and o["replaces"] == 0, "app_name vpndoctor, a new notification")
    check(o["icon"] == "dialog-error" and o["hints"].get("urgency") == 2 and o["expire"] == 0,
          "an error: dialog-error, urgency critical, stays until dismissed")
    check(o["actions"] == ["details", "Details"], "the Details action is offered: %s" % o["actions"])
    check(o["hints"].get("desktop-entry") == "vpndoctor-notify", "the desktop-entry hint")
    check("R&amp;D" in o["body"] and "R&D" not in o["body"] and "client.key does not exist" in o["body"],
          "the body has the measured summary, markup-escaped: %r" % o["body"])
    check("<b>What to do:</b> Download the client configuration again" in o["body"],
          "the body has the remedy's first sentence")
    check(len(o["body"]) < 400, "the body is short (%d bytes)" % len(o["body"]))
    w = wait_note(TITLE_OVERLAP + " (branch)", 0, 10)
    check(w is not None and w["icon"] == "dialog-warning" and w["hints"].get("urgency") == 1
          and w["expire"] == -1, "a warning: dialog-warning, urgency normal, default expiry")
    time.sleep(1)
    check(not [n for n in refresh() if "NCP" in n["summary"] or "cipher" in n["summary"]],
          "the info finding (ncp-cipher) is below MinSeverity=warning: not shown")
    office_id = o["id"]

    # --- Details: an HTML page through xdg-open, else a notification -------------------
    mock().EmitSignal("org.freedesktop.Notifications", "ActionInvoked", "us",
                      [dbus.UInt32(office_id), "details"])
    check(wait_for(lambda: read("opened.html") and read("xdg-open.log"), 10), "Details runs xdg-open on a page")
    page = read("opened.html")
    check("<h1>" + TITLE_CI + "</h1>" in page and "R&amp;D" in page
          and "client.key does not exist" in page, "the page names the finding, escaped")
    check("and reconnect." in page and "Options error" in page and "vpndoctor explain config-invalid" in page,
          "the page has the full remedy, the description and where to read more")
    opened = read("xdg-open.log").strip()
    check(opened.startswith(rt + "/vpndoctor/") and stat.S_IMODE(os.stat(opened).st_mode) == 0o600,
          "the page is private, in $XDG_RUNTIME_DIR/vpndoctor: %s" % opened)
    tl_page = os.path.join(rt, "vpndoctor", "timeline-office.html")
    check('<a href="timeline-office.html">' in page and os.path.exists(tl_page)
          and stat.S_IMODE(os.stat(tl_page).st_mode) == 0o600,
          "the page links to the tunnel's timeline, a private page beside it")
    tl = read(tl_page) if os.path.exists(tl_page) else ""
    check('<section class="tunnel" data-tunnel="office">' in tl and tl.count('<svg class="chart"') == 4
          and "default-src 'none'" in tl and "<script" not in tl
          and int((re.findall(r'data-points="(\d+)"', tl) or ["0"])[0]) >= 10,
          "the timeline page: office's charts, as report's timeline.html draws them (%s, %d charts, points %s)"
          % (re.findall(r'<section class="tunnel" data-tunnel="[^"]*"', tl), tl.count('<svg class="chart"'),
             re.findall(r'data-points="(\d+)"', tl)[:3]))
    open(os.path.join(work, "xdg-fail"), "w").close()
    n0 = len(refresh())
    mock().EmitSignal("org.freedesktop.Notifications", "ActionInvoked", "us",
                      [dbus.UInt32(office_id), "details"])
    d = wait_note(TITLE_CI + " (office)", n0, 10)
    check(d is not None and "Options error" in d["body"] and d["replaces"] == 0 and d["id"] != office_id,
          "when xdg-open fails, the details come as a notification of their own")
    os.unlink(os.path.join(work, "xdg-fail"))

    # --- updated: the same cause, another problem: replaces, within the interval ---------
    n0 = len(refresh())
    t0 = time.monotonic()
    # the ca goes first: the profile is broken all along (the daemon may look
    # between the two renames when this test is not scheduled for a while)
    mv("ca.crt", "ca.crt.away")
    mv("client.key.away", "client.key")
    u = wait_note(TITLE_CI + " (office)", n0, INTERVAL + 10, lambda n: "ca.crt" in n["body"])
    check(u is not None and u["replaces"] == office_id and u["hints"].get("urgency") == 2,
          "an update replaces the open notification (replaces_id %d)" % office_id)
    check(len(about(TITLE_CI + " (office)", n0)) == 1, "one Notify for the update")

    # --- resolved: replaces it at once (the interval holds back no good news) ---------------
    n0 = len(refresh())
    mended = time.time()
    mv("ca.crt.away", "ca.crt")
    r = wait_note("Resolved: " + TITLE_CI + " (office)", n0, INTERVAL + 10)
    check(r is not None and r["replaces"] == office_id and r["hints"].get("urgency") == 0
          and r["expire"] == -1 and r["icon"] == "network-vpn" and r["actions"] == [],
          "resolved replaces it: low urgency, default expiry, no actions")
    check(r is not None and r["body"].startswith("No longer seen"), "the resolved body")
    check(r is not None and r["t"] - mended < 5 * SLOW,
          "the repair replaced the critical notification within 5 s, inside the update's interval "
          "(%.1f s)" % (r["t"] - mended if r else -1))
    check(time.monotonic() - t0 < INTERVAL + 10, "update and resolve came within one interval")

    # --- flapping: 10 breaks within one interval give 2 notifications -----------------------
    time.sleep(INTERVAL + 1)
    n0 = len(refresh())
    opened0 = read("daemon.log").count("opened config-invalid on office")
    for _ in range(10):
        mv("client.key", "client.key.away")
        time.sleep(0.3 * SLOW)
        mv("client.key.away", "client.key")
        time.sleep(0.3 * SLOW)
    # the daemon's last word on it is the last repair (its log may lag)
    wait_for(lambda: read("daemon.log").rfind("resolved config-invalid on office")
             > read("daemon.log").rfind("opened config-invalid on office"), 5)
    flaps = read("daemon.log").count("opened config-invalid on office") - opened0
    time.sleep(INTERVAL + 3)
    f = about(TITLE_CI + " (office)", n0)
    check(flaps >= 5, "the daemon saw the fault flap (%d openings)" % flaps)
    check(len(f) == 2, "a flapping fault gives 2 notifications, not %d: %s"
          % (len(f), [n["summary"] for n in f]))
    check(f and f[-1]["summary"].startswith("Resolved:") and all(n["replaces"] == office_id for n in f),
          "the last state (resolved) shows, in the same notification")

    # --- flapping every 2 s for 2.5 intervals: one opening per interval, each repair at once ---
    time.sleep(INTERVAL + 1)
    n0 = len(refresh())
    start_t = time.time()
    while time.time() - start_t < 2.5 * INTERVAL:
        mv("client.key", "client.key.away")
        time.sleep(1)
        mv("client.key.away", "client.key")
        last_mend = time.time()
        time.sleep(1)
    wait_for(lambda: (about(TITLE_CI + " (office)", n0) or [{"summary": ""}])[-1]["summary"]
             .startswith("Resolved:"), 5)
    f = about(TITLE_CI + " (office)", n0)
    opens = [n for n in f if not n["summary"].startswith("Resolved:")]
    gaps = [b["t"] - a["t"] for a, b in zip(opens, opens[1:])]
    check(1 <= len(opens) <= 3 and all(g >= INTERVAL - 1 for g in gaps),
          "flapping for 2.5 intervals: at most one opening per interval (%d, %s s apart; the mock stamps whole seconds)"
          % (len(opens), ["%.1f" % g for g in gaps]))
    check(all(n["replaces"] == office_id for n in f), "all in the same notification")
    late = [b["t"] - a["t"] for a, b in zip(f, f[1:]) if not a["summary"].startswith("Resolved:")
            and b["summary"].startswith("Resolved:")]
    check(len(late) == len(opens) and all(x < 5 * SLOW for x in late),
          "each opening was replaced by its repair within 5 s (%s s)" % ["%.1f" % x for x in late])
    check(f and f[-1]["summary"].startswith("Resolved:") and f[-1]["t"] - last_mend < 5 * SLOW,
          "the last repair shows within 5 s")

    # --- the daemon killed and restarted mid-way --------------------------------------------
    time.sleep(INTERVAL + 1)
    n0 = len(refresh())
    mv("client.key", "client.key.away")
    check(wait_note(TITLE_CI + " (office)", n0, 10, lambda n: not n["summary"].startswith("Resolved")),
          "broken again: notified")
    stop("daemon", signal.SIGKILL)
    time.sleep(2)
    start_daemon()
    check(wait_for(lambda: read("agent.log").count("following vpndoctord") >= 2, 20),
          "the agent reconnects to the restarted daemon")
    time.sleep(4 * SLOW)
    check(len(about(TITLE_CI + " (office)", n0)) == 1,
          "a daemon restart is not shown as resolved and opened again")
    check(procs["agent"].poll() is None, "the agent survived the restart")
    n1 = len(refresh())
    mv("client.key.away", "client.key")
    r = wait_note("Resolved: " + TITLE_CI + " (office)", n1, INTERVAL + 10)
    check(r is not None and r["replaces"] == office_id, "and follows the new daemon (resolved)")

    # --- --once with MinSeverity, Muted, --min-severity ----------------------------------------
    n0 = len(refresh())
    # (gateway-unreachable opens too, 30 s in: the namespace has no default route)
    p = agent_once(conf="[Notify]\nMinSeverity=info\nMuted=ipsec-route-overlap gateway-unreachable\n")
    new = refresh()[n0:]
    check(p.returncode == 0, "--once exits 0: %s" % p.stderr)
    check(len(new) == 1 and "NCP" in new[0]["summary"] and new[0]["hints"].get("urgency") == 0
          and new[0]["icon"] == "network-vpn",
          "MinSeverity=info shows the info finding (urgency low); Muted= hides the warning: %s"
          % [n["summary"] for n in new])
    n0 = len(refresh())
    p = agent_once("--min-severity", "error", conf="[Notify]\nMuted=gateway-unreachable\n")
    check(p.returncode == 0 and len(refresh()) == n0,
          "--min-severity error: nothing (no other error open): %s" % [n["summary"] for n in refresh()[n0:]])
    # in Japanese: the title, the remedy and the Details button from po/ja.po
    n0 = len(refresh())
    p = agent_once(conf="[Notify]\nMuted=gateway-unreachable\n", lang="ja")
    new = refresh()[n0:]
    check(p.returncode == 0 and len(new) == 1 and new[0]["summary"] == TITLE_OVERLAP_JA + "（branch）",
          "LANGUAGE=ja: the summary in Japanese: %s" % [n["summary"] for n in new])
    check(new and "<b>対処方法:</b> IPsec-VPN接続のルートを必要なCIDRブロックだけに絞り込む" in new[0]["body"]
          and new[0]["actions"] == ["details", "詳細"],
          "LANGUAGE=ja: the remedy and the Details action in Japanese: %r" % (new and new[0]["body"]))
    # the measured summary rendered from its message (summary_message), not the daemon's English
    check(new and new[0]["body"].startswith(
              "同じVPNゲートウェイのIPsec-VPNのルート10.8.0.0/16が、クライアントCIDRブロック10.8.0.0/24と重複しています\n")
          and "overlaps" not in new[0]["body"],
          "LANGUAGE=ja: the measured summary in Japanese, from its message: %r" % (new and new[0]["body"]))
    p = agent_once("--min-severity", "loud")
    check(p.returncode == 64 and "--min-severity" in p.stderr, "a bad --min-severity is exit 64")
    p = agent_once(conf="[Notify]\nMinSeverity=warning\nMuted=clock-skew no-such-cause\n")
    check(p.returncode == 1 and "once.conf:3: Muted=: 'no-such-cause'" in p.stderr,
          "a malformed settings file is an error with FILE:LINE: %s" % p.stderr.strip())

    # --- a server without markup and actions -------------------------------------------------
    stop("mock")
    notes.clear()
    ids["next"] = 1
    start_mock("body")
    time.sleep(1)
    mv("client.key", "client.key.away")
    o = wait_note(TITLE_CI + " (office)", 0, INTERVAL + 10)
    check(o is not None and o["replaces"] == 0, "a new server: a new notification")
    check(o is not None and "R&D" in o["body"] and "&amp;" not in o["body"] and "<b>" not in o["body"]
          and "What to do: " in o["body"] and o["actions"] == [],
          "plain text and no actions when the server has neither: %r" % (o and o["body"]))

    check(procs["agent"].poll() is None, "the agent is still running")
    check(stop("agent") == 0, "the agent exits 0 on SIGTERM")


def on_signal(signo, frame):
    raise SystemExit("killed by signal %d" % signo)


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
try:
    main()
except (Exception, SystemExit) as e:  # a crash of the test is a failure with its cause
    import traceback
    traceback.print_exc()
    failures.append(repr(e))
finally:
    if failures:
        for name in ("agent.log", "daemon.log"):
            sys.stderr.write("--- %s\n%s" % (name, read(name)[-4000:]))
    cleanup()
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("all ok")
