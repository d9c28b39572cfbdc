#!/bin/sh
# needs-root.sh CMD...: runs CMD (a test) as root; for anyone else the test
# is skipped (exit 77, as ctest and `make check` count it) with the reason,
# instead of failing on the first namespace it cannot make.
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, mounts, other users' processes)"
	exit 77
fi
exec "$@"
