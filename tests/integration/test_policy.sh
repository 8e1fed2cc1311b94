#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/integration/test_policy.sh - who gets through: patterns, precedence,
# real TLS clients (curl, openssl s_client, gnutls-cli, python ssl), runtime
# changes through the CLI, SIGHUP reload, pin permissions, --default allow.
. "$(dirname "$0")/lib.sh"

write_allow() {
	cat >"$ALLOW" <<'POLICY'
# exact, subdomains only, domain and subdomains
exact.test
*.wild.test
.dom.test
case.test
dot.test
# most specific wins
deny deny.wild.test
deny .special.dom.test
allow deep.special.dom.test
# the same pattern allowed and denied: deny wins
both.test
deny both.test
POLICY
}

test_curl_exact() {
	local m s
	m=$(log_mark)
	s=$(server_mark)
	expect_allowed exact.test || return
	log_expect "$m" '.sni == "exact.test" and .verdict == "allow" and .reason == "match" and
		.upstream == "'"$SRV4"':443"' || return
	server_since "$s" | grep -q '^accept .* mode=tls sni=exact.test' ||
		bad "the server did not see a TLS connection for exact.test"
}

test_curl_subdomains() {
	expect_allowed a.wild.test || return
	expect_allowed b.c.wild.test
}

test_curl_domain() {
	local n
	for n in dom.test x.dom.test y.z.dom.test; do
		expect_allowed "$n" || return
	done
}

test_openssl_s_client() {
	local out
	out=$(printf 'GET / HTTP/1.0\r\n\r\n' | in_cli timeout 10 openssl s_client -quiet \
		-connect "$SRV4:443" -servername x.dom.test -CAfile "$CA" -verify_return_error \
		-verify_hostname x.dom.test 2>&1)
	[[ $out == *"snigate-test ok sni=x.dom.test"* ]] || bad "s_client: $(echo "$out" | tail -n 2)"
}

test_openssl_s_client_denied() {
	local out rc m
	m=$(log_mark)
	out=$(in_cli timeout 10 openssl s_client -connect "$SRV4:443" -servername denied.test \
		-CAfile "$CA" </dev/null 2>&1)
	rc=$?
	[ $rc -ne 0 ] || bad "s_client to denied.test exited 0" || return
	[[ ${out,,} == *"alert access denied"* ]] || bad "s_client: no 'alert access denied': $(echo "$out" | grep -i alert | head -n 2)" || return
	log_expect "$m" '.sni == "denied.test" and .verdict == "deny"'
}

test_gnutls_cli() {
	local out
	command -v gnutls-cli >/dev/null || { skipped "gnutls-cli not installed"; return; }
	out=$( (printf 'GET / HTTP/1.0\r\n\r\n'; sleep 2) | in_cli timeout 10 gnutls-cli \
		--x509cafile "$CA" --sni-hostname a.wild.test --verify-hostname a.wild.test \
		-p 443 "$SRV4" 2>&1)
	[[ $out == *"snigate-test ok sni=a.wild.test"* ]] || bad "gnutls-cli: $(echo "$out" | tail -n 3)"
}

test_gnutls_cli_denied() {
	local out
	command -v gnutls-cli >/dev/null || { skipped "gnutls-cli not installed"; return; }
	out=$(in_cli timeout 10 gnutls-cli --x509cafile "$CA" --sni-hostname denied.test \
		-p 443 "$SRV4" </dev/null 2>&1)
	[ $? -ne 0 ] || bad "gnutls-cli to denied.test exited 0" || return
	[[ ${out,,} == *"alert [49]"* ]] || bad "gnutls-cli: no alert 49: $(echo "$out" | tail -n 2)"
}

test_python_ssl() {
	tls_client --connect "$SRV4:443" --sni exact.test --cmd "SOURCE 1048576 down" || return
	tls_client --connect "$SRV4:443" --sni y.z.dom.test --cmd "SINK 1048576" || return
	tls_client --connect "$SRV4:443" --sni denied.test --cmd "SINK 10" --expect alert:49
}

# denied by default: alert, nothing dialled, a log line saying why
test_denied_default() {
	local m s
	m=$(log_mark)
	s=$(server_mark)
	expect_denied denied.test || return
	log_expect "$m" '.sni == "denied.test" and .verdict == "deny" and .reason == "default" and
		.upstream == "-" and .bytes_down == 0' || return
	sleep 0.2
	[ "$(server_accepts "$s")" -eq 0 ] || bad "the server saw a connection for a denied name"
}

# *.wild.test covers neither wild.test nor evilwild.test
test_subdomains_not_apex() {
	local n m
	for n in wild.test evilwild.test; do
		m=$(log_mark)
		expect_denied "$n" || return
		log_expect "$m" '.sni == "'"$n"'" and .reason == "default"' || return
	done
	m=$(log_mark)
	client --connect "$SRV4:443" --sni evilexact.test --expect alert:49 || bad "evilexact.test not denied"
}

test_case_and_trailing_dot() {
	local n m
	for n in CaSe.TeSt EXACT.TEST dot.test. X.Dom.Test A.WILD.test.; do
		m=$(log_mark)
		client --connect "$SRV4:443" --sni "$n" --cmd "SOURCE 1000 s" ||
			bad "$n was not let through" || return
		log_expect "$m" '.verdict == "allow" and .reason == "match"' || return
	done
	m=$(log_mark)
	client --connect "$SRV4:443" --sni "CaSe.TeSt" --cmd "SOURCE 10 s" >/dev/null || return
	log_expect "$m" '.sni == "case.test"' || bad "the logged name is not lower-cased: $(log_get "$m" true sni)"
}

test_most_specific_wins() {
	local m
	m=$(log_mark)
	expect_denied deny.wild.test || return		# deny deny.wild.test beats *.wild.test
	log_expect "$m" '.sni == "deny.wild.test" and .reason == "match"' || return
	expect_denied special.dom.test || return	# deny .special.dom.test beats .dom.test
	expect_denied x.special.dom.test || return
	expect_allowed deep.special.dom.test		# the exact allow beats deny .special.dom.test
}

test_deny_wins_same_pattern() {
	local m
	m=$(log_mark)
	expect_denied both.test || return
	log_expect "$m" '.sni == "both.test" and .verdict == "deny" and .reason == "match"'
}

test_no_sni() {
	local m
	m=$(log_mark)
	client --connect "$SRV4:443" --no-sni --expect alert:49 || bad "a hello without SNI was not refused" || return
	log_expect "$m" '.verdict == "deny" and .reason == "no_sni"'
}

test_invalid_patterns() {
	local before after p rc
	before=$(sg -j allow list) || bad "allow list failed" || return
	for p in '' '*' '*.' '.' 'a..b.test' 'x.*.test' '**.test' 'sp ace.test' 'semi;colon.test' \
		"$(printf 'l%.0s' {1..64}).test" "$(printf 'abcdefghi.%.0s' {1..26})test"; do
		sg -j allow add "$p" >/dev/null 2>&1
		rc=$?
		[ $rc -eq 2 ] || bad "allow add '$p' exited $rc, want 2" || return
		sg deny add "$p" >/dev/null 2>&1
		rc=$?
		[ $rc -eq 2 ] || bad "deny add '$p' exited $rc, want 2" || return
	done
	out=$(sg -j allow add 'x.*.test')
	echo "$out" | jq -e '.error | length > 0' >/dev/null || bad "-j error is not {\"error\":...}: $out" || return
	after=$(sg -j allow list)
	[ "$before" = "$after" ] || bad "the policy changed: $before -> $after"
}

test_runtime_allow_add_del() {
	local pid=$DPID out m
	expect_denied later.test || return
	out=$(sg -j allow add later.test) || bad "allow add failed: $out" || return
	[ "$out" = null ] || bad "allow add -j printed '$out', want null" || return
	sg -j allow list | jq -e 'any(.[]; .pattern == "later.test" and .verdict == "allow")' >/dev/null ||
		bad "allow list -j does not show later.test: $(sg -j allow list)" || return
	sg -j allow test later.test | jq -e '.verdict == "allow"' >/dev/null ||
		bad "allow test later.test: $(sg -j allow test later.test)" || return
	m=$(log_mark)
	expect_allowed later.test || return
	log_expect "$m" '.sni == "later.test" and .verdict == "allow" and .reason == "match"' || return
	sg allow del later.test || bad "allow del failed" || return
	expect_denied later.test || return
	sg allow del later.test >/dev/null 2>&1 && bad "deleting a missing rule succeeded" && return
	[ "$DPID" = "$pid" ] && kill -0 "$pid" || bad "the daemon restarted or died"
}

test_runtime_deny_add_del() {
	local m
	sg deny add exact.test || bad "deny add failed" || return
	sg -j deny list | jq -e 'any(.[]; .pattern == "exact.test" and .verdict == "deny")' >/dev/null ||
		bad "deny list -j: $(sg -j deny list)" || return
	m=$(log_mark)
	expect_denied exact.test || return
	log_expect "$m" '.sni == "exact.test" and .reason == "match"' || return
	sg deny del exact.test || bad "deny del failed" || return
	expect_allowed exact.test
}

test_sighup_reload() {
	expect_denied reload.test || return
	write_allow
	echo "reload.test" >>"$ALLOW"
	kill -HUP "$DPID"
	wait_until 5 expect_allowed reload.test || bad "reload.test still denied after SIGHUP" || return
	expect_allowed exact.test || return
	# a broken file: the previous policy stays in force, the daemon stays up
	echo '*bad*pattern' >>"$ALLOW"
	kill -HUP "$DPID"
	sleep 0.5
	kill -0 "$DPID" || bad "the daemon died on a broken allow file" || return
	expect_allowed reload.test || bad "a failed reload changed the policy" || return
	grep -q 'reload failed' "$DERR" || bad "no 'reload failed' warning on stderr" || return
	write_allow
	kill -HUP "$DPID"
	wait_until 5 expect_denied reload.test || bad "reload.test still allowed after removing it"
}

test_non_root_denied() {
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	local before out
	command -v setpriv >/dev/null || { skipped "no setpriv"; return; }
	before=$(sg -j allow list)
	out=$("${nobody[@]}" "$SNIGATE" --pin-dir "$PIN" allow add intruder.test 2>&1) &&
		bad "nobody could run allow add: $out" && return
	"${nobody[@]}" "$SNIGATE" --pin-dir "$PIN" allow list >/dev/null 2>&1 &&
		bad "nobody could list the policy" && return
	"${nobody[@]}" "$SNIGATE" --pin-dir "$PIN" stats >/dev/null 2>&1 &&
		bad "nobody could read the stats" && return
	"${nobody[@]}" ls "$PIN" >/dev/null 2>&1 && bad "nobody can list $PIN" && return
	"${nobody[@]}" cat "$PIN/snigate_policy" >/dev/null 2>&1 && bad "nobody can open the policy pin" && return
	[ "$(sg -j allow list)" = "$before" ] || bad "the policy changed"
}

test_bpftool_dump_readable() {
	local out
	command -v bpftool >/dev/null || { skipped "no bpftool"; return; }
	out=$(bpftool map dump pinned "$PIN/snigate_policy" 2>&1) || bad "bpftool: $out" || return
	grep -q '"name": "exact.test"' <<<"$out" || bad "no forward name exact.test in the dump" || return
	grep -q 'SNIGATE_RULE_ALLOW' <<<"$out" || bad "no SNIGATE_RULE_ALLOW in the dump" || return
	grep -q 'SNIGATE_RULE_DENY' <<<"$out" || bad "no SNIGATE_RULE_DENY in the dump"
}

# the close line carries every field, with the right types and a wall-clock ts
test_log_fields() {
	local m line now
	m=$(log_mark)
	client --connect "$SRV4:443" --sni exact.test --cmd "SOURCE 1000 s" >/dev/null || return
	log_expect "$m" '.sni == "exact.test"' || return
	line=$(log_since "$m" | tail -n 1)
	echo "$line" | jq -e '(.ts|type) == "number" and .event == "close" and
		(.client|test("^10\\.[0-9.]+:[0-9]+$")) and (.sni|type) == "string" and
		(.verdict == "allow" or .verdict == "deny") and (.reason|type) == "string" and
		(.upstream|type) == "string" and (.bytes_up|type) == "number" and
		(.bytes_down|type) == "number" and (.duration_ms|type) == "number" and
		(.hello|IN("one_segment","segments","records")) and (.ech|type) == "boolean"' \
		>/dev/null || bad "log line lacks fields: $line" || return
	now=$(date +%s)
	echo "$line" | jq -e --argjson now "$now" '(.ts - $now) | fabs < 300' >/dev/null ||
		bad "ts $(echo "$line" | jq .ts) is not wall-clock time (now $now): $line"
}

test_default_allow() {
	local m
	daemon_stop
	daemon_start --allow-file "$ALLOW" --default allow || bad "daemon did not start" || return
	m=$(log_mark)
	expect_allowed denied.test || return
	log_expect "$m" '.sni == "denied.test" and .verdict == "allow" and .reason == "default"' || return
	expect_denied deny.wild.test || return		# an explicit deny still denies
	sg -j allow test unknown.test | jq -e '.verdict == "allow"' >/dev/null ||
		bad "allow test under --default allow: $(sg -j allow test unknown.test)"
}

setup
ALLOW=$TMP/allow
write_allow
server_start || exit 1
daemon_start --allow-file "$ALLOW" || exit 1
run_tests test_curl_exact test_curl_subdomains test_curl_domain test_openssl_s_client \
	test_openssl_s_client_denied test_gnutls_cli test_gnutls_cli_denied test_python_ssl \
	test_denied_default test_subdomains_not_apex test_case_and_trailing_dot \
	test_most_specific_wins test_deny_wins_same_pattern test_no_sni test_invalid_patterns \
	test_runtime_allow_add_del test_runtime_deny_add_del test_sighup_reload \
	test_non_root_denied test_bpftool_dump_readable test_log_fields test_default_allow
[ "$N_FAIL" -eq 0 ]
