#!/usr/bin/env bash
# soak.sh BASE VARIANT N: the project's selftests N times in one boot of
# BASE/VARIANT on PLATFORM, then how many runs failed per scenario.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

cell "soak.sh BASE VARIANT N" "$@"
n=${3:?usage: soak.sh BASE VARIANT N}
# The boot's time limit grows with N: one run of the selftest takes about
# 20 s under Bochs, 5 s under QEMU's TCG.
BOOT_TIMEOUT=${BOOT_TIMEOUT:-$((900 + 60 * n))} SELFTEST_FILTER=preempted_halt_test \
	"$ROOT/ci/pipeline/run.sh" "$base" "$variant" "$n"
"$ROOT/ci/matrix/soak.py" "$dst" "$n" "$PLATFORM" "$base" "$variant"
