#!/usr/bin/env bash
# matrix.sh [BASE...]: run every variant of ci/data/variants (or VARIANTS)
# on every base (or the given ones) on PLATFORM, then compare all cells with
# ci/data/expected.  matrix.sh --check [PLATFORM...]: the cells that make
# check runs (the check column of ci/data/platforms), on every platform or
# on the given ones.  Writes
# out/matrix.md, out/matrix.json and out/junit.xml; exits 1 on any mismatch.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

cells=()
if [ "${1:-}" = --check ]; then
	shift
	read -r -a platforms <<<"${*:-$(valid_platforms)}"
	for platform in "${platforms[@]}"; do platform_field "$platform" 1 >/dev/null; done
	for platform in "${platforms[@]}"; do
		read -r -a want <<<"$(awk -v p="$platform" '!/^#/ && $1 == p { $1 = $2 = $3 = $4 = ""; print }' \
			"$ROOT/ci/data/platforms")"
		for base in $(valid_bases); do
			for variant in $(base_variants "$base"); do
				case " ${want[*]} " in
				*" * "* | *" $base/$variant "*) cells+=("$platform/$base/$variant") ;;
				esac
			done
		done
	done
else
	check_platform
	read -r -a bases <<<"${*:-$(valid_bases)}"
	read -r -a variants <<<"${VARIANTS:-$(valid_variants)}"
	for variant in "${variants[@]}"; do variant_bases "$variant" >/dev/null; done
	for base in "${bases[@]}"; do
		for variant in "${variants[@]}"; do
			# A variant of other bases only (bases= in
			# ci/data/variants) has no cell here.
			if variant_on_base "$base" "$variant"; then
				cells+=("$PLATFORM/$base/$variant")
			fi
		done
	done
fi
[ "${#cells[@]}" -gt 0 ] || die "no cell to run: no variant of ${VARIANTS:-every variant} is of base ${*:-any base}"
t0=$(date +%s)
for c in "${cells[@]}"; do
	IFS=/ read -r platform base variant <<<"$c"
	# A run that breaks leaves no results.json: matrix.py reports its
	# cells as missing, so nothing is lost by going on.
	PLATFORM=$platform "$ROOT/ci/pipeline/run.sh" "$base" "$variant" ||
		echo "error: $c did not complete" >&2
done
echo "== matrix ($(($(date +%s) - t0)) s)"
mkdir -p "$OUT"
# The logs of a run with a mismatch are kept in the cache too (the last
# five matrices with one), so that a CI clone's failure can be read after
# the clone is gone.
failed=$CACHE/failed
rc=0
"$ROOT/ci/matrix/matrix.py" --cells "${cells[@]}" --markdown "$OUT/matrix.md" \
	--json "$OUT/matrix.json" --junit "$OUT/junit.xml" \
	--keep "$failed/$(date -u +%Y%m%dT%H%M%SZ)" || rc=$?
if [ -d "$failed" ]; then
	find "$failed" -mindepth 1 -maxdepth 1 -type d | sort | head -n -5 | xargs -r rm -rf
fi
exit "$rc"
