#!/usr/bin/env bash
# sources.sh [--check]: write the test sources that each base's series adds
# (the KUnit suites and their .kunitconfig, the selftest) to kunit/BASE/ and
# selftests/BASE/, for reading.  The patches in patch/BASE/series/ are the
# only copy that is edited; --check fails if a written file is out of date.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

check=${1:-}
rc=0
# added BASE PATH: the content of the file PATH that the series of BASE adds.
added() {
	awk -v f="b/$2" '
		/^diff --git / { on = ($4 == f); body = 0 } on && /^@@/ { body = 1; next }
		on && body && /^\+/ { print substr($0, 2) }' "$ROOT"/patch/"$1"/series/*.patch
}
for base in $(valid_bases); do
	while read -r path; do
		case $path in
		*_kunit.c | */.kunitconfig) dir=kunit ;;
		tools/testing/selftests/*) dir=selftests ;;
		*) continue ;;
		esac
		dst=$ROOT/$dir/$base/$(basename "$path")
		if [ "$check" = --check ]; then
			added "$base" "$path" | cmp -s - "$dst" ||
				{ echo "error: $dir/$base/$(basename "$path") is not what patch/$base/series adds (run make sources)" >&2; rc=1; }
		else
			mkdir -p "$(dirname "$dst")"
			added "$base" "$path" >"$dst"
		fi
	done < <(grep -h -A1 '^diff --git' "$ROOT"/patch/"$base"/series/*.patch |
		awk '/^diff --git/ { p = substr($4, 3) } /^new file mode/ { print p }')
done
exit "$rc"
