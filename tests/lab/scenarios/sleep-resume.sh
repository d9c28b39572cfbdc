#!/bin/bash
# A sleep of two minutes (logind's PrepareForSleep from dbusmock's template):
# the daemon releases its delay lock at once, runs nothing while the laptop
# sleeps (its OpenVPN client is stopped and its link down meanwhile, as a
# suspended laptop's are), and after the resume every probe has run again
# within 5 s. The server has dropped the session by then; the client notices
# at its ping-restart and reconnects by itself: no error and no warning, then
# or after.
. "$(dirname "$0")/../scenario.sh"
SLEEP_S=${SLEEP_S:-120}
sc_begin --proto udp
sc_system_bus logind
sc_daemon
sc_calm
locks() { sc_busmock inhibitors | grep -c '^sleep delay'; }
[ "$(locks)" = 1 ] || sc_fail "awake, the daemon holds no delay lock for sleep"
t_sleep=$(date +%s)
sc_busmock sleep true
for i in $(seq 1 30); do [ "$(locks)" = 0 ] && break; sleep 0.1; done
[ "$(locks)" = 0 ] || sc_fail "the delay lock was not released before sleep"
# the daemon paused before it released the lock: no run starts after this
# second (a probe may start between t_sleep and the signal: the bus call takes
# a while on a loaded machine)
t_paused=$(date +%s)
sc__result "lock released" "$(sc__since "$t_sleep")"
kill -STOP "$(lab__pid openvpn-laptop)"
lab_exec laptop ip link set eth0 down
sc_say "asleep for $SLEEP_S s"
sleep "$SLEEP_S"
before=$(sc_status_json | "$LAB_PY" -c 'import json,sys; print(max(p["last_run"] or 0 for p in json.load(sys.stdin)["probes"]))')
[ "$before" -le "$t_paused" ] || sc_fail "a probe ran while the laptop slept (at $before, paused by $t_paused)"
lab_exec laptop ip link set eth0 up
lab_exec laptop ip route replace default via 198.18.1.1 dev eth0
kill -CONT "$(lab__pid openvpn-laptop)"
sc_mark
t_resume=$(date +%s)
sc_busmock sleep false
# every probe runs again at once (last_run is when a run started; it shows once it ended)
ok=""
for i in $(seq 1 150); do
	ok=$(sc_status_json | "$LAB_PY" -c '
import json, sys
t = int(sys.argv[1])
ps = json.load(sys.stdin)["probes"]
late = [p["name"] for p in ps if (p["last_run"] or 0) < t]
if late:
    sys.exit(1)
print(max(p["last_run"] for p in ps) - t)' "$t_resume") && break
	sleep 0.1
done
[ -n "$ok" ] || sc_fail "not every probe ran again after the resume"
[ "$ok" -le 5 ] || sc_fail "a probe started $ok s after the resume"
sc__result "every probe ran again (s after resume, the latest start)" "$ok"
[ "$(locks)" = 1 ] || sc_fail "the delay lock was not taken again"
sc_openvpn_log laptop "Initialization Sequence Completed" 90
sc_quiet --timeout 120
sc_never loud --since "$t_sleep"
grep -q "carries again: its settle window ends" "$LAB_DIR/logs/vpndoctord.out" ||
	sc_fail "the settle window did not end when the tunnel was back"
sc_pass
