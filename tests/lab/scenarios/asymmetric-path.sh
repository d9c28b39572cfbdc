#!/bin/bash
# Echo requests from the VPC to the tunnel's clients are dropped at the
# gateway, not on the laptop: the laptop's pings to the VPC are answered, the
# reflector's pings back are lost, and the laptop's firewall is clean:
# asymmetric-path, with both directions' loss and the source the VPC saw.
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

asym() { # on|off: the gateway drops echo requests from the VPC towards the clients
	sc_mark
	lab_exec gateway nft delete table inet vdlab_asym 2>/dev/null || true
	[ "$1" = on ] && { lab_exec gateway nft -f - <<-EOF2 || sc_fail "nft at the gateway"
	table inet vdlab_asym {
		chain forward {
			type filter hook forward priority 0; policy accept;
			iifname "vpc0" ip daddr 10.8.0.0/16 icmp type echo-request drop
		}
	}
	EOF2
	}
	SC_FAULT_T=$(sc__now)
	sc_say "gateway drops VPC-to-client echo requests: $1"
}

asym on
sc_expect asymmetric-path --severity warning --timeout 60 \
	--evidence 'vpc_to_client_loss_pct=^100' --evidence 'client_to_vpc_loss_pct=^0' \
	--evidence 'source_seen=^10\.8\.0\.[0-9]+$'
# the evidence holds outside the daemon too: the laptop's way works, the VPC's does not
sc_ping laptop "$LAB_VPC_DB"
lab_exec vpc ping -c 2 -i 0.2 -W 1 -q "$(lab_exec laptop ip -4 -o addr show dev tun0 | awk '{print $4}' | cut -d/ -f1)" \
	>/dev/null 2>&1 && sc_fail "the VPC can still ping the laptop"
/usr/bin/python3 "$LAB_SRC/tools/findings.py" absent icmp-blocked-locally <"$LAB_DIR/check.json" ||
	sc_fail "icmp-blocked-locally reported though the laptop's firewall is clean"
asym off
sc_resolved asymmetric-path --timeout 60 # when the one-way test comes back to h0
sc_history asymmetric-path
lab__stop reflector
sc_pass
