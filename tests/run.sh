#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/run.sh - the one runner behind `make test`.
#
# Tiers, in order: the unit binaries (build/tests/test_*), clang's static
# analyzer over user/*.c (scripts/check.sh), the BPF_PROG_TEST_RUN
# runner (build/tests/bpf_runner), a bounded libFuzzer pass (tests/fuzz/run.sh),
# the kernel/user-space differential check of the parser over the vectors,
# their prefixes and the corpus the fuzzer grew (build/tests/bpf_diff), then
# every tests/integration/test_*.sh.
# Each tier prints "[name] PASS|FAIL|SKIP ..." lines; this script prints
# those lines (plus the indented detail under a FAIL), counts them, and ends
# with exactly one line
#   tests: N passed, M failed, K skipped
# It exits 1 when M > 0. A tier that exits non-zero (or is killed by its
# time limit) without printing a FAIL line counts as one FAIL.
#
# Environment: TESTS_ONLY=REGEX runs only the tiers whose name matches
# (e.g. TESTS_ONLY=integration/test_policy); TIER_TIMEOUT (s, default 300)
# bounds each tier; TESTS_LOG_DIR keeps each tier's full output (default
# build/tests/logs).
set -u
cd "$(dirname "$0")/.." || exit 1

TIER_TIMEOUT=${TIER_TIMEOUT:-300}
LOG_DIR=${TESTS_LOG_DIR:-build/tests/logs}
mkdir -p "$LOG_DIR"
RESULTS=$(mktemp /tmp/snigate-results.XXXXXX)
trap 'rm -f "$RESULTS"' EXIT
START=$(date +%s)

RESULT_RE='^\[[^]]+\] (PASS|FAIL|SKIP)'

# run_tier NAME CMD...: run one tier, show and keep its result lines
run_tier() {
	local name=$1 log rc t0
	shift
	if [ -n "${TESTS_ONLY:-}" ] && ! [[ $name =~ $TESTS_ONLY ]]; then
		return
	fi
	log=$LOG_DIR/$(echo "$name" | tr '/' '_').log
	t0=$(date +%s)
	# the result lines as they come; the indented detail under a FAIL too
	timeout -k 60 "$TIER_TIMEOUT" "$@" </dev/null 2>&1 | tee "$log" |
		awk -v re="$RESULT_RE" '
			$0 ~ re { print; fflush(); infail = ($0 ~ /\] FAIL/); next }
			infail && /^    / { print; fflush(); next }
			{ infail = 0 }'
	rc=${PIPESTATUS[0]}
	grep -E "$RESULT_RE" "$log" >>"$RESULTS"
	if [ "$rc" -ne 0 ] && ! grep -qE '^\[[^]]+\] FAIL' "$log"; then
		local why="exited with status $rc"
		[ "$rc" -eq 124 ] && why="killed after ${TIER_TIMEOUT} s"
		[ "$rc" -gt 128 ] && [ "$rc" -ne 124 ] && why="died with signal $((rc - 128))"
		echo "[$name] FAIL: $why without a FAIL line (full output: $log)" | tee -a "$RESULTS"
		tail -n 5 "$log" | sed 's/^/    /'
	elif [ "$rc" -eq 0 ] && ! grep -qE "$RESULT_RE" "$log"; then
		echo "[$name] FAIL: printed no result line (full output: $log)" | tee -a "$RESULTS"
	elif [ "$rc" -ne 0 ]; then
		echo "    ($name: exit $rc, full output: $log)"
	fi
	[ "${TESTS_VERBOSE:-0}" = 1 ] && echo "    ($name took $(($(date +%s) - t0)) s)"
}

# 1. unit tests: no privileges needed
for bin in build/tests/test_*; do
	[ -x "$bin" ] || continue
	run_tier "unit/$(basename "$bin" | sed 's/^test_//')" "$bin"
done

# static analysis of the user-space C (what `make check` runs)
run_tier static/analyzer scripts/check.sh

# 2. BPF_PROG_TEST_RUN
if [ -x build/tests/bpf_runner ]; then
	run_tier bpf/runner build/tests/bpf_runner
else
	echo "[bpf/runner] FAIL: build/tests/bpf_runner missing (run make test)" | tee -a "$RESULTS"
fi

# 3. a bounded fuzz pass over the parser (FUZZ_SECS, default 60)
if [ -x build/tests/fuzz_hello ]; then
	run_tier fuzz/hello tests/fuzz/run.sh "${FUZZ_SECS:-60}"
else
	echo "[fuzz/hello] SKIP: build/tests/fuzz_hello missing (clang with libFuzzer)" | tee -a "$RESULTS"
fi

# 4. the parser in the kernel against user space: vectors, every prefix, and
# the corpus the fuzz pass left in build/tests/fuzz-corpus
if [ -x build/tests/bpf_diff ]; then
	run_tier bpf/diff build/tests/bpf_diff build/tests/fuzz-corpus
else
	echo "[bpf/diff] FAIL: build/tests/bpf_diff missing (run make test)" | tee -a "$RESULTS"
fi

# 5. netns integration: each script sets up and tears down its own world
for t in tests/integration/test_*.sh; do
	[ -e "$t" ] || continue
	run_tier "integration/$(basename "$t" .sh)" bash "$t"
done

passed=$(grep -cE '^\[[^]]+\] PASS' "$RESULTS")
failed=$(grep -cE '^\[[^]]+\] FAIL' "$RESULTS")
skipped=$(grep -cE '^\[[^]]+\] SKIP' "$RESULTS")
[ "${TESTS_VERBOSE:-0}" = 1 ] && echo "    (all tiers took $(($(date +%s) - START)) s)"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
