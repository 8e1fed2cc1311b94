#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_security.sh - where an allowed name may not lead
# (issue 4): with --upstream sni no loopback, link-local, unspecified,
# multicast/broadcast or gateway-own upstreams and no IP-literal names unless
# allowed (--allow-upstream-net, --allow-ip-sni); --upstream origdst
# --verify-dns against SNI spoofing; --ech deny in the kernel and in user
# space; every new reason and counter in `snigate stats` (text and -j).
. "$(dirname "$0")/lib.sh"

cl() { CL=$(client --connect "$SRV4:443" "$@"); }

# refused_for NAME REASON: access_denied, the reason in the log, nothing dialled
refused_for() {
	local m s
	m=$(log_mark)
	s=$(server_mark)
	cl --sni "$1" --expect alert:49 --max-elapsed 3 || bad "$1: client: $CL" || return
	log_expect "$m" '.sni == "'"$1"'" and .verdict == "deny" and .reason == "'"$2"'" and .end == "refused"' ||
		return
	[ "$(server_accepts "$s")" -eq 0 ] || bad "$1: the server saw a connection"
}

test_forbidden_upstreams() {
	local n u0
	u0=$(stat_get denied_by_reason.upstream_addr)
	for n in loop.test loop6.test linklocal.test mcast.test bcast.test zero.test self.test self6.test; do
		refused_for "$n" upstream_addr || return
	done
	grep -q 'refusing loop.test from .*: it resolves to 127.0.0.1:443, loopback' "$DERR" ||
		bad "no log line that says why loop.test was refused" || return
	grep -q "refusing self.test from .*: it resolves to 10.$T_NET.2.1:443, the gateway's own address" "$DERR" ||
		bad "no log line that says why self.test was refused" || return
	[ "$(stat_get denied_by_reason.upstream_addr)" -ge $((u0 + 8)) ] ||
		bad "denied_by_reason.upstream_addr $u0 -> $(stat_get denied_by_reason.upstream_addr), want +8"
}

# a name with a loopback and a good address: only the good one is dialled
test_mixed_answer_skips_forbidden() {
	local m
	m=$(log_mark)
	cl --sni mixed.test --cmd PING || bad "client: $CL" || return
	log_expect "$m" '.sni == "mixed.test" and .verdict == "allow" and .upstream == "'"$SRV4"':443"'
}

# IP literals (RFC 6066 forbids them; getaddrinfo reads 2130706433 as 127.0.0.1)
test_ip_sni_refused() {
	refused_for "$SRV4" ip_sni || return
	refused_for 2130706433 ip_sni || return
	grep -q "refusing $SRV4 from .*: the server name is an IP address (--allow-ip-sni permits it)" "$DERR" ||
		bad "no log line that says why"
}

test_allowed_name_still_served() {
	cl --sni exact.test --cmd "SOURCE 100000 sec" || bad "client: $CL" || return
	expect_allowed exact.test
}

# --ech outer (the default): an ECH hello is judged by its outer name
test_ech_default_outer() {
	local m
	m=$(log_mark)
	cl --sni exact.test --ech --cmd PING || bad "client: $CL" || return
	log_expect "$m" '.sni == "exact.test" and .ech == true and .verdict == "allow"'
}

# --allow-ip-sni and --allow-upstream-net 127.0.0.0/8 open exactly that
test_explicit_allowances() {
	local m s
	daemon_stop
	daemon_start --default allow --allow-ip-sni --allow-upstream-net 127.0.0.0/8 ||
		bad "daemon did not start" || return
	s=$(server_mark)
	cl --sni "$SRV4" --cmd PING || bad "IP literal with --allow-ip-sni: $CL" || return
	server_since "$s" | grep -q "^accept .*sni=$SRV4" || bad "the server did not get the IP-literal SNI" || return
	# 127.0.0.1 may be dialled now: nothing listens there in the gateway
	m=$(log_mark)
	cl --sni loop.test --expect alert:80 || bad "loop.test: $CL" || return
	log_expect "$m" '.sni == "loop.test" and .reason == "upstream" and .upstream == "127.0.0.1:443"' || return
	refused_for linklocal.test upstream_addr
}

# --upstream origdst --verify-dns: the name must resolve to where the client went
test_verify_dns() {
	local m s d0
	daemon_stop
	daemon_start --allow-file "$ALLOW" --upstream origdst --verify-dns || bad "daemon did not start" || return
	d0=$(stat_get denied_by_reason.dns_mismatch)
	m=$(log_mark)
	s=$(server_mark)
	cl --sni exact.test --cmd PING || bad "matching name: $CL" || return
	log_expect "$m" '.sni == "exact.test" and .verdict == "allow" and .upstream == "'"$SRV4"':443"' || return
	# origdst.test resolves to $SRV4_NOLISTEN, the client went to $SRV4
	refused_for origdst.test dns_mismatch || return
	refused_for unresolvable.test dns_mismatch || return
	grep -q "refusing origdst.test from .*: the name does not resolve to $SRV4:443" "$DERR" ||
		bad "no log line that says why" || return
	[ "$(stat_get denied_by_reason.dns_mismatch)" -ge $((d0 + 2)) ] ||
		bad "denied_by_reason.dns_mismatch $d0 -> $(stat_get denied_by_reason.dns_mismatch)" || return
	# an allowed name is not spoofable with a policy that would allow it otherwise
	cl --sni origdst.test --connect "$SRV4_NOLISTEN:443" --expect alert:80 ||
		bad "origdst.test to its own address should pass the check (then find no listener): $CL"
}

# --ech deny: refused in the kernel's verdict (one record) and by user space
# (a hello over three records), with its own reason; plain hellos pass
test_ech_deny() {
	local m e0
	daemon_stop
	daemon_start --allow-file "$ALLOW" --ech deny || bad "daemon did not start" || return
	e0=$(stat_get denied_by_reason.ech)
	m=$(log_mark)
	cl --sni exact.test --ech --expect alert:49 || bad "ECH hello: $CL" || return
	log_expect "$m" '.sni == "exact.test" and .ech == true and .reason == "ech" and .hello == "one_segment"' ||
		return
	m=$(log_mark)
	cl --sni exact.test --ech --records 3 --expect alert:49 || bad "ECH hello in 3 records: $CL" || return
	log_expect "$m" '.sni == "exact.test" and .ech == true and .reason == "ech" and .hello == "records"' ||
		return
	cl --sni exact.test --records 3 --cmd PING || bad "plain hello in 3 records: $CL" || return
	cl --sni exact.test --cmd PING || bad "plain hello: $CL" || return
	[ "$(stat_get denied_by_reason.ech)" -ge $((e0 + 2)) ] ||
		bad "denied_by_reason.ech $e0 -> $(stat_get denied_by_reason.ech), want +2"
}

# every reason and close counter is in `snigate stats`, text and JSON
test_stats_show_everything() {
	local j t k
	j=$(sg -j stats)
	t=$(sg stats)
	for k in ech ip_sni upstream_addr dns_mismatch limit timeout; do
		printf '%s' "$j" | jq -e ".denied_by_reason.$k" >/dev/null || bad "no denied_by_reason.$k in stats -j" || return
		printf '%s\n' "$t" | grep -q "^denied_$k " || bad "no denied_$k in stats" || return
	done
	for k in closed_reset closed_idle closed_drain; do
		printf '%s' "$j" | jq -e ".$k" >/dev/null || bad "no $k in stats -j" || return
		printf '%s\n' "$t" | grep -q "^$k " || bad "no $k in stats" || return
	done
}

setup
cat >>"$HOSTS" <<HOSTS
127.0.0.1 loop.test
::1 loop6.test
169.254.7.7 linklocal.test
224.0.0.251 mcast.test
255.255.255.255 bcast.test
0.0.0.0 zero.test
10.$T_NET.2.1 self.test
fd00:$T_NET:1::1 self6.test
127.0.0.1 mixed.test
$SRV4 mixed.test
HOSTS
ALLOW=$TMP/allow
printf '%s\n' exact.test origdst.test unresolvable.test >"$ALLOW"
server_start || exit 1
# --default allow: the policy lets every name through, the guard must not
daemon_start --default allow || exit 1
run_tests ${ONLY_TESTS:-test_forbidden_upstreams test_mixed_answer_skips_forbidden test_ip_sni_refused \
	test_allowed_name_still_served test_ech_default_outer test_explicit_allowances test_verify_dns \
	test_ech_deny test_stats_show_everything}
[ "$N_FAIL" -eq 0 ]
