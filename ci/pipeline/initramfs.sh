#!/usr/bin/env bash
# initramfs.sh BASE VARIANT SELFTEST-DIR: pack busybox, the init and the
# selftests of the run's test list (out/BASE/VARIANT/tests) into
# out/BASE/VARIANT/initramfs.cpio.gz.  An archive packed before from the
# same files is reused (a hash of all of them names it in the cache).
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

cell "initramfs.sh BASE VARIANT SELFTEST-DIR" "$@"
obj=${3:?usage: initramfs.sh BASE VARIANT SELFTEST-DIR}
need cpio gzip
# Debian's busybox-static installs a static /bin/busybox.
bb=/bin/busybox
if [ ! -x "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
	die "missing busybox-static (run 'make deps')"
fi
mapfile -t tests < <(tests_of "$dst/tests" peer own)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp,tests}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 755 "$ROOT/ci/pipeline/init.sh" "$root/init"
: >"$root/tests/list"
for t in "${tests[@]}"; do
	[ -x "$obj/$t" ] || die "selftest $t was not built"
	mkdir -p "$root/tests/$(dirname "$t")"
	cp "$obj/$t" "$root/tests/$t"
	echo "$t ${SELFTEST_TIMEOUT:-120}" >>"$root/tests/list"
done

key=$(cd "$root" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
cached=$CACHE/initramfs/$key.cpio.gz
if [ -f "$cached" ]; then
	echo "  (initramfs $key from the cache)" >&2
else
	mkdir -p "$CACHE/initramfs"
	pack "$root" "$cached.tmp"
	mv "$cached.tmp" "$cached"
	echo "  (initramfs $key built)" >&2
fi
cp "$cached" "$dst/initramfs.cpio.gz"
