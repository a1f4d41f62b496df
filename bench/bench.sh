#!/usr/bin/env bash
# bench.sh [VARIANT...]: the RFC's performance table in miniature.  For each
# level-1 variant (default: v5.13-logic rfc-fix series) boot the test kernel
# with BENCH_CPUS vCPUs; inside it, Debian's QEMU runs a level-2 Linux (the
# same bzImage) with kvm-pv-unhalt and kvm-steal-time, vCPUs pinned, in two
# topologies (one socket sharing the LLC, one socket per core), BENCH_REPS
# times each, running bench/lu_wake.  Writes out/bench.md and out/bench.png.
# BENCH_WORKLOAD=tlb: instead, bench/tlb_idle (BENCH_ROUNDS rounds of TLB
# shootdowns aimed at idle vCPUs), one topology, the level-2 CPU with
# every PV feature that level 1 offers; writes out/bench-tlb.md.
# BENCH_L2_CPU=full: lu_wake with that CPU too (default: host, the CPU of
# the RFC's table; full is the one with which a level 2 on in-host asks
# for KVM_VCPU_IN_HOST), default variants series and in-host; writes
# out/bench-full.md and out/bench-full.png.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../ci/lib.sh"

base=${BASE:-7.3}
reps=${BENCH_REPS:-3}
phases=${BENCH_PHASES:-500}
cpus=${BENCH_CPUS:-4}
workload=${BENCH_WORKLOAD:-lu_wake}
rounds=${BENCH_ROUNDS:-200}
l2cpu=${BENCH_L2_CPU:-host}
base_field "$base" 1 >/dev/null
case $l2cpu in
host | full) ;;
*) die "unknown BENCH_L2_CPU '$l2cpu' (valid: host full)" ;;
esac
# The default variants: the RFC's table; with the full CPU, or for the TLB
# workload, the series and, where the base has it, the KVM_VCPU_IN_HOST
# RFC on top.
with_in_host=series
if variant_on_base "$base" in-host; then with_in_host="series in-host"; fi
case $workload:$l2cpu in
lu_wake:host) dir=bench marker=BENCH default="v5.13-logic rfc-fix series" ;;
lu_wake:full) dir=bench-full marker=BENCH default=$with_in_host ;;
tlb:*) dir=tlb-bench marker=TLB default=$with_in_host l2cpu=full ;;
*) die "unknown BENCH_WORKLOAD '$workload' (valid: lu_wake tlb)" ;;
esac
read -r -a variants <<<"${*:-$default}"
for v in "${variants[@]}"; do variant_patches "$base" "$v" >/dev/null; done
check_accel
need qemu-system-x86_64 gcc cpio ldd
# The bench runs QEMU itself: it builds the default platform's cells.
PLATFORM=$(default_platform)
export PLATFORM
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Level 2: busybox, the workload, an init.  Level 1: the same plus QEMU
# with its libraries and firmware, the bzImage and the level-2 initramfs.
gcc -O2 -Wall -static -pthread -o "$tmp/lu_wake" "$ROOT/bench/lu_wake.c"
gcc -O2 -Wall -static -pthread -o "$tmp/tlb_idle" "$ROOT/bench/tlb_idle.c"
l2=$tmp/l2
mkdir -p "$l2"/{bin,proc,sys,dev}
cp /bin/busybox "$l2/bin/"
ln -s busybox "$l2/bin/sh"
install -m 755 "$ROOT/bench/l2-init.sh" "$l2/init"
cp "$tmp/lu_wake" "$tmp/tlb_idle" "$l2/"
l1=$tmp/l1
qemu_root "$l1"
mkdir -p "$l1/bench"
install -m 755 "$ROOT/bench/l1-init.sh" "$l1/init"
pack "$l2" "$l1/bench/l2.cpio.gz"

for v in "${variants[@]}"; do
	"$ROOT/ci/pipeline/tree.sh" --no-checkout "$base" "$v" >/dev/null
	stage "build $v" "$ROOT/ci/pipeline/build.sh" "$base" "$v"
	dst=$OUT/$base/$v.$dir
	mkdir -p "$dst"
	cp "$OUT/$base/$v/bzImage" "$dst/bzImage"
	cp "$dst/bzImage" "$l1/bench/bzImage"
	pack "$l1" "$dst/initramfs.cpio.gz"
	# Level 1 itself crashed now and then under TCG (its GS base lost after
	# a VM-Exit: irqentry_enter() read a NULL current, docs/bench.md): a
	# boot that did not finish is booted again, once, and the tables say so.
	again=
	for try in 1 2; do
		SMP=$cpus MEM=4G EXTRA_APPEND="bench_reps=$reps bench_phases=$phases bench_workload=$workload bench_rounds=$rounds bench_cpu=$l2cpu" \
			stage "bench $v" "$ROOT/ci/pipeline/boot.sh" "$base" "$v.$dir"
		grep -q '^==== DONE' "$dst/results.log" && break
		[ "$try" = 1 ] || die_log "$dst/console.log" "the bench run of $v did not finish, twice"
		again=$(grep -m1 -E '^(BUG|Oops|Kernel panic)' "$dst/console.log" | tr -s ' ' || true)
		again="level-1 boot (${again:-no end})"
		echo "  the bench run of $v did not finish: $again; booted again" >&2
		cp "$dst/console.log" "$dst/console.1.log"
	done
	# read_runs() in bench/bench.py counts it with level 2's stalls.
	if [ -n "$again" ]; then
		echo "==== STALL $marker $again" >>"$dst/results.log"
	fi
done
if [ "$workload" = tlb ]; then
	python3 "$ROOT/bench/bench-tlb.py" "$OUT/$base" "$OUT" "${variants[@]}"
else
	python3 "$ROOT/bench/bench.py" --name "$dir" "$OUT/$base" "$OUT" "${variants[@]}"
fi
