#!/usr/bin/python3
"""The Japanese man pages (packaging/man/ja/*.scd) keep up with the English
ones: every term the English page defines (a line of a definition list: an
option, a command, a key, a file, an exit status, followed by its indented
text) is defined in the Japanese page too, spelled the same, and the
synopsis lines are the same. A new option documented in English only fails
here, as a new message untranslated fails test_po.sh. The check is shown to
catch a missing term."""
import glob
import os
import sys
import tempfile

src = os.environ.get("VD_SRC", ".")


def terms(path):
    """The definition terms and the synopsis lines of an scdoc page."""
    lines = open(path, encoding="utf-8").read().splitlines()
    out, code, section = set(), False, ""
    for i, line in enumerate(lines):
        if line.startswith("```"):
            code = not code
            continue
        if code:
            continue
        if line.startswith("# "):
            section = line
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line and line[0] in "*_" and nxt.startswith("\t"):
            out.add(line)
        elif section in ("# SYNOPSIS", "# 書式") and line.startswith("*vpndoctor"):
            out.add(line)
    return out


def missing(en, ja):
    return sorted(terms(en) - terms(ja))


failed = False
pages = sorted(glob.glob(os.path.join(src, "packaging", "man", "ja", "*.scd")))
if not pages:
    sys.exit("FAIL: no Japanese man page")
for ja in pages:
    en = os.path.join(src, "packaging", "man", os.path.basename(ja))
    if not os.path.exists(en):
        print(f"FAIL: {ja} has no English page {en}")
        failed = True
        continue
    m = missing(en, ja)
    if m:
        failed = True
        print(f"FAIL: {os.path.relpath(ja, src)} lacks what {os.path.relpath(en, src)} defines:")
        for t in m:
            print("  " + t)
    else:
        print(f"ok: {os.path.basename(ja)}: {len(terms(en))} terms, as in English")

# the check itself: a copy of a Japanese page without one of its terms fails
ja = pages[0]
en = os.path.join(src, "packaging", "man", os.path.basename(ja))
term = sorted(terms(en))[0]
with tempfile.NamedTemporaryFile("w", suffix=".scd", encoding="utf-8", delete=False) as f:
    f.write("\n".join(line for line in open(ja, encoding="utf-8").read().splitlines() if line != term))
try:
    if missing(en, f.name) != [term]:
        print(f"FAIL: the check misses the term {term!r} taken out of {ja}")
        failed = True
    else:
        print("ok: the check finds a term the Japanese page lacks")
finally:
    os.unlink(f.name)
sys.exit(1 if failed else 0)
