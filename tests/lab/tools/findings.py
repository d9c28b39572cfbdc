#!/usr/bin/python3
"""Assertions on the daemon's answers, for the lab scenarios.

Reads one JSON document (the output of `vpndoctor check --json` or
`vpndoctor history --json`) on stdin. Exit 0: the assertion holds; 1: it does
not (the reason on stdout, one line); 2: the input is not what it should be.

  expect CAUSE [--tunnel T] [--severity S] [--evidence KEY[=REGEX]]...
      CAUSE is reported (not suppressed), with that evidence, and no other
      finding is an error.
  absent CAUSE [--tunnel T]      CAUSE is not reported
  quiet [--tunnel T]             no warning and no error; every probe has run
  history CAUSE [--tunnel T]     the history has CAUSE opened, then resolved
  never CAUSE|loud [--tunnel T] [--since EPOCH]
                                 the history has no CAUSE opened (since EPOCH);
                                 "loud": no warning or error opened at all
  show                           one line per finding (for logs)
"""
import argparse
import json
import re
import sys


def active(findings):
    # Every tunnel counts for "no other error": the lab's namespaces hold other
    # OpenVPN processes (the server, laptop2) that the laptop's daemon must not
    # take for its own.
    return [f for f in findings if not f.get("suppressed_by")]


def line(f):
    return "%s %s on %s: %s" % (f.get("severity"), f.get("cause"), f.get("tunnel"), f.get("summary"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("op", choices=["expect", "absent", "quiet", "history", "never", "show"])
    ap.add_argument("cause", nargs="?")
    ap.add_argument("--tunnel", default="lab")
    ap.add_argument("--severity")
    ap.add_argument("--evidence", action="append", default=[])
    ap.add_argument("--since", type=float, default=0)
    a = ap.parse_args()

    try:
        doc = json.load(sys.stdin)
    except ValueError as e:
        print("not JSON: %s" % e)
        return 2
    if not isinstance(doc, dict):
        print("not a JSON object")
        return 2

    if a.op == "never":
        events = doc.get("events")
        if not isinstance(events, list):
            print("no events array")
            return 2
        bad = [e for e in events if e.get("event") == "opened" and e.get("tunnel") in (a.tunnel, None)
               and (e.get("time") or 0) >= a.since
               and (e.get("cause") == a.cause or
                    (a.cause == "loud" and e.get("severity") in ("warning", "error")))]
        if bad:
            print("opened: %s" % "; ".join("%s %s (%s)" % (e.get("severity"), e.get("cause"), e.get("summary"))
                                           for e in bad))
            return 1
        return 0

    if a.op == "history":
        events = doc.get("events")
        if not isinstance(events, list):
            print("no events array")
            return 2
        seen = [e.get("event") for e in events
                if e.get("cause") == a.cause and e.get("tunnel") in (a.tunnel, None)]
        if "opened" in seen and "resolved" in seen[seen.index("opened"):]:
            return 0
        print("history of %s: %s" % (a.cause, seen or "nothing"))
        return 1

    findings = doc.get("findings")
    if not isinstance(findings, list):
        print("no findings array")
        return 2
    fs = active(findings)

    if a.op == "show":
        for f in fs:
            print(line(f))
        return 0

    if a.op == "quiet":
        # an empty answer is not a healthy one: the tunnel must be there, probed
        names = [t.get("name") for t in doc.get("tunnels", [])]
        if a.tunnel not in names:
            print("tunnel %s not in the daemon's tunnels %s" % (a.tunnel, names))
            return 1
        ran = [p for p in doc.get("probes", []) if p.get("tunnel") in (a.tunnel, None)
               and p.get("status") == "ok"]
        if not ran:
            print("no probe ran ok on %s" % a.tunnel)
            return 1
        if doc.get("health") not in ("healthy",):
            print("health is %s" % doc.get("health"))
            return 1
        loud = [f for f in fs if f.get("severity") in ("warning", "error")]
        if loud:
            print("; ".join(line(f) for f in loud))
            return 1
        # not run yet: never, or running its first run; a probe that runs
        # again (the path probe's paced runs come every few seconds) has
        # its last result in the findings already
        pending = [p.get("name") for p in doc.get("probes", [])
                   if p.get("status") == "never"
                   or (p.get("status") == "running" and p.get("last_run") is None)]
        if pending:
            print("probes not run yet: %s" % ", ".join(pending))
            return 1
        return 0

    mine = [f for f in fs if f.get("cause") == a.cause and f.get("tunnel") in (a.tunnel, None)]
    if a.op == "absent":
        if mine:
            print("still reported: %s" % line(mine[0]))
            return 1
        return 0

    # expect
    if not mine:
        print("%s not reported (%s)" % (a.cause, "; ".join(line(f) for f in fs) or "nothing"))
        return 1
    f = mine[0]
    if a.severity and f.get("severity") != a.severity:
        print("%s has severity %s, not %s" % (a.cause, f.get("severity"), a.severity))
        return 1
    ev = f.get("evidence") or {}
    for want in a.evidence:
        key, _, rx = want.partition("=")
        if key not in ev:
            print("%s lacks evidence %s (has %s)" % (a.cause, key, ", ".join(sorted(ev))))
            return 1
        if rx and not re.search(rx, str(ev[key])):
            print("%s evidence %s=%r does not match /%s/" % (a.cause, key, ev[key], rx))
            return 1
    others = [g for g in fs if g is not f and g.get("severity") == "error"]
    if others:
        print("other errors beside %s: %s" % (a.cause, "; ".join(line(g) for g in others)))
        return 1
    print(line(f))
    return 0


if __name__ == "__main__":
    sys.exit(main())
