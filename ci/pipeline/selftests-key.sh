#!/usr/bin/env bash
# selftests-key.sh SRC REV LIST: the key of the selftest binaries that
# selftests.sh builds from the commit REV of the tree SRC for the tests of
# the test list LIST: a hash of what the build reads (tools/, the UAPI
# headers and what generates them, scripts/, the top Makefile), the names
# of the tests, the compiler's and the C library's versions and RECIPE.
# A KVM change outside the UAPI does not change it: one build serves every
# variant of a base.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

src=${1:?usage: selftests-key.sh SRC REV LIST}
rev=${2:?usage: selftests-key.sh SRC REV LIST}
list=${3:?usage: selftests-key.sh SRC REV LIST}
{
	git -C "$src" ls-tree "$rev" -- tools include/uapi arch/x86/include/uapi \
		arch/x86/entry/syscalls scripts Makefile usr
	tests_of "$list" peer own
	echo "recipe 1: headers_install, then the selftests' Makefile, EXTRA_CFLAGS=-static"
	gcc --version | sed -n 1p
	ldd --version | sed -n 1p
} | sha256sum | cut -c1-16
