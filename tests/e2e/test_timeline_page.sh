#!/bin/bash
# vpndoctor report's timeline.html in a real browser: headless Chromium (in a
# network namespace of its own, so nothing could be fetched even if the page
# asked) loads the page of a report made from a daemon whose state directory
# holds a seeded timeline (two tunnels, a day of minutes) and a history of
# findings. Checked: the page is one file with no script and no external
# resource (and says so with a Content-Security-Policy); Chromium's DOM has the
# four charts per tunnel, a line per series with its points, every finding of
# the window marked on each chart with its cause, the opened one's span, and
# the listed events; the screenshot is the page drawn (the series' colours in
# its pixels); --anonymize gives the same picture; --record 2 adds the
# recording's section. Full tier only (root, Chromium); 77 when Chromium is
# missing.
set -u
BIN=${VD_BIN:?}
SRC=${VD_SRC:?}
CLI=$BIN/vpndoctor
PY=/usr/bin/python3
# shellcheck source=../tools/testlib.sh
. "$SRC/tests/tools/testlib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (unshare -n)"; exit 77; }
CHROMIUM=$(command -v chromium || command -v chromium-browser) || { echo "SKIP: chromium is not installed"; exit 77; }

tmp=$(mktemp -d /tmp/vd-e2e-page.XXXXXX)
pid=
trap 'kill_wait "$pid"; rm -rf "$tmp"' EXIT
SLOW=1
[ -n "${VD_SANITIZED:-}" ] && SLOW=3
failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

sock=$tmp/io.vpndoctor
mkdir -p "$tmp/state"
cp "$SRC"/tests/data/sample/* "$tmp/"
# no probe but the profile's: no new finding joins the seeded history meanwhile
{
	for section in Clock OpenVPN Routes Conflicts DNS Transport Path Ping MTU Throughput; do
		printf '[%s]\nEnabled=no\n' "$section"
	done
	printf '[Tunnel office]\nConfig=%s/sample.ovpn\n[Tunnel home]\nConfig=%s/sample.ovpn\n' "$tmp" "$tmp"
} >"$tmp/vd.conf"
end=$(($(date +%s) / 60 * 60))

# A day of two tunnels: office's round trip jumps to 120 ms for an hour and it
# loses 20 % for half an hour; three findings in the window.
$PY - "$end" "$tmp/state" >"$tmp/seed.jsonl" <<'EOP'
import json, sys
end, state = int(sys.argv[1]), sys.argv[2]
start = end - 86400
for tunnel in ("office", "home"):
    for i in range(1440):
        t = start + 60 * i
        rtt = 120.0 if tunnel == "office" and 600 <= i < 660 else 20.0 + (i % 17) / 4
        loss = 20 if tunnel == "office" and 900 <= i < 930 else 0
        s = {"tunnel": tunnel, "time": t, "state": "connected", "health": "healthy",
             "inside": {"sent": 20, "received": 20 - loss // 5, "rtt_min_ms": rtt - 2, "rtt_median_ms": rtt,
                        "rtt_p95_ms": rtt + 8, "jitter_ms": 1 + (i % 5) / 5},
             "outside": {"sent": 10, "received": 10, "rtt_min_ms": 9, "rtt_median_ms": 10, "rtt_p95_ms": 13,
                         "jitter_ms": 0.4},
             "reflected": {"sent": 10, "received": 10}}
        if i % 30 == 0:
            s["clock_offset_s"] = 0.002 * (i % 7)
        print(json.dumps(s))
with open(state + "/history", "w") as h:
    for ev in ({"time": start + 600 * 60, "event": "opened", "tunnel": "office", "cause": "long-distance-udp",
                "severity": "warning", "summary": "120 ms <round> trip & more"},
               {"time": start + 660 * 60, "event": "resolved", "tunnel": "office", "cause": "long-distance-udp",
                "severity": "warning", "summary": "gone"},
               {"time": start + 900 * 60, "event": "opened", "tunnel": "office", "cause": "unstable-internet",
                "severity": "error", "summary": "20% lost outside the tunnel to 52.1.2.3"}):
        h.write(json.dumps(ev) + "\n")
EOP
"$BIN/timeline_seed" "$tmp/state" <"$tmp/seed.jsonl" || { echo "FAIL cannot seed"; exit 1; }

unshare -n "$BIN/vpndoctord" --foreground --user nobody --socket "$sock" --state-dir "$tmp/state" --config "$tmp/vd.conf" \
	--log-target stderr 2>"$tmp/daemon.log" &
pid=$!
until_ok '[ -S "$sock" ]' 100 || { cat "$tmp/daemon.log"; echo "FAIL daemon did not start"; exit 1; }

# report ARGS... -> $tmp/NAME/timeline.html (NAME: the first arg's word)
report() { # NAME ARGS...
	local name=$1
	shift
	mkdir -p "$tmp/$name"
	(cd "$tmp/$name" && NO_COLOR=1 "$CLI" --socket "$sock" report -o r.tar.gz "$@" >out.txt 2>err.txt) ||
		[ $? = 1 ] || { fail "$name: report failed: $(cat "$tmp/$name/err.txt")"; return 1; }
	tar -xzf "$tmp/$name/r.tar.gz" -C "$tmp/$name" && cp "$tmp/$name"/r/timeline.html "$tmp/$name/page.html" ||
		{ fail "$name: no timeline.html in the bundle"; return 1; }
}

# chromium NAME: DOM and screenshot of $tmp/NAME/page.html, from a namespace
# with no network at all
chromium() {
	local name=$1 ud
	ud=$(mktemp -d "$tmp/chromium.XXXXXX")
	unshare -n timeout $((60 * SLOW)) "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$ud" --dump-dom "file://$tmp/$name/page.html" >"$tmp/$name/dom.html" 2>"$tmp/$name/chromium.log"
	unshare -n timeout $((60 * SLOW)) "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$ud" --window-size=1100,2600 --screenshot="$tmp/$name/shot.png" \
		"file://$tmp/$name/page.html" >>"$tmp/$name/chromium.log" 2>&1
	rm -rf "$ud"
}

# check NAME RECORDING(0|1): what the browser made of the page
check_page() {
	local name=$1
	$PY - "$tmp/$name" "$2" <<'EOP'
import re, struct, sys, zlib
d, recording = sys.argv[1], sys.argv[2] == "1"
page = open(d + "/page.html", encoding="utf-8").read()
dom = open(d + "/dom.html", encoding="utf-8").read()
bad = []
def want(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        bad.append(what)
# one file, nothing from anywhere
want("<script" not in page.lower() and "<script" not in dom.lower(), "no script in the page or the DOM")
want(not re.search(r'(src|href)\s*=|url\(|@import|https?:', page), "no external reference (src, href, url(), http)")
want("Content-Security-Policy" in page and "default-src 'none'" in page, "a Content-Security-Policy of none")
# the browser's DOM: per tunnel four charts
sections = re.findall(r'<section class="tunnel" data-tunnel="([^"]+)">(.*?)</section>', dom, re.S)
want([t for t, _ in sections] == ["office", "home"] or sorted(t for t, _ in sections) == ["home", "office"],
     "a section per tunnel (%s)" % [t for t, _ in sections])
for tunnel, body in sections:
    charts = re.findall(r'<svg class="chart" data-chart="(\w+)"', body)
    want(charts == ["rtt", "loss", "jitter", "clock"], "%s: the four charts (%s)" % (tunnel, charts))
    paths = re.findall(r'<path class="series (s\d)" d="([^"]*)" data-points="(\d+)"', body)
    want(len(paths) == 9 and all(int(n) > 100 for c, dd, n in paths[:8]),
         "%s: 9 series, each with its points (%s)" % (tunnel, [n for _, _, n in paths]))
    want(all(dd.startswith("M") for _, dd, _ in paths[:8]), "%s: each series drawn as a path" % tunnel)
    markers = re.findall(r'<g class="marker (opened|resolved) (\w+)" data-cause="([^"]+)">', body)
    spans = re.findall(r'<rect class="span (\w+)"', body)
    if tunnel == "office":
        want(len(markers) == 12 and set(c for _, _, c in markers) == {"long-distance-udp", "unstable-internet"},
             "office: 3 findings marked on each of the 4 charts (%d)" % len(markers))
        want(len(spans) == 8, "office: 2 opened findings shaded on each chart (%d)" % len(spans))
        labels = re.findall(r'<text[^>]*>([\u25b2\u25bc]) ([^<]+)</text>', body)
        want(sorted(labels) == sorted([("\u25b2", "long-distance-udp"), ("\u25bc", "long-distance-udp"),
                                       ("\u25b2", "unstable-internet")]),
             "office: the causes written on the time axis (%s)" % labels)
        events = re.findall(r'<ul class="events">(.*?)</ul>', body, re.S)
        want(events and events[0].count("<li") == 3 and "&lt;round&gt; trip &amp; more" in events[0],
             "office: the 3 events listed, their text escaped")
    else:
        want(not markers and "No finding opened" in body, "home: no finding")
# the recording's section
rec = re.search(r'<section class="recording">(.*?)</section>', dom, re.S)
want(bool(rec) == recording, "the recording's section %s" % ("there" if recording else "absent"))
# the screenshot: a PNG of the page as drawn, with the series' colours in it
png = open(d + "/shot.png", "rb").read()
want(png[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is a PNG")
w, h, depth, ctype = struct.unpack(">IIBB", png[16:26])
idat = b"".join(png[i + 8:i + 8 + struct.unpack(">I", png[i:i + 4])[0]]
                for i in [m.start() - 4 for m in re.finditer(b"IDAT", png)])
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}[ctype]
stride = w * bpp
rows, prev = [], bytearray(stride)
pos = 0
for y in range(h):
    f = raw[pos]; line = bytearray(raw[pos + 1:pos + 1 + stride]); pos += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
def near(px, rgb):
    return all(abs(px[i] - rgb[i]) < 40 for i in range(3))
blue = orange = green = ink = 0
for line in rows[::2]:
    for x in range(0, stride, bpp * 2):
        px = line[x:x + 3]
        if near(px, (0x1f, 0x6f, 0xb4)): blue += 1
        elif near(px, (0xe0, 0x8a, 0x1e)): orange += 1
        elif near(px, (0x3a, 0x9a, 0x4a)): green += 1
        if sum(px) < 600: ink += 1
want(w == 1100 and h == 2600, "the screenshot is the window's size (%dx%d)" % (w, h))
want(blue > 200 and orange > 100 and green > 100,
     "the series are drawn: blue %d, orange %d, green %d pixels" % (blue, orange, green))
want(ink > 5000, "the page is not blank (%d inked pixels)" % ink)
sys.exit(1 if bad else 0)
EOP
}

report plain && chromium plain && { check_page plain 0 || failures=$((failures + 1)); }
report anon --anonymize && chromium anon && { check_page anon 0 || failures=$((failures + 1)); }
grep -q '52\.1\.2\.3' "$tmp/anon/page.html" && fail "--anonymize: the public address is still in the page" ||
	ok "--anonymize: the page has a stand-in, not the address"
grep -q '52\.1\.2\.3' "$tmp/plain/page.html" && ok "without --anonymize the address is there" ||
	fail "the plain page lacks the address"
report rec --record 2 && chromium rec && { check_page rec 1 || failures=$((failures + 1)); }
grep -q 'recording.json' "$tmp/rec/out.txt" && ok "--record: recording.json in the bundle" ||
	fail "--record: no recording.json: $(cat "$tmp/rec/out.txt")"
# Ctrl-C during a recording of a minute: it ends early and the report is still written
mkdir -p "$tmp/intr"
(cd "$tmp/intr" && exec "$CLI" --socket "$sock" report -o r.tar.gz --record 60 >out.txt 2>err.txt) &
rpid=$!
sleep 2
t0=$(date +%s)
kill -INT "$rpid"
wait "$rpid"
rc=$?
took=$(($(date +%s) - t0))
[ -s "$tmp/intr/r.tar.gz" ] && [ "$took" -lt $((15 * SLOW)) ] && ok "Ctrl-C: the report written ${took}s later (exit $rc)" ||
	fail "Ctrl-C: exit $rc after ${took}s, archive: $(ls -la "$tmp/intr")"
tar -xzf "$tmp/intr/r.tar.gz" -C "$tmp/intr" 2>/dev/null
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["stopped_early"] is True and d["duration_s"] == 60, d' \
	"$tmp/intr/r/recording.json" && ok "Ctrl-C: recording.json says it stopped early" ||
	fail "Ctrl-C: recording.json: $(head -c 300 "$tmp/intr/r/recording.json" 2>&1)"

for bad in "--record 0" "--record 11m" "--record soon" "--record 2 --no-daemon"; do
	# shellcheck disable=SC2086
	(cd "$tmp" && "$CLI" --socket "$sock" report -o bad.tar.gz $bad >/dev/null 2>&1)
	rc=$?
	[ $rc = 64 ] && ok "report $bad: a usage error" || fail "report $bad: exit $rc, want 64"
done
[ ! -e "$tmp/bad.tar.gz" ] && ok "and no archive for them" || fail "an archive was written for a usage error"
echo "screenshots: $(du -b "$tmp"/*/shot.png | awk '{ printf "%s %d bytes; ", $2, $1 }')"

if [ $failures -ne 0 ]; then
	echo "---- daemon log ----"
	tail -20 "$tmp/daemon.log"
fi
echo "$failures failure(s)"
[ $failures -eq 0 ]
