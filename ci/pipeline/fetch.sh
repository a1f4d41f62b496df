#!/usr/bin/env bash
# fetch.sh BASE: download the Debian linux-source package of BASE into the
# cache and print the path of the kernel tarball.  Never touches the
# machine's apt configuration: a private sources list and lists directory
# are used.  KERNEL_TARBALL=path skips the download.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

base=${1:?usage: fetch.sh BASE}
pkg=$(base_field "$base" 2)
suite=$(base_field "$base" 3)
archive=$(base_field "$base" 4)
dir=$CACHE/$base
mkdir -p "$dir"

if [ -n "${KERNEL_TARBALL:-}" ]; then
	[ -f "$KERNEL_TARBALL" ] || die "KERNEL_TARBALL=$KERNEL_TARBALL does not exist"
	xz -t "$KERNEL_TARBALL" 2>/dev/null || die "corrupt tarball $KERNEL_TARBALL"
	printf 'local\t%s\t%s\n' "$KERNEL_TARBALL" \
		"$(sha256sum "$KERNEL_TARBALL" | cut -d' ' -f1)" >"$dir/source.info"
	echo "$KERNEL_TARBALL"
	exit 0
fi

need apt-get dpkg-deb xz sha256sum
apt=$dir/apt
mkdir -p "$apt/lists/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive $suite main" \
	>"$apt/sources.list"
opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=-"
      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Get::List-Cleanup=0")

# Refresh the package list at most once a day; versions inside a suite move.
if [ -z "$(find "$apt/lists" -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
	apt-get "${opts[@]}" update >"$apt/update.log" 2>&1 ||
		die_log "$apt/update.log" "cannot fetch the package list of $suite"
	# apt leaves lists/partial to _apt, mode 0700: let a cache saver read it.
	chmod -R a+rX "$apt" 2>/dev/null || true
fi
version=$(apt-cache "${opts[@]}" policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
	die "package $pkg not found in $suite"
fi

deb=$dir/${pkg}_${version}_all.deb
tarball=$dir/$pkg-$version.tar.xz
if [ ! -f "$tarball" ]; then
	if [ ! -f "$deb" ]; then
		(cd "$dir" && apt-get "${opts[@]}" download "$pkg=$version" >"$apt/download.log" 2>&1) ||
			die_log "$apt/download.log" "cannot download $pkg=$version"
		got=$dir/${pkg}_${version//:/%3a}_all.deb
		[ "$got" = "$deb" ] || mv "$got" "$deb"
	fi
	dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*/linux-source-*.tar.xz' >"$tarball.tmp" ||
		{ rm -f "$tarball.tmp" "$deb"; die "corrupt package $deb (removed; run again)"; }
	xz -t "$tarball.tmp" || { rm -f "$tarball.tmp" "$deb"; die "corrupt tarball in $deb (removed; run again)"; }
	mv "$tarball.tmp" "$tarball"
	rm -f "$deb"
fi
# source.info: version, tarball, sha256, and the tarball's size and mtime,
# so that the next call hashes it again only if it changed.
stamp=$(stat -c '%s.%Y' "$tarball")
info=$dir/source.info
if [ "$(cut -f1,2,4 "$info" 2>/dev/null)" != "$(printf '%s\t%s\t%s' "$version" "$tarball" "$stamp")" ]; then
	printf '%s\t%s\t%s\t%s\n' "$version" "$tarball" "$(sha256sum "$tarball" | cut -d' ' -f1)" \
		"$stamp" >"$info.tmp"
	mv "$info.tmp" "$info"
fi
echo "$tarball"
