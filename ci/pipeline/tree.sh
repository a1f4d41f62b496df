#!/usr/bin/env bash
# tree.sh [--no-checkout] BASE VARIANT: prepare the variant tree of BASE (a
# git repository with one "base" commit; each variant is a branch,
# variant/VARIANT, with its patch stack applied by git am) and check it out
# (with --no-checkout, only make the branch: a build that finds its
# result in the cache never needs the files).  Prints the source directory.
# KERNEL_SRC=/path/to/linux uses a shared clone of that checkout's HEAD
# instead (commits only); the checkout itself is never modified.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

checkout=1
if [ "${1:-}" = --no-checkout ]; then
	checkout=
	shift
fi
base=${1:?usage: tree.sh [--no-checkout] BASE VARIANT}
variant=${2:?usage: tree.sh [--no-checkout] BASE VARIANT}
src=$WORK/$base/src
list=$(variant_patches "$base" "$variant")
mapfile -t patches <<<"$list"
[ -n "$list" ] || patches=()
log=$(results_dir "$base" "$variant")/apply.log
mkdir -p "$(dirname "$log")"
git_q() { git -C "$src" -c user.name=kvm-preempt-ci -c user.email=ci@localhost "$@"; }

# What the tree is made from: the user's HEAD, or the tarball's sha256.
# A tree made from something else is made again.
if [ -n "${KERNEL_SRC:-}" ]; then
	git -C "$KERNEL_SRC" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KERNEL_SRC=$KERNEL_SRC is not a git checkout"
	origin=$(git -C "$KERNEL_SRC" rev-parse HEAD)
else
	tarball=$("$ROOT/ci/pipeline/fetch.sh" "$base")
	origin=$(cut -f3 "$CACHE/$base/source.info")
fi
if [ -d "$src/.git" ] && [ "$(git_q config --get kvmci.origin || true)" != "$origin" ]; then
	echo "tree of $base was made from another source: making it again" >&2
	rm -rf "$src"
fi
if [ -d "$src/.git" ] && ! git_q cat-file -e base 2>/dev/null; then
	echo "tree of $base lost its objects (cache removed?): making it again" >&2
	rm -rf "$src"
fi

if [ ! -d "$src/.git" ]; then
	if [ -n "${KERNEL_SRC:-}" ]; then
		# A shared clone: its own refs and work tree, the checkout's
		# objects read in place; the checkout itself is never written.
		mkdir -p "$WORK/$base"
		head=$origin
		git clone -q --shared --no-checkout "$KERNEL_SRC" "$src" >"$log" 2>&1 ||
			die_log "$log" "cannot clone $KERNEL_SRC"
		git_q checkout -q -B base "$head"
	else
		# The base commit of a tarball is made once per machine, in a
		# bare repository of the cache; each checkout's tree is a
		# shared clone of it (a checkout, not an unpack and a hash of
		# every file).
		repo=$CACHE/trees/$base-${origin:0:16}.git
		# One maker at a time: another checkout's run may be at it.
		mkdir -p "$CACHE/trees"
		exec 9>"$CACHE/trees/$base.lock"
		flock 9
		if ! git --git-dir="$repo" rev-parse -q --verify base >/dev/null 2>&1; then
			tmp=$CACHE/trees/$base.tmp
			rm -rf "$tmp" "$repo"
			mkdir -p "$tmp"
			tar -xf "$tarball" -C "$tmp" --strip-components=1 ||
				{ rm -rf "$tmp"; die "corrupt tarball $tarball"; }
			# Debian's top-level .gitignore ignores everything: drop that rule.
			if [ -f "$tmp/.gitignore" ]; then sed -i '/^\/\*$/d' "$tmp/.gitignore"; fi
			(cd "$tmp" && git init -q -b base && git add -f -A . &&
				git -c user.name=kvm-preempt-ci -c user.email=ci@localhost \
					commit -q -m "base: $(basename "$tarball" .tar.xz)") ||
				{ rm -rf "$tmp"; die "cannot make a git tree of $tarball"; }
			git --git-dir="$tmp/.git" config core.bare true
			mv "$tmp/.git" "$repo"
			rm -rf "$tmp"
		fi
		exec 9>&-
		mkdir -p "$WORK/$base"
		rm -rf "$src"
		git clone -q --shared --no-checkout "$repo" "$src" >"$log" 2>&1 ||
			die_log "$log" "cannot clone $repo"
		git_q checkout -q -B base origin/base
	fi
	git_q config kvmci.origin "$origin"
fi

# The branch of a variant is rebuilt whenever its patches change.
branch=$(variant_ref "$variant")
stamp=$(cat /dev/null "${patches[@]}" | sha256sum | cut -c1-16)
if [ "$(git_q config --get "branch.$branch.stamp" || true)" != "$stamp" ]; then
	git_q am --abort >/dev/null 2>&1 || true
	git_q checkout -q -f -B "$branch" base
	for p in "${patches[@]}"; do
		if ! git_q am -q --keep-cr "$p" >>"$log" 2>&1; then
			git_q am --abort >/dev/null 2>&1 || true
			git_q checkout -q -f base
			git_q branch -D "$branch" >/dev/null 2>&1 || true
			die_log "$log" "patch $(basename "$p") does not apply to base $base"
		fi
	done
	git_q config "branch.$branch.stamp" "$stamp"
fi
if [ -n "$checkout" ]; then checkout_variant "$src" "$variant"; fi
echo "$src"
