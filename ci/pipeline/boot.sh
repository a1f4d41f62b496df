#!/usr/bin/env bash
# boot.sh BASE VARIANT [REPEAT]: boot the test kernel of BASE/VARIANT under
# QEMU with its initramfs (platform qemu-svm).  The kernel console goes to
# console.log (KUnit's KTAP and any splat), the selftests' output to
# results.log.  The verdict is the judge's, not this script's.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

cell "boot.sh BASE VARIANT [REPEAT]" "$@"
repeat=${3:-1}
need qemu-system-x86_64 timeout
args=$("$ROOT/ci/pipeline/accel.sh" "${ACCEL:-auto}" "$dst/bzImage")
read -r -a accel <<<"$args"
printf '%s\n' "${accel[*]}" >"$dst/accel"
rm -f "$dst/console.log" "$dst/results.log"
emulate "$dst/qemu.log" qemu-system-x86_64 "${accel[@]}" \
	-smp "${SMP:-2}" -m "${MEM:-2G}" -nodefaults -display none -no-reboot \
	-monitor none -serial "file:$dst/console.log" -serial "file:$dst/results.log" \
	-kernel "$dst/bzImage" -initrd "$dst/initramfs.cpio.gz" \
	-append "$(kernel_cmdline ttyS0 "$repeat")"
