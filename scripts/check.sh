#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# scripts/check.sh - `make check`: clang's static analyzer over user/*.c; any
# finding fails. Findings inside the generated skeletons (bpftool's code, a
# leak on a path that ends the process) are not ours and are left out.
# Formatting is not checked: the tree's hand alignment (tab-aligned trailing
# comments and macros, option tables) has no clang-format 14 setting; a
# kernel-style .clang-format wanted ~600 lines changed, mostly for the worse.
set -u
cd "$(dirname "$0")/.." || exit 2
out=${OUTPUT:-build}
found=0
for f in user/*.c; do
	msgs=$(clang --analyze -Xanalyzer -analyzer-output=text -Iinclude -Iuser -I"$out" \
		-D_GNU_SOURCE "$f" -o /dev/null 2>&1 | grep -E '^[^ ]+:[0-9]+:[0-9]+: warning:' |
		grep -v '\.skel\.h:')
	if [ -n "$msgs" ]; then
		all="${all:-}$msgs
"
		found=$((found + $(printf '%s\n' "$msgs" | wc -l)))
	fi
done
# the result-line format of tests/run.sh, which runs this as a tier
if [ "$found" -ne 0 ]; then
	echo "[static/analyzer] FAIL: $found finding(s) (clang --analyze -Xanalyzer -analyzer-output=text FILE shows each path)"
	printf '%s' "$all" | sed 's/^/    /'
	exit 1
fi
echo "[static/analyzer] PASS: clang --analyze found nothing in user/*.c"
