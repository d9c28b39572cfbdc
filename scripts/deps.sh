#!/bin/sh
# Install the Debian packages vpndoctor needs to build, test and run its lab.
# Idempotent: prints nothing and touches nothing when every package is present.
set -eu

PACKAGES="
build-essential cmake pkg-config clang libclang-rt-14-dev
libevent-dev libssl-dev libnl-3-dev libnl-route-3-dev libcjson-dev
libsystemd-dev libinih-dev libcmocka-dev libcap-ng-dev
openssl openvpn dnsmasq-base chrony libfaketime faketime nftables iproute2
iputils-ping fping ntpsec-ntpdate systemd python3 python3-dbusmock dbus
network-manager-openvpn
valgrind scdoc procps psmisc util-linux chromium strace
prometheus-node-exporter prometheus systemd-journal-remote curl
gettext locales
debhelper dpkg-dev lintian
"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$status" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run 'make deps' as root)" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Packages are installed for their programs, not their services: nothing they
# bring (NetworkManager with network-manager-openvpn, dnsmasq, chrony) may
# start and take over this machine's links or clock. policy-rc.d says so to
# invoke-rc.d and deb-systemd-invoke while apt runs, unless one is in place.
policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
	trap 'rm -f "$policy"' EXIT INT TERM
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -z "$own_policy" ] || rm -f "$policy"
