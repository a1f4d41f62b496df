#!/usr/bin/env bash
# matrix.sh [BASE...]: run every variant of ci/data/variants on every base (or
# the given ones), then compare all cells with ci/expected.  Writes
# out/matrix.md, out/matrix.json and out/junit.xml; exits 1 on any mismatch.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

read -r -a bases <<<"${*:-$(valid_bases)}"
read -r -a variants <<<"${VARIANTS:-$(valid_variants)}"
cells=()
t0=$(date +%s)
for base in "${bases[@]}"; do
	for variant in "${variants[@]}"; do
		cells+=("$base/$variant")
		# A run that breaks leaves no results.json: matrix.py reports
		# its cells as missing, so nothing is lost by going on.
		"$ROOT/ci/pipeline/run.sh" "$base" "$variant" || echo "error: $base/$variant did not complete" >&2
	done
done
echo "== matrix ($(($(date +%s) - t0)) s)"
mkdir -p "$OUT"
"$ROOT/ci/matrix/matrix.py" --cells "${cells[@]}" --markdown "$OUT/matrix.md" \
	--json "$OUT/matrix.json" --junit "$OUT/junit.xml"
