#!/bin/bash
# `vpndoctor causes` and `vpndoctor explain`: human and JSON output, exit
# statuses, unknown ids. They read the library's table: no daemon needed.
# vd-tier: check (no root, no daemon)
set -euo pipefail
vd=$VD_BIN/vpndoctor
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export VPNDOCTOR_SOCKET=$tmp/no-daemon-here

# causes: a header and one aligned row per cause, no colour off a tty.
NO_COLOR= "$vd" causes > "$tmp/causes"
[ "$(wc -l < "$tmp/causes")" -eq 32 ] || fail "causes: expected 31 rows and a header"
head -1 "$tmp/causes" | grep -q '^CAUSE  *SEVERITY  *TITLE$' || fail "causes: header"
grep -q '^clock-skew  *error  *Client and server clocks differ; TLS verification fails$' "$tmp/causes" || fail "causes: clock-skew row"
grep -q '^ncp-cipher  *info  *NCP negotiated' "$tmp/causes" || fail "causes: ncp-cipher row"
grep -q $'\033' "$tmp/causes" && fail "causes: colour escapes when stdout is not a tty"
# Aligned: every title starts in the same column.
awk 'NR>1 { i = index($0, $3); print i }' "$tmp/causes" | sort -u > "$tmp/cols"
[ "$(wc -l < "$tmp/cols")" -eq 1 ] || fail "causes: titles not aligned"

# causes --json, in either position.
for args in "causes --json" "--json causes"; do
	# shellcheck disable=SC2086
	"$vd" $args | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
c = d["causes"]
assert len(c) == 31, len(c)
ids = [x["id"] for x in c]
assert ids[0] == "config-invalid" and ids[-1] == "proxy-failed", ids
assert len(set(x["message_id"] for x in c)) == 31
skew = c[ids.index("clock-skew")]
assert skew["severity"] == "error" and "600 s" in skew["remedy"], skew
assert skew["symptoms"] == [{"id": "only-some-connect", "question": "Only some clients can connect"}]
' || fail "causes json ($args)"
done

# explain, human.
"$vd" explain client-cidr-too-small > "$tmp/explain"
grep -q '^client-cidr-too-small: The client CIDR block holds too few addresses$' "$tmp/explain" || fail "explain: head"
grep -q '^Severity: *error$' "$tmp/explain" || fail "explain: severity"
grep -q 'connect-fails ("The client fails to connect to the SSL server")' "$tmp/explain" || fail "explain: symptom question"
grep -q '/30' "$tmp/explain" || fail "explain: the /30 example"
grep -q '^Message ID: *a7abacc983bc4046ad0806e2e2539c81$' "$tmp/explain" || fail "explain: message id"
awk 'length > 78 { exit 1 }' "$tmp/explain" || fail "explain: a line longer than 78 columns"
grep -q '^Suppressed by: config-invalid, cert-expired' <<<"$("$vd" explain security-group)" || fail "explain: suppressed by"
grep -q '^Symptoms: *any$' <<<"$("$vd" explain other)" || fail "explain other: any symptom"

# explain --json is the catalogue entry.
"$vd" explain long-distance-udp --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["id"] == "long-distance-udp"
assert "Smart Access Gateway" in d["remedy"] and "TCP" in d["remedy"]
assert d["grace_s"] == 0 and "hold_s" not in d and d["beyond_faq"] is False
t = d["tests"]
assert [x["test"] for x in t] == ["path.rtt_long"], t
assert t[0]["bound_ms"] == 150 and t[0]["p0"] < t[0]["p1"] and t[0]["alpha"] <= t[0]["beta"]
assert t[0]["upper"] > t[0]["lower"] >= 0 and 0 < t[0]["samples_to_open"] < 100
assert 0 < d["false_alarms_per_30_days"] < 1
' || fail "explain json"
"$vd" explain client-cidr-too-small --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert "tests" not in d and "false_alarms_per_30_days" not in d
' || fail "explain json: tests of a cause that samples nothing"
# A sampled cause shows its tests, their hypotheses and false alarms instead of
# a grace period; one read from files shows its grace period.
ui=$("$vd" explain unstable-internet)
grep -q '^Decided by sequential tests' <<<"$ui" || fail "explain: the tests of a sampled cause"
grep -q '^  path.loss_heavy$' <<<"$ui" || fail "explain: the heavy loss test"
grep -q 'H0: p = 0.5% (healthy), H1: p = 10% (the fault); alpha 5e-08, beta 1e-04' <<<"$ui" ||
	fail "explain: hypotheses and error rates"
grep -q '^False alarms: *at most 0\.[0-9]* in 30 days' <<<"$ui" || fail "explain: the false alarms"
grep -q '^Grace period' <<<"$ui" && fail "explain: a grace period for a sampled cause"
sed -n '/^Decided by/,$p' <<<"$ui" | awk 'length > 78 { exit 1 }' || fail "explain unstable-internet: a test's line longer than 78 columns"
# udp-unreliable also needs the path outside shown clean: a verdict of its
# own, with its bound and error rate (lib/rules.c, loss_clean).
ui=$("$vd" explain udp-unreliable)
grep -q '^Needs the path outside shown clean, a verdict of its own:$' <<<"$ui" || fail "explain: the clean verdict"
grep -q '^  path.loss_light$' <<<"$ui" || fail "explain: the clean verdict's test"
tr '\n' ' ' <<<"$ui" | grep -q 'at or *below -9.2 (ln 1e-04): wrongly clean at p >= 3% at most once in *10000 fresh *starts; about 362 samples of a clean path, 563 at p = 0.5%' ||
	fail "explain: the clean verdict's bound and error: $ui"
sed -n '/^Decided by/,$p' <<<"$ui" | awk 'length > 78 { exit 1 }' || fail "explain udp-unreliable: a line longer than 78 columns"
grep -q 'shown clean' <<<"$("$vd" explain unstable-internet)" && fail "explain: a clean verdict for unstable-internet"
"$vd" explain udp-unreliable --json | /usr/bin/python3 -c '
import json, math, sys
c = json.load(sys.stdin)["clean"]
assert c["test"] == "path.loss_light" and c["p0"] == 0.005 and c["p1"] == 0.03, c
assert c["beta"] == 1e-4 and abs(c["evidence_at_most"] - math.log(1e-4)) < 1e-12, c
assert c["samples_clean"] == 362 and c["samples_at_p0"] == 563 and c["max_samples"] == 2534, c
' || fail "explain json: the clean verdict"
"$vd" explain unstable-internet --json | /usr/bin/python3 -c '
import json, sys
assert "clean" not in json.load(sys.stdin)
' || fail "explain json: a clean verdict for unstable-internet"
grep -q '^Grace period: *0 s$' "$tmp/explain" || fail "explain: the grace period of client-cidr-too-small"
grep -q '^Settles after: *a resume or a change of network$' <<<"$("$vd" explain udp-blocked)" ||
	fail "explain: what a reconnecting tunnel shows settles"
grep -q '^Settles after: *a resume$' <<<"$("$vd" explain clock-skew)" || fail "explain: clock-skew settles after a resume"
grep -q '^Settles' "$tmp/explain" && fail "explain: client-cidr-too-small does not settle"
"$vd" explain captive-portal --json | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)
assert c["settles"] == [] and c["beyond_faq"] is True, c
' || fail "explain json: captive-portal settles after nothing"

# Errors: unknown cause and usage are exit 64 with a clear line on stderr.
set +e
"$vd" explain no-such-cause > "$tmp/out" 2> "$tmp/err"; rc=$?
set -e
[ $rc -eq 64 ] || fail "explain unknown: exit $rc, expected 64"
[ ! -s "$tmp/out" ] || fail "explain unknown: wrote to stdout"
grep -qx "vpndoctor: unknown cause 'no-such-cause' (see 'vpndoctor causes')" "$tmp/err" || fail "explain unknown: message"
set +e
"$vd" explain > /dev/null 2>&1; r1=$?
"$vd" explain a b > /dev/null 2>&1; r2=$?
"$vd" causes extra > /dev/null 2>&1; r3=$?
"$vd" no-such-command > /dev/null 2> "$tmp/err"; r4=$?
"$vd" > /dev/null 2>&1; r5=$?
set -e
[ "$r1 $r2 $r3 $r4 $r5" = "64 64 64 64 64" ] || fail "usage errors: $r1 $r2 $r3 $r4 $r5"
grep -q "unknown command 'no-such-command'" "$tmp/err" || fail "unknown command message"
grep -q '^Usage: vpndoctor' "$tmp/err" || fail "unknown command: no usage"

# --help and --version.
grep -q '^  explain CAUSE' <<<"$("$vd" --help)" || fail "--help lists explain"
grep -q '^Usage: vpndoctor explain CAUSE' <<<"$("$vd" explain --help)" || fail "explain --help"
grep -Eq '^vpndoctor [0-9]+\.[0-9]+\.[0-9]+$' <<<"$("$vd" --version)" || fail "--version"
echo ok
