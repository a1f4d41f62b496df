#!/usr/bin/env bash
# run.sh BASE VARIANT [REPEAT]: the whole pipeline for one base x variant:
# fetch, prepare the variant tree, build the kernel and the selftests, pack
# the initramfs, boot, judge.  Prints one line per stage with its time and
# leaves the results in out/BASE/VARIANT/.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

base=${1:?usage: run.sh BASE VARIANT [REPEAT]}
variant=${2:?usage: run.sh BASE VARIANT [REPEAT]}
repeat=${3:-1}
base_field "$base" 1 >/dev/null
variant_patches "$base" "$variant" >/dev/null
check_accel
dst=$OUT/$base/$variant
rm -f "$dst/results.json" "$dst/timings"
mkdir -p "$dst"
export TIMINGS=$dst/timings
src=$WORK/$base/src
echo "== $base/$variant"
if [ -z "${KERNEL_SRC:-}" ]; then
	stage fetch "$ROOT/ci/fetch.sh" "$base" >/dev/null
	cp "$CACHE/$base/source.info" "$dst/source.info"
fi
stage "tree+apply" "$ROOT/ci/tree.sh" "$base" "$variant" >/dev/null
stage "build kernel" "$ROOT/ci/build.sh" "$base" "$variant"
stage "build selftests" "$ROOT/ci/selftests.sh" "$base" "$variant" >/dev/null
stage initramfs "$ROOT/ci/initramfs.sh" "$base" "$variant" "$WORK/$base/selftests"
stage "boot+tests" "$ROOT/ci/boot.sh" "$base" "$variant" "$repeat"

args=()
while read -r s; do args+=(--kunit "$s"); done < <(kunit_suites "$src")
while read -r t; do args+=(--selftest "$t"); done < <(peer_selftests "$base")
while read -r t; do args+=(--own "$t"); done < <(own_selftests "$base" "$src")
"$ROOT/ci/judge.py" "$dst" "${args[@]}" >"$dst/cells"
