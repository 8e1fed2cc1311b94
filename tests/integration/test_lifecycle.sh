#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_lifecycle.sh - policy changes and daemon stops
# while connections are spliced (issue 4): SIGHUP reload and `allow del`
# leave live connections flowing (every byte checked) while new ones get the
# new policy; SIGTERM drains (a connection that finishes in time completes,
# one that does not is closed at --drain-timeout); a restart after a crash
# and a restart while the old daemon drains; pins left by another version.
. "$(dirname "$0")/lib.sh"

cl() { CL=$(client --connect "$SRV4:443" --sni exact.test "$@"); }
server_saw() { server_since "$1" | grep -q "$2"; }
not_listening() { ! listening "$GW" 8443; }
gone() { ! kill -0 "$1" 2>/dev/null; }
policy_says() { sg -j allow test "$1" | jq -e ".verdict == \"$2\"" >/dev/null; }

# bg_client OUT ARGS...: a raw client in the background; BG its PID
bg_client() {
	local out=$1
	shift
	client --connect "$SRV4:443" --sni exact.test "$@" >"$out" 2>&1 &
	BG=$!
	PIDS+=("$BG")
}

# bg_result OUT: wait for the background client; its JSON line, exit status
bg_result() {
	wait "$BG"
	local rc=$?
	BGOUT=$(head -n 1 "$1")
	echo "background client: $BGOUT (exit $rc)"
	return $rc
}

# 3 MB echoed over 4 s; the allow file loses exact.test and SIGHUP
# reloads it after 1 s: the live connection keeps flowing, a new one is denied
test_reload_during_traffic() {
	local out=$TMP/reload.out
	bg_client "$out" --cmd ECHO --send 3000000 --pace 4 --timeout 15
	sleep 1
	printf '%s\n' later.test >"$ALLOW"
	kill -HUP "$DPID"
	wait_until 5 policy_says exact.test deny || bad "exact.test still allowed after SIGHUP" || return
	expect_denied exact.test || bad "new connection after the reload: $WHY" || return
	bg_result "$out" || bad "the live connection broke across the reload: $BGOUT" || return
	[ "$(echo "$BGOUT" | jq .down)" = 3000000 ] || bad "echoed $(echo "$BGOUT" | jq .down) of 3000000 bytes"
	printf '%s\n' exact.test later.test >"$ALLOW"
	kill -HUP "$DPID"
	wait_until 5 policy_says exact.test allow
}

# the same with `snigate allow del` while the bytes flow
test_allow_del_during_traffic() {
	local out=$TMP/del.out
	bg_client "$out" --cmd SINK --send 3000000 --pace 4 --timeout 15
	sleep 1
	sg allow del exact.test || bad "allow del failed" || return
	expect_denied exact.test || bad "new connection after allow del: $WHY" || return
	bg_result "$out" || bad "the live connection broke across allow del: $BGOUT" || return
	[ "$(echo "$BGOUT" | jq .up)" = 3000000 ] || bad "the server read $(echo "$BGOUT" | jq .up) of 3000000 bytes"
	sg allow add exact.test
}

# SIGTERM while a 2.5 s upload runs: no new connections, the upload
# completes with every byte (the server's digest), the daemon exits when it
# is done (well before the default 10 s), pins stay for `allow` and `stats`
test_drain_completes() {
	local out=$TMP/drain.out t0 t1
	bg_client "$out" --cmd SINK --send 3000000 --pace 2.5 --timeout 15
	sleep 0.7
	t0=$(date +%s%N)
	kill -TERM "$DPID"
	wait_until 3 not_listening || bad "still listening 3 s after SIGTERM" || return
	https_get exact.test
	[ "$RC" -ne 0 ] || bad "a new connection was served while draining" || return
	bg_result "$out" || bad "the draining connection broke: $BGOUT" || return
	[ "$(echo "$BGOUT" | jq .up)" = 3000000 ] || bad "the server read $(echo "$BGOUT" | jq .up) bytes" || return
	wait_until 5 gone "$DPID" || bad "the daemon did not exit once its last connection ended" || return
	t1=$(date +%s%N)
	echo "daemon exited $(((t1 - t0) / 1000000)) ms after SIGTERM"
	[ $(((t1 - t0) / 1000000)) -lt 8000 ] || bad "the daemon waited for the whole drain time" || return
	grep -q 'may finish within 10.0 s' "$DERR" || bad "no drain message in the daemon's log" || return
	sg allow list | grep -qx 'exact.test' ||
		bad "the policy pin is gone after the stop: $(sg allow list 2>&1 | head -n 3)" || return
	[ "$(sg -j conns | jq length)" = 0 ] || bad "connections still listed after the stop: $(sg -j conns)" || return
	daemon_stop
	daemon_start --allow-file "$ALLOW" || bad "the daemon did not start again" || return
}

# --drain-timeout 2 and a connection that would stay open: closed at the
# deadline (the client gets its bytes, then EOF), counted and logged
test_drain_deadline() {
	local out=$TMP/deadline.out m s d0 t0 t1
	daemon_stop
	daemon_start --allow-file "$ALLOW" --drain-timeout 2 || bad "daemon did not start" || return
	d0=$(stat_get closed_drain)
	m=$(log_mark)
	s=$(server_mark)
	bg_client "$out" --cmd "SOURCE 1000 deadline keep" --timeout 15
	wait_until 5 server_saw "$s" '^accept .*sni=exact.test' || bad "no connection reached the server" || return
	sleep 0.3
	t0=$(date +%s%N)
	kill -TERM "$DPID"
	bg_result "$out" || bad "client: $BGOUT" || return
	t1=$(date +%s%N)
	echo "client closed $(((t1 - t0) / 1000000)) ms after SIGTERM"
	[ $(((t1 - t0) / 1000000)) -ge 1800 ] && [ $(((t1 - t0) / 1000000)) -le 6000 ] ||
		bad "closed $(((t1 - t0) / 1000000)) ms after SIGTERM, want about 2000" || return
	wait_until 3 gone "$DPID" || bad "the daemon still runs after the drain deadline" || return
	log_expect "$m" '.sni == "exact.test" and .end == "drain"' || return
	grep -q 'drain timeout: closed 1 connection' "$DERR" || bad "no drain timeout message" || return
	wait_until 3 server_saw "$s" '^done id=[0-9]* cmd=SOURCE result=ok' || bad "the server did not see the close" || return
	[ "$(stat_get closed_drain)" -ge $((d0 + 1)) ] || bad "closed_drain stayed at $d0"
}

# SIGKILL with a connection spliced: the kernel closes the daemon's sockets,
# so both ends see EOF at once; the state entries stay (a crash cannot clean
# up) until a new daemon, started on the old pins without --allow-file,
# clears them and serves with the pinned policy and counters
test_restart_after_crash() {
	local out=$TMP/crash.out s h0
	daemon_stop
	daemon_start --allow-file "$ALLOW" || bad "daemon did not start" || return
	s=$(server_mark)
	bg_client "$out" --cmd "SOURCE 1000 crash keep" --timeout 15 --max-elapsed 5
	wait_until 5 server_saw "$s" '^accept .*sni=exact.test' || bad "no connection reached the server" || return
	sleep 0.3
	h0=$(stat_get hellos)
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	bg_result "$out" || bad "client after the crash: $BGOUT" || return
	wait_until 3 server_saw "$s" '^done id=[0-9]* cmd=SOURCE' || bad "the server did not see the close" || return
	[ "$(sg -j conns | jq length)" -ge 1 ] || bad "expected the crashed daemon's stale entries in conns" || return
	daemon_start || bad "no new daemon on the old pins" || return
	[ "$(sg -j conns | jq length)" = 0 ] || bad "stale entries survived the restart: $(sg -j conns)" || return
	[ "$(stat_get hellos)" -ge "$h0" ] || bad "counters reset by the restart" || return
	expect_allowed exact.test || bad "pinned policy after the restart: $WHY"
}

# SIGTERM with a transfer running and a new daemon started at once: the old
# one keeps relaying its connection to the end while the new one serves
test_restart_while_draining() {
	local out=$TMP/overlap.out old
	daemon_stop
	daemon_start --allow-file "$ALLOW" || bad "daemon did not start" || return
	bg_client "$out" --cmd ECHO --send 3000000 --pace 6 --timeout 20
	sleep 0.7
	old=$DPID
	kill -TERM "$old"
	wait_until 3 not_listening || bad "the old daemon still listens" || return
	daemon_start --allow-file "$ALLOW" || bad "no new daemon while the old one drains" || return
	kill -0 "$old" 2>/dev/null || bad "the old daemon did not wait for its connection" || return
	expect_allowed exact.test || bad "new daemon: $WHY" || return
	bg_result "$out" || bad "the old daemon's connection broke: $BGOUT" || return
	[ "$(echo "$BGOUT" | jq .down)" = 3000000 ] || bad "echoed $(echo "$BGOUT" | jq .down) bytes" || return
	wait_until 5 gone "$old" || bad "the old daemon did not exit after its last connection"
}

# an upgrade that changed a pinned map's layout: counters and socket states
# are re-created (logged); a changed policy map is refused with a message
# (it holds the allowlist), and the daemon does not start
test_upgrade_changed_pins() {
	local out=$TMP/upgrade.err
	daemon_stop
	mkdir -p "$PIN"
	bpftool map create "$PIN/snigate_stats" type percpu_array key 4 value 8 entries 3 name snigate_stats ||
		bad "bpftool map create failed" || return
	bpftool map create "$PIN/snigate_sockst" type hash key 8 value 16 entries 16 name snigate_sockst ||
		bad "bpftool map create failed" || return
	daemon_start --allow-file "$ALLOW" || bad "no daemon on pins of another layout" || return
	grep -q 'snigate_stats: layout changed' "$DERR" || bad "no log line for the replaced snigate_stats" || return
	grep -q 'snigate_sockst: layout changed' "$DERR" || bad "no log line for the replaced snigate_sockst" || return
	sg -j stats | jq -e '.hellos >= 0' >/dev/null || bad "stats after the upgrade: $(sg -j stats 2>&1)" || return
	expect_allowed exact.test || bad "after the upgrade: $WHY" || return
	daemon_stop
	mkdir -p "$PIN"
	bpftool map create "$PIN/snigate_config" type array key 4 value 4 entries 1 name snigate_config ||
		bad "bpftool map create failed" || return
	in_gw timeout 20 "$SNIGATE" --pin-dir "$PIN" proxy --listen 127.0.0.1:18443 --allow-file "$ALLOW" \
		>/dev/null 2>"$out" && bad "started on a policy map of another layout" && return
	grep -q "remove $PIN" "$out" || bad "no 'remove $PIN' advice: $(tail -n 3 "$out")" || return
	rm -rf "$PIN"
	daemon_start --allow-file "$ALLOW" || bad "no daemon after removing the pins"
}

# the workers' PIDs (children of the supervisor $DPID)
workers_of() { pgrep -P "$DPID" | sort; }
# distinct PIDs holding established sockets on :8443
serving_pids() {
	in_gw ss -tnpH state established '( sport = :8443 )' | grep -o 'pid=[0-9]*' | sort -u | wc -l
}
all_gone() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }

# --workers 2: two processes, one listener address, the same pins. 16 held
# connections land on both, and fill --max-conns 16, which counts both
# workers' (the kernel's spreading is not even: a split limit refused early);
# a transfer keeps every byte; SIGHUP changes the policy both decide with;
# SIGTERM stops both; a worker that dies takes the gateway down with it (the
# service manager restarts it whole)
test_workers() {
	local hold=$TMP/workers.hold w h0 hpid
	daemon_stop
	daemon_start --allow-file "$ALLOW" --workers 2 --max-conns 16 || bad "no daemon with --workers 2" || return
	wait_until 10 grep -q 'worker 2/2: listening' "$DERR" ||
		bad "worker 2 did not listen: $(tail -n 3 "$DERR")" || return
	w=$(workers_of)
	[ "$(echo "$w" | wc -w)" = 2 ] || bad "want 2 worker processes, got: $w" || return
	h0=$(stat_get hellos)
	client_hold() { in_cli python3 "$PEER" hold --connect "$SRV4:443" --sni exact.test --count 16 --seconds 6 --timeout 5; }
	client_hold >"$hold" 2>&1 &
	hpid=$!
	PIDS+=("$hpid")
	wait_until 8 grep -q ready "$hold" || bad "hold: $(cat "$hold")" || return
	jq -e '.ok == 16' "$hold" >/dev/null || bad "held connections (--max-conns 16): $(cat "$hold")" || return
	[ "$(serving_pids)" = 2 ] || bad "16 connections, served by $(serving_pids) process(es), want both workers" || return
	cl --cmd PING --expect "reset|closed|broken_pipe" --max-elapsed 3 ||
		bad "a 17th connection over --max-conns 16: $CL" || return
	wait "$hpid"
	cl --cmd ECHO --send 3000000 --timeout 15 || bad "transfer: $CL" || return
	[ "$(echo "$CL" | jq .down)" = 3000000 ] || bad "echoed $(echo "$CL" | jq .down) of 3000000 bytes" || return
	[ $(($(stat_get hellos) - h0)) -ge 17 ] || bad "shared counters: hellos moved by $(($(stat_get hellos) - h0))" || return
	printf '%s\n' later.test >"$ALLOW"
	kill -HUP "$DPID"
	wait_until 5 policy_says exact.test deny || bad "exact.test still allowed after SIGHUP" || return
	expect_denied exact.test || bad "after the reload: $WHY" || return
	printf '%s\n' exact.test later.test >"$ALLOW"
	kill -HUP "$DPID"
	wait_until 5 policy_says exact.test allow || bad "exact.test not allowed again" || return
	kill -TERM "$DPID"
	# shellcheck disable=SC2086 # one PID per word
	wait_until 10 all_gone "$DPID" $w || bad "SIGTERM left processes: $(pgrep -a -P "$DPID")" || return
	wait "$DPID" 2>/dev/null
	DPID=
	pins_clear
	daemon_start --allow-file "$ALLOW" --workers 2 || bad "no second daemon with --workers 2" || return
	wait_until 10 grep -q 'worker 2/2: listening' "$DERR" || bad "worker 2 did not listen again" || return
	w=$(workers_of)
	kill -KILL "$(echo "$w" | tail -n 1)"
	# shellcheck disable=SC2086
	wait_until 15 all_gone "$DPID" $w || bad "a worker died, the gateway runs on: $(pgrep -a -P "$DPID")" || return
	grep -q 'was killed by signal 9' "$DERR" || bad "no log line for the dead worker: $(tail -n 3 "$DERR")" || return
	wait "$DPID" 2>/dev/null
	DPID=
	pins_clear
	daemon_start --allow-file "$ALLOW"
}

setup
ALLOW=$TMP/allow
printf '%s\n' exact.test later.test >"$ALLOW"
server_start || exit 1
daemon_start --allow-file "$ALLOW" || exit 1
run_tests ${ONLY_TESTS:-test_reload_during_traffic test_allow_del_during_traffic test_drain_completes \
	test_drain_deadline test_restart_after_crash test_restart_while_draining test_upgrade_changed_pins test_workers}
[ "$N_FAIL" -eq 0 ]
