#!/usr/bin/env bash
# verdict.sh BASE VARIANT: compare one run with ci/data/expected, reading the
# results from the OUT that run.sh wrote them to (out/kernel-src/ with
# KERNEL_SRC).
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

exec "$ROOT/ci/matrix/matrix.py" --out "$OUT" --only "${1:?usage: verdict.sh BASE VARIANT}" "${2:?usage: verdict.sh BASE VARIANT}"
