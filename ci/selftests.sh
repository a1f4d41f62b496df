#!/usr/bin/env bash
# selftests.sh BASE VARIANT: build the KVM selftests that the test kernel
# runs (ci/peer-selftests plus the project's own) as static binaries in the
# variant tree, out of tree.  Prints the directory that holds them.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

base=${1:?usage: selftests.sh BASE VARIANT}
variant=${2:?usage: selftests.sh BASE VARIANT}
src=$WORK/$base/src
bld=$WORK/$base/build
obj=$WORK/$base/selftests
log=$OUT/$base/$variant/selftests-build.log
mkdir -p "$obj"
mapfile -t tests < <(selftest_list "$base" "$src")
[ "${#tests[@]}" -gt 0 ] || die "no selftests to build for $base"

{
	make -C "$src" O="$bld" headers_install &&
	make -C "$src/tools/testing/selftests/kvm" OUTPUT="$obj" \
		INSTALL_HDR_PATH="$bld/usr" KHDR_INCLUDES="-isystem $bld/usr/include" \
		EXTRA_CFLAGS=-static -j"${JOBS:-$(($(nproc) + 1))}" \
		"${tests[@]/#/$obj/}"
} >"$log" 2>&1 || die_log "$log" "selftest build failed for $base/$variant"
echo "$obj"
