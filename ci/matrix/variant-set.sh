#!/usr/bin/env bash
# variant-set.sh fixes|mutants: the variants of ci/data/variants in one set, on
# one line: the mutants are those with a mutants/ patch.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

case ${1:-} in
fixes) awk '!/^#/ && NF && !/mutants\// { printf "%s ", $1 }' "$ROOT/ci/data/variants" ;;
mutants) awk '!/^#/ && NF && /mutants\// { printf "%s ", $1 }' "$ROOT/ci/data/variants" ;;
*) die "usage: variant-set.sh fixes|mutants" ;;
esac | sed 's/ $//'
echo
