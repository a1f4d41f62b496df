#!/bin/sh
# /init of the level-2 guest: run the workload once, print its BENCH line
# with the number of vCPUs that registered steal time.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
line=$(/lu_wake "$(arg bench_threads)" "$(arg bench_phases)" 200)
echo "$line steal_time_cpus=$(dmesg | grep -c 'kvm-stealtime')"
poweroff -f
