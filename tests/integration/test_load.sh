#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_load.sh - many concurrent spliced connections through
# the gateway (build/tests/loadgen at both ends): each sends a real
# ClientHello with an allowed name, then 64 KiB each way at once, sha256
# checked by the receiver; all are held open together, then closed. Asserts
# no error, every log line's byte counts, and that the daemon's fds and map
# entries come back to their baseline. Prints connections, seconds, daemon
# RSS per connection and the MemAvailable drop.
#
# LOAD_CONNS (default 10000) connections, or fewer when the daemon's fd limit
# cannot hold them: a spliced connection costs the daemon 2 fds (client and
# upstream sockets; a direction borrows a pipe from a pool only while bytes
# are in it), plus the pool, and the hard RLIMIT_NOFILE can
# only be raised with CAP_SYS_RESOURCE. Then the full count is a SKIP line
# with the numbers, and the largest count that fits runs instead.
. "$(dirname "$0")/lib.sh"
LOADGEN=$ROOT/build/tests/loadgen
WANT=${LOAD_CONNS:-10000}
BYTES=65536
FDS_PER_CONN=2
FD_RESERVE=200		# listeners, BPF objects, rings, resolver, epoll, slack
WARMUP=600		# fills the daemon's pipe pool (256 pipes) before the baseline

mem_available_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
daemon_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }
conns_listed() { sg -j conns | jq length; }

# load N RELEASE_FILE OUT: loadgen client in the background; LPID
load() {
	# nsenter itself in the background (not a function): $! is what to kill
	nsenter --net="/var/run/netns/$CLI" "$LOADGEN" client --connect "$SRV4:443" --sni exact.test --conns "$1" \
		--bytes $BYTES --pending 256 --release-file "$2" --hold-max 60 --timeout 60 \
		>"$3" 2>&1 &
	LPID=$!
	PIDS+=("$LPID")
}

# the daemon is back where it started: fds, per-socket state, live conns
at_baseline() {
	[ "$(daemon_fds)" -eq "$BASE_FDS" ] && [ "$(sockst_entries)" -eq 0 ] &&
		[ "$(conns_listed)" -eq 0 ]
}

test_warmup() {
	local out=$TMP/warmup.out soft
	soft=$(awk '/^Max open files/ { print $4 }' "/proc/$DPID/limits")
	[ "$soft" = "$(ulimit -Hn)" ] || bad "daemon soft fd limit $soft, hard $(ulimit -Hn)" || return
	load $WARMUP /dev/null "$out"
	if ! wait "$LPID"; then
		echo "daemon log, by verdict and reason:"
		jq -r '"\(.verdict) \(.reason)"' "$DLOG" | sort | uniq -c
		bad "warm-up: $(tail -n 2 "$out")"
		return
	fi
	wait_until 10 at_baseline_empty || bad "warm-up left $(sockst_entries) entries" || return
	BASE_FDS=$(daemon_fds)
	BASE_RSS=$(daemon_rss_kb)
	BASE_MEM=$(mem_available_kb)
	BASE_ALLOWED=$(stat_get allowed)
	echo "baseline: fds $BASE_FDS, RSS $BASE_RSS kB, MemAvailable $BASE_MEM kB"
}
at_baseline_empty() { [ "$(sockst_entries)" -eq 0 ] && [ "$(conns_listed)" -eq 0 ]; }

# N_RUN: as many of WANT as the daemon's fd limit holds
size_load() {
	local hard fit
	hard=$(ulimit -Hn)
	fit=$(((hard - BASE_FDS - FD_RESERVE) / FDS_PER_CONN))
	N_RUN=$WANT
	if [ "$fit" -lt "$WANT" ]; then
		N_RUN=$fit
		FD_SHORT="$WANT connections need about $((WANT * FDS_PER_CONN + BASE_FDS)) daemon fds;"
		FD_SHORT="$FD_SHORT RLIMIT_NOFILE hard limit is $hard here (raising it needs CAP_SYS_RESOURCE)"
	fi
}

test_load_held() {
	local out=$TMP/load.out rel=$TMP/release m t0 t1 fds rss mem entries listed ready done
	local up n_ok rc
	[ "$N_RUN" -ge 1000 ] || bad "only $N_RUN connections fit the fd limit" || return
	m=$(log_mark)
	t0=$(date +%s.%N)
	load "$N_RUN" "$rel" "$out"
	wait_until 75 grep -q '"event":"ready"' "$out" || bad "not ready: $(tail -n 3 "$out")" || return
	ready=$(grep '"event":"ready"' "$out")
	echo "$ready"
	# every connection is open and spliced now: measure
	fds=$(daemon_fds)
	rss=$(daemon_rss_kb)
	mem=$(mem_available_kb)
	entries=$(sockst_entries)
	listed=$(conns_listed)
	touch "$rel"
	wait "$LPID"
	rc=$?
	t1=$(date +%s.%N)
	done=$(grep '"event":"done"' "$out")
	echo "$done"
	[ "$(jq .complete <<<"$ready")" = "$N_RUN" ] || bad "complete: $ready" || return
	[ $rc -eq 0 ] || bad "loadgen: $done" || return
	echo "held: daemon fds $fds, snigate_sockst entries $entries, snigate conns $listed"
	[ "$listed" -eq "$N_RUN" ] || bad "snigate conns listed $listed of $N_RUN held" || return
	# one state entry per relayed connection (the client's, naming the upstream)
	[ "$entries" -eq "$N_RUN" ] || bad "$entries sockst entries, want $N_RUN" || return
	[ "$fds" -ge $((BASE_FDS + 2 * N_RUN)) ] || bad "daemon holds $fds fds for $N_RUN connections" || return

	# one log line per connection, each with every byte counted: the hello
	# record and the 16-byte header, the payload and its digest up; "SGOK",
	# the payload, its digest and the status byte down
	up=$(($(jq .prefix_bytes <<<"$ready") + BYTES + 32))
	wait_until 10 log_count_is "$m" "$N_RUN"
	n_ok=$(log_since "$m" | jq -s '[.[] | select(.verdict == "allow" and .sni == "exact.test" and
		.hello == "one_segment" and .bytes_up == '$up' and
		.bytes_down == '$((4 + BYTES + 33))')] | length')
	[ "$n_ok" -eq "$N_RUN" ] || bad "$n_ok of $N_RUN log lines as expected: $(log_since "$m" | tail -n 2)" || return
	[ $(($(stat_get allowed) - BASE_ALLOWED)) -eq "$N_RUN" ] || bad "allowed counter off" || return

	# back to the baseline once all are closed
	wait_until 20 at_baseline ||
		bad "after close: fds $(daemon_fds) (baseline $BASE_FDS), sockst $(sockst_entries), conns $(conns_listed)" ||
		return
	echo "after close: fds $(daemon_fds) = baseline, snigate_sockst empty, snigate conns empty"
	! grep -q '"level":"warn"' "$DERR" || bad "daemon warnings: $(grep '"level":"warn"' "$DERR" | head -n 2)" ||
		return
	FIG_SECONDS=$(jq .seconds <<<"$ready")
	FIG_TOTAL=$(printf '%.1f' "$(echo "$t1 - $t0" | bc)")
	FIG_RSS_KB=$(printf '%.1f' "$(echo "($rss - $BASE_RSS) / $N_RUN" | bc -l)")
	FIG_MEM_MB=$(((BASE_MEM - mem) / 1024))
	FIG_FDS=$fds
}
log_count_is() { [ "$(log_since "$1" | wc -l)" -ge "$2" ]; }

setup
[ -x "$LOADGEN" ] || skip_all "no $LOADGEN: run make test"
command -v bc >/dev/null || skip_all "missing bc"
# raised for this script and what it starts only: the daemon, server, clients
ulimit -n "$(ulimit -Hn)"
for ns in "$CLI" "$GW" "$SRV"; do
	nsenter --net="/var/run/netns/$ns" sysctl -qw net.core.somaxconn=65535 \
		net.ipv4.tcp_max_syn_backlog=65535 net.ipv4.ip_local_port_range="1024 65000" || exit 1
done
nsenter --net="/var/run/netns/$SRV" "$LOADGEN" serve --listen "$SRV4:443" >"$TMP/serve.out" 2>&1 &
PIDS+=($!)
wait_until 10 listening "$SRV" 443 || { echo "[$T_TAG server] FAIL: loadgen serve"; exit 1; }
# the daemon starts with the soft limit service managers give (1024) and
# must take the hard one itself: the warm-up alone needs 3600 fds
ulimit -Sn 1024
daemon_start --allow-file <(echo exact.test) --max-conns $((WANT + 1000)) || exit 1
ulimit -n "$(ulimit -Hn)"
run_tests test_warmup
[ -n "${BASE_FDS:-}" ] || exit 1
size_load
[ -z "${FD_SHORT:-}" ] || skip "load_$WANT" "$FD_SHORT; ran $N_RUN instead (load_held)"
run_tests test_load_held
# the figures, with loose memory bounds (MemAvailable is the whole machine's)
if [ -n "${FIG_SECONDS:-}" ]; then
	figs="connections=$N_RUN bytes_each_way=$BYTES seconds_to_all_open=$FIG_SECONDS"
	figs="$figs seconds_total=$FIG_TOTAL daemon_rss_per_conn_kb=$FIG_RSS_KB"
	figs="$figs memavailable_drop_mb=$FIG_MEM_MB daemon_fds_held=$FIG_FDS"
	if [ "$(echo "$FIG_RSS_KB < 32" | bc)" = 1 ] && [ "$FIG_MEM_MB" -lt $((N_RUN / 2)) ]; then
		echo "[$T_TAG memory] PASS: $figs"
	else
		fail memory "over the bounds (RSS 32 kB/conn, MemAvailable 512 kB/conn): $figs"
	fi
fi
[ "$N_FAIL" -eq 0 ]
