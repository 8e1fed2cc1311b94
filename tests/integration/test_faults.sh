#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_faults.sh - hostile and broken peers (issue 4):
# an upstream that resets mid-transfer, a client that vanishes without FIN
# (TCP keepalive) or goes quiet (--idle-timeout), 2000 slowloris clients,
# --max-conns and running out of file descriptors without an accept spin.
# After each: the daemon still serves, and its fds and map entries are back.
. "$(dirname "$0")/lib.sh"

cl() { CL=$(client --connect "$SRV4:443" --sni exact.test "$@"); }
server_saw() { server_since "$1" | grep -q "$2"; }
sockst_is() { [ "$(sockst_entries)" = "$1" ]; }
sockets_are() { [ "$(daemon_fds socket)" = "$1" ]; }
sockets_at_least() { [ "$(daemon_fds socket)" -ge "$1" ]; }
non_pipe_fds() { echo $(($(daemon_fds) - $(daemon_fds pipe))); }
non_pipe_fds_are() { [ "$(non_pipe_fds)" = "$1" ]; }
stat_at_least() { [ "$(stat_get "$1")" -ge "$2" ]; }
# CPU seconds (user + system) the daemon used so far, in clock ticks
daemon_ticks() { awk '{ print $14 + $15 }' "/proc/$DPID/stat"; }
refusals_at_least() {
	[ $(($(stat_get denied_by_reason.limit) + $(stat_get denied_by_reason.upstream))) -ge "$1" ]
}

# the fd/map baseline of an idle daemon; leaks_none compares against it
baseline() {
	wait_until 5 sockst_is 0
	FD0=$(non_pipe_fds)
	PI0=$(daemon_fds pipe)
}
leaks_none() {
	wait_until 5 non_pipe_fds_are "$FD0" || bad "daemon fds other than pipes $FD0 -> $(non_pipe_fds)" || return
	wait_until 5 sockst_is 0 || bad "snigate_sockst still has $(sockst_entries) entries" || return
	[ "$(daemon_fds pipe)" -le $((PI0 + 8)) ] || bad "daemon pipe fds $PI0 -> $(daemon_fds pipe)"
}
still_serves() {
	cl --cmd PING || bad "a new connection after the fault failed: $CL"
}

# the server resets while 32 MiB are on their way and the client is not
# reading: the client gets a reset within a few seconds, not a hang
test_upstream_reset_midway() {
	local m r0
	baseline
	r0=$(stat_get closed_reset)
	m=$(log_mark)
	cl --cmd "RST 33554432 rstmid mid" --read-delay 1.5 --expect reset --max-elapsed 6 ||
		bad "client: $CL" || return
	log_expect "$m" '.sni == "exact.test" and .end == "reset"' || return
	wait_until 3 stat_at_least closed_reset $((r0 + 1)) || bad "closed_reset stayed at $r0" || return
	leaks_none || return
	still_serves
}

# the client's packets stop (nft drop in its namespace): keepalive (--keepalive 1:
# probes after 1 s, 3 unanswered ones) closes the connection, the server sees
# its end, and the relay's fds and entries go
test_client_vanishes() {
	local m s cpid i0
	baseline
	i0=$(stat_get closed_idle)
	m=$(log_mark)
	s=$(server_mark)
	client --connect "$SRV4:443" --sni exact.test --cmd PING --hold 20 >"$TMP/vanish.out" 2>&1 &
	cpid=$!
	PIDS+=("$cpid")
	wait_until 5 server_saw "$s" '^accept .*sni=exact.test' || bad "the server got no connection" || return
	sleep 0.5
	in_cli nft -f - <<NFT || bad "nft in $CLI failed" || return
table inet ${T_PREFIX}vanish {
	chain in { type filter hook input priority 0; policy drop; }
	chain out { type filter hook output priority 0; policy drop; }
}
NFT
	wait_until 12 server_saw "$s" '^done id=[0-9]* cmd=PING' ||
		bad "the server's connection was not closed 12 s after the client vanished" || true
	in_cli nft delete table inet "${T_PREFIX}vanish"
	kill "$cpid" 2>/dev/null
	[ -z "$WHY" ] || return 1
	log_expect "$m" '.sni == "exact.test" and .end == "keepalive"' || return
	wait_until 3 stat_at_least closed_idle $((i0 + 1)) || bad "closed_idle stayed at $i0" || return
	leaks_none || return
	still_serves
}

# 2000 clients write a hello one byte a second: each is closed at the
# --hello-timeout (3 s), a curl gets through meanwhile, the fds come back
test_slowloris() {
	local so0 t0 out spid
	baseline
	so0=$(daemon_fds socket)
	t0=$(stat_get denied_by_reason.timeout)
	in_cli python3 "$PEER" slowloris --connect "$SRV4:443" --count 2000 --seconds 25 \
		>"$TMP/slowloris.out" 2>&1 &
	spid=$!
	PIDS+=("$spid")
	wait_until 10 sockets_at_least $((so0 + 1500)) ||
		bad "only $(daemon_fds socket) daemon sockets: the attack did not get through to it" || return
	echo "daemon sockets during the attack: $(daemon_fds socket)"
	expect_allowed exact.test || bad "curl during the attack: $WHY" || return
	wait "$spid"
	out=$(cat "$TMP/slowloris.out")
	echo "$out"
	[ "$(echo "$out" | jq -r .outcome)" = ok ] || bad "slowloris: $out" || return
	[ "$(echo "$out" | jq -r .closed)" = 2000 ] || bad "slowloris: $out" || return
	awk -v a="$(echo "$out" | jq .min_life)" -v b="$(echo "$out" | jq .max_life)" \
		'BEGIN { exit !(a >= 2.5 && b <= 9) }' ||
		bad "connections lived from $(echo "$out" | jq .min_life) to $(echo "$out" | jq .max_life) s, want about 3" ||
		return
	wait_until 5 sockets_are "$so0" || bad "daemon sockets $so0 -> $(daemon_fds socket)" || return
	wait_until 3 stat_at_least denied_by_reason.timeout $((t0 + 2000)) ||
		bad "timeouts counted: $(($(stat_get denied_by_reason.timeout) - t0)), want 2000" || return
	leaks_none
}

# --idle-timeout 2: a quiet spliced connection is closed after 2 s (the
# client gets what was sent, then EOF); one that trickles for 4 s is not
test_idle_timeout() {
	local m i0
	daemon_stop
	daemon_start --allow-file "$ALLOW" --idle-timeout 2 || bad "daemon did not start" || return
	i0=$(stat_get closed_idle)
	m=$(log_mark)
	cl --cmd "SOURCE 1000 idle keep" --min-elapsed 1.8 --max-elapsed 6 || bad "quiet client: $CL" || return
	log_expect "$m" '.sni == "exact.test" and .end == "idle" and .bytes_down == 1000' || return
	wait_until 3 stat_at_least closed_idle $((i0 + 1)) || bad "closed_idle stayed at $i0" || return
	cl --cmd SINK --send 2000000 --pace 4 --min-elapsed 3.5 || bad "a connection moving bytes for 4 s: $CL"
}

# hold_conns N OUT: N connections held open for 6 s in the background (HPID);
# returns once all are through, non-zero if they are not within 10 s
hold_conns() {
	in_cli python3 "$PEER" hold --connect "$SRV4:443" --sni exact.test --count "$1" --seconds 6 \
		>"$2" 2>&1 &
	HPID=$!
	PIDS+=("$HPID")
	wait_until 10 grep -q ready "$2" && grep -q "\"ok\": $1" "$2"
}

# --max-conns 5: five held connections, then 20 more are reset at once,
# counted, logged once (rate-limited), at little CPU; a slot that frees up
# serves again
test_max_conns() {
	local l0 c0 c1 i hpid
	daemon_stop
	daemon_start --allow-file "$ALLOW" --max-conns 5 || bad "daemon did not start" || return
	l0=$(stat_get denied_by_reason.limit)
	hold_conns 5 "$TMP/hold.out" || bad "hold: $(cat "$TMP/hold.out")" || return
	hpid=$HPID
	c0=$(daemon_ticks)
	for i in $(seq 1 20); do
		cl --cmd PING --expect "reset|closed|broken_pipe" --max-elapsed 3 ||
			bad "attempt $i over the limit: $CL" || return
	done
	c1=$(daemon_ticks)
	echo "daemon CPU for 20 refusals: $((c1 - c0)) ticks"
	[ $((c1 - c0)) -lt 100 ] || bad "the daemon used $((c1 - c0)) CPU ticks for 20 refusals" || return
	wait_until 3 stat_at_least denied_by_reason.limit $((l0 + 20)) ||
		bad "denied_by_reason.limit $l0 -> $(stat_get denied_by_reason.limit), want +20" || return
	wait_until 6 grep -q -- '--max-conns reached: reset' "$DERR" || bad "no log line for the refusals" || return
	[ "$(grep -c -- '--max-conns reached' "$DERR")" -le 2 ] ||
		bad "refusals logged $(grep -c -- '--max-conns reached' "$DERR") times: not rate-limited" || return
	wait "$hpid"
	wait_until 5 cl --cmd PING || bad "no connection once the held ones closed: $CL"
}

# out of file descriptors: the daemon starts with `ulimit -n` at what an idle
# daemon holds plus 6, room for one relayed connection (2 sockets, 2 pipes).
# While one is held, new connections are reset at once instead of waiting in
# the backlog while epoll reports the listener forever; CPU stays low; once
# the held one closes, the next is served
test_fd_exhaustion() {
	local n c0 c1 i l0 u0 hpid
	daemon_stop
	daemon_start --allow-file "$ALLOW" --no-selftest || bad "daemon did not start" || return
	n=$(daemon_fds)
	daemon_stop
	export DAEMON_NOFILE=$((n + 6))
	daemon_start --allow-file "$ALLOW" --no-selftest
	unset DAEMON_NOFILE
	kill -0 "$DPID" 2>/dev/null || bad "daemon did not start under ulimit -n $((n + 6))" || return
	echo "idle daemon: $n fds; limit $((n + 6))"
	l0=$(stat_get denied_by_reason.limit)
	hold_conns 1 "$TMP/hold1.out" || bad "hold: $(cat "$TMP/hold1.out")" || return
	hpid=$HPID
	echo "daemon fds with one connection: $(daemon_fds)"
	# silent clients (one fd each in the hello phase) take whatever slots are
	# left, so that what follows meets EMFILE at accept itself
	for i in 1 2 3 4; do
		client --connect "$SRV4:443" --write none --cmd "" --timeout 15 --expect "closed|reset" \
			>/dev/null 2>&1 &
		PIDS+=("$!")
	done
	sleep 1
	echo "daemon fds with the silent clients: $(daemon_fds)"
	u0=$(stat_get denied_by_reason.upstream)
	c0=$(daemon_ticks)
	# refused: reset at accept, or (when an fd was free for accept but not for
	# the upstream socket) an internal_error alert
	for i in $(seq 1 20); do
		cl --cmd PING --expect "reset|closed|broken_pipe|alert:80" --max-elapsed 3 ||
			bad "attempt $i at the fd limit: $CL" || return
	done
	# a connection left in the backlog would show here as a spinning loop
	sleep 2
	c1=$(daemon_ticks)
	echo "daemon CPU for 20 refusals + 2 s at the fd limit: $((c1 - c0)) ticks"
	[ $((c1 - c0)) -lt 100 ] || bad "the daemon used $((c1 - c0)) CPU ticks at the fd limit" || return
	wait_until 3 refusals_at_least $((l0 + u0 + 20)) ||
		bad "refusals counted: limit $l0 -> $(stat_get denied_by_reason.limit), upstream $u0 -> $(stat_get denied_by_reason.upstream), want +20" ||
		return
	[ "$(stat_get denied_by_reason.limit)" -ge $((l0 + 10)) ] ||
		bad "only $(($(stat_get denied_by_reason.limit) - l0)) refusals at accept: EMFILE was not reached there" || return
	grep -q 'out of file descriptors' "$DERR" || bad "no log line for the refusals" || return
	wait "$hpid"
	wait_until 5 cl --cmd PING || bad "no service once the held connection closed: $CL"
}

setup
ALLOW=$TMP/allow
printf '%s\n' exact.test >"$ALLOW"
server_start || exit 1
daemon_start --allow-file "$ALLOW" --keepalive 1 --hello-timeout 3 || exit 1
run_tests ${ONLY_TESTS:-test_upstream_reset_midway test_client_vanishes test_slowloris test_idle_timeout \
	test_max_conns test_fd_exhaustion}
[ "$N_FAIL" -eq 0 ]
