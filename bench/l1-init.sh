#!/bin/sh
# /init of a level-1 guest: the test kernel as a KVM host (under TCG here)
# that starts a level-2 Linux with Debian's QEMU.  Two jobs:
# - the bench (bench/bench.sh): once per topology and repetition, pin the
#   level-2 vCPU threads one per level-1 CPU and report the workload's
#   BENCH line on /dev/ttyS1;
# - with kvm_leg=BASE/VARIANT (ci/checks/kvm-leg.sh): run the pipeline's
#   boot.sh with ACCEL=kvm on that cell, then send level 2's files to the
#   host on /dev/ttyS1, each after a "==== L2 FILE" line, and "==== L2-END"
#   (ci/checks/l2-split.awk takes them apart).
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
out=/dev/ttyS1
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

cell=$(arg kvm_leg)
if [ -n "$cell" ]; then
	echo "level 1: $(grep -cw svm /proc/cpuinfo) CPUs with svm, $(ls /dev/kvm 2>&1)"
	HOME=/tmp ACCEL=kvm OUT=/out WORK=/tmp/work BOOT_TIMEOUT=$(arg kvm_leg_timeout) \
		SELFTEST_FILTER=$(arg kvm_leg_filter) KVM_CPU=$(arg kvm_leg_cpu) \
		bash /ci/pipeline/boot.sh "${cell%/*}" "${cell#*/}"
	echo "level 1: boot.sh exited $?"
	for f in accel console.log results.log qemu.log; do
		echo "==== L2 $f"
		cat "/out/$cell/$f"
	done >"$out"
	echo "==== L2-END" >"$out"
	echo "==== DONE" >"$out"
	poweroff -f
fi

reps=$(arg bench_reps)
phases=$(arg bench_phases)
ncpu=$(nproc)
echo "==== BENCH-BOOT $(uname -r) cpus=$ncpu" >"$out"

pin_vcpus() { # pin QEMU's "CPU n/KVM" threads to level-1 CPU n
	pid=$1
	n=0
	tries=0
	while [ "$n" -lt "$ncpu" ] && [ "$tries" -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
		n=0
		for t in /proc/"$pid"/task/*; do
			c=$(sed -n 's|^CPU \([0-9]*\)/KVM$|\1|p' "$t/comm" 2>/dev/null)
			[ -n "$c" ] || continue
			taskset -p -c "$c" "${t##*/}" >/dev/null 2>&1 && n=$((n + 1))
		done
		tries=$((tries + 1))
		usleep 50000
	done
	echo "$n"
}

for topo in llc:1:$ncpu nollc:$ncpu:1; do
	name=${topo%%:*}
	s=$(echo "$topo" | cut -d: -f2)
	c=$(echo "$topo" | cut -d: -f3)
	for rep in $(seq 1 "${reps:-1}"); do
		qemu-system-x86_64 -name l2,debug-threads=on \
			-accel kvm -cpu host,-xsave,+kvm-pv-unhalt,+kvm-steal-time \
			-smp "$ncpu,sockets=$s,cores=$c,threads=1" -m 256 \
			-nodefaults -display none -no-reboot -serial stdio \
			-L /usr/share/qemu -bios qboot.rom \
			-kernel /bench/bzImage -initrd /bench/l2.cpio.gz \
			-append "console=ttyS0 quiet panic=-1 bench_threads=$ncpu bench_phases=${phases:-500}" \
			>/tmp/l2.log 2>&1 </dev/null &
		qpid=$!
		pinned=$(pin_vcpus "$qpid")
		wait "$qpid"
		line=$(grep '^BENCH ' /tmp/l2.log)
		if [ -n "$line" ]; then
			echo "==== BENCH topo=$name rep=$rep pinned=$pinned ${line#BENCH }" >"$out"
		else
			echo "==== BENCH topo=$name rep=$rep error" >"$out"
			tail -n 15 /tmp/l2.log >"$out"
		fi
	done
done
echo "==== DONE" >"$out"
poweroff -f
