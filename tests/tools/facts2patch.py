#!/usr/bin/python3
"""facts2patch.py BASE SNAPSHOT: a golden rule case from a whole facts snapshot.

Prints the RFC 7386 merge patch that turns BASE (tests/rules/base.facts.json)
into SNAPSHOT (`vpndoctor facts --json`, a report's facts.json, an old
golden case): tunnels keyed by name as BASE keys them, only what differs.
Save it as tests/rules/NAME.patch.json beside NAME.findings.json, and see what
it gives with `rules_golden --facts NAME.patch.json base.facts.json`.

A merge patch cannot give a key the value null (null removes the key), and
replaces an array whole; this says so and exits 1 when SNAPSHOT has a null
outside an array, or a tunnel without a name or two of one name.
"""
import json
import sys


def keyed(doc):
    """The snapshot with its tunnels keyed by name, as BASE has them."""
    if not isinstance(doc, dict) or not isinstance(doc.get("tunnels"), list):
        return doc
    tunnels = {}
    for t in doc["tunnels"]:
        name = t.get("name") if isinstance(t, dict) else None
        if not isinstance(name, str) or name in tunnels:
            sys.exit("facts2patch: every tunnel needs a name of its own (%r)" % (name,))
        tunnels[name] = t
    out = dict(doc)
    out["tunnels"] = tunnels
    return out


def nulls(v, path):
    """Paths of null values a merge patch would take for removals."""
    if v is None:
        return [path]
    if isinstance(v, dict):
        return [p for k, x in v.items() for p in nulls(x, path + "." + k)]
    return []


def same(a, b):
    """Equal as JSON: 1 and 1.0 are one number, true is no number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def diff(a, b):
    """The merge patch p with merge(a, p) the same as b."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return b
    p = {k: None for k in a if k not in b}
    for k, v in b.items():
        if k not in a:
            p[k] = v
        elif not same(a[k], v):
            p[k] = diff(a[k], v) if isinstance(a[k], dict) and isinstance(v, dict) else v
    return p


def merge(a, p):
    """RFC 7386, as lib/facts.c's vd_facts_merge_patch."""
    if not isinstance(p, dict):
        return p
    out = dict(a) if isinstance(a, dict) else {}
    for k, v in p.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: facts2patch.py BASE SNAPSHOT")
    base = json.load(open(sys.argv[1]))
    want = keyed(json.load(open(sys.argv[2])))
    bad = nulls(want, "")
    if bad:
        sys.exit("facts2patch: a merge patch cannot set null: %s" % ", ".join(p.lstrip(".") for p in bad))
    patch = diff(base, want)
    if not same(merge(base, patch), want):
        sys.exit("facts2patch: the patch does not give the snapshot back (a bug)")
    json.dump(patch, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
