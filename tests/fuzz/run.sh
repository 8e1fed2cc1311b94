#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/fuzz/run.sh SECONDS - a bounded libFuzzer pass over the hello parser,
# seeded with the unit-test vectors. Prints one result line for tests/run.sh.
# The corpus it grows stays in build/tests/fuzz-corpus (new each run) for the
# differential check that follows it (build/tests/bpf_diff).
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-60}
corpus=build/tests/fuzz-corpus
work=$(mktemp -d /tmp/snigate-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/crashes"
rm -rf "$corpus" && mkdir -p "$corpus"
build/tests/fuzz_seeds "$corpus" >/dev/null || { echo "[fuzz/hello] FAIL: cannot write seeds"; exit 1; }
build/tests/fuzz_hello -max_total_time="$secs" -max_len=20000 -timeout=10 \
	-artifact_prefix="$work/crashes/" "$corpus" >"$work/log" 2>&1
rc=$?
runs=$(grep -o 'Done [0-9]* runs' "$work/log" | tail -1)
if [ $rc -ne 0 ]; then
	echo "[fuzz/hello] FAIL: libFuzzer exit $rc"
	grep -E 'ERROR|SUMMARY|Test unit written' "$work/log" | head -5 | sed 's/^/    /'
	for f in "$work"/crashes/*; do
		[ -e "$f" ] && echo "    input (hex): $(od -An -tx1 -v "$f" | tr -d ' \n' | cut -c1-400)"
	done
	exit 1
fi
echo "[fuzz/hello] PASS ($runs in ${secs} s, corpus: $(find "$corpus" -type f | wc -l) inputs)"
