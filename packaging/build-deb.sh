#!/bin/sh
# Builds the Debian package (source and binary) from a copy of the source tree
# in OUT/src, so that the work tree never gets debian/vpndoctor, obj-* or the
# stamps. Result: OUT/vpndoctor_VERSION_ARCH.deb, .changes, .buildinfo, .dsc.
# Usage: packaging/build-deb.sh [OUT]   (default build-deb)
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-build-deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
jobs=${JOBS:-2}

rm -rf "$out/src" "$out"/vpndoctor_*
mkdir "$out/src"
# In a git checkout, the files git tracks or would track (untracked work in
# progress too, not what it ignores), less any build tree whatever its name
# (a top directory with a CMakeCache.txt); elsewhere everything but the VCS
# and the build dirs.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do
			case $f in */*) top=${f%%/*} ;; *) top= ;; esac
			[ -n "$top" ] && [ -f "$top/CMakeCache.txt" ] && continue
			[ -e "$f" ] && printf "%s\0" "$f"
		done' sh |
		tar --null -T - -cf -) | (cd "$out/src" && tar -xf -)
else
	(cd "$src" && tar --exclude=./.git --exclude='./build*' --exclude='./obj-*' -cf - .) |
		(cd "$out/src" && tar -xf -)
fi

log=$out/build.log
echo "deb: building in $out/src (log: $log)"
if ! (cd "$out/src" &&
	DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
		dpkg-buildpackage -us -uc -sa) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "deb: dpkg-buildpackage failed, see $log" >&2
	exit 1
fi
ls "$out"/vpndoctor_*
