#!/usr/bin/env bash
# accel.sh [auto|tcg|kvm] [BZIMAGE]: print the QEMU acceleration arguments.
# "auto" picks KVM only if the host CPU has vmx/svm and a probe guest really
# boots BZIMAGE to its init with it (a /dev/kvm that exists is not enough:
# here it hangs ordinary guests); otherwise TCG with an emulated SVM CPU,
# which runs KVM inside.  KVM_CPU sets ACCEL=kvm's -cpu (default: host).
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

mode=${1:-auto}
tcg="-accel tcg,thread=multi -cpu EPYC,+svm,+npt"
kvm="-accel kvm -cpu ${KVM_CPU:-host}"
case $mode in
tcg) echo "$tcg" ;;
kvm)
	grep -qwE 'vmx|svm' /proc/cpuinfo || die "ACCEL=kvm but the host CPU has no vmx/svm"
	echo "$kvm"
	;;
auto)
	# The probe's verdict is the host's and QEMU's: it is kept per host
	# kernel, CPU and QEMU version, so that only the first run pays for
	# it (rm -r ~/.cache/kvm-preempt-ci/accel after loading kvm).
	verdict=tcg
	if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ] && [ -f "${2:-}" ]; then
		host=$({ uname -rv; grep -m1 '^model name' /proc/cpuinfo; qemu-system-x86_64 --version | sed -n 1p; } |
			sha256sum | cut -c1-16)
		probe=$CACHE/accel/$host
		if [ -f "$probe" ]; then
			verdict=$(cat "$probe")
		else
			if timeout 30 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults \
				-display none -no-reboot -serial stdio -kernel "$2" \
				-append "console=ttyS0 panic=-1 rdinit=/probe-init" </dev/null 2>&1 |
				grep -q 'probe-init'; then
				verdict=kvm
			fi
			mkdir -p "$CACHE/accel"
			echo "$verdict" >"$probe"
		fi
	fi
	if [ "$verdict" = kvm ]; then echo "$kvm"; else echo "$tcg"; fi
	;;
*) die "unknown ACCEL '$mode' (valid: auto tcg kvm)" ;;
esac
