#!/bin/bash
# The laptop's own nftables drops inbound ICMP echo requests (the lab's
# icmp-in-block fault): the firewall probe names the rule, and the reflector
# in the VPC, asked through the tunnel, sees its pings back to the laptop fail:
# icmp-blocked-locally, with the rule and the reflector's counts.
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
[ -x "$VD_BIN/vpndoctor-reflector" ] || sc_fail "no vpndoctor-reflector in $VD_BIN"
RFL_PORT=7070
head -c 32 /dev/urandom | base64 >"$LAB_DIR/reflector.key"
chmod 600 "$LAB_DIR/reflector.key"
lab__spawn reflector vpc "$VD_BIN/vpndoctor-reflector" --key "$LAB_DIR/reflector.key" \
	--listen "$LAB_VPC_DNS:$RFL_PORT"
lab_log_wait "$LAB_DIR/logs/reflector.out" 0 '^listening on ' 10 ||
	sc_fail "the reflector did not start: $(cat "$LAB_DIR/logs/reflector.out")"
sc_daemon "Reflector=$LAB_VPC_DNS:$RFL_PORT" "ReflectorKey=$LAB_DIR/reflector.key"
sc_quiet
grep -Eq 'pinged 10\.8\.0\.[0-9]+: 10 sent, 10 received' "$LAB_DIR/logs/reflector.out" ||
	sc_fail "the reflector did not ping the laptop back on a healthy lab"
sc_fault icmp-in-block on
sc_expect icmp-blocked-locally --severity warning --timeout 150 \
	--evidence 'rule=^inet vdlab_fw input: icmp type echo-request drop$' \
	--evidence 'reflector_sent=^10$' --evidence 'reflector_received=^0$'
grep -Eq 'pinged 10\.8\.0\.[0-9]+: 10 sent, 0 received' "$LAB_DIR/logs/reflector.out" ||
	sc_fail "the reflector's log has no failed round"
sc_say "reflector: $(grep -E 'pinged .*: 10 sent, 0 received' "$LAB_DIR/logs/reflector.out" | tail -n 1)"
# the other way still works: the laptop's own pings are answered
sc_ping laptop "$LAB_VPC_DB"
sc_fault icmp-in-block off
sc_resolved icmp-blocked-locally --timeout 60
sc_history icmp-blocked-locally
lab__stop reflector
sc_pass
