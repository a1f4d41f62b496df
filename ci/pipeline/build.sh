#!/usr/bin/env bash
# build.sh BASE VARIANT: configure (allnoconfig + ci/config fragment) and
# build the test kernel out of tree in one build directory per base, so a
# variant switch recompiles only what changed.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

cell "build.sh BASE VARIANT" "$@"
log=$dst/build.log
mkdir -p "$bld" "$(dirname "$log")"
need make gcc flex bison bc
frag=$ROOT/ci/data/config/kvm-host.config
# A variant's config= items (ci/data/variants) are added to the fragment;
# a variant without any keeps the fragment itself, and so its key.
extra=$(variant_config "$variant")
if [ -n "$extra" ]; then
	mkdir -p "$WORK/$base"
	{ cat "$frag"; echo "# config= of $variant (ci/data/variants)"; echo "$extra"; } \
		>"$WORK/$base/$variant.config"
	frag=$WORK/$base/$variant.config
fi
kmake() { make -C "$src" O="$bld" CC="$KCC" -j"$JOBS" "$@"; }

# A kernel is what it is made of (ci/pipeline/kernel-key.sh).  One built before from
# the same inputs is reused (a directory per key under the cache); boots
# never are.
key=$("$ROOT/ci/pipeline/kernel-key.sh" "$src" "$frag" "$(variant_ref "$variant")")
kcache=$CACHE/kernels/$base-$key
if [ -f "$kcache/bzImage" ]; then
	cp "$kcache/bzImage" "$dst/bzImage"
	echo "cached $key" >"$log"
	echo "  (kernel $key from the cache)" >&2
	exit 0
fi
checkout_variant "$src" "$variant"

# One configuration for every variant of a base: allnoconfig plus the
# fragment.  Kbuild tracks each CONFIG_ symbol, so a variant that adds one
# (the series' KUnit option) rebuilds only the files that use it.
{
	kmake allnoconfig &&
	"$src/scripts/kconfig/merge_config.sh" -m -O "$bld" "$bld/.config" "$frag" &&
	kmake olddefconfig
} >"$log" 2>&1 || die_log "$log" "configuring $base failed"
# Every option of the fragment must survive olddefconfig, except the
# series' KUnit suites (CONFIG_KVM_*_PREEMPT_KUNIT_TEST) where the variant's
# tree does not define them (upstream: the base and the selftest alone):
# the host's in arch/x86/kvm/Kconfig, the guest's (the in-host RFC's, a
# config= item) in arch/x86/Kconfig.
missing=$(grep '^CONFIG_' "$frag" | while read -r l; do
	sym=${l%%=*}
	case $sym in
	CONFIG_KVM_*_PREEMPT_KUNIT_TEST)
		grep -qs "^config ${sym#CONFIG_}\$" "$src/arch/x86/kvm/Kconfig" "$src/arch/x86/Kconfig" ||
			continue ;;
	esac
	case $l in
	*=n) grep -q "^$sym=" "$bld/.config" && echo "$l" ;;
	*) grep -qx "$l" "$bld/.config" || echo "$l" ;;
	esac
done || true)
[ -z "$missing" ] || die "config options dropped by olddefconfig on $base/$variant: $(echo "$missing" | xargs)"
# A line every 30 s while it builds, so that a cold build (minutes) is
# visibly alive without flooding a CI log.
kmake bzImage >>"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null' EXIT
t0=$(date +%s)
while ! wait_timeout "$pid" 30; do
	echo "  ... building $base/$variant: $(($(date +%s) - t0)) s, $(grep -c '^  CC ' "$log") files compiled" >&2
done
wait "$pid" || die_log "$log" "kernel build failed for $base/$variant"
trap - EXIT
cp "$bld/arch/x86/boot/bzImage" "$dst/bzImage"
cache_put "$kcache" "$bld/arch/x86/boot" bzImage
echo "  (kernel $key built)" >&2
