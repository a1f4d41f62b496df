#!/bin/sh
# /init of the KVM leg's level-1 guest (ci/checks/kvm-leg.sh): a KVM host
# that runs the pipeline's boot.sh with ACCEL=kvm on the cell it carries,
# then sends level 2's logs to the host on /dev/ttyS1.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
out=/dev/ttyS1
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
cell=$(arg kvm_leg)
echo "level 1: $(uname -r), $(grep -cw svm /proc/cpuinfo) CPUs with svm, /dev/kvm: $(ls /dev/kvm 2>&1)"
HOME=/tmp ACCEL=kvm OUT=/out WORK=/tmp/work BOOT_TIMEOUT=$(arg kvm_leg_timeout) \
	bash /ci/pipeline/boot.sh "${cell%/*}" "${cell#*/}"
echo "level 1: boot.sh exited $?"
for f in accel console.log results.log qemu.log; do
	echo "==== L2 $f"
	cat "/out/$cell/$f"
done >"$out"
echo "==== END" >"$out"
echo "==== DONE" >"$out"
poweroff -f
