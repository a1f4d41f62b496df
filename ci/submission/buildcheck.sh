#!/usr/bin/env bash
# buildcheck.sh BASE: the maintainers' build checks on the bundle of BASE
# (ci/submission/bundle.sh makes it): the pristine base and then every patch in order
# build arch/x86/kvm/ with KVM_INTEL=m KVM_AMD=m KVM_WERROR=y and W=1, with
# sparse (C=1) on every file that is recompiled; a patch that does not
# build, or that adds a compiler or sparse warning that the base did not
# have, fails; at the tip, the KUnit suites must be modules of their own
# (modules_check).  Ends with "N passed, N failed".  A check is what it is made
# of (the base's and the commits' trees, the config, gcc, sparse and this
# script): a pass and its log are kept under that key and not built again.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

base=${1:?usage: buildcheck.sh BASE}
wt=$WORK/$base/bundle
bld=$WORK/$base/build-m
log=$OUT/bundle/$base-build.log
[ -d "$wt/.git" ] || [ -f "$wt/.git" ] || die "no bundle for $base (run ci/submission/bundle.sh $base)"
need sparse
mkdir -p "$bld" "$OUT/bundle"
kmake() { make -C "$wt" O="$bld" CC="$KCC" -j"$JOBS" "$@"; }
gitq() { git -C "$wt" "$@"; }
tip=$(gitq rev-parse HEAD)
mapfile -t commits < <(gitq rev-list --reverse base..HEAD)
# Warnings without line numbers, so that code moving around is no news.
warnings() { grep -E 'warning:' "$1" | sed -E 's/:[0-9]+:[0-9]+:/:/; s/^.*\/(arch|virt|include)\//\1\//' | sort -u; }

step() { # NAME: build the checked-out commit, compare warnings with the base
	local name=$1 out=$bld/step.log
	{
		kmake allnoconfig &&
		"$wt/scripts/kconfig/merge_config.sh" -m -O "$bld" "$bld/.config" \
			"$ROOT/ci/data/config/kvm-modules.config" &&
		kmake olddefconfig &&
		kmake W=1 C=1 arch/x86/kvm/
	} >"$out" 2>&1
	local rc=$?
	cat "$out" >>"$log"
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $base: $name does not build (W=1, KVM_WERROR=y): see $log"
		grep -E 'error' "$out" | head -5 | cut -c1-200 | sed 's/^/  | /'
		return 1
	fi
	warnings "$out" >"$bld/warnings.$2"
	return 0
}

# KUnit is a module in the config (KUNIT_ALL_TESTS=m): each suite must be a
# module of its own, and none of it linked into kvm.ko, kvm-amd.ko or
# kvm-intel.ko (their .mod files list what they are linked from).
modules_check() {
	local -a tests
	local d=$bld/arch/x86/kvm t name syms leaked=
	mapfile -t tests < <(cd "$d" && find . -name '*_kunit.o' | sed 's|^\./||' | sort)
	if [ "${#tests[@]}" -eq 0 ]; then
		echo "FAIL $base: no KUnit test object was built (KUNIT_ALL_TESTS=m)"
		return 1
	fi
	for t in "${tests[@]}"; do
		if ! grep -q "/kvm/$t\$" "$d/modules.order" || [ ! -f "$d/${t%.o}.mod" ]; then
			echo "FAIL $base: $t is not a module of its own"
			return 1
		fi
		grep -l "$t" "$d"/kvm.mod "$d"/kvm-amd.mod "$d"/kvm-intel.mod && leaked=1
	done
	syms=$(for t in "${tests[@]}"; do nm --defined-only "$d/$t"; done |
		awk '$3 ~ /(_test|_suite|_cases|kunit)/ && $3 !~ /^__UNIQUE_ID/ { print $3 }' | sort -u)
	for name in kvm.o kvm-amd.o kvm-intel.o; do
		nm --defined-only "$d/$name" | awk '{ print $3 }' | sort -u | comm -12 - <(echo "$syms") |
			sed "s|^|$name defines |" | grep . && leaked=1
	done
	if [ -n "$leaked" ]; then
		echo "FAIL $base: KUnit test code is linked into the KVM modules"
		return 1
	fi
	echo "ok $base: ${#tests[@]} KUnit suites are modules of their own: ${tests[*]}"
}

checks() {
	local pass=0 fail=0 c subject new
	: >"$log"
	gitq checkout -q base
	if step "pristine $base" base; then
		cp "$bld/warnings.base" "$bld/warnings.known"
	else
		gitq checkout -q "$tip"
		echo "FAIL $base: pristine $base does not build arch/x86/kvm/ with W=1 and KVM_WERROR=y"
		echo "buildcheck $base: 0 passed, 1 failed"
		return 1
	fi
	for c in "${commits[@]}"; do
		gitq checkout -q "$c"
		subject=$(gitq log -1 --format=%s)
		if step "$subject" new; then
			new=$(comm -13 "$bld/warnings.known" "$bld/warnings.new")
			if [ -n "$new" ]; then
				fail=$((fail + 1))
				echo "FAIL $base: \"$subject\" adds warnings:"
				printf '  | %s\n' "${new//$'\n'/$'\n  | '}"
			else
				pass=$((pass + 1))
			fi
		else
			fail=$((fail + 1))
		fi
	done
	if modules_check; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	gitq checkout -q "$tip"
	echo "buildcheck $base: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

key=$({
	gitq rev-parse "base^{tree}"
	for c in "${commits[@]}"; do gitq rev-parse "$c^{tree}"; done
	cat "$ROOT/ci/data/config/kvm-modules.config" "$0"
	gcc --version | sed -n 1p
	sparse --version
} | sha256sum | cut -c1-16)
bcache=$CACHE/buildcheck/$base-$key
if [ -f "$bcache/out" ]; then
	echo "  (build checks $key from the cache)" >&2
	cp "$bcache/log" "$log"
	cat "$bcache/out"
	exit 0
fi
# Only a pass is kept: a failure is built again next time.
checks | tee "$bld/out"
cp "$log" "$bld/log"
cache_put "$bcache" "$bld" out log
echo "  (build checks $key built)" >&2
