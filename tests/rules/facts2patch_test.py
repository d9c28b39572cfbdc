#!/usr/bin/python3
"""facts2patch_test.py RULES_GOLDEN RULESDIR: tests/tools/facts2patch.py turns
the snapshot each golden case gives (rules_golden --facts) back into that
case's patch, and refuses what a merge patch cannot say."""
import json
import os
import subprocess
import sys

golden, rules = sys.argv[1], sys.argv[2]
tool = os.path.join(rules, "..", "tools", "facts2patch.py")
base = os.path.join(rules, "base.facts.json")
sys.path.insert(0, os.path.dirname(tool))
import facts2patch  # noqa: E402

fails = n = 0
for name in sorted(os.listdir(rules)):
    if not name.endswith(".patch.json"):
        continue
    r = subprocess.run([golden, "--facts", os.path.join(rules, name), base], capture_output=True, text=True)
    if r.returncode != 0:
        print("FAIL: %s: rules_golden --facts: %s" % (name, r.stderr.strip()))
        fails += 1
        continue
    snapshot = json.loads(r.stdout)
    patch = facts2patch.diff(json.load(open(base)), facts2patch.keyed(snapshot))
    if not facts2patch.same(patch, json.load(open(os.path.join(rules, name)))):
        print("FAIL: %s: facts2patch gives another patch: %s" % (name, json.dumps(patch)[:300]))
        fails += 1
    n += 1

# the command itself, on one case, and on what it must refuse
case = os.path.join(rules, "clock-skew-error.patch.json")
snap = subprocess.run([golden, "--facts", case, base], capture_output=True, text=True).stdout
tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"), "facts2patch-test.%d.json" % os.getpid())
try:
    with open(tmp, "w") as f:
        f.write(snap)
    r = subprocess.run([sys.executable, tool, base, tmp], capture_output=True, text=True)
    if r.returncode != 0 or not facts2patch.same(json.loads(r.stdout), json.load(open(case))):
        print("FAIL: facts2patch.py %s: %s %s" % (tmp, r.stdout[:200], r.stderr))
        fails += 1
    doc = json.loads(snap)
    doc["tunnels"][0]["routes"]["tun_dev"] = None
    with open(tmp, "w") as f:
        json.dump(doc, f)
    r = subprocess.run([sys.executable, tool, base, tmp], capture_output=True, text=True)
    if r.returncode == 0 or "tunnels.office.routes.tun_dev" not in r.stderr:
        print("FAIL: facts2patch.py took a null it cannot say: %s" % r.stderr)
        fails += 1
    doc["tunnels"][0]["routes"]["tun_dev"] = "tun0"
    doc["tunnels"].append(dict(doc["tunnels"][0]))
    with open(tmp, "w") as f:
        json.dump(doc, f)
    r = subprocess.run([sys.executable, tool, base, tmp], capture_output=True, text=True)
    if r.returncode == 0 or "name of its own" not in r.stderr:
        print("FAIL: facts2patch.py took two tunnels of one name: %s" % r.stderr)
        fails += 1
finally:
    os.unlink(tmp)
print("facts2patch: %d case(s) round-tripped, %d failure(s)" % (n, fails))
sys.exit(1 if fails else 0)
