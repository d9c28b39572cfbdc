#!/bin/bash
# vpndoctord.service must stay locked down: systemd-analyze's offline security
# assessment gives an exposure of at most 2.0 (0 best, 10 worst).
set -euo pipefail
: "${VD_SRC:?}"
unit=$VD_SRC/packaging/systemd/vpndoctord.service
max=2.0

out=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1) || {
	echo "$out"; echo "FAIL: systemd-analyze security failed"; exit 1; }
level=$(sed -n 's/.*Overall exposure level for vpndoctord\.service: \([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$out")
if [[ -z $level ]]; then
	echo "$out"
	echo "FAIL: no overall exposure level in the output"
	exit 1
fi
echo "exposure level of vpndoctord.service: $level (at most $max)"
if awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
	# The lines that cost exposure, to say what regressed.
	grep '✗' <<<"$out" || true
	echo "FAIL: exposure $level > $max"
	exit 1
fi

# The same verdict through systemd-analyze's own threshold (exposure x 10).
systemd-analyze security --offline=true --no-pager --threshold=20 "$unit" >/dev/null 2>&1 || {
	echo "FAIL: systemd-analyze --threshold=20 refuses the unit"; exit 1; }
echo "PASS"
