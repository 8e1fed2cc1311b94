#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_flow.sh - the data path under load: bounded memory
# with clients that never read, and 1 GiB each way that never passes through
# the daemon's buffers (its read/write-family syscall bytes, counted with
# bpftrace; splice() bytes, which move pages inside the kernel, reported apart).
. "$(dirname "$0")/lib.sh"
FLOW=$ROOT/tests/integration/flowload.py
CONN_MEM_MB=8

# 20 clients that never read while the server sends as fast as it can: the
# gateway holds at most --conn-mem per connection, TCP flow control reaches
# the senders, and every stream still arrives whole once the clients read.
test_zero_window_bounded() {
	local out drop limit=$((20 * CONN_MEM_MB + 64)) held stuck zw=$TMP/zerowin.out
	in_cli python3 "$FLOW" zerowin --connect "$SRV4:443" --sni exact.test \
		--conns 20 --bytes $((64 << 20)) --hold 6 >"$zw" 2>&1 &
	local zpid=$!
	sleep 4
	# socket memory in the gateway (receive + send queues, all of them)
	held=$(in_gw ss -tmnH state established | grep -o 'skmem:([^)]*)' |
		sed 's/skmem:(r\([0-9]*\),rb[0-9]*,t\([0-9]*\),tb[0-9]*,f[0-9]*,w\([0-9]*\).*/\1 \2 \3/' |
		awk '{ s += $1 + $2 + $3 } END { print int(s / 1048576) }')
	# bytes the server could not send: the backpressure reached it
	stuck=$(in_srv ss -tnH state established sport = :443 | awk '{ s += $2 } END { print int(s / 1048576) }')
	wait $zpid || bad "streams damaged: $(cat "$zw")" || return
	out=$(cat "$zw")
	echo "$out gw_socket_mb=$held server_unsent_mb=$stuck"
	drop=$(printf '%s' "$out" | jq -r '.drop_mb | floor')
	[ "$drop" -lt "$limit" ] || bad "MemAvailable fell ${drop} MB (bound ${limit} MB)" || return
	[ "$held" -lt $((20 * CONN_MEM_MB)) ] || bad "gateway sockets hold ${held} MB" || return
	[ "$stuck" -ge 20 ] || bad "only ${stuck} MB wait in the senders: flow control did not hold them" || return
}

# Count what the daemon moves through read/recv/write/send-family syscalls
# while 1 GiB goes each way: only the hello passes through its buffers.
test_gib_each_way_in_kernel() {
	local out bytes bt=$TMP/bpftrace.out
	command -v bpftrace >/dev/null || { skipped "no bpftrace"; return; }
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	bpftrace -e "
tracepoint:syscalls:sys_exit_read, tracepoint:syscalls:sys_exit_readv,
tracepoint:syscalls:sys_exit_recvfrom, tracepoint:syscalls:sys_exit_recvmsg,
tracepoint:syscalls:sys_exit_recvmmsg, tracepoint:syscalls:sys_exit_write,
tracepoint:syscalls:sys_exit_writev, tracepoint:syscalls:sys_exit_sendto,
tracepoint:syscalls:sys_exit_sendmsg, tracepoint:syscalls:sys_exit_sendmmsg,
tracepoint:syscalls:sys_exit_sendfile64
/pid == $DPID && args->ret > 0/ { @bytes += args->ret; }
tracepoint:syscalls:sys_exit_splice /pid == $DPID && args->ret > 0/ { @spliced += args->ret; }
END {
	printf(\"daemon_io_bytes=%d\\n\", @bytes);
	printf(\"daemon_spliced_bytes=%d\\n\", @spliced);
	clear(@bytes); clear(@spliced);
}" >"$bt" 2>&1 &
	local bpid=$!
	PIDS+=("$bpid")
	wait_until 20 grep -q "^Attaching" "$bt" || { skipped "bpftrace did not attach: $(tail -1 "$bt")"; return; }
	sleep 0.5
	out=$(in_cli python3 "$FLOW" bidi --connect "$SRV4:443" --sni exact.test --bytes $((1 << 30)))
	local rc=$?
	kill -INT "$bpid"
	wait "$bpid" 2>/dev/null
	echo "$out"
	[ $rc -eq 0 ] || bad "1 GiB each way damaged: $out" || return
	bytes=$(sed -n 's/^daemon_io_bytes=//p' "$bt")
	[ -n "$bytes" ] || bad "no count from bpftrace: $(tail -2 "$bt")" || return
	echo "daemon read/write-family bytes: $bytes; splice()d (page moves): $(sed -n 's/^daemon_spliced_bytes=//p' "$bt")"
	[ "$bytes" -lt $((16 << 20)) ] || bad "the daemon moved $bytes bytes itself" || return
}

setup
server_start || exit 1
daemon_start --allow-file <(echo exact.test) --conn-mem ${CONN_MEM_MB}M || exit 1
run_tests test_zero_window_bounded test_gib_each_way_in_kernel
