#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_tproxy.sh - the gateway behind nftables TPROXY instead
# of a NAT redirect: --transparent listeners, the original destination is the
# accepted socket's own address (--upstream origdst).
. "$(dirname "$0")/lib.sh"

tproxy_rules() {
	in_gw nft delete table inet snigate_redirect 2>/dev/null
	in_gw nft -f - <<NFT || return 1
table inet snigate_tproxy {
	chain prerouting {
		type filter hook prerouting priority mangle;
		iifname "${T_PREFIX}g0" meta l4proto tcp tcp dport 443 tproxy ip to :8443 meta mark set 1 accept
	}
}
NFT
	in_gw ip rule add fwmark 1 lookup 100 &&
		in_gw ip route add local 0.0.0.0/0 dev lo table 100
}

test_tproxy_allowed() {
	local m
	m=$(log_mark)
	expect_allowed exact.test || return
	log_expect "$m" '.sni == "exact.test" and .verdict == "allow" and .upstream == "'"$SRV4"':443"'
}

test_tproxy_denied() {
	expect_denied denied.test
}

setup
tproxy_rules || { echo "[$T_TAG setup] FAIL: nft tproxy rules"; exit 1; }
server_start || exit 1
daemon_start --allow-file <(printf 'exact.test\n') --transparent --upstream origdst \
	--listen 0.0.0.0:8443 || exit 1
run_tests test_tproxy_allowed test_tproxy_denied
[ "$N_FAIL" -eq 0 ]
