#!/usr/bin/env bash
# kernel-key.sh SRC FRAGMENT: the key of the test kernel that build.sh makes
# of the tree SRC (its checked-out commit) with the config FRAGMENT: a hash
# of the tree but tools/testing/ and Documentation/, the fragment, the compiler's version and
# RECIPE, which names how build.sh builds (bump it when that changes).
# Equal keys, equal kernels.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

src=${1:?usage: kernel-key.sh SRC FRAGMENT}
frag=${2:?usage: kernel-key.sh SRC FRAGMENT}
{
	git -C "$src" ls-tree HEAD | grep -vP '\t(tools|Documentation)$'
	git -C "$src" ls-tree HEAD:tools 2>/dev/null | grep -vP '\ttesting$' || true
	echo "recipe 1: allnoconfig + fragment, olddefconfig, bzImage, gcc via ccache"
	cat "$frag"
	gcc --version | head -1
} | sha256sum | cut -c1-16
