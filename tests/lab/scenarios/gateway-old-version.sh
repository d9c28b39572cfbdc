#!/bin/bash
# A gateway created on 2020-11-02 that forwards slowly: 100 ms added to what it
# sends into the tunnel, while its public address answers at once from outside:
# gateway-old-version. (The lab's latency fault delays the gateway's public
# traffic too, so inside and outside would rise together and say nothing.)
. "$(dirname "$0")/../scenario.sh"
sc_begin --proto udp
sc_daemon CreatedOn=2020-11-02
sc_quiet
sc_fault inner-latency on 100
sc_expect gateway-old-version --severity warning --timeout 60 --evidence 'created_on=2020-11-02' \
	--evidence 'excess_delay=^h1: '
sc_fault inner-latency off
sc_resolved gateway-old-version --timeout 60 # when the excess-delay test comes back to h0
sc_history gateway-old-version
sc_pass
