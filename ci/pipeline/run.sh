#!/usr/bin/env bash
# run.sh BASE VARIANT [REPEAT]: the whole pipeline for one base x variant:
# fetch, prepare the variant tree, build the kernel and the selftests, pack
# the initramfs, boot, judge.  Prints one line per stage with its time and
# leaves the results in results_dir (ci/lib.sh): out/BASE/VARIANT/ on the
# default platform, out/PLATFORM/BASE/VARIANT/ on another.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

cell "run.sh BASE VARIANT [REPEAT]" "$@"
repeat=${3:-1}
base_field "$base" 1 >/dev/null
variant_patches "$base" "$variant" >/dev/null
check_accel
check_platform
rm -f "$dst/results.json"
mkdir -p "$dst"
echo "== $base/$variant on $PLATFORM"
if [ -z "${KERNEL_SRC:-}" ]; then
	stage fetch "$ROOT/ci/pipeline/fetch.sh" "$base" >/dev/null
	cp "$CACHE/$base/source.info" "$dst/source.info"
fi
stage "tree+apply" "$ROOT/ci/pipeline/tree.sh" --no-checkout "$base" "$variant" >/dev/null
write_test_list "$base" "$src" "$(variant_ref "$variant")" >"$dst/tests"
stage "build kernel" "$ROOT/ci/pipeline/build.sh" "$base" "$variant"
obj=$(stage "build selftests" "$ROOT/ci/pipeline/selftests.sh" "$base" "$variant")
stage initramfs "$ROOT/ci/pipeline/initramfs.sh" "$base" "$variant" "$obj"
rm -f "$dst"/results.quirk*.log "$dst"/console.quirk*.log
# A boot that ended on a known platform quirk (ci/data/quirks; the judge
# exits with 3) is booted again, at most twice, its logs kept; soaks
# (REPEAT > 1) count it as a failed run instead.
reboots=0
while :; do
	stage "boot+tests ($PLATFORM)" "$ROOT/$(platform_field "$PLATFORM" 4)" "$base" "$variant" "$repeat"
	rc=0
	"$ROOT/ci/pipeline/judge.py" --platform "$PLATFORM" "$dst" >/dev/null || rc=$?
	if [ "$rc" -ne 3 ] || [ "$repeat" -ne 1 ] || [ "$reboots" -ge 2 ]; then
		break
	fi
	reboots=$((reboots + 1))
	mv "$dst/results.log" "$dst/results.quirk$reboots.log"
	mv "$dst/console.log" "$dst/console.quirk$reboots.log"
	echo "  platform quirk (ci/data/quirks), booting again"
done
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]
