#!/usr/bin/env bash
# initramfs.sh BASE VARIANT SELFTEST-DIR [REPEAT]: pack busybox, the init and
# the selftests into out/BASE/VARIANT/initramfs.cpio.gz.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

base=${1:?usage: initramfs.sh BASE VARIANT SELFTEST-DIR}
variant=${2:?usage: initramfs.sh BASE VARIANT SELFTEST-DIR}
obj=${3:?usage: initramfs.sh BASE VARIANT SELFTEST-DIR}
need cpio gzip
# Debian's busybox-static installs a static /bin/busybox.
bb=/bin/busybox
if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
	die "missing busybox-static (run 'make deps')"
fi
dst=$OUT/$base/$variant
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp,tests}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 755 "$ROOT/ci/init.sh" "$root/init"
: >"$root/tests/list"
while read -r t; do
	[ -x "$obj/$t" ] || die "selftest $t was not built"
	mkdir -p "$root/tests/$(dirname "$t")"
	cp "$obj/$t" "$root/tests/$t"
	echo "$t ${SELFTEST_TIMEOUT:-120}" >>"$root/tests/list"
done < <(selftest_list "$base" "$WORK/$base/src")
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dst/initramfs.cpio.gz"
