#!/usr/bin/env bash
# boot-bochs.sh BASE VARIANT [REPEAT]: boot the test kernel of BASE/VARIANT
# and its initramfs under Debian's Bochs, an emulated Intel CPU with VMX
# (platform bochs-vmx; ci/data/bochs/bochsrc).  Bochs has no direct kernel
# boot: the kernel, the initramfs and the command line go on an isolinux
# CD.  Its two serial ports write console.log and results.log, as QEMU's.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

cell "boot-bochs.sh BASE VARIANT [REPEAT]" "$@"
repeat=${3:-1}
need bochs-bin xorriso timeout
isolinux=/usr/lib/ISOLINUX/isolinux.bin
ldlinux=/usr/lib/syslinux/modules/bios/ldlinux.c32
for f in "$isolinux" "$ldlinux"; do
	[ -f "$f" ] || die "missing $f (run 'make deps')"
done
rm -f "$dst/console.log" "$dst/results.log" "$dst/boot.iso"
cd_root=$(mktemp -d)
trap 'rm -rf "$cd_root"' EXIT
mkdir -p "$cd_root/isolinux"
cp "$isolinux" "$ldlinux" "$cd_root/isolinux/"
cp "$dst/bzImage" "$cd_root/bzimage"
cp "$dst/initramfs.cpio.gz" "$cd_root/initrd.gz"
# Bochs paces its UART at the programmed rate in emulated time: 115200.
cat >"$cd_root/isolinux/isolinux.cfg" <<CFG
default test
prompt 0
label test
  kernel /bzimage
  append initrd=/initrd.gz $(kernel_cmdline ttyS0,115200 "$repeat")
CFG
xorriso -as mkisofs -quiet -r -o "$dst/boot.iso" -b isolinux/isolinux.bin \
	-c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
	"$cd_root" >"$dst/xorriso.log" 2>&1 || die_log "$dst/xorriso.log" "cannot make the boot CD"
# The debugger built into Debian's binary stops before the first
# instruction unless told to continue.
echo c >"$cd_root/rc"
echo "bochs ci/data/bochs/bochsrc" >"$dst/accel"
BXSHARE=/usr/share/bochs BX_ISO=$dst/boot.iso BX_CONSOLE=$dst/console.log \
	BX_RESULTS=$dst/results.log BX_LOG=$dst/bochsout.txt \
	emulate "$dst/bochs.log" bochs-bin -q -f "$ROOT/ci/data/bochs/bochsrc" -rc "$cd_root/rc"
