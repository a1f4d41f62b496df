#!/usr/bin/env bash
# kernel-key.sh SRC FRAGMENT [REV]: the key of the test kernel that build.sh
# makes of the commit REV (default HEAD) of the tree SRC with the config
# FRAGMENT: a hash of the commit's tree but tools/testing/ and
# Documentation/, the fragment, the compiler's version and RECIPE, which
# names how build.sh builds (bump it when that changes).  Equal keys, equal
# kernels.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

src=${1:?usage: kernel-key.sh SRC FRAGMENT [REV]}
frag=${2:?usage: kernel-key.sh SRC FRAGMENT [REV]}
rev=${3:-HEAD}
{
	git -C "$src" ls-tree "$rev" | grep -vP '\t(tools|Documentation)$'
	git -C "$src" ls-tree "$rev:tools" 2>/dev/null | grep -vP '\ttesting$' || true
	echo "recipe 1: allnoconfig + fragment, olddefconfig, bzImage, gcc via ccache"
	cat "$frag"
	gcc --version | sed -n 1p
} | sha256sum | cut -c1-16
