#!/usr/bin/env bash
# Self-tests of the tooling: feed the judge and the matrix comparison with
# recorded logs and a test list (fixtures/good/, and per failure mode a
# directory with only the log that differs and the expected cells; a new
# mode is one directory), and check the verdicts; check the one-line
# errors on bad input, signals, the cold-cache fetch, the tree refresh, the
# bundle identity and commit references.  Fast, no kernel needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ci=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The cases below use the default platform's paths, whatever make passed.
export PLATFORM=
pass=0
fail=0

# judge_case DIR: a recorded run is good/ (logs, test list) with the logs
# of DIR on top; the judge's cells must be DIR/expected.
judge_case() {
	local dir=$1 name run plat
	name=$(basename "$dir")
	run=$tmp/judge/$name
	mkdir -p "$run"
	cp "$here/fixtures/good/console.log" "$here/fixtures/good/results.log" \
		"$here/fixtures/good/tests" "$run/"
	find "$dir" -maxdepth 1 -name '*.log' -exec cp {} "$run/" \;
	# The judge's exit status is a cell too when it is not 0 (3: a quirk).
	# A fixture's platform (whose quirks apply) is in DIR/platform, if any.
	plat=$(cat "$dir/platform" 2>/dev/null || true)
	{ "$ci/pipeline/judge.py" ${plat:+--platform "$plat"} "$run" 2>/dev/null || echo "exit	$?"; } |
		sort >"$run/cells"
	if cmp -s "$run/cells" "$dir/expected"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL judge $name:"
		diff "$dir/expected" "$run/cells" | sed 's/^/  | /'
	fi
}

# expect_error WHAT CMD...: CMD must fail with a one-line "error:" message.
expect_error() {
	local what=$1 out rc=0
	shift
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	if [ "$rc" -ne 0 ] && [ "$(echo "$out" | grep -c '^error: ')" -eq 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $what: rc=$rc, stderr: $out"
	fi
}

# Each directory of fixtures/ is one case: good/, or a failure mode.
for dir in "$here"/fixtures/*/; do judge_case "${dir%/}"; done

# The matrix comparison: a cell that differs fails, a missing run fails.
mkdir -p "$tmp/out/7.3/series" "$tmp/out/7.3/never-reported"
echo '{"cells": {"kvm_x86_preempt": "pass", "kvm_svm_preempt": "pass", "kvm_vmx_preempt": "pass", "peer": "pass", "halted_idle": "pass", "preempted_reported": "pass", "no_false_preemption": "pass", "userspace_exit": "pass", "sti_shadow": "pass", "flush_tlb": "pass", "boundary_reset": "pass", "xen_runstate": "pass", "directed_yield": "pass"}}' \
	>"$tmp/out/7.3/series/results.json"
sed 's/"kvm_x86_preempt": "pass"/"kvm_x86_preempt": "fail"/; s/"preempted_reported": "pass"/"preempted_reported": "fail"/; s/"flush_tlb": "pass"/"flush_tlb": "fail"/' \
	"$tmp/out/7.3/series/results.json" >"$tmp/out/7.3/never-reported/results.json"
check_matrix() {
	local what=$1 want_rc=$2 rc=0
	shift 2
	"$ci/matrix/matrix.py" --out "$tmp/out" "$@" >"$tmp/matrix.log" 2>&1 || rc=$?
	if [ "$rc" -eq "$want_rc" ] && tail -1 "$tmp/matrix.log" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL matrix $what: rc=$rc"
		sed 's/^/  | /' "$tmp/matrix.log"
	fi
}
check_log() {
	if grep -q "$1" "$tmp/matrix.log"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL matrix: $2"
	fi
}
check_matrix "all as expected" 0 --cells 7.3/series 7.3/never-reported --json "$tmp/out/matrix.json" \
	--markdown "$tmp/out/matrix.md"
# The cover letter's table: the matrix of these patches, or none.
table=$("$ci/matrix/matrix.py" --out "$tmp/out" --text 7.3 2>&1 || true)
if grep -q '^  The matrix of commit [0-9a-f]*' <<<"$table" &&
	grep -q '^  7.3/never-reported  *10 passed; fail: kvm_x86_preempt,$' <<<"$table"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL matrix --text: no table for the patches just tested: $table"
fi
# ... which says what matrix.md says, cell by cell (cover-table.py).
check_cover() {
	local what=$1 want_rc=$2 rc=0
	printf 'Subject: x\n\nA cover letter.\n\n%s\n\nBase: x\n' "$3" >"$tmp/cover.patch"
	"$ci/submission/cover-table.py" "$tmp/out/matrix.md" 7.3 "$tmp/cover.patch" >"$tmp/cover.log" 2>&1 || rc=$?
	if [ "$rc" -eq "$want_rc" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL cover-table.py $what: rc=$rc"
		sed 's/^/  | /' "$tmp/cover.log"
	fi
}
check_cover "the matrix's own table" 0 "$table"
check_cover "a cell moved" 1 "${table/preempted_reported,/peer,}"
check_cover "a run left out" 1 "$(grep -v '7.3/series' <<<"$table")"
check_cover "another mutation score" 1 "${table/1\/1 mutants/0\/1 mutants}"
check_cover "no table" 1 "no table here"
# A variant's line: passes as expected counted, every other cell named,
# '!' on each mismatch (a pass that should have failed too), an absent
# cell only if it is a mismatch.
summary=$(python3 -c "import sys; sys.path.insert(0, '$ci/matrix'); import matrix as m
print(m.run_summary([('a', 'pass', True), ('b', 'pass', False), ('c', 'fail', True),
                     ('d', 'absent', True), ('e', 'absent', False)]))
print(m.run_summary([('a', 'error', True), ('b', 'error', True), ('d', 'absent', True)]))
print(m.run_summary([('e', 'absent', False)]))" 2>&1)
if [ "$summary" = "1 passed; absent: e!; fail: c; pass: b!
error: all 2
0 passed; absent: e!" ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL run_summary: $summary"
fi
expect_error "unknown option of bundle.sh" "$ci/submission/bundle.sh" --bogus 7.3
sed -i 's/"key": "[0-9a-f]*"/"key": "0000000000000000"/' "$tmp/out/matrix.json"
expect_error "a matrix of other patches for the cover letter" "$ci/matrix/matrix.py" --out "$tmp/out" --text 7.3
check_log 'mutation score: 1/1' "no mutation score"
sed -i 's/"fail"/"pass"/g' "$tmp/out/7.3/never-reported/results.json"
check_matrix "surviving mutant" 1 --cells 7.3/never-reported
check_log 'SURVIVED: 7.3/never-reported' "surviving mutant not named"
# The cover letter of a matrix with mismatches: each one marked, as
# matrix.md marks it; a '-' cell of matrix.md (a cell of other runs only)
# is no cell.
check_matrix "a matrix with mismatches" 1 --cells 7.3/series 7.3/never-reported \
	--json "$tmp/out/matrix.json" --markdown "$tmp/out/matrix.md"
table=$("$ci/matrix/matrix.py" --out "$tmp/out" --text 7.3 2>&1 || true)
check_cover "mismatches marked" 0 "$table"
check_cover "a mismatch unmarked" 1 "${table//!/}"
printf '%s\n' '| platform | base | variant | a | b |' '|---|---|---|---|---|' \
	'| qemu-svm | 7.3 | x | pass | - |' '| qemu-svm | 7.3 | y | pass | fail |' >"$tmp/out/matrix.md"
check_cover "a '-' cell is no cell" 0 "$(printf '  The matrix of commit 0.\n\n  7.3/x  1 passed\n  7.3/y  1 passed; fail: b')"
check_matrix "missing run" 1 --cells 7.3/stale-flag
check_log '^mismatch: 7.3/stale-flag preempted_reported: expected fail, observed missing$' "a mismatch named on a line of its own"
# A mismatch says why, with the last lines of the test behind the cell:
# a CI log shows no more than its end.
mkdir -p "$tmp/out/7.3/wakeup-not-ready"
echo 'peer x86/sync_regs_test' >"$tmp/out/7.3/wakeup-not-ready/tests"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["cells"]["peer"] = "error"
d["selftests"] = {"x86/sync_regs_test": {"status": "error", "why": "TAP plan 10, 9 results",
                  "tail": ["ok 10 sync_regs_test.race_inj_pen"]}}
json.dump(d, open(sys.argv[2], "w"))' "$tmp/out/7.3/series/results.json" "$tmp/out/7.3/wakeup-not-ready/results.json"
check_matrix "a peer test in error" 1 --cells 7.3/wakeup-not-ready
check_log '^  x86/sync_regs_test: error: TAP plan 10, 9 results$' "a mismatch without its reason"
check_log '^  | ok 10 sync_regs_test.race_inj_pen$' "a mismatch without the test's last lines"
# ... and its logs are kept where a CI clone's end does not take them.
check_matrix "keep a mismatch's logs" 1 --cells 7.3/wakeup-not-ready 7.3/series --keep "$tmp/keep"
if [ -f "$tmp/keep/7.3/wakeup-not-ready/tests" ] && [ ! -e "$tmp/keep/7.3/series" ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL matrix --keep: not the logs of the run with a mismatch alone"
fi
# A kernel splat makes every cell of the boot an error: as expected for
# no-preempted-guard, and it kills the mutant.
mkdir -p "$tmp/out/7.3/no-preempted-guard"
sed 's/"pass"/"error"/g' "$tmp/out/7.3/series/results.json" >"$tmp/out/7.3/no-preempted-guard/results.json"
check_matrix "a splat as expected" 0 --cells 7.3/no-preempted-guard
check_log 'killed by .*directed_yield' "cells in error kill a mutant"
# A second platform: its own results directory and expectations; a mutant
# that one platform kills is killed.
mkdir -p "$tmp/out/bochs-vmx/7.3/vmx-no-boundary" "$tmp/out/7.3/vmx-no-boundary"
cp "$tmp/out/7.3/series/results.json" "$tmp/out/7.3/vmx-no-boundary/results.json"
sed 's/"preempted_reported": "pass"/"preempted_reported": "fail"/; s/"flush_tlb": "pass"/"flush_tlb": "fail"/' "$tmp/out/7.3/series/results.json" \
	>"$tmp/out/bochs-vmx/7.3/vmx-no-boundary/results.json"
check_matrix "killed on one platform" 0 --cells 7.3/vmx-no-boundary bochs-vmx/7.3/vmx-no-boundary
check_log 'mutation score: 1/1' "a mutant killed on one platform counts as killed"
check_log 'qemu-svm: SURVIVED; bochs-vmx: killed by flush_tlb, preempted_reported' "killers per platform"
expect_error "unknown platform (cell)" "$ci/matrix/matrix.py" --out "$tmp/out" --cells warp/7.3/series

# Bad input: one-line errors, non-zero exits.
expect_error "unknown base" "$ci/pipeline/run.sh" 9.9 series
expect_error "unknown variant" "$ci/pipeline/run.sh" 7.3 no-such-variant
expect_error "variant of another base" "$ci/pipeline/run.sh" 6.12 in-host
expect_error "no cell (matrix)" env VARIANTS=in-host "$ci/matrix/matrix.sh" 6.12
expect_error "unknown accel" "$ci/pipeline/accel.sh" warp
expect_error "unknown platform" env PLATFORM=warp "$ci/pipeline/run.sh" 7.3 series
expect_error "unknown platform (matrix)" "$ci/matrix/matrix.sh" --check warp
printf 'not a tarball' >"$tmp/bad.tar.xz"
expect_error "corrupt tarball" env KERNEL_TARBALL="$tmp/bad.tar.xz" XDG_CACHE_HOME="$tmp/cache" \
	"$ci/pipeline/fetch.sh" 7.3
mkdir -p "$tmp/bin"
for t in dirname awk sed cut grep cat nproc; do ln -s "$(command -v "$t")" "$tmp/bin/$t"; done
expect_error "missing tool" env PATH="$tmp/bin" /bin/bash "$ci/pipeline/boot.sh" 7.3 series

# A variant with bases= (ci/data/variants) is a variant of those bases only.
# shellcheck source=ci/lib.sh
v612=$(. "$ci/lib.sh" && base_variants 6.12)
# shellcheck source=ci/lib.sh
v73=$(. "$ci/lib.sh" && base_variants 7.3)
if [[ " $v73 " == *" in-host "* && " $v612 " != *" in-host "* && " $v612 " == *" series "* ]]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL per-base variants: 6.12: $v612; 7.3: $v73"
fi

# A variant's config= items (ci/data/variants) are config lines of its own,
# not patches; a variant without any has none.
# shellcheck source=ci/lib.sh
cfg=$(. "$ci/lib.sh" && variant_config in-host && echo "series: [$(variant_config series)]" &&
	{ variant_patches 7.3 in-host | grep -c '=' || true; })
if [ "$cfg" = "$(printf '%s\n' CONFIG_KVM_GUEST_PREEMPT_KUNIT_TEST=y 'series: []' 0)" ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL variant config: $cfg"
fi

# SIGINT and SIGTERM stop a boot at once, QEMU included.
mkdir -p "$tmp/fakeqemu" "$tmp/sig/7.3/series"
printf '#!/bin/sh\necho $$ >"%s/qemu.pid"\nexec sleep 300\n' "$tmp" >"$tmp/fakeqemu/qemu-system-x86_64"
chmod +x "$tmp/fakeqemu/qemu-system-x86_64"
# alive PID: running, not a zombie that nobody reaped yet.
alive() {
	local state
	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true)
	[ -n "$state" ] && [ "$state" != Z ]
}
for sig in INT TERM; do
	rm -f "$tmp/qemu.pid"
	# A background job starts with SIGINT ignored, as no terminal's
	# Ctrl-C would: restore the default first.
	ACCEL=tcg OUT=$tmp/sig PATH=$tmp/fakeqemu:$PATH python3 -c \
		'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
		"$ci/pipeline/boot.sh" 7.3 series &
	boot=$!
	for _ in $(seq 100); do [ -s "$tmp/qemu.pid" ] && break; sleep 0.1; done
	qemu=$(cat "$tmp/qemu.pid" 2>/dev/null || echo none)
	kill "-$sig" "$boot"
	rc=0
	wait "$boot" || rc=$?
	sleep 0.2
	if [ "$qemu" != none ] && [ "$rc" -gt 128 ] && ! alive "$qemu"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL SIG$sig: boot.sh rc=$rc, QEMU pid $qemu $(alive "$qemu" && echo left running || echo gone)"
		kill -KILL "$qemu" 2>/dev/null || true
	fi
done
expect_error "unknown accel before any work" env ACCEL=warp "$ci/pipeline/run.sh" 7.3 series

# fetch.sh on a new machine: an empty cache, then a cache that holds the
# .deb but not the tarball.  Stand-ins for apt-get and apt-cache serve a
# small linux-source package (a version without an epoch, as Debian's).
fake=$tmp/fakeapt
mkdir -p "$fake/bin" "$fake/deb/DEBIAN" "$fake/deb/usr/src" "$fake/src/linux-source-7.3"
echo 7.3.4 >"$fake/src/linux-source-7.3/VERSION"
tar -cJf "$fake/deb/usr/src/linux-source-7.3.tar.xz" -C "$fake/src" linux-source-7.3
printf 'Package: linux-source-7.3\nVersion: 7.3.4-1\nArchitecture: all\nMaintainer: none\nDescription: test\n' \
	>"$fake/deb/DEBIAN/control"
dpkg-deb -b "$fake/deb" "$fake/linux-source-7.3_7.3.4-1_all.deb" >/dev/null
cat >"$fake/bin/apt-get" <<SH
#!/bin/sh
for a; do case \$a in Dir::State::Lists=*) lists=\${a#*=} ;; esac; done
case " \$* " in
*" update "*) mkdir -p "\$lists" && touch "\$lists/fake_Packages" ;;
*" download "*) cp "$fake/linux-source-7.3_7.3.4-1_all.deb" . ;;
esac
SH
printf '#!/bin/sh\necho "  Candidate: 7.3.4-1"\n' >"$fake/bin/apt-cache"
chmod +x "$fake/bin/apt-get" "$fake/bin/apt-cache"
fetch_ok() {
	local what=$1 got
	got=$(PATH=$fake/bin:$PATH XDG_CACHE_HOME=$tmp/fcache "$ci/pipeline/fetch.sh" 7.3 2>"$tmp/fetch.err") || true
	if [ -f "$got" ] && tar -xOJf "$got" linux-source-7.3/VERSION 2>/dev/null | grep -q 7.3.4; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL fetch, $what: $(head -3 "$tmp/fetch.err")"
	fi
}
fetch_ok "empty cache"
rm -f "$tmp"/fcache/kvm-preempt-ci/7.3/*.tar.xz
cp "$fake/linux-source-7.3_7.3.4-1_all.deb" "$tmp/fcache/kvm-preempt-ci/7.3/"
fetch_ok "a .deb and no tarball"

# A tree made from another source is made again.
for v in 1 2; do
	mkdir -p "$tmp/ksrc$v/linux"
	echo "$v" >"$tmp/ksrc$v/linux/VERSION"
	tar -cJf "$tmp/ksrc$v.tar.xz" -C "$tmp/ksrc$v" linux
	WORK=$tmp/work OUT=$tmp/tout XDG_CACHE_HOME=$tmp/tcache KERNEL_TARBALL=$tmp/ksrc$v.tar.xz \
		"$ci/pipeline/tree.sh" 7.3 upstream >/dev/null 2>"$tmp/tree$v.err" || true
done
if [ "$(cat "$tmp/work/7.3/src/VERSION" 2>/dev/null)" = 2 ] && grep -q 'making it again' "$tmp/tree2.err"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL tree not remade for a new source: $(head -2 "$tmp/tree2.err")"
fi

# The kernel cache key changes with the kernel's inputs, and only with them.
k=$tmp/ktree
mkdir -p "$k/virt" "$k/tools/testing" "$k/tools/objtool"
echo a >"$k/virt/kvm_main.c"
echo a >"$k/tools/testing/test.c"
echo a >"$k/tools/objtool/check.c"
git -C "$k" init -q && git -C "$k" add -A && git -C "$k" -c user.name=t -c user.email=t@t commit -q -m t
cp "$ci/data/config/kvm-host.config" "$tmp/frag"
key() { "$ci/pipeline/kernel-key.sh" "$k" "$tmp/frag"; }
change() { # WHAT FILE: commit a change to FILE of the tree
	echo b >>"$k/$2"
	git -C "$k" -c user.name=t -c user.email=t@t commit -q -am "$1"
}
key_is() { # WHAT same|new
	local now
	now=$(key)
	if { [ "$2" = same ] && [ "$now" = "$last" ]; } || { [ "$2" = new ] && [ "$now" != "$last" ]; }; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL kernel key, $1: want $2 key"
	fi
	last=$now
}
last=$(key)
change "a patch to KVM" virt/kvm_main.c && key_is "a patch to KVM" new
change "a selftest" tools/testing/test.c && key_is "a selftest" same
change "objtool" tools/objtool/check.c && key_is "objtool" new
echo CONFIG_X=y >>"$tmp/frag" && key_is "ci/config" new
mkdir -p "$tmp/gcc2"
printf '#!/bin/sh\necho "gcc (Other) 99.1"\n' >"$tmp/gcc2/gcc"
chmod +x "$tmp/gcc2/gcc"
now=$(PATH=$tmp/gcc2:$PATH key)
if [ "$now" != "$last" ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL kernel key, compiler: same key"; fi

# The selftests' key changes with what their build reads, not with KVM.
mkdir -p "$k/include/uapi/linux"
echo a >"$k/include/uapi/linux/kvm.h"
git -C "$k" add -A && git -C "$k" -c user.name=t -c user.email=t@t commit -q -m uapi
printf 'kunit kvm_x86_preempt\npeer steal_time\nown x86/preempted_halt_test\n' >"$tmp/tests"
key() { "$ci/pipeline/selftests-key.sh" "$k" HEAD "$tmp/tests"; }
last=$(key)
change "a patch to KVM" virt/kvm_main.c && key_is "selftests, a patch to KVM" same
change "a selftest" tools/testing/test.c && key_is "selftests, a selftest" new
change "the UAPI" include/uapi/linux/kvm.h && key_is "selftests, the UAPI" new
echo "peer x86/cpuid_test" >>"$tmp/tests" && key_is "selftests, the test list" new

# soak.py reads the project's own tests from the run's test list: a
# scenario that failed in one of the runs fails the soak, a clean run passes.
soak_case() { # FIXTURE N WANT-RC
	local run=$tmp/soak/$1 rc=0
	mkdir -p "$run"
	cp "$here/fixtures/good/console.log" "$here/fixtures/good/results.log" \
		"$here/fixtures/good/tests" "$run/"
	find "$here/fixtures/$1" -maxdepth 1 -name '*.log' -exec cp {} "$run/" \;
	"$ci/pipeline/judge.py" "$run" >/dev/null 2>&1 || true
	"$ci/matrix/soak.py" "$run" "$2" qemu-svm 7.3 series >"$run/soak.log" 2>&1 || rc=$?
	if [ "$rc" -eq "$3" ] && grep -q no_false_preemption "$run/soak.log"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL soak.py on $1: rc=$rc, want $3"
		sed 's/^/  | /' "$run/soak.log"
	fi
}
soak_case good 1 0
soak_case soak 5 1

# The KVM leg's rehearsal: level 2's files come back whole from level 1's
# serial port (CR LF), their own "==== END"/"==== DONE" lines included.
mkdir -p "$tmp/l2"
printf '%s\n' 'level 1 noise' '==== L2 accel' '-accel kvm -cpu host' '==== L2 results.log' \
	'==== BEGIN t' 'ok 1 x' '==== END t rc=0 time=1s' '==== DONE' '==== L2-END' '==== DONE' |
	sed 's/$/\r/' >"$tmp/l1-results.log"
awk -v dir="$tmp/l2" -f "$ci/checks/l2-split.awk" "$tmp/l1-results.log"
if [ "$(cat "$tmp/l2/accel")" = "-accel kvm -cpu host" ] &&
	[ "$(tr '\n' '|' <"$tmp/l2/results.log")" = "==== BEGIN t|ok 1 x|==== END t rc=0 time=1s|==== DONE|" ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL l2-split.awk: $(cat "$tmp"/l2/* | tr '\n' '|')"
fi

# The workflow's checkout belongs to the runner user, its steps run as root:
# git refuses such a checkout until the workflow's GLUE line has run (the
# cheap part of `make rehearse`, which runs whole jobs in a Debian root).
if [ "$(id -u)" -eq 0 ]; then
	gl=$tmp/glue
	mkdir -p "$gl/home" "$gl/w"
	echo x >"$gl/w/f"
	git -C "$gl/w" init -q && git -C "$gl/w" add f
	chown -R 1001:1001 "$gl/w"
	glue=$(sed -n 's/^  GLUE: //p' "$ci/../.github/workflows/ci.yml" | sed 's/ && apt-get.*//')
	before=$(HOME=$gl/home git -C "$gl/w" ls-files 2>/dev/null) || true
	HOME=$gl/home sh -c "$glue"
	after=$(HOME=$gl/home git -C "$gl/w" ls-files 2>/dev/null) || true
	if [ -z "$before" ] && [ "$after" = f ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL checkout owned by another user: before GLUE '$before', after '$after'"
	fi
fi

# Every entry point checks the base first.
expect_error "kunit: unknown base" "$ci/pipeline/kunit.sh" 9.9
expect_error "bench: unknown base" env BASE=9.9 "$ci/../bench/bench.sh"
expect_error "bench: unknown workload" env BENCH_WORKLOAD=warp "$ci/../bench/bench.sh"
expect_error "bench: variant of another base" env BASE=6.12 "$ci/../bench/bench.sh" in-host
expect_error "bench: unknown level-2 CPU" env BENCH_L2_CPU=max "$ci/../bench/bench.sh"

# The lu_wake table: the stacked wake-ups and run delay of every run, each
# topology; NAME names the runs' directories and the table.
mkdir -p "$tmp/lu/a.bench-full"
for t in llc nollc; do
	printf '%s\n' "==== BENCH topo=$t rep=1 pinned=4 threads=4 phases=500 wall_ms=500.0 run_delay_ms=20.4 stacked=3 kvm_feat=0x1047efb steal_time=1" \
		"==== BENCH topo=$t rep=2 pinned=4 threads=4 phases=500 wall_ms=700.0 run_delay_ms=40.8 stacked=995 kvm_feat=0x1047efb steal_time=1"
done >"$tmp/lu/a.bench-full/results.log"
echo "==== STALL BENCH topo=nollc rep=2" >>"$tmp/lu/a.bench-full/results.log"
if "$ci/../bench/bench.py" --name bench-full "$tmp/lu" "$tmp/lu" a >/dev/null 2>&1 &&
	grep -q '^| N sockets x 1 core | a | 2 | 3, 995 (499) | 20, 41 (31) | 500 / 600 / 700 | 4 / yes / yes |$' "$tmp/lu/bench-full.md" &&
	grep -q '^Started again after .*: a topo=nollc rep=2\.$' "$tmp/lu/bench-full.md"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL bench.py: $(cat "$tmp/lu/bench-full.md" 2>&1)"
fi

# The TLB bench's table: every run of every variant, and a run that
# reported an error fails it.
mkdir -p "$tmp/tlb/a.tlb-bench" "$tmp/tlb/b.tlb-bench"
printf '%s\n' '==== TLB rep=1 pinned=4 rounds=10 cpus=4 tlb_ipi=30 cal_ipi=31 munmap_us_med=900 munmap_us_max=990 wall_ms=80 kvm_feat=0x1007efb' \
	'==== TLB rep=2 pinned=4 rounds=10 cpus=4 tlb_ipi=27 cal_ipi=29 munmap_us_med=800 munmap_us_max=950 wall_ms=70 kvm_feat=0x1007efb' \
	>"$tmp/tlb/a.tlb-bench/results.log"
printf '%s\n' '==== TLB rep=1 pinned=4 rounds=10 cpus=4 tlb_ipi=0 cal_ipi=1 munmap_us_med=90 munmap_us_max=99 wall_ms=60 kvm_feat=0x1047efb' \
	'==== TLB rep=2 error' >"$tmp/tlb/b.tlb-bench/results.log"
if "$ci/../bench/bench-tlb.py" "$tmp/tlb" "$tmp/tlb" a >/dev/null &&
	grep -q '^| a | no | 2 | 30 | 30, 27 | 31, 29 | 0.95 | 900, 800 |$' "$tmp/tlb/bench-tlb.md" &&
	! "$ci/../bench/bench-tlb.py" "$tmp/tlb" "$tmp/tlb" a b >/dev/null 2>&1 &&
	grep -q '^| b | yes | 1 |' "$tmp/tlb/bench-tlb.md"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL bench-tlb.py: $(cat "$tmp/tlb/bench-tlb.md" 2>&1)"
fi

# make bundle refuses a placeholder or missing identity (DCO).
expect_error "placeholder identity" "$ci/submission/identity.sh" "KVM Preempt Team <kvm-preempt@example.org>"
expect_error "noreply identity" "$ci/submission/identity.sh" "Some One <someone@users.noreply.github.com>"
expect_error "no identity" "$ci/submission/identity.sh" " <>"
expect_error "bundle of a port" env BUNDLE_IDENT=x "$ci/submission/bundle.sh" 6.12
# The cover letter's table: no matrix, no bundle (bundle.sh stops on it).
mkdir -p "$tmp/nomatrix"
expect_error "no matrix for the cover letter" "$ci/matrix/matrix.py" --out "$tmp/nomatrix" --text 7.3

# Commit references: checkpatch's form passes, a bare id fails.
check_refs() {
	local what=$1 want_rc=$2 rc=0
	mkdir -p "$tmp/series"
	printf 'Subject: [PATCH] x\n\n%s\n---\n' "$3" >"$tmp/series/ref.patch"
	"$ci/submission/commit-refs.py" "$tmp/series/ref.patch" >/dev/null || rc=$?
	if [ "$rc" -eq "$want_rc" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL commit-refs $what: rc=$rc"
	fi
}
check_refs "full reference" 0 'See commit cd9626e9ebc7 ("sched/fair: Fix external p->on_rq users").'
check_refs "bare id" 1 'Fixed by cd9626e9ebc7 and commit 54aa83c90198.'
check_refs "short id" 1 'See commit cd9626e ("sched/fair: Fix external p->on_rq users").'
# ci/data/commits: mainline ids and subjects only.
check_refs "queue-branch id" 1 'See commit 1cc2f68c016a ("sched: Fix external p->on_rq users").'
check_refs "wrong subject" 1 'See commit cd9626e9ebc7 ("sched: Fix external p->on_rq users").'
check_refs "wrapped subject" 0 'See commit 6cd88243c7e0 ("KVM: x86: do not report a
vCPU as preempted outside instruction boundaries").'

echo "tooling: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
