#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_upstream.sh - where an allowed connection goes and
# what the client sees when it cannot get there: refused, connect timeout,
# resolve failure, hello timeout; IPv6 end to end; --upstream origdst.
. "$(dirname "$0")/lib.sh"

cl() { CL=$(client "$@"); }

# an allowed name whose address has no listener: internal_error, at once
test_upstream_refused() {
	local m s
	m=$(log_mark)
	s=$(server_mark)
	cl --connect "$SRV4:443" --sni nolisten.test --expect alert:80 --max-elapsed 1 ||
		bad "client: $CL" || return
	log_expect "$m" '.sni == "nolisten.test" and .reason == "upstream"'
}

# an allowed name on an address nobody answers: given up after
# --connect-timeout 1, well before the kernel's own timeouts
test_upstream_connect_timeout() {
	local m
	m=$(log_mark)
	cl --connect "$SRV4:443" --sni blackhole.test --expect "alert:80|closed" \
		--min-elapsed 0.8 --max-elapsed 2.5 || bad "client: $CL" || return
	log_expect "$m" '.sni == "blackhole.test" and .reason == "upstream"'
}

# an allowed name that does not resolve: internal_error
test_resolve_failure() {
	local m
	m=$(log_mark)
	cl --connect "$SRV4:443" --sni unresolvable.test --expect alert:80 --max-elapsed 2 ||
		bad "client: $CL" || return
	log_expect "$m" '.sni == "unresolvable.test" and .reason == "upstream"'
}

# a hello that never completes (header only) is closed after --hello-timeout 1
test_hello_timeout() {
	local m s
	m=$(log_mark)
	s=$(server_mark)
	cl --connect "$SRV4:443" --sni exact.test --write partial --expect closed \
		--min-elapsed 0.8 --max-elapsed 2.5 || bad "client: $CL" || return
	log_expect "$m" '.verdict == "deny" and .reason == "timeout"' || return
	[ "$(server_accepts "$s")" -eq 0 ] || bad "the server saw a connection"
}

# a client that connects and sends nothing is closed too
test_hello_timeout_silent() {
	cl --connect "$SRV4:443" --write none --cmd "" --expect closed --min-elapsed 0.8 --max-elapsed 2.5 ||
		bad "client: $CL"
}

# IPv6 from client to server: raw and curl
test_ipv6() {
	local m s
	m=$(log_mark)
	s=$(server_mark)
	cl --connect "[$SRV6]:443" --sni v6.test --cmd "SOURCE 200000 six" || bad "client: $CL" || return
	log_expect "$m" '.sni == "v6.test" and .verdict == "allow" and
		(.client | startswith("['"$CLI6"']:")) and .upstream == "['"$SRV6"']:443"' || return
	server_since "$s" | grep -q "^accept id=[0-9]* peer=fd00:$T_NET:2::1 mode=raw sni=v6.test" ||
		bad "the server did not see the gateway's IPv6 address: $(server_since "$s" | head -n 1)" || return
	expect_allowed v6.test "$SRV6"
}

test_ipv6_denied() {
	local s
	s=$(server_mark)
	expect_denied denied.test "$SRV6" || return
	[ "$(server_accepts "$s")" -eq 0 ] || bad "the server saw a connection"
}

# --upstream origdst: the address the client dialled, whatever the name
# resolves to (origdst.test resolves to an address with no listener)
test_origdst() {
	local m s
	daemon_stop
	daemon_start --allow-file "$ALLOW" --upstream origdst || bad "daemon did not start" || return
	m=$(log_mark)
	s=$(server_mark)
	cl --connect "$SRV4:443" --sni origdst.test --cmd "SOURCE 10000 od" || bad "client: $CL" || return
	log_expect "$m" '.sni == "origdst.test" and .verdict == "allow" and .upstream == "'"$SRV4"':443"' || return
	server_since "$s" | grep -q 'sni=origdst.test' || bad "the server did not get the connection" || return
	m=$(log_mark)
	cl --connect "[$SRV6]:443" --sni origdst.test --cmd "SOURCE 10000 od6" || bad "IPv6: client: $CL" || return
	log_expect "$m" '.sni == "origdst.test" and .upstream == "['"$SRV6"']:443"'
}

test_origdst_denied() {
	local s
	s=$(server_mark)
	cl --connect "$SRV4:443" --sni denied.test --expect alert:49 || bad "client: $CL" || return
	[ "$(server_accepts "$s")" -eq 0 ] || bad "the server saw a connection for a denied name"
}

setup
ALLOW=$TMP/allow
printf '%s\n' exact.test nolisten.test blackhole.test unresolvable.test v6.test origdst.test >"$ALLOW"
server_start || exit 1
daemon_start --allow-file "$ALLOW" --hello-timeout 1 --connect-timeout 1 || exit 1
run_tests test_upstream_refused test_upstream_connect_timeout test_resolve_failure \
	test_hello_timeout test_hello_timeout_silent test_ipv6 test_ipv6_denied \
	test_origdst test_origdst_denied
[ "$N_FAIL" -eq 0 ]
