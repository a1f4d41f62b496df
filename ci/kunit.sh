#!/usr/bin/env bash
# kunit.sh BASE [VARIANT]: run the series' KUnit suite with the kernel's own
# runner, tools/testing/kunit/kunit.py, in the variant tree (default:
# series).  kunit.py asks QEMU for KVM first; where the host has no usable
# KVM (see ci/accel.sh) /dev/kvm is hidden in a private mount namespace so
# that QEMU falls back to TCG instead of hanging.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

base=${1:?usage: kunit.sh BASE [VARIANT]}
variant=${2:-series}
base_field "$base" 1 >/dev/null
variant_patches "$base" "$variant" >/dev/null
dst=$OUT/$base/$variant
mkdir -p "$dst"
src=$("$ROOT/ci/tree.sh" "$base" "$variant")
[ -f "$src/arch/x86/kvm/.kunitconfig" ] || die "$base/$variant has no arch/x86/kvm/.kunitconfig"
cc=gcc
command -v ccache >/dev/null 2>&1 && cc="ccache gcc"
cmd=(python3 tools/testing/kunit/kunit.py run --arch=x86_64 --kunitconfig=arch/x86/kvm
	--build_dir="$WORK/$base/kunit" --jobs="${JOBS:-$(($(nproc) + 1))}"
	--make_options "CC=$cc" --timeout=600 --json="$dst/kunit.json")
# Probe KVM with the pipeline's test kernel of this base if there is one;
# without one, trust the CPU flags and a writable /dev/kvm.
wrap=()
image=$OUT/$base/series/bzImage
if [ -f "$image" ]; then
	"$ROOT/ci/accel.sh" auto "$image" | grep -q 'accel kvm' && usable=1 || usable=
else
	grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ] && usable=1 || usable=
fi
if [ -e /dev/kvm ] && [ -z "$usable" ]; then
	[ "$(id -u)" -eq 0 ] || die "/dev/kvm is not usable here and hiding it needs root"
	wrap=(unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' kunit)
fi
log=$dst/kunit.log
rc=0
(cd "$src" && "${wrap[@]}" "${cmd[@]}") >"$log" 2>&1 || rc=$?
grep -E '^\[..:..:..\] (Testing complete|Ran|Elapsed)' "$log" | sed 's/^/  /' || true
[ "$rc" -eq 0 ] || die_log "$log" "kunit.py run failed on $base/$variant"
