#!/usr/bin/env bash
# rehearse.sh lint|fixes|mutants|make|check [BASE]: run one job of the
# GitHub workflow (or, for "make" and "check", a new user's first `make` or
# `make check`) the way the runner runs it, on this machine: in a new
# Debian bookworm root
# file system (mmdebstrap, cached), on a copy of the checkout owned by
# another user (uid 1001, as actions/checkout leaves it), as root, with the
# workflow's own glue command (its GLUE line) and make target.  The cache
# directory is the workflow's: .cache in the checkout, empty unless
# REHEARSE_CACHE=warm, which lends it this machine's sources and kernels
# (as a restored actions/cache would); REHEARSE_CACHE=/DIR uses the
# directory DIR (empty or not) and leaves it behind.  ccache always starts
# empty.  NO_KVM=1 hides /dev/kvm.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

job=${1:?usage: rehearse.sh lint|fixes|mutants|make|check [BASE]}
base=${2:-$(newest_base)}
case $job in
lint) target="make tooling-test lint" ;;
make) target="make BASE=$base" ;;
check) target="make check" ;;
fixes | mutants)
	base_field "$base" 1 >/dev/null
	target="make matrix BASES=$base VARIANTS=\"$("$ROOT/ci/matrix/variant-set.sh" "$job")\" ACCEL=tcg"
	;;
*) die "unknown job '$job' (valid: lint fixes mutants make check)" ;;
esac
case ${REHEARSE_CACHE:-} in
"" | warm | /*) ;;
*) die "REHEARSE_CACHE must be empty, 'warm' or an absolute path, not '$REHEARSE_CACHE'" ;;
esac
[ "$(id -u)" -eq 0 ] || die "rehearse.sh needs root (chroot, mounts)"
need mmdebstrap chroot mount
glue=$(sed -n 's/^  GLUE: //p' "$ROOT/.github/workflows/ci.yml")
[ -n "$glue" ] || die "no GLUE line in .github/workflows/ci.yml"

# The root file system: Debian's, with only what the runner's image has
# that the job relies on (git for actions/checkout, ca-certificates).
rootfs=$CACHE/rootfs/bookworm
if [ ! -d "$rootfs" ]; then
	mkdir -p "$(dirname "$rootfs")"
	# An interrupted mmdebstrap can leave its mounts behind.
	if [ -d "$rootfs.tmp" ]; then
		awk -v d="$rootfs.tmp/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
			xargs -r umount -l
		rm -rf "$rootfs.tmp"
	fi
	mmdebstrap --variant=apt --include=ca-certificates,git bookworm "$rootfs.tmp" \
		>"$CACHE/rootfs/mmdebstrap.log" 2>&1 ||
		die_log "$CACHE/rootfs/mmdebstrap.log" "mmdebstrap failed"
	mv "$rootfs.tmp" "$rootfs"
fi

dir=$(mktemp -d /var/tmp/rehearse.XXXXXX)
mounts=()
cleanup() {
	local m i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		m=${mounts[$i]}
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cp -a "$rootfs/." "$dir/"
cp /etc/resolv.conf "$dir/etc/resolv.conf"
# Trust what this host trusts (a network whose proxy has its own CA), as a
# runner trusts its own network; Node.js reads it from NODE_EXTRA_CA_CERTS.
cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/host-ca.crt" 2>/dev/null || true
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; mounts+=("$2"); }
mount -t proc proc "$dir/proc"
mounts+=("$dir/proc")
bind /dev "$dir/dev"
if [ -n "${NO_KVM:-}" ] && [ -e /dev/kvm ]; then
	mount --bind /dev/null "$dir/dev/kvm"
	mounts+=("$dir/dev/kvm")
fi

# The checkout: the committed tree, owned by the runner's user.
w=$dir/w
git -C "$ROOT" archive --format=tar --prefix=w/ HEAD | tar -x -C "$dir"
git -C "$w" init -q && git -C "$w" add -A && git -C "$w" -c user.name=runner \
	-c user.email=runner@localhost commit -q -m checkout
chown -R 1001:1001 "$w"
mkdir -p "$w/.cache/kvm-preempt-ci"
case ${REHEARSE_CACHE:-} in
warm) bind "$CACHE" "$w/.cache/kvm-preempt-ci" ;;
/*)
	mkdir -p "$REHEARSE_CACHE"
	bind "$REHEARSE_CACHE" "$w/.cache/kvm-preempt-ci"
	;;
esac

log=$OUT/rehearse-$job.log
mkdir -p "$OUT"
echo "rehearsal of '$job' in $dir: $glue && $target"
t0=$(date +%s)
rc=0
chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root CI=true \
	NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca.crt \
	XDG_CACHE_HOME=/w/.cache CCACHE_DIR=/w/.cache/ccache \
	sh -c "cd /w && $glue && $target" >"$log" 2>&1 || rc=$?
tail -n 25 "$log"
echo "rehearsal of '$job': rc=$rc in $(($(date +%s) - t0)) s (log: $log)"
if [ "$rc" -eq 0 ]; then
	echo "rehearse $job: 1 passed, 0 failed"
else
	echo "rehearse $job: 0 passed, 1 failed"
fi
[ "$rc" -eq 0 ]
