#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# scripts/bench/snigate-proxy.sh - the proxy command `make bench` hands to peerbench
# (and the zero-window test): records its PID, then becomes snigate.
#   env: PB_LISTEN PB_ALLOW_FILE (from peerbench), BENCH_SNIGATE, BENCH_PIN,
#        BENCH_PIDFILE, BENCH_UPSTREAM (sni), BENCH_CONN_MEM and BENCH_SNIGATE_ARGS (optional)
set -e
[ -n "$BENCH_PIDFILE" ] && echo $$ >"$BENCH_PIDFILE"
set -- --pin-dir "${BENCH_PIN:?}" proxy --listen "${PB_LISTEN:?}" \
	--allow-file "${PB_ALLOW_FILE:?}" --upstream "${BENCH_UPSTREAM:-sni}"
[ -n "$BENCH_CONN_MEM" ] && set -- "$@" --conn-mem "$BENCH_CONN_MEM"
# shellcheck disable=SC2086 # BENCH_SNIGATE_ARGS: extra options, split on blanks
[ -n "${BENCH_SNIGATE_ARGS:-}" ] && set -- "$@" $BENCH_SNIGATE_ARGS
exec "${BENCH_SNIGATE:?}" "$@"
