# shellcheck shell=bash
# Helpers sourced by the ci/ scripts.  Paths are relative to the repository.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/kvm-preempt-ci
# A user's own tree (KERNEL_SRC) gets its own trees and results.
if [ -n "${KERNEL_SRC:-}" ]; then
	OUT=${OUT:-$ROOT/out/kernel-src}
	WORK=${WORK:-$ROOT/work/kernel-src}
fi
OUT=${OUT:-$ROOT/out}
WORK=${WORK:-$ROOT/work}
# Every script and the verdict read results from the same place.
export OUT WORK
# Every build's parallelism and compiler: JOBS jobs (one more than the
# CPUs unless set), gcc through ccache where there is one.
JOBS=${JOBS:-$(($(nproc) + 1))}
# shellcheck disable=SC2034 # read by the scripts that source this file
KCC=$(if command -v ccache >/dev/null 2>&1; then echo ccache gcc; else echo gcc; fi)

die() {
	echo "error: $*" >&2
	exit 1
}

# Print the last lines of a log and fail.
die_log() {
	local log=$1
	shift
	echo "error: $* (log: $log)" >&2
	[ -f "$log" ] && tail -n 25 "$log" | cut -c1-200 | sed "s/^/  | /" >&2
	exit 1
}

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || die "missing tool '$t' (run 'make deps')"
	done
}

# base_field BASE COLUMN: a column of ci/data/bases (2=package ... 6=makefile).
base_field() {
	table_field bases base "$1" "$2"
}

valid_bases() {
	table_keys bases
}

# newest_base: the last base of ci/data/bases, the one that is submitted.
newest_base() {
	valid_bases | awk '{ print $NF }'
}

# table_keys TABLE: the first column of ci/data/TABLE, on one line.
table_keys() {
	awk '!/^#/ && NF { printf "%s ", $1 }' "$ROOT/ci/data/$1" | sed 's/ $//'
}

# table_field TABLE WHAT KEY COLUMN: a column of the line of ci/data/TABLE
# whose first column is KEY; an unknown KEY (a WHAT) is an error.
table_field() {
	local row
	row=$(awk -v k="$3" '!/^#/ && $1 == k' "$ROOT/ci/data/$1")
	[ -n "$row" ] || die "unknown $2 '$3' (valid: $(table_keys "$1"))"
	echo "$row" | awk -v c="$4" '{ print $c }'
}

# variant_patches BASE VARIANT: the patch files of a variant, in order.
# Each item of a ci/data/variants line is a glob under patch/BASE/.
variant_patches() {
	local base=$1 variant=$2 row item f found
	row=$(awk -v v="$variant" '!/^#/ && $1 == v { $1 = ""; print }' "$ROOT/ci/data/variants")
	[ -n "$row" ] || die "unknown variant '$variant' (valid: $(valid_variants))"
	variant_on_base "$base" "$variant" ||
		die "variant '$variant' is for base $(variant_bases "$variant") only, not $base"
	for item in $row; do
		case $item in *=*) continue ;; esac
		found=
		for f in "$ROOT/patch/$base/"$item; do
			[ -f "$f" ] || continue
			echo "$f"
			found=1
		done
		[ -n "$found" ] || die "variant '$variant' has no patch '$item' for base $base"
	done
}

# The platforms of ci/data/platforms: where a test kernel boots.  The first
# line is the default, whose results stay in OUT/BASE/VARIANT; another
# platform's are in OUT/PLATFORM/BASE/VARIANT, so that both coexist.
valid_platforms() {
	table_keys platforms
}

default_platform() {
	valid_platforms | awk '{ print $1 }'
}
# Every script runs its cells on one platform, the default unless PLATFORM.
PLATFORM=${PLATFORM:-$(default_platform)}
export PLATFORM

# platform_field PLATFORM COLUMN: a column of ci/data/platforms.
platform_field() {
	table_field platforms platform "$1" "$2"
}

# check_platform: PLATFORM must be one of ci/data/platforms, and its
# emulator installed, before any slow work.
check_platform() {
	platform_field "$PLATFORM" 1 >/dev/null
	need "$(platform_field "$PLATFORM" 3)"
}

# results_dir BASE VARIANT: where the run of BASE/VARIANT on PLATFORM keeps
# its results ("BASE/VARIANT" or "PLATFORM/BASE/VARIANT" under OUT, also
# the cell's name in matrix.py).
results_dir() {
	if [ "$PLATFORM" = "$(default_platform)" ]; then
		echo "$OUT/$1/$2"
	else
		echo "$OUT/$PLATFORM/$1/$2"
	fi
}

# kernel_cmdline CONSOLE REPEAT: the test kernel's command line on every
# platform; init.sh reads selftest_repeat and selftest_filter.
kernel_cmdline() {
	echo "console=$1 panic=-1 oops=panic selftest_repeat=$2 selftest_filter=${SELFTEST_FILTER:-} ${EXTRA_APPEND:-}"
}

# emulate LOG CMD...: run an emulator, its output in LOG, for at most
# BOOT_TIMEOUT seconds (900).  timeout puts it in a process group of its
# own, out of reach of Ctrl-C: on SIGINT or SIGTERM, kill that group, then
# die of the same signal so that the callers (run.sh, matrix.sh, make)
# stop too.
emulate() {
	local log=$1
	shift
	timeout -s KILL "${BOOT_TIMEOUT:-900}" "$@" >"$log" 2>&1 </dev/null &
	emulator=$!
	trap 'stop_emulator INT' INT
	trap 'stop_emulator TERM' TERM
	wait "$emulator" || true
	trap - INT TERM
}

stop_emulator() {
	kill -KILL -- "-$emulator" 2>/dev/null || true
	trap - "$1"
	kill "-$1" $$
}

# check_accel: ACCEL must be one that accel.sh knows, before any slow work.
check_accel() {
	case ${ACCEL:-auto} in
	auto | tcg | kvm) ;;
	*) die "unknown ACCEL '$ACCEL' (valid: auto tcg kvm)" ;;
	esac
}

valid_variants() {
	table_keys variants
}

# base_variants BASE: the variants of BASE.
base_variants() {
	local v names=()
	for v in $(valid_variants); do
		if variant_on_base "$1" "$v"; then names+=("$v"); fi
	done
	echo "${names[*]}"
}

# variant_items VARIANT KEY: the values of a variant's KEY=VALUE items in
# ci/data/variants, one a line (the other items are its patches).
variant_items() {
	table_field variants variant "$1" 1 >/dev/null
	awk -v v="$1" -v k="$2=" '!/^#/ && $1 == v { for (i = 2; i <= NF; i++)
		if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$ROOT/ci/data/variants"
}

# variant_bases VARIANT: the bases of a variant: those of its bases=A,B
# item, or every base.
variant_bases() {
	local list
	list=$(variant_items "$1" bases | tr ',' ' ')
	echo "${list:-$(valid_bases)}"
}

# variant_config VARIANT: the config lines of a variant's config= items.
variant_config() {
	variant_items "$1" config
}

# variant_on_base BASE VARIANT: whether VARIANT is a variant of BASE.
variant_on_base() {
	case " $(variant_bases "$2") " in *" $1 "*) return 0 ;; esac
	return 1
}

# stage NAME CMD...: run a stage, print one line with its elapsed time.
stage() {
	local name=$1 t0 t1 rc
	shift
	t0=$(date +%s.%N)
	rc=0
	"$@" || rc=$?
	t1=$(date +%s.%N)
	printf '  %-28s %6.1fs %s\n' "$name" "$(echo "$t1 - $t0" | bc)" \
		"$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" >&2
	return "$rc"
}

# The tests of a run are worked out once, by write_test_list, into
# out/BASE/VARIANT/tests, one "KIND NAME" line each (KIND: kunit, peer or
# own); the initramfs, the judge and the soak report read that file.
#
# write_test_list BASE SRC REV: the KUnit suites that the commit REV of the
# tree SRC has (each file ci/data/kunit-suites lists is named after its suite,
# <suite>_kunit.c), the upstream selftests of ci/data/peer-selftests, then the
# project's own selftests of ci/data/own-selftests that REV has.
write_test_list() {
	local base=$1 src=$2 rev=$3 arch f t
	arch=$(base_field "$base" 5)
	awk '!/^#/ && NF { print $1 }' "$ROOT/ci/data/kunit-suites" | while read -r f; do
		if git -C "$src" cat-file -e "$rev:$f" 2>/dev/null; then
			echo "kunit $(basename "$f" _kunit.c)"
		fi
	done
	awk '!/^#/ && !/^-/ && NF { print "peer", $1 }' "$ROOT/ci/data/peer-selftests" |
		sed "s|@ARCH@|$arch|"
	awk '!/^#/ && NF { print $1 }' "$ROOT/ci/data/own-selftests" | while read -r t; do
		t=${t//@ARCH@/$arch}
		if git -C "$src" cat-file -e "$rev:tools/testing/selftests/kvm/$t.c" 2>/dev/null; then
			echo "own $t"
		fi
	done
}

# tests_of LIST KIND...: the names of the tests of these kinds in LIST.
tests_of() {
	local list=$1
	shift
	awk -v kinds=" $* " 'index(kinds, " " $1 " ") { print $2 }' "$list"
}

# variant_ref VARIANT: the branch of a variant in its base's tree.
variant_ref() {
	echo "variant/$1"
}

# checkout_variant SRC VARIANT: check the variant's branch out, for a build.
checkout_variant() {
	git -C "$1" checkout -q -f "$(variant_ref "$2")"
}

# wait_timeout PID SECONDS: true once PID has ended, false after SECONDS.
wait_timeout() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# cell USAGE BASE VARIANT: a stage's first two arguments, both required.
# Sets base, variant and the cell's paths: src (the base's tree), bld (its
# kernel build directory) and dst (the results: results_dir).
# shellcheck disable=SC2034 # read by the script that sources this file
cell() {
	if [ -z "${2:-}" ] || [ -z "${3:-}" ]; then
		die "usage: $1"
	fi
	base=$2 variant=$3
	src=$WORK/$base/src
	bld=$WORK/$base/build
	dst=$(results_dir "$base" "$variant")
}

# cache_put ENTRY DIR FILE...: keep DIR/FILE... (paths relative to DIR) as
# the cache entry ENTRY, a directory per key.  It is filled beside its
# place and renamed, so that an entry is whole or absent.
cache_put() {
	local entry=$1 dir=$2 f
	shift 2
	rm -rf "$entry.tmp"
	for f in "$@"; do
		mkdir -p "$entry.tmp/$(dirname "$f")"
		cp "$dir/$f" "$entry.tmp/$f"
	done
	rm -rf "$entry"
	mv "$entry.tmp" "$entry"
}

# qemu_root DIR [BINARY...]: the root of a level-1 guest that runs QEMU
# itself (the bench's, the KVM leg's rehearsal): busybox (also as
# /usr/bin/env, for scripts' #! lines), Debian's QEMU with its libraries
# and firmware (in /usr/bin and /usr/share: QEMU looks for its firmware
# beside its binary), and each BINARY with its libraries, in /bin.
qemu_root() {
	local dir=$1 qemu bin lib f
	shift
	qemu=$(command -v qemu-system-x86_64)
	mkdir -p "$dir"/{bin,proc,sys,dev,tmp,usr/bin,usr/share/qemu,usr/share/seabios}
	cp /bin/busybox "$dir/bin/"
	ln -s busybox "$dir/bin/sh"
	ln -s /bin/busybox "$dir/usr/bin/env"
	cp -L "$qemu" "$dir/usr/bin/"
	for bin in "$@"; do cp -L "$bin" "$dir/bin/"; done
	for bin in "$qemu" "$@"; do
		ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
			mkdir -p "$dir$(dirname "$lib")"
			cp -L "$lib" "$dir$lib"
		done
	done
	for f in qboot.rom linuxboot_dma.bin kvmvapic.bin; do
		cp -L "/usr/share/qemu/$f" "$dir/usr/share/qemu/"
	done
	cp -L /usr/share/seabios/bios-256k.bin "$dir/usr/share/seabios/"
}

# pack DIR ARCHIVE: DIR as a gzipped initramfs.
pack() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) >"$2"
}
