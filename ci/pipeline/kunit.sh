#!/usr/bin/env bash
# kunit.sh BASE [VARIANT]: run the series' KUnit suite with the kernel's own
# runner, tools/testing/kunit/kunit.py, in the variant tree (default:
# series).  kunit.py asks QEMU for KVM first; where the host has no usable
# KVM (see ci/pipeline/accel.sh) /dev/kvm is hidden in a private mount namespace so
# that QEMU falls back to TCG instead of hanging.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

base=${1:?usage: kunit.sh BASE [VARIANT]}
variant=${2:-series}
base_field "$base" 1 >/dev/null
variant_patches "$base" "$variant" >/dev/null
dst=$OUT/$base/$variant
mkdir -p "$dst"
src=$("$ROOT/ci/pipeline/tree.sh" "$base" "$variant")
[ -f "$src/arch/x86/kvm/.kunitconfig" ] || die "$base/$variant has no arch/x86/kvm/.kunitconfig"
common=(--arch=x86_64 --kunitconfig=arch/x86/kvm --timeout=600 --json="$dst/kunit.json")
# The debug options of the matrix's kernel (ci/data/config/kvm-host.config):
# kunit.py's defconfig has DEBUG_KERNEL off, and with it the checks that
# it turns on (e.g. X86_DEBUG_FPU: an x86 suite that made its vCPU from
# the KUnit thread passed kunit.py and panicked every booted 7.3 kernel).
debug=(--kconfig_add=CONFIG_DEBUG_KERNEL=y)
# kunit.py's kernel is what it is made of: the test kernel's key of the
# variant tree with the .kunitconfig instead of the fragment, and kunit.py's
# own files.  One built before is run again with `kunit.py exec`.
ref=$(variant_ref "$variant")
key=$({
	"$ROOT/ci/pipeline/kernel-key.sh" "$src" "$src/arch/x86/kvm/.kunitconfig" "$ref"
	git -C "$src" rev-parse "$ref:tools/testing/kunit"
	echo "recipe 2: kunit.py run ${common[*]:0:2} ${debug[*]}, gcc via ccache"
} | sha256sum | cut -c1-16)
kcache=$CACHE/kunit/$base-$key
if [ -f "$kcache/bzImage" ]; then
	bdir=$WORK/$base/kunit-exec
	mkdir -p "$bdir/arch/x86/boot"
	cp "$kcache/bzImage" "$bdir/arch/x86/boot/bzImage"
	echo "  (kunit.py kernel $key from the cache)" >&2
	cmd=(python3 tools/testing/kunit/kunit.py exec "${common[@]}" --build_dir="$bdir")
else
	bdir=$WORK/$base/kunit
	cmd=(python3 tools/testing/kunit/kunit.py run "${common[@]}" "${debug[@]}" --build_dir="$bdir"
		--jobs="$JOBS" --make_options "CC=$KCC")
fi
# Probe KVM with the pipeline's test kernel of this base if there is one;
# without one, trust the CPU flags and a writable /dev/kvm.
wrap=()
image=$OUT/$base/series/bzImage
if [ -f "$image" ]; then
	"$ROOT/ci/pipeline/accel.sh" auto "$image" | grep -q 'accel kvm' && usable=1 || usable=
else
	grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ] && usable=1 || usable=
fi
if [ -e /dev/kvm ] && [ -z "$usable" ]; then
	[ "$(id -u)" -eq 0 ] || die "/dev/kvm is not usable here and hiding it needs root"
	wrap=(unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "$@"' kunit)
fi
# QEMU's CPU is the pipeline's (ci/pipeline/accel.sh: the host's with KVM,
# an EPYC with SVM under TCG), as in the matrix, so that a vendor module
# loads: kunit.py's default CPU has neither SVM nor VMX, and a suite that
# needs KVM on its feet would skip, which fails below.
cpu=$("$ROOT/ci/pipeline/accel.sh" "$([ -n "$usable" ] && echo kvm || echo tcg)" | grep -o -- '-cpu .*')
cmd+=(--qemu_args="$cpu")
log=$dst/kunit.log
rc=0
(cd "$src" && "${wrap[@]}" "${cmd[@]}") >"$log" 2>&1 || rc=$?
grep -E '^\[..:..:..\] (Testing complete|Ran|Elapsed)' "$log" | sed 's/^/  /' || true
[ "$rc" -eq 0 ] || die_log "$log" "kunit.py ${cmd[2]} failed on $base/$variant"
if [ ! -f "$kcache/bzImage" ]; then
	cache_put "$kcache" "$bdir/arch/x86/boot" bzImage
	echo "  (kunit.py kernel $key built)" >&2
fi
# kunit.py passes a run with skipped tests: here a skip is a failure.
python3 - "$dst/kunit.json" <<'PY' || die_log "$log" "kunit.py on $base/$variant: a test skipped, or none ran"
import collections, json, sys
# Every test case of every group (6.12's kunit.py writes no totals).
def cases(g):
    yield from (c['status'] for c in g.get('test_cases', []))
    for s in g.get('sub_groups', []):
        yield from cases(s)
n = collections.Counter(cases(json.load(open(sys.argv[1]))))
print('  kunit.json: %d test cases: %s' % (sum(n.values()), ', '.join(
    '%s %d' % (k.lower(), v) for k, v in sorted(n.items()))))
sys.exit(0 if n['PASS'] and set(n) == {'PASS'} else 1)
PY
