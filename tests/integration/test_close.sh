#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_close.sh - how connections end: half-close in both
# directions, server close, RST both ways, FIN after flow control has paused
# a side, and that nothing leaks after 1000 short connections (daemon fds,
# `conns`, the per-socket state map).
#
# Transfers here stay below the flow-control threshold (--conn-mem 8M: a
# receiver pauses above 1 MiB of backlog) except in the *_after_pause tests,
# so a close-path failure and a pause-path failure show up separately.
. "$(dirname "$0")/lib.sh"

cl() { CL=$(client --connect "$SRV4:443" --sni exact.test "$@"); }
conns_count() { sg -j conns | jq length; }
conns_at_most() { [ "$(conns_count)" -le "$1" ]; }
server_saw() { server_since "$1" | grep -q "$2"; }
sockst_is() { [ "$(sockst_entries)" = "$1" ]; }

# the client shuts down writing: the server sees EOF after every byte, and
# its later reply still reaches the client, then EOF
test_client_half_close() {
	local m s
	m=$(log_mark)
	s=$(server_mark)
	cl --cmd "HALF 300000 half" --send 100000 || bad "client: $CL" || return
	server_since "$s" | grep -q '^eof cmd=HALF count=100000$' ||
		bad "the server did not see EOF after 100000 bytes" || return
	log_expect "$m" '.sni == "exact.test" and .bytes_down == '$((6 + 72 + 300000))
}

test_half_close_without_data() {
	cl --cmd "HALF 4096 half0" --send 0 || bad "client: $CL"
}

# the server sends and closes: the client reads all of it, then EOF
test_server_close() {
	local n0
	n0=$(conns_count)
	cl --cmd "SOURCE 300000 srvclose" || bad "client: $CL" || return
	wait_until 3 conns_at_most "$n0" || bad "the connection is still listed: $(sg -j conns)"
}

# the server resets after 100000 bytes: the client gets ECONNRESET
test_server_rst() {
	local m n0
	n0=$(conns_count)
	m=$(log_mark)
	cl --cmd "RST 100000 rst" --expect reset || bad "client: $CL" || return
	log_expect "$m" '.sni == "exact.test"' || return
	wait_until 3 conns_at_most "$n0" || bad "the connection is still listed: $(sg -j conns)"
}

# the client resets: the server gets ECONNRESET
test_client_rst() {
	local s n0
	n0=$(conns_count)
	s=$(server_mark)
	cl --cmd "READ" --send 5000 --rst-after-send || bad "client: $CL" || return
	wait_until 3 server_saw "$s" '^done id=[0-9]* cmd=READ result=reset' ||
		bad "the server did not see a reset: $(server_since "$s" | tail -n 1)" || return
	wait_until 3 conns_at_most "$n0" || bad "the connection is still listed: $(sg -j conns)"
}

# a spliced, idle connection that the client closes: the server sees EOF
test_client_close_idle() {
	local s
	s=$(server_mark)
	cl --cmd PING --hold 1 || bad "client: $CL" || return
	wait_until 3 server_saw "$s" '^done id=[0-9]* cmd=PING result=ok' ||
		bad "the server did not see EOF: $(server_since "$s" | tail -n 2)"
}

# 4 MiB down, then the server's FIN: flow control pauses the upstream on the
# way; all bytes and the EOF must still arrive (three runs)
test_server_close_after_pause() {
	local i
	for i in 1 2 3; do
		cl --cmd "SOURCE 4194304 big$i" --timeout 5 ||
			bad "run $i: client: $CL; pauses $(stat_get flow_pauses); conns: $(sg -j conns | cut -c1-300)" ||
			return
	done
}

# 4 MiB up once spliced, then the client's FIN: the server must see EOF
test_client_fin_after_pause() {
	local i
	for i in 1 2 3; do
		cl --cmd "BIDI 10 up$i" --after-answer --send 4194304 --timeout 5 ||
			bad "run $i: client: $CL; pauses $(stat_get flow_pauses); conns: $(sg -j conns | cut -c1-300)" ||
			return
	done
}

# both ends gone: no connection may stay listed (after everything above)
test_closed_connections_released() {
	wait_until 3 conns_at_most 0 ||
		bad "$(conns_count) connections still listed although every client and server closed: $(sg -j conns | cut -c1-300)"
}

# 1000 sequential short connections; afterwards conns, the state map and the
# daemon's sockets are back where they were. Pipes are pooled for reuse (the
# splice relay keeps up to 512), so they may grow a little, not per connection.
test_thousand_connections() {
	local fd0 so0 pi0 st0 n0 out
	in_cli python3 "$PEER" loop --connect "$SRV4:443" --sni exact.test --count 50 --timeout 5 >/dev/null ||
		bad "warm-up loop failed" || return
	wait_until 3 conns_at_most 0
	n0=$(conns_count)
	fd0=$(daemon_fds)
	so0=$(daemon_fds socket)
	pi0=$(daemon_fds pipe)
	st0=$(sockst_entries)
	out=$(in_cli python3 "$PEER" loop --connect "$SRV4:443" --sni exact.test --count 1000 --timeout 5) ||
		bad "loop: $out" || return
	echo "$out"
	wait_until 5 conns_at_most "$n0" || bad "conns: $n0 -> $(conns_count)" || return
	wait_until 5 sockets_are "$so0" || bad "daemon sockets $so0 -> $(daemon_fds socket)" || return
	wait_until 5 sockst_is "$st0" || bad "snigate_sockst entries $st0 -> $(sockst_entries)" || return
	[ "$(daemon_fds pipe)" -le $((pi0 + 16)) ] || bad "daemon pipe fds $pi0 -> $(daemon_fds pipe)" || return
	[ $(($(daemon_fds) - $(daemon_fds pipe))) -eq $((fd0 - pi0)) ] ||
		bad "daemon fds other than pipes $((fd0 - pi0)) -> $(($(daemon_fds) - $(daemon_fds pipe)))"
}
sockets_are() { [ "$(daemon_fds socket)" = "$1" ]; }

setup
ALLOW=$TMP/allow
printf '%s\n' exact.test >"$ALLOW"
server_start || exit 1
daemon_start --allow-file "$ALLOW" || exit 1
run_tests test_client_half_close test_half_close_without_data test_server_close \
	test_server_rst test_client_rst test_client_close_idle test_thousand_connections \
	test_server_close_after_pause test_client_fin_after_pause test_closed_connections_released
[ "$N_FAIL" -eq 0 ]
