#!/usr/bin/env bash
# sources.sh [--check]: write the test sources that each base's series adds
# (the KUnit suites and their .kunitconfig, the selftest) to kunit/BASE/ and
# selftests/BASE/, for reading, each with a note that names the patch it
# comes from.  The patches in patch/BASE/series/ are the only copy that is
# edited; --check fails if a written file is out of date or if a file there
# comes from no patch.  Both modes check that 6.12's selftest is the port of
# 7.3's.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

check=${1:-}
rc=0
newest=$(newest_base)
# added BASE PATH: the content of the file PATH that the series of BASE adds.
added() {
	awk -v f="b/$2" '
		/^diff --git / { on = ($4 == f); body = 0 } on && /^@@/ { body = 1; next }
		on && body && /^\+/ { print substr($0, 2) }' "$ROOT"/patch/"$1"/series/*.patch
}
# view BASE PATH DIR: what DIR/BASE/<name> holds: the added file with a note
# after its SPDX line (C) or at its top (.kunitconfig).
view() {
	local base=$1 path=$2 dir=$3 name patch note
	name=$(basename "$path")
	patch=$(grep -l "^diff --git a/$path b/$path\$" "$ROOT"/patch/"$base"/series/*.patch | head -1)
	note="Written by make sources from patch/$base/series/$(basename "$patch"):
edit the patch."
	if [ "$base" != "$newest" ]; then
		note="$note
A deliberate backport: the $base LTS port of $dir/$newest/$name."
	fi
	case $name in
	*.c) added "$base" "$path" | awk -v n="$note" '
		NR == 1 { print; print "/*"; gsub(/\n/, "\n * ", n); print " * " n; print " */"; next }
		{ print }' ;;
	*) printf '# %s\n' "${note//$'\n'/$'\n# '}" && added "$base" "$path" ;;
	esac
}
for base in $(valid_bases); do
	written=()
	while read -r path; do
		case $path in
		*_kunit.c | */.kunitconfig) dir=kunit ;;
		tools/testing/selftests/*) dir=selftests ;;
		*) continue ;;
		esac
		rel=$dir/$base/$(basename "$path")
		written+=("$rel")
		if [ "$check" = --check ]; then
			view "$base" "$path" "$dir" | cmp -s - "$ROOT/$rel" ||
				{ echo "error: $rel is not what patch/$base/series adds (run make sources)" >&2; rc=1; }
		else
			mkdir -p "$ROOT/$dir/$base"
			view "$base" "$path" "$dir" >"$ROOT/$rel"
		fi
	done < <(grep -h -A1 '^diff --git' "$ROOT"/patch/"$base"/series/*.patch |
		awk '/^diff --git/ { p = substr($4, 3) } /^new file mode/ { print p }')
	# A file that no patch adds any more.
	for f in "$ROOT"/kunit/"$base"/* "$ROOT"/kunit/"$base"/.kunitconfig "$ROOT"/selftests/"$base"/*; do
		[ -f "$f" ] || continue
		rel=${f#"$ROOT"/}
		case " ${written[*]} " in *" $rel "*) continue ;; esac
		if [ "$check" = --check ]; then
			echo "error: $rel comes from no patch of patch/$base/series (run make sources)" >&2
			rc=1
		else
			rm "$f"
		fi
	done
done
# The 6.12 selftest is not a second copy: it is the 7.3 one through the
# port script, and must stay so.
sel() { echo "tools/testing/selftests/kvm/$(base_field "$1" 5)/preempted_halt_test.c"; }
added 7.3 "$(sel 7.3)" | "$ROOT/ci/submission/port-selftest-6.12.py" | cmp -s - <(added 6.12 "$(sel 6.12)") ||
	{ echo "error: patch/6.12's selftest is not the port of 7.3's (ci/submission/port-selftest-6.12.py)" >&2; rc=1; }
exit "$rc"
