# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash disable=SC2034 # variables here are for the test scripts
# tests/integration/lib.sh - sourced by tests/integration/test_*.sh.
#
# A script defines its tests as shell functions and ends with
#   run_tests test_a test_b ...
# Each function returns 0 (PASS), 1 (FAIL, the reason in $WHY, set by `bad`)
# or $SKIP_RC (SKIP, reason in $WHY). Results print as
#   [integration/<file> <name>] PASS | FAIL: reason | SKIP: reason
# and details of a failure follow, indented by four spaces.
#
# Environment: SNIGATE_TEST_PREFIX / SNIGATE_TEST_NET / SNIGATE_TEST_PIN pick
# other names (default sgt- 202 /sys/fs/bpf/snigate-test) so two runs can
# coexist; SNIGATE_TEST_DAEMON_ARGS adds options to every `snigate proxy`;
# DAEMON_GLOBAL adds global options (e.g. -d) before the command;
# DAEMON_NOFILE (exported) starts the daemon under `ulimit -n` of that;
# ONLY_TESTS="test_a test_b" runs only those (in scripts that pass it on).
#
# Everything a script starts is undone by `cleanup` (trap on EXIT INT TERM):
# the processes it started (by PID), the topology, the pin directory and
# the temporary directory.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SNIGATE=$ROOT/build/snigate
PEER=$ROOT/tests/integration/peer.py
T_FILE=$(basename "$0" .sh)
T_TAG=integration/$T_FILE

# Our own names, so a demo (sg- 201) can run beside the tests.
T_PREFIX=${SNIGATE_TEST_PREFIX:-sgt-}
T_NET=${SNIGATE_TEST_NET:-202}
PIN=${SNIGATE_TEST_PIN:-/sys/fs/bpf/snigate-test}
CLI=${T_PREFIX}cli
GW=${T_PREFIX}gw
SRV=${T_PREFIX}srv
CLI4=10.$T_NET.1.2
SRV4=10.$T_NET.2.2
SRV4_NOLISTEN=10.$T_NET.2.3	# a second server address with nothing listening
SRV4_UNROUTED=10.$T_NET.2.99	# on the link, but no host: connects time out
CLI6=fd00:$T_NET:1::2
SRV6=fd00:$T_NET:2::2
SKIP_RC=77

PIDS=()		# every background process we started
DPID=		# the daemon
SPID=		# the test server
DLOG=		# the daemon's stdout (the connection log)
DERR=		# the daemon's stderr
SLOG=		# the test server's connection log
DAEMON_N=0
WHY=
N_FAIL=0
TOPO_UP=0

# --- results ---------------------------------------------------------------

pass() { echo "[$T_TAG $1] PASS"; }
fail() {
	local name=$1
	shift
	echo "[$T_TAG $name] FAIL: $*"
	N_FAIL=$((N_FAIL + 1))
}
skip() {
	local name=$1
	shift
	echo "[$T_TAG $name] SKIP: $*"
}

# bad REASON: set the failure reason and return 1, for `cond || bad "why" || return`
bad() {
	WHY="$*"
	return 1
}

# skipped REASON: inside a test function, `skipped "no gnutls-cli"; return`
skipped() {
	WHY="$*"
	return $SKIP_RC
}

# detail LINE...: context for a failure, indented so run.sh keeps it with the FAIL
detail() {
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/    /'
	done
}

detail_file() { # detail_file LABEL FILE [LINES]
	[ -s "$2" ] || return 0
	echo "    -- $1 (last ${3:-8} lines):"
	tail -n "${3:-8}" "$2" | cut -c1-400 | sed 's/^/      /'
}

# check NAME CMD...: PASS when CMD exits 0, else FAIL with its output
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "exit $rc: $*"
		detail "$(printf '%s\n' "$out" | tail -n 8)"
	fi
	return $rc
}

# run_tests FUNC...: run each test function and print its result
run_tests() {
	local t rc
	for t in "$@"; do
		WHY=
		"$t" >"$TMP/$t.out" 2>&1
		rc=$?
		WHY=$(printf '%s' "$WHY" | tr '\n' ' ' | cut -c1-300)
		case $rc in
		0) pass "${t#test_}" ;;
		"$SKIP_RC") skip "${t#test_}" "${WHY:-skipped}" ;;
		*)
			fail "${t#test_}" "${WHY:-returned $rc}"
			detail_file "test output" "$TMP/$t.out" 10
			detail_file "daemon log" "$DLOG" 5
			detail_file "daemon stderr" "$DERR" 5
			detail_file "server log" "$SLOG" 5
			;;
		esac
	done
}

# skip_all REASON: the whole file cannot run here (not a failure)
skip_all() {
	echo "[$T_TAG] SKIP: $*"
	exit 0
}

# --- environment -------------------------------------------------------------

require_env() {
	local c
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (netns, BPF)"
	for c in ip nsenter unshare ss nft python3 openssl curl jq; do
		command -v "$c" >/dev/null 2>&1 || skip_all "missing $c"
	done
	[ -x "$SNIGATE" ] || skip_all "no $SNIGATE: run make"
	unshare -n true 2>/dev/null || skip_all "cannot create network namespaces"
	[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF (/sys/kernel/btf/vmlinux)"
	if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
		mount -t bpf bpf /sys/fs/bpf 2>/dev/null || skip_all "cannot mount bpffs on /sys/fs/bpf"
	fi
	if command -v bpftool >/dev/null 2>&1; then
		bpftool prog show >/dev/null 2>&1 || skip_all "bpf() not permitted here"
	fi
}

cleanup() {
	local rc=$? p i
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for i in $(seq 1 30); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "$TOPO_UP" = 1 ]; then
		"$ROOT/scripts/topology.sh" down "$T_PREFIX" "$T_NET" >/dev/null 2>&1
	fi
	pins_clear
	[ -n "${TMP:-}" ] && [ -d "$TMP" ] && rm -rf "$TMP"
	exit $rc
}

pins_clear() {
	case $PIN in
	/sys/fs/bpf/?*) rm -rf "$PIN" 2>/dev/null ;;
	esac
}

# setup: environment checks, temp dir, topology, hosts, certificates
setup() {
	require_env
	# another run with our names (set SNIGATE_TEST_PREFIX/_NET/_PIN to run beside it)
	if [ -e "/var/run/netns/$GW" ] && pgrep -f -- "--pin-dir $PIN " >/dev/null 2>&1; then
		skip_all "another test run is using $T_PREFIX / $PIN"
	fi
	TMP=$(mktemp -d /tmp/snigate-test.XXXXXX) || exit 1
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	pins_clear
	TOPO_UP=1
	if ! "$ROOT/scripts/topology.sh" up "$T_PREFIX" "$T_NET" >"$TMP/topology.out" 2>&1; then
		echo "[$T_TAG setup] FAIL: topology.sh up $T_PREFIX $T_NET"
		detail_file "topology.sh" "$TMP/topology.out"
		exit 1
	fi
	# a second server address that nothing listens on (upstream refused)
	ip -n "$SRV" addr add "$SRV4_NOLISTEN/24" dev "${T_PREFIX}s0"
	HOSTS=$TMP/hosts
	RESOLV=$TMP/resolv.conf
	# names the resolver cannot answer fail at once: nothing listens on lo:53
	echo "nameserver 127.0.0.1" >"$RESOLV"
	echo "options timeout:1 attempts:1" >>"$RESOLV"
	hosts_default
	make_certs
}

in_cli() { nsenter --net="/var/run/netns/$CLI" "$@"; }
in_gw() { nsenter --net="/var/run/netns/$GW" "$@"; }
in_srv() { nsenter --net="/var/run/netns/$SRV" "$@"; }

# Names the tests use, and where --upstream sni sends them.
TEST_NAMES="exact.test a.wild.test b.c.wild.test wild.test dom.test x.dom.test y.z.dom.test
denied.test evilwild.test deny.wild.test special.dom.test x.special.dom.test
deep.special.dom.test both.test case.test dot.test later.test reload.test
nolisten.test blackhole.test v6.test origdst.test"

hosts_default() {
	local n
	{
		echo "127.0.0.1 localhost"
		for n in $TEST_NAMES; do
			case $n in
			nolisten.test) echo "$SRV4_NOLISTEN $n" ;;
			blackhole.test) echo "$SRV4_UNROUTED $n" ;;
			v6.test) echo "$SRV6 $n" ;;
			origdst.test) echo "$SRV4_NOLISTEN $n" ;;	# origdst must ignore this
			*) echo "$SRV4 $n" ;;
			esac
		done
	} >"$HOSTS.new"
	hosts_write <"$HOSTS.new"
}

# hosts_write < LINES: replace the hosts file in place (the daemon's bind
# mount follows the inode: never mv or sed -i it)
hosts_write() { cat >"$HOSTS"; }

make_certs() {
	local san n
	san="subjectAltName=DNS:*.test"
	for n in $TEST_NAMES; do
		san="$san,DNS:$n"
	done
	(
		cd "$TMP" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.pem -days 2 -subj "/CN=snigate test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout server.key -out server.csr -subj "/CN=exact.test" &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-out server.pem -days 2 -extfile <(printf '%s\n' "$san" \
				"basicConstraints=CA:FALSE" "extendedKeyUsage=serverAuth")
	) >"$TMP/certs.out" 2>&1 || {
		echo "[$T_TAG setup] FAIL: certificate generation"
		detail_file "openssl" "$TMP/certs.out"
		exit 1
	}
	CA=$TMP/ca.pem
}

# --- processes ---------------------------------------------------------------

# wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s
wait_until() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

listening() { # listening NETNS PORT
	[ -n "$(nsenter --net="/var/run/netns/$1" ss -ltnH "sport = :$2")" ]
}

# daemon_start [PROXY OPTIONS]: snigate proxy in the gw namespace, in its own
# mount namespace with our hosts and resolv.conf, logging JSON to $DLOG.
# Default options: both listeners, our allow file if ALLOW is set.
daemon_start() {
	local args=("$@")
	DAEMON_N=$((DAEMON_N + 1))
	DLOG=$TMP/daemon.$DAEMON_N.log
	DERR=$TMP/daemon.$DAEMON_N.err
	if [ ${#args[@]} -eq 0 ] || ! printf '%s\n' "${args[@]}" | grep -q -- '^--listen'; then
		args+=(--listen 0.0.0.0:8443 --listen "[::]:8443")
	fi
	# e.g. SNIGATE_TEST_DAEMON_ARGS="--data-path sockmap" runs everything on that path
	# shellcheck disable=SC2206
	args+=(${SNIGATE_TEST_DAEMON_ARGS:-})
	# shellcheck disable=SC2086 # DAEMON_GLOBAL is a word list
	nsenter --net="/var/run/netns/$GW" unshare -m sh -c \
		'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 &&
		{ [ -z "${DAEMON_NOFILE:-}" ] || ulimit -n "$DAEMON_NOFILE"; } && exec "$@"' \
		sh "$HOSTS" "$RESOLV" "$SNIGATE" ${DAEMON_GLOBAL:-} --pin-dir "$PIN" proxy --log json "${args[@]}" \
		>"$DLOG" 2>"$DERR" &
	DPID=$!
	PIDS+=("$DPID")
	if ! wait_until 15 listening "$GW" 8443; then
		echo "[$T_TAG daemon] FAIL: snigate proxy ${args[*]} did not listen on :8443"
		detail_file "daemon stderr" "$DERR" 15
		return 1
	fi
	if ! kill -0 "$DPID" 2>/dev/null; then
		echo "[$T_TAG daemon] FAIL: snigate proxy exited"
		detail_file "daemon stderr" "$DERR" 15
		return 1
	fi
	return 0
}

# daemon_stop: SIGTERM, wait (5 s), SIGKILL; then a clean pin directory
daemon_stop() {
	local i
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	for i in $(seq 1 50); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
	pins_clear
}

server_start() {
	SLOG=$TMP/server.log
	: >"$SLOG"
	nsenter --net="/var/run/netns/$SRV" python3 "$PEER" server \
		--listen "$SRV4:443" --listen "[$SRV6]:443" \
		--cert "$TMP/server.pem" --key "$TMP/server.key" --log "$SLOG" \
		>"$TMP/server.out" 2>&1 &
	SPID=$!
	PIDS+=("$SPID")
	if ! wait_until 10 listening "$SRV" 443; then
		echo "[$T_TAG server] FAIL: peer.py server did not listen"
		detail_file "server" "$TMP/server.out"
		return 1
	fi
}

# sg CMD...: the snigate CLI on the test pins
sg() { "$SNIGATE" --pin-dir "$PIN" "$@"; }

# client ARGS...: the raw test client in the cli namespace (peer.py client)
client() { in_cli python3 "$PEER" client "$@"; }
tls_client() { in_cli python3 "$PEER" tls-client --ca "$CA" "$@"; }

# --- the logs ----------------------------------------------------------------

log_mark() { wc -l <"$DLOG" 2>/dev/null || echo 0; }
server_mark() { wc -l <"$SLOG" 2>/dev/null || echo 0; }
log_since() { tail -n +"$(($1 + 1))" "$DLOG"; }
server_since() { tail -n +"$(($1 + 1))" "$SLOG"; }

# log_expect MARK JQ-CONDITION [TIMEOUT]: a log line after MARK satisfies it;
# on failure WHY names the condition and the lines go to the test output
log_expect() {
	local mark=$1 cond=$2 t=${3:-5}
	if wait_until "$t" _log_has "$mark" "$cond"; then
		return 0
	fi
	echo "log lines since mark $mark:"
	log_since "$mark" | tail -n 5
	bad "no log line with $cond"
}
_log_has() {
	log_since "$1" | jq -e -c "select($2)" 2>/dev/null | grep -q .
}

# log_get MARK JQ-CONDITION FIELD: FIELD of the last matching line
log_get() {
	log_since "$1" | jq -r -c "select($2) | .$3" 2>/dev/null | tail -n 1
}

# server_accepts MARK: connections the server accepted since MARK
server_accepts() { server_since "$1" | grep -c '^accept '; }

# stat NAME [JSON]: one counter from `snigate -j stats` (a.b for nested)
stat_get() {
	local j=${2:-$(sg -j stats)}
	printf '%s' "$j" | jq -r ".$1"
}

# daemon_fds [KIND]: open fds of the daemon; KIND socket, pipe, ... counts
# only those whose link starts with KIND:
daemon_fds() {
	if [ $# -eq 0 ]; then
		find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
	else
		find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 -lname "$1:*" 2>/dev/null | wc -l
	fi
}

# sockst_entries: entries in the pinned per-socket state map
sockst_entries() {
	if command -v bpftool >/dev/null 2>&1; then
		bpftool -j map dump pinned "$PIN/snigate_sockst" 2>/dev/null | jq length
	else
		echo 0
	fi
}

# --- clients -------------------------------------------------------------------

# https_get NAME [IP [CURL OPTIONS]]: curl from cli, certificate checked against
# our CA; sets RC and OUT (stdout + stderr)
https_get() {
	local name=$1 ip=${2:-$SRV4}
	shift $(($# < 2 ? $# : 2))
	case $ip in *:*) ip="[$ip]" ;; esac
	OUT=$(in_cli curl -sS --max-time 10 --cacert "$CA" --resolve "$name:443:$ip" "$@" \
		"https://$name/" 2>&1)
	RC=$?
}

# expect_allowed NAME [IP]: curl gets the server's page for NAME
expect_allowed() {
	https_get "$@"
	[ "$RC" -eq 0 ] || bad "curl $1: exit $RC: $(echo "$OUT" | tail -n 1)" || return
	[[ $OUT == *"snigate-test ok sni=$1"* ]] || bad "curl $1: unexpected body: $OUT"
}

# expect_denied NAME [IP]: curl fails with 35 and an access_denied alert
expect_denied() {
	https_get "$@"
	[ "$RC" -eq 35 ] || bad "curl $1: exit $RC, want 35: $(echo "$OUT" | tail -n 1)" || return
	[[ ${OUT,,} == *"access denied"* ]] || bad "curl $1: no 'access denied' in: $OUT"
}
