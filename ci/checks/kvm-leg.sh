#!/usr/bin/env bash
# kvm-leg.sh [BASE] [VARIANT]: rehearse the workflow's KVM leg (ACCEL=kvm),
# which needs a host whose test kernel gets SVM or VMX: none here.  The test
# kernel of BASE/VARIANT (default: the last base, series) is booted under
# TCG as a level-1 KVM host with the bench's init (bench/l1-init.sh); in it,
# ci/pipeline/boot.sh itself runs with ACCEL=kvm and boots the same kernel
# and initramfs at level 2 with `-accel kvm -cpu host`, whose KUnit and
# selftests then run their own VMs at level 3.  The level-2 logs come back
# on level 1's second serial port and are judged as any cell is, in
# out/BASE/VARIANT.kvm-leg/l2.  Slow: level 1 runs under TCG, and the
# levels above it on the SVM that TCG emulates.  SELFTEST_FILTER=NAME runs
# only the selftests whose name contains NAME (KUnit always runs).
#
# Level 2 runs with -cpu host,-xsave, not the leg's -cpu host: under a
# level 1 that TCG runs, -cpu host offers XSAVE with an empty CPUID leaf
# 0xd, and the 7.3 test kernel then panics in fpstate_reset() at boot
# (measured; the bench drops XSAVE for the same reason).  On a runner whose
# KVM is hardware's, the leg keeps -cpu host.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

base=${1:-$(newest_base)}
variant=${2:-series}
base_field "$base" 1 >/dev/null
variant_patches "$base" "$variant" >/dev/null
need qemu-system-x86_64 bash cpio gzip ldd
# QEMU is level 1's emulator: the default platform's cell, whatever PLATFORM.
PLATFORM=$(default_platform)
export PLATFORM
# The ordinary cell first: it builds (or takes from the cache) the kernel,
# the selftests and the initramfs, and boots them once under TCG.
filter=${SELFTEST_FILTER:-}
SELFTEST_FILTER='' ACCEL=tcg "$ROOT/ci/pipeline/run.sh" "$base" "$variant"
cell=$OUT/$base/$variant
dst=$OUT/$base/$variant.kvm-leg
rm -rf "$dst"
mkdir -p "$dst/l2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Level 1: QEMU and bash, the pipeline's boot.sh with what it sources, and
# the cell's kernel and initramfs where boot.sh looks for them.
l1=$tmp/l1
qemu_root "$l1" "$(command -v bash)"
mkdir -p "$l1/ci/pipeline" "$l1/ci/data" "$l1/out/$base/$variant"
cp "$ROOT/ci/lib.sh" "$l1/ci/"
cp "$ROOT/ci/data/platforms" "$l1/ci/data/"
cp "$ROOT/ci/pipeline/boot.sh" "$ROOT/ci/pipeline/accel.sh" "$l1/ci/pipeline/"
cp "$cell/bzImage" "$cell/initramfs.cpio.gz" "$l1/out/$base/$variant/"
install -m 755 "$ROOT/bench/l1-init.sh" "$l1/init"
cp "$cell/bzImage" "$dst/bzImage"
pack "$l1" "$dst/initramfs.cpio.gz"
# Level 2 may take all but the last 5 minutes of level 1's time.
timeout=${KVM_LEG_TIMEOUT:-5400}
SMP=2 MEM=4G BOOT_TIMEOUT=$timeout ACCEL=tcg \
	EXTRA_APPEND="kvm_leg=$base/$variant kvm_leg_timeout=$((timeout - 300)) kvm_leg_filter=$filter kvm_leg_cpu=${KVM_CPU:-host,-xsave}" \
	stage "level 1 (TCG) boots level 2 (KVM)" "$ROOT/ci/pipeline/boot.sh" "$base" "$variant.kvm-leg"

awk -v dir="$dst/l2" -f "$ROOT/ci/checks/l2-split.awk" "$dst/results.log"
[ -f "$dst/l2/accel" ] ||
	die_log "$dst/console.log" "level 1 did not report a level-2 run"
awk -v f="$filter" '$1 == "kunit" || index($2, f)' "$cell/tests" >"$dst/l2/tests"
"$ROOT/ci/pipeline/judge.py" "$dst/l2" | sed 's/^/  /'
echo "  level 2's accelerator: $(cat "$dst/l2/accel")"
echo "  level 2's CPU virtualization: $(sed -n 's/^==== CPU //p' "$dst/l2/results.log" | sort -u | xargs || true)"
pass=$(python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))["cells"]
print(sum(v == "pass" for v in c.values()), sum(v != "pass" for v in c.values()))' "$dst/l2/results.json")
echo "kvm-leg $base/$variant: ${pass% *} passed, ${pass#* } failed"
[ "${pass#* }" -eq 0 ]
