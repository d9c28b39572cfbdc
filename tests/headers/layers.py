#!/usr/bin/python3
"""The include graph reads as layers: lib/ (with include/vpndoctor/) at the
bottom, probes/ above it, daemon/ above both; cli/, notify/, reflector/ and
the generators stand on lib/ alone. Every quoted #include of the sources is
resolved as the compiler would (the including file's directory, then
include/, then the source root, else any folder an include path could name)
and must land in the file's own layer or in one it may use. Run with the source root; --self-test checks the checker
(a daemon header included from a probe, directly or by "../", and a probe
header from the CLI are refused).

Usage: layers.py SRCDIR | layers.py --self-test"""
import os
import re
import sys
import tempfile

# which layers each layer may include from (besides itself)
ALLOWED = {
    "lib": set(),
    "probes": {"lib"},
    "daemon": {"lib", "probes"},
    "cli": {"lib"},
    "notify": {"lib"},
    "reflector": {"lib"},
    "docs": {"lib"},
    "packaging": {"lib"},
}
TOPS = {"include": "lib", "lib": "lib", "probes": "probes", "daemon": "daemon", "cli": "cli",
        "notify": "notify", "reflector": "reflector", "docs": "docs", "packaging": "packaging"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(root, path):
    rel = os.path.relpath(path, root)
    top = rel.split(os.sep, 1)[0]
    return TOPS.get(top)


def sources(root):
    for top in TOPS:
        base = os.path.join(root, top)
        for d, _, files in os.walk(base):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.join(d, f)


def resolve(root, src, name):
    for base in (os.path.dirname(src), os.path.join(root, "include"), root):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(cand):
            return cand
    # else only an include path into another folder finds it ("config.h"
    # through daemon/): that folder is where it comes from
    for top in TOPS:
        for d, _, _ in os.walk(os.path.join(root, top)):
            cand = os.path.normpath(os.path.join(d, name))
            if os.path.isfile(cand):
                return cand
    return None  # a generated file (build/generated) or a system header


def check(root):
    root = os.path.abspath(root)
    bad = []
    n = 0
    for src in sources(root):
        mine = layer_of(root, src)
        with open(src, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for name in INCLUDE.findall(text):
            n += 1
            target = resolve(root, src, name)
            if target is None:
                continue
            if not target.startswith(root + os.sep):
                bad.append((src, name, "outside the source tree"))
                continue
            theirs = layer_of(root, target)
            if theirs is None:
                bad.append((src, name, "a file of no layer (%s)" % os.path.relpath(target, root)))
            elif theirs != mine and theirs not in ALLOWED[mine]:
                bad.append((src, name, "%s/ may not include from %s/" % (mine, theirs)))
    for src, name, why in bad:
        print("%s: #include \"%s\": %s" % (os.path.relpath(src, root), name, why))
    print("%d includes checked, %d against the layers" % (n, len(bad)))
    return 1 if bad else 0


def self_test():
    cases = [
        ("probes/p.c", '#include "config.h"\n', 1),  # through an include path into daemon/
        ("probes/p.c", '#include "../daemon/config.h"\n', 1),
        ("probes/p.c", '#include "daemon/config.h"\n', 1),
        ("probes/sub/q.c", '#include "../../daemon/config.h"\n', 1),
        ("probes/p.c", '#include "probe.h"\n#include "vpndoctor/x.h"\n', 0),
        ("cli/c.c", '#include "probes/probe.h"\n', 1),
        ("lib/l.c", '#include "../probes/probe.h"\n', 1),
        ("daemon/d.c", '#include "probes/probe.h"\n#include "config.h"\n', 0),
    ]
    failed = 0
    for path, text, want in cases:
        with tempfile.TemporaryDirectory() as root:
            for f in ("daemon/config.h", "probes/probe.h", "include/vpndoctor/x.h"):
                os.makedirs(os.path.join(root, os.path.dirname(f)), exist_ok=True)
                open(os.path.join(root, f), "w").close()
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
            got = check(root)
        if got != want:
            print("self-test: %s with %r: %d, want %d" % (path, text, got, want))
            failed += 1
    print("self-test: %d of %d cases wrong" % (failed, len(cases)))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        sys.exit(self_test())
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(check(sys.argv[1]))
