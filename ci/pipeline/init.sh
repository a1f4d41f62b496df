#!/bin/sh
# /init of the test initramfs (busybox).  Runs every selftest listed in
# /tests/list under a timeout and writes the results to the second serial
# port (/dev/ttyS1), framed so that the judge can tell a test that never
# reported from one that failed.  KUnit has already run at boot.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
out=/dev/ttyS1
repeat=$(sed -n 's/.*selftest_repeat=\([0-9]*\).*/\1/p' /proc/cmdline)
filter=$(sed -n 's/.*selftest_filter=\([^ ]*\).*/\1/p' /proc/cmdline)
echo "==== BOOT $(uname -r) cpus=$(nproc)" >"$out"
grep -qw svm /proc/cpuinfo && echo "==== CPU svm" >"$out"
grep -qw vmx /proc/cpuinfo && echo "==== CPU vmx" >"$out"
cd /tests || exit 1
i=0
while [ "$i" -lt "${repeat:-1}" ]; do
	i=$((i + 1))
	while read -r t timeout; do
		case $t in
		*"$filter"*) ;;
		*) continue ;;
		esac
		echo "==== BEGIN $t" >"$out"
		t0=$(cut -d' ' -f1 /proc/uptime)
		timeout -s KILL "$timeout" "./$t" >"$out" 2>&1 </dev/null
		rc=$?
		echo "==== END $t rc=$rc time=$(awk -v t0="$t0" '{ print $1 - t0 }' /proc/uptime)s" >"$out"
	done </tests/list
done
echo "==== DONE" >"$out"
sync
poweroff -f
