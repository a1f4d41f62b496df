#!/bin/sh
# /init of the level-2 guest: run the workload once (lu_wake, or tlb_idle
# with bench_workload=tlb), print its line (BENCH or TLB).
# steal_time=1: the guest found KVM_FEATURE_STEAL_TIME (its PV TLB flush,
# which needs steal time, is set up), so vcpu_is_preempted() reads it.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
case $(arg bench_workload) in
tlb) line=$(/tlb_idle "$(arg bench_rounds)" 5000) ;;
*) line=$(/lu_wake "$(arg bench_threads)" "$(arg bench_phases)" 200) ;;
esac
echo "$line steal_time=$(dmesg | grep -c 'KVM setup pv remote TLB flush')"
poweroff -f
