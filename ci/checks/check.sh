#!/usr/bin/env bash
# check.sh: everything CI checks, in order: the tooling's self-tests, lint
# (checkpatch, sources, shellcheck), the KUnit suite through kunit.py on
# every base, and the base x variant matrix against ci/expected.  Each step
# reports "N passed, N failed"; a step that ends without such a line counts
# as one failure.  Ends with the total.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

passed=0
failed=0
mkdir -p "$OUT"
t_start=$(date +%s)

step() {
	local name=$1 log=$OUT/check-$1.log t0 rc=0 line p f
	shift
	t0=$(date +%s)
	echo "=== $name"
	"$@" 2>&1 | tee "$log" || rc=$?
	line=$(grep -E '(^|: )[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 || true)
	if [ -n "$line" ]; then
		p=$(echo "$line" | sed -E 's/.*(^|: )([0-9]+) passed.*/\2/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
	else
		p=0
		f=1
	fi
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	passed=$((passed + p))
	failed=$((failed + f))
	echo "=== $name: $p passed, $f failed ($(($(date +%s) - t0)) s)"
	summary+=("$(printf '%-10s %5d s  %s passed, %s failed' "$name" "$(($(date +%s) - t0))" "$p" "$f")")
}
summary=()

kunit_all() {
	local base p=0 f=0
	for base in $(valid_bases); do
		if "$ROOT/ci/pipeline/kunit.sh" "$base" series; then p=$((p + 1)); else f=$((f + 1)); fi
	done
	echo "kunit.py: $p passed, $f failed"
}

step tooling "$ROOT/ci/checks/tests/run.sh"
step lint "$ROOT/ci/checks/lint.sh"
step kunit kunit_all
step matrix "$ROOT/ci/matrix/matrix.sh" --check

# The series of every base applies to its pristine base and every patch
# builds as the maintainers build it.  The submission itself (make bundle)
# needs the runner's own identity, which CI does not have: its draft, the
# same postings signed off by nobody, shows that every cover letter
# carries the matrix that the matrix step just wrote, cell by cell.
bundles() {
	local base p=0 f=0 line bp bf newest
	newest=$(newest_base)
	if "$ROOT/ci/submission/bundle.sh" --draft "$newest" &&
		"$ROOT/ci/submission/cover-table.py" "$OUT/matrix.md" "$newest" \
			"$OUT/bundle-draft/$newest"/*/*0000-cover-letter.patch; then
		p=$((p + 1))
	else
		echo "FAIL the cover letters of the $newest draft bundle" >&2
		f=$((f + 1))
	fi
	for base in $(valid_bases); do
		if ! "$ROOT/ci/submission/bundle.sh" --check "$base"; then
			f=$((f + 1))
			continue
		fi
		p=$((p + 1))
		line=$("$ROOT/ci/submission/buildcheck.sh" "$base" | tee /dev/stderr | tail -1) || true
		bp=$(echo "$line" | sed -nE 's/^buildcheck .*: ([0-9]+) passed, [0-9]+ failed$/\1/p')
		bf=$(echo "$line" | sed -nE 's/^buildcheck .*: [0-9]+ passed, ([0-9]+) failed$/\1/p')
		p=$((p + ${bp:-0}))
		f=$((f + ${bf:-1}))
	done
	echo "bundles: $p passed, $f failed"
}
step bundle bundles

bench_smoke() {
	if BENCH_REPS=1 BENCH_PHASES=100 "$ROOT/bench/bench.sh" v5.13-logic series; then
		echo "bench smoke: 1 passed, 0 failed"
	else
		echo "bench smoke: 0 passed, 1 failed"
	fi
}
step bench bench_smoke
echo "=== summary"
printf '  %s\n' "${summary[@]}"
# Each cached stage says "(WHAT KEY from the cache)" or "(WHAT KEY built)".
echo "  cache (what: reused/built):"
cat "$OUT"/check-*.log | sed -nE 's/^ *\((.*) [0-9a-f]{16} (from the cache|built)\)$/\1\t\2/p' |
	awk -F'\t' '{ n[$1]++; if ($2 == "built") b[$1]++ } END { for (k in n) printf "    %-18s %d/%d\n", k, n[k] - b[k], b[k] }' | sort
# What failed, and the boots a platform quirk ended, last: a CI log's tail
# is often all that is kept of it.
grep -hE '^(mismatch|reboots after a platform quirk): ' "$OUT"/check-*.log | head -40 | sed 's/^/  /' || true
echo "make check took $(($(date +%s) - t_start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
