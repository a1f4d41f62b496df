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

# Level 1's KVM set its TSC rate at boot, from TCG's early calibration;
# the refined one can differ by more than KVM's 250 ppm tolerance (seen
# here: 2440.865 MHz detected, 2445.403 MHz refined), and then every level-2
# vCPU gets a TSC rate KVM cannot give it ("user requested TSC rate below
# hardware speed": no TSC scaling under TCG), and level 2 stalled for
# minutes.  A TSC that is 0.2 % off is harmless to the bench: tolerate 1 %.
echo 10000 >/sys/module/kvm/parameters/tsc_tolerance_ppm

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

# l2 CPU SOCKETS CORES APPEND: run level 2 to its end (killed after 120 s,
# 10 times what a run takes here: then its line is missing), its vCPUs
# pinned; its serial output in /tmp/l2.log; prints how many vCPUs were
# pinned.
l2() {
	timeout -s KILL 120 qemu-system-x86_64 -name l2,debug-threads=on \
		-accel kvm -cpu "$1" \
		-smp "$ncpu,sockets=$2,cores=$3,threads=1" -m 256 \
		-nodefaults -display none -no-reboot -serial stdio \
		-L /usr/share/qemu -bios qboot.rom \
		-kernel /bench/bzImage -initrd /bench/l2.cpio.gz \
		-append "console=ttyS0 quiet panic=-1 $4" \
		>/tmp/l2.log 2>&1 </dev/null &
	qpid=$!
	pin_vcpus "$qpid"
	wait "$qpid"
}

# Level 2's CPU.  The TLB workload's has every feature level 1 offers:
# QEMU's -cpu host passes on only the PV feature bits it has names for,
# and 7.2 has none for KVM_FEATURE_STEAL_TIME_IN_HOST (18), unless
# migratable=off (invtsc, which that would add, stays off).  lu_wake's
# is the RFC table's (bench_cpu=host) unless bench_cpu=full.
full_cpu=host,migratable=off,-invtsc,-xsave,+kvm-pv-unhalt,+kvm-steal-time
cpu=host,-xsave,+kvm-pv-unhalt,+kvm-steal-time
[ "$(arg bench_cpu)" = full ] && cpu=$full_cpu

# report KIND WHAT PINNED: level 2's "KIND ..." line as "==== KIND WHAT
# pinned=PINNED ...", or "==== KIND WHAT error" and the end of its log.
report() {
	line=$(grep "^$1 " /tmp/l2.log)
	if [ -n "$line" ]; then
		echo "==== $1 $2 pinned=$3 ${line#"$1" }" >"$out"
	else
		echo "==== $1 $2 error" >"$out"
		tail -n 15 /tmp/l2.log >"$out"
	fi
}

# run KIND WHAT CPU SOCKETS CORES APPEND: one repetition, reported.  A level
# 2 without its line (it stalls now and then under TCG, docs/bench.md) is
# reported as "==== STALL KIND WHAT" with the end of its log, and run
# again, once: the tables count those lines.
run() {
	kind=$1 what=$2
	shift 2
	pinned=$(l2 "$@")
	if ! grep -q "^$kind " /tmp/l2.log; then
		echo "==== STALL $kind $what" >"$out"
		tail -n 5 /tmp/l2.log >"$out"
		pinned=$(l2 "$@")
	fi
	report "$kind" "$what" "$pinned"
}

if [ "$(arg bench_workload)" = tlb ]; then
	# The TLB workload: one topology.
	for rep in $(seq 1 "${reps:-1}"); do
		run TLB "rep=$rep" "$full_cpu" 1 "$ncpu" "bench_workload=tlb bench_rounds=$(arg bench_rounds)"
	done
else
	for topo in llc:1:$ncpu nollc:$ncpu:1; do
		name=${topo%%:*}
		s=$(echo "$topo" | cut -d: -f2)
		c=$(echo "$topo" | cut -d: -f3)
		for rep in $(seq 1 "${reps:-1}"); do
			run BENCH "topo=$name rep=$rep" "$cpu" "$s" "$c" "bench_threads=$ncpu bench_phases=${phases:-500}"
		done
	done
fi
echo "==== DONE" >"$out"
poweroff -f
