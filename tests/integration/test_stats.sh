#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_stats.sh - `snigate stats` counters move as the
# traffic says, `snigate conns` lists live connections and forgets them.
. "$(dirname "$0")/lib.sh"

cl() { CL=$(client --connect "$SRV4:443" "$@"); }
delta() { echo $(($(stat_get "$1" "$AFTER") - $(stat_get "$1" "$BEFORE"))); }

test_counters() {
	local d want k
	local m up
	BEFORE=$(sg -j stats) || bad "stats -j failed" || return
	echo "before: $BEFORE"
	m=$(log_mark)
	# allowed: 300000 bytes down only; 100000 up (sent once spliced) + 72 down
	cl --sni exact.test --cmd "SOURCE 300000 st" || bad "client: $CL" || return
	cl --sni exact.test --cmd "BIDI 10 st" --after-answer --send 100000 || bad "client: $CL" || return
	# denied: by default, by a deny rule, without SNI, not TLS
	cl --sni denied.test --expect alert:49 || bad "client: $CL" || return
	cl --sni deny.test --expect alert:49 || bad "client: $CL" || return
	cl --no-sni --expect alert:49 || bad "client: $CL" || return
	cl --raw-bytes 'GET / HTTP/1.0\r\n\r\n' --expect closed || bad "client: $CL" || return
	sleep 0.3
	AFTER=$(sg -j stats)
	echo "after: $AFTER"
	# bytes up count every client byte, hello included: what the log lines say
	up=$(log_since "$m" | jq -s 'map(select(.verdict == "allow") | .bytes_up) | add')
	[ "$up" -gt 100000 ] || bad "log lines say $up bytes up" || return
	for want in allowed=2 denied=4 denied_by_reason.default=1 denied_by_reason.match=1 \
		denied_by_reason.no_sni=1 denied_by_reason.not_tls=1 bytes_up=$up \
		bytes_down=$((300000 + 10 + 72)); do
		k=${want%=*}
		d=$(delta "$k")
		[ "$d" = "${want#*=}" ] || bad "$k moved by $d, want ${want#*=}" || return
	done
	d=$(delta hellos)
	[ "$d" -ge 5 ] || bad "hellos moved by $d, want at least 5"
}

test_stats_text() {
	local out
	out=$(sg stats 2>&1) || bad "stats: $out" || return
	[[ $out == *allowed* && $out == *denied* ]] || bad "stats text: $out"
}

# ten spliced connections held open (each has had its 5-byte PONG): listed
# with name, verdict, client, upstream and bytes; gone once closed
test_conns() {
	local out hold=$TMP/hold.out pid n
	in_cli python3 "$PEER" hold --connect "$SRV4:443" --sni exact.test --count 10 --seconds 3 \
		--timeout 4 >"$hold" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_until 6 grep -q ready "$hold" || bad "hold: $(cat "$hold")" || return
	jq -e '.ok == 10' "$hold" >/dev/null || bad "not every held connection got its PONG: $(cat "$hold")" || return
	# counters may lag a little: give them a second
	wait_until 1 conns_as_expected 10
	out=$(sg -j conns)
	echo "$out" | jq -c ".[0]"
	n=$(conns_as_expected)
	[ "$n" = 10 ] || bad "$n of 10 held connections listed as expected: $(jq -c '[.[] | [.upstream, .bytes_down]]' <<<"$out")" || return
	wait "$pid" || bad "hold: $(cat "$hold")" || return
	wait_until 3 conns_none || bad "still listed after close: $(sg -j conns)"
}
conns_as_expected() {
	local n
	n=$(sg -j conns | jq '[.[] | select(.sni == "exact.test" and .verdict == "allow" and
		.paused == false and (.client | startswith("'"$CLI4"':")) and
		.upstream == "'"$SRV4"':443" and .bytes_down >= 5 and (.age_ms | type) == "number")] | length')
	if [ $# -gt 0 ]; then [ "$n" = "$1" ]; else echo "$n"; fi
}
conns_none() { [ "$(sg -j conns | jq length)" = 0 ]; }

# How each hello arrived, in the log line and in the three shape counters
# (operators use them to spot evasion tools): one segment, one record in
# 1-byte segments, a hello split over three records. Only the shape's own
# counter may move, by one per connection.
test_hello_shapes() {
	local shape args m k d want
	for shape in one_segment segments records; do
		case $shape in
		one_segment) args=() ;;
		segments) args=(--write bytes --delay 0.002) ;;
		records) args=(--records 3) ;;
		esac
		BEFORE=$(sg -j stats) || bad "stats -j failed" || return
		m=$(log_mark)
		cl --sni exact.test "${args[@]}" --cmd "SOURCE 100 sh" || bad "$shape: client: $CL" || return
		log_expect "$m" '.sni == "exact.test" and .verdict == "allow" and .hello == "'$shape'"' ||
			return
		AFTER=$(sg -j stats)
		for k in hello_one_segment hello_segments hello_records hellos hellos_user_parsed; do
			want=0
			case $shape/$k in
			one_segment/hello_one_segment | segments/hello_segments | records/hello_records) want=1 ;;
			*/hellos | records/hellos_user_parsed) want=1 ;;
			esac
			d=$(delta "$k")
			[ "$d" = "$want" ] || bad "$shape hello: $k moved by $d, want $want" || return
		done
	done
	# the text form names the three counters too
	sg stats | grep -Eq '^hello_records +[1-9]' || bad "stats text: $(sg stats | grep hello_)"
}

setup
ALLOW=$TMP/allow
printf '%s\n' exact.test 'deny deny.test' >"$ALLOW"
server_start || exit 1
daemon_start --allow-file "$ALLOW" || exit 1
# the kernel checks the daemon runs at start, on their own
test_selftest() {
	local out
	out=$(in_gw "$SNIGATE" --pin-dir "$PIN-st" selftest 2>&1) || bad "selftest: $out" || return
	[[ $out == "selftest: ok"* ]] || bad "selftest said: $out" || return
	[[ $out == *"splice stops at a non-reading peer"* ]] || bad "no flow-control check: $out" || return
	[ ! -e "$PIN-st-selftest-"* ] || bad "selftest left pins behind"
}

run_tests test_counters test_stats_text test_conns test_hello_shapes test_selftest
[ "$N_FAIL" -eq 0 ]
