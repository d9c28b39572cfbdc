#!/usr/bin/python3
"""Each translation of a message with {name} placeholders (vpndoctor/message.h)
uses exactly the placeholders of its msgid (msgid_plural for a plural one):
a misspelt or missing one would make the client fall back to English, an extra
one names a value the message does not have. Prints the offenders; exit 1 if
any. Reads a PO file written with msgattrib --no-wrap."""
import re
import sys

PH = re.compile(r"\{([a-z0-9_]+)\}")


def unquote(s):
    s = s.strip()
    assert s.startswith('"') and s.endswith('"'), s
    return bytes(s[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def entries(text):
    for block in text.split("\n\n"):
        e = {}
        for line in block.splitlines():
            m = re.match(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if m:
                e[m.group(1)] = unquote(m.group(2))
        if e.get("msgid"):
            yield e


bad = 0
for e in entries(open(sys.argv[1], encoding="utf-8").read()):
    want = set(PH.findall(e["msgid"]))
    if "msgid_plural" in e and set(PH.findall(e["msgid_plural"])) != want:
        print(f"{sys.argv[1]}: msgid and msgid_plural differ in placeholders: {e['msgid']!r}")
        bad += 1
    if not want:
        continue
    for k, v in e.items():
        if k.startswith("msgstr") and v and set(PH.findall(v)) != want:
            got = set(PH.findall(v))
            print(f"{sys.argv[1]}: placeholders of {e['msgid']!r}: "
                  f"missing {sorted(want - got)}, unknown {sorted(got - want)} in {v!r}")
            bad += 1
sys.exit(1 if bad else 0)
