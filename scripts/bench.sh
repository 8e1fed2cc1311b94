#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# scripts/bench.sh - `sudo make bench`: snigate against direct TCP, HAProxy,
# nginx stream and sniproxy.
#
#  1. peerbench (../shared/bench/peerbench.sh, beside the clone) with snigate as
#     the proxy under test: transparent (--redirect: clients dial 10.0.2.2:443, nft
#     redirects to :8443), --upstream sni (bench.example from peerbench's /etc/hosts).
#  2. zero-window test (scripts/bench/zerowin.py, own namespaces zb-*): clients that
#     never read; how much memory each system lets the server fill.
#  3. one table (stdout, peerbench-out/results.{txt,json}), docs/bench.md, docs/bench.png.
#
# Environment:
#   BENCH_QUICK=1        smoke run: peerbench's quick options, 1 run, zero window 5 conns x 3 s;
#                        the table and chart go to peerbench-out/ (docs/ is left alone)
#   BENCH_DOCS=DIR       where bench.md / bench.png go (default docs/, quick: peerbench-out/)
#   BENCH_ZW_SYSTEMS=L   zero-window systems (default direct,haproxy,nginx-stream,sniproxy,snigate)
#   BENCH_CONN_MEM=B     snigate --conn-mem (default: snigate's own)
#   BENCH_SOCKMAP=0      leave out the snigate-sockmap row (the experimental data path)
#   BENCH_WORKERS=0      leave out the snigate-workers2 row (--workers 2; every peer runs one worker)
#   BENCH_HAPROXY_REDIRECT=0  leave out the haproxy-redirect row (HAProxy transparent, like snigate)
#   BENCH_PEERBENCH_ARGS extra peerbench options (e.g. "--systems direct")
# Everything it starts (namespaces, processes, BPF pins) is removed at the end,
# also on failure, Ctrl-C or SIGTERM; each stage has a time limit.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
SHARED=$(cd "${BENCH_SHARED:-$REPO/../shared/bench}" 2>/dev/null && pwd) || {
	echo "bench: ${BENCH_SHARED:-$REPO/../shared/bench} not found (peerbench lives in shared/ beside the clone)" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || { echo "bench: run as root (sudo make bench)" >&2; exit 1; }
[ -x build/snigate ] || { echo "bench: build/snigate missing (make)" >&2; exit 1; }
[ -r "$SHARED/peerbench.sh" ] || { echo "bench: no $SHARED/peerbench.sh" >&2; exit 1; }

QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] && QUICK=
OUT=$REPO/peerbench-out
PIN=/sys/fs/bpf/snigate-bench
export PB_BUILD=${PB_BUILD:-${TMPDIR:-/tmp}/peerbench-build}
if [ -n "$QUICK" ]; then
	PB_OPTS=(--runs 1 --bulk-bytes 300000000 --rr-count 2000 --cps-secs 1 --idle-conns 200)
	ZW_OPTS=(--conns 5 --hold 3 --runs 1)
	DOCS=${BENCH_DOCS:-$OUT}
	PB_LIMIT=1200 ZW_LIMIT=300
else
	PB_OPTS=(--runs 3)
	ZW_OPTS=(--conns 20 --hold 8 --runs 3)
	DOCS=${BENCH_DOCS:-$REPO/docs}
	PB_LIMIT=3600 ZW_LIMIT=900
fi
# shellcheck disable=SC2206 # word splitting wanted
PB_OPTS+=(${BENCH_PEERBENCH_ARGS:-})

# one bench at a time (fixed namespace names zb-*, one pin dir)
exec 8>>/run/snigate-bench.lock
flock -n 8 || { echo "bench: another make bench is running (/run/snigate-bench.lock)" >&2; exit 1; }

SNIGATE=$(readlink -f build/snigate)
PIDFILE=$OUT/snigate.pid
pids=()
stop_pid() {	# $1 = a PID we started: TERM, then KILL after 30 s
	local p=$1 _
	kill -0 "$p" 2>/dev/null || return 0
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq 300); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}
cleanup() {
	local rc=$? p
	trap - EXIT INT TERM HUP
	# peerbench and zerowin tear down their own proxies and namespaces on SIGTERM
	for p in "${pids[@]}"; do stop_pid "$p"; done
	# a snigate that outlived them (e.g. after a SIGKILL): the PID it recorded, if it is still ours
	if [ -s "$PIDFILE" ]; then
		p=$(cat "$PIDFILE")
		case "$(readlink "/proc/$p/exe" 2>/dev/null)" in
		"$SNIGATE"*) echo "bench: stopping leftover snigate $p" >&2; stop_pid "$p" ;;
		esac
		rm -f "$PIDFILE"
	fi
	bash "$SHARED/netns.sh" down zb- || true
	# peerbench's namespaces, only when no peerbench run holds its lock
	if ip netns list 2>/dev/null | grep -q '^pb-' && flock -n /run/peerbench.lock true; then
		bash "$SHARED/netns.sh" down pb- || true
	fi
	rm -rf "$PIN"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if ! command -v gnuplot >/dev/null; then
	echo "bench: installing gnuplot-nox" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox >&2
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf	# pins visible (and removable) from here
rm -rf "$PIN" "$OUT/peerbench" "$OUT/zerowin"
mkdir -p "$OUT/peerbench" "$OUT/zerowin"

# the proxy under test: scripts/bench/snigate-proxy.sh records its PID and execs snigate
export BENCH_SNIGATE=$SNIGATE BENCH_PIN=$PIN BENCH_PIDFILE=$PIDFILE BENCH_UPSTREAM=sni
export BENCH_CONN_MEM=${BENCH_CONN_MEM:-}
PROXY_CMD=$(printf '%q' "$REPO/scripts/bench/snigate-proxy.sh")

echo "== bench: peerbench${QUICK:+ (quick)}: direct, haproxy, nginx-stream, sniproxy, snigate, haproxy-redirect, snigate-workers2, snigate-sockmap (redirect, --upstream sni)" >&2
rc_pb=0
# more rows, each on by default: HAProxy run transparent like snigate (the same
# conntrack + NAT work per connection; the haproxy row is not transparent),
# snigate with two workers (the peers and the snigate row run one), and the
# experimental sockmap data path
EXTRA_ROWS=()
[ "${BENCH_HAPROXY_REDIRECT:-1}" = 0 ] ||
	EXTRA_ROWS+=(--proxy-name haproxy-redirect --proxy-cmd "$(printf '%q' "$REPO/scripts/bench/haproxy-redirect.sh")")
[ "${BENCH_WORKERS:-1}" = 0 ] ||
	EXTRA_ROWS+=(--proxy-name snigate-workers2 --proxy-cmd "env BENCH_SNIGATE_ARGS='--workers 2' $PROXY_CMD")
[ "${BENCH_SOCKMAP:-1}" = 0 ] ||
	EXTRA_ROWS+=(--proxy-name snigate-sockmap --proxy-cmd "env BENCH_SNIGATE_ARGS='--data-path sockmap' $PROXY_CMD")
timeout -k 30 "$PB_LIMIT" bash "$SHARED/peerbench.sh" --redirect --proxy-name snigate --proxy-cmd "$PROXY_CMD" \
	"${EXTRA_ROWS[@]}" \
	--out "$OUT/peerbench" "${PB_OPTS[@]}" 2> >(tee "$OUT/peerbench.log" >&2) &
pids+=($!)
wait $! || rc_pb=$?
[ "$rc_pb" = 0 ] || echo "bench: peerbench failed (exit $rc_pb), see $OUT/peerbench.log" >&2
cp -f "$OUT/peerbench/work/snigate.log" "$OUT/snigate-peerbench.log" 2>/dev/null || true
rm -rf "$PIN"

echo "== bench: zero window${QUICK:+ (quick)}" >&2
rc_zw=0
if [ -x "$PB_BUILD/pbload" ]; then
	timeout -k 30 "$ZW_LIMIT" python3 scripts/bench/zerowin.py run --shared "$SHARED" --pbload "$PB_BUILD/pbload" \
		--out "$OUT/zerowin" --pin "$PIN" --snigate-cmd "$PROXY_CMD" \
		--systems "${BENCH_ZW_SYSTEMS:-direct,haproxy,nginx-stream,sniproxy,snigate}" "${ZW_OPTS[@]}" \
		2> >(tee "$OUT/zerowin.log" >&2) &
	pids+=($!)
	wait $! || rc_zw=$?
	[ "$rc_zw" = 0 ] || echo "bench: zero-window test failed (exit $rc_zw), see $OUT/zerowin.log" >&2
	cp -f "$OUT/zerowin/work/snigate.log" "$OUT/snigate-zerowin.log" 2>/dev/null || true
else
	echo "bench: no $PB_BUILD/pbload (peerbench builds it): zero-window test skipped" >&2
	rc_zw=1
fi

rc_rep=0
python3 scripts/bench/report.py --peerbench "$OUT/peerbench/results.json" --zerowin "$OUT/zerowin/zerowin.json" \
	--out "$OUT" --md "$DOCS/bench.md" --png "$DOCS/bench.png" ${QUICK:+--quick} \
	--log "peerbench=$OUT/snigate-peerbench.log" --log "zero window=$OUT/snigate-zerowin.log" || rc_rep=$?
# report.py exits 3 when snigate itself had errors (lost connections, a hang, ...)
[ "$rc_pb$rc_zw$rc_rep" = 000 ] || exit 1
