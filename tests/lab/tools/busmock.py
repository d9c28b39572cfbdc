#!/usr/bin/python3
"""The lab's system bus mocks (python3-dbusmock's logind and NetworkManager
templates) driven from a scenario; the bus is $DBUS_SYSTEM_BUS_ADDRESS.

  busmock.py wait logind|nm           until the mock answers (10 s)
  busmock.py sleep true|false         logind emits PrepareForSleep
  busmock.py inhibitors               logind's delay locks of vpndoctord, one a line
  busmock.py connectivity N           NetworkManager's Connectivity: 0 unknown,
                                      1 none, 2 portal, 3 limited, 4 full
Exit 0 when done, 1 otherwise (the reason on stderr).
"""
import os
import sys
import time

import dbus

LOGIN1 = ("org.freedesktop.login1", "/org/freedesktop/login1")
NM = ("org.freedesktop.NetworkManager", "/org/freedesktop/NetworkManager")
MOCK = "org.freedesktop.DBus.Mock"


def obj(which):
    bus = dbus.bus.BusConnection(os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    return bus.get_object(*which)


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 1
    cmd = argv[1]
    if cmd == "wait":
        which = LOGIN1 if argv[2] == "logind" else NM
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                obj(which).Introspect(dbus_interface="org.freedesktop.DBus.Introspectable")
                return 0
            except dbus.exceptions.DBusException:
                time.sleep(0.1)
        sys.stderr.write("the %s mock does not answer\n" % argv[2])
        return 1
    if cmd == "sleep":
        obj(LOGIN1).EmitSignal("org.freedesktop.login1.Manager", "PrepareForSleep", "b",
                               [dbus.Boolean(argv[2] == "true")], dbus_interface=MOCK)
        return 0
    if cmd == "inhibitors":
        for i in obj(LOGIN1).ListInhibitors(dbus_interface="org.freedesktop.login1.Manager"):
            if str(i[1]) == "vpndoctord":
                print("%s %s %s" % (i[0], i[3], i[2]))
        return 0
    if cmd == "connectivity":
        obj(NM).SetConnectivity(dbus.UInt32(int(argv[2])), dbus_interface=MOCK)
        return 0
    sys.stderr.write(__doc__)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
