#!/usr/bin/python3
"""Every probe's Interval= default that vpndoctor.conf(5) states, in English
and in Japanese, is the one the daemon has (vpndoctord --dump-config on an
empty file). Two pages said an hour and 5 minutes for the mtu and dns
probes while the code ran them every 10 minutes and every minute, and their
traffic was most of what a healthy tunnel cost. The check is shown to catch
a page that disagrees.
vd-tier: check"""
import os
import re
import subprocess
import sys
import tempfile

src = os.environ.get("VD_SRC", ".")
vdbin = os.environ.get("VD_BIN", "build/bin")
DEFAULT = {"en": re.compile(r"Default: \*(\d+)\*"), "ja": re.compile(r"既定値: \*(\d+)\*")}


def daemon_intervals(conf):
    """{section: Interval=} of every section with one, as the daemon dumps them."""
    out = subprocess.run([os.path.join(vdbin, "vpndoctord"), "--dump-config", "--config", conf],
                         capture_output=True, text=True, check=True).stdout
    got, section = {}, None
    for line in out.splitlines():
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^#?Interval=(\d+)$", line)
        if m and section:
            got[section] = int(m.group(1))
    return got


def page_intervals(path, lang):
    """{section: the Default of its *Interval=* term} in an scdoc page."""
    got, section, term = {}, None, None
    for line in open(path, encoding="utf-8").read().splitlines():
        m = re.match(r"^# \[(.+)\]$", line)
        if m:
            section, term = m.group(1), None
            continue
        if re.match(r"^\*[A-Za-z]+=\*", line):
            term = line
            continue
        if line.startswith("#"):
            section = term = None
            continue
        if section and term == "*Interval=*" and line.startswith("\t"):
            m = DEFAULT[lang].search(line)
            if m and section not in got:
                got[section] = int(m.group(1))
    return got


def mismatches(daemon, page):
    return ["[%s] Interval=: the page says %s, the daemon has %s" % (s, page[s], daemon.get(s))
            for s in sorted(page) if daemon.get(s) != page[s]]


def main():
    pages = {"en": os.path.join(src, "packaging/man/vpndoctor.conf.5.scd"),
             "ja": os.path.join(src, "packaging/man/ja/vpndoctor.conf.5.scd")}
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "empty.conf")
        open(conf, "w").close()
        daemon = daemon_intervals(conf)
    if len(daemon) < 10:
        print("FAIL: the dump has only %d sections with Interval=: %s" % (len(daemon), daemon))
        return 1
    bad = []
    for lang, path in pages.items():
        page = page_intervals(path, lang)
        # every section the daemon runs on a timer is documented with its default
        missing = sorted(set(daemon) - set(page))
        if missing:
            bad.append("%s: no Interval= default for %s" % (path, ", ".join(missing)))
        bad += ["%s: %s" % (path, m) for m in mismatches(daemon, page)]
    # the check catches a page that disagrees
    wrong = dict(page_intervals(pages["en"], "en"))
    wrong["MTU"] = 600
    if not mismatches(daemon, wrong):
        bad.append("the check does not see a page that says 600 for [MTU]")
    for b in bad:
        print("FAIL:", b)
    if not bad:
        print("ok: %d sections, English and Japanese pages agree with the daemon" % len(daemon))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
