#!/usr/bin/env bash
# selftests.sh BASE VARIANT: build the KVM selftests of the run's test list
# (out/BASE/VARIANT/tests: the peer suite plus the project's own) as static
# binaries, out of tree.  Binaries built before from the same inputs
# (ci/pipeline/selftests-key.sh) are reused.  Prints the directory that holds them.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

cell "selftests.sh BASE VARIANT" "$@"
obj=$WORK/$base/selftests
list=$dst/tests
log=$dst/selftests-build.log
[ -f "$list" ] || die "no test list $list (run.sh writes it)"
mapfile -t tests < <(tests_of "$list" peer own)
[ "${#tests[@]}" -gt 0 ] || die "no selftests to build for $base"

key=$("$ROOT/ci/pipeline/selftests-key.sh" "$src" "$(variant_ref "$variant")" "$list")
scache=$CACHE/selftests/$base-$key
if [ -d "$scache" ]; then
	echo "cached $key" >"$log"
	echo "  (selftests $key from the cache)" >&2
	echo "$scache"
	exit 0
fi
checkout_variant "$src" "$variant"
mkdir -p "$obj"
{
	make -C "$src" O="$bld" headers_install &&
	make -C "$src/tools/testing/selftests/kvm" OUTPUT="$obj" \
		INSTALL_HDR_PATH="$bld/usr" KHDR_INCLUDES="-isystem $bld/usr/include" \
		EXTRA_CFLAGS=-static -j"$JOBS" \
		"${tests[@]/#/$obj/}"
} >"$log" 2>&1 || die_log "$log" "selftest build failed for $base/$variant"
for t in "${tests[@]}"; do
	[ -x "$obj/$t" ] || die "selftest $t was not built (log: $log)"
done
cache_put "$scache" "$obj" "${tests[@]}"
echo "  (selftests $key built)" >&2
echo "$scache"
