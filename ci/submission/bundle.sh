#!/usr/bin/env bash
# bundle.sh [--check|--draft] BASE: the upstream submission of BASE's
# series in out/bundle/BASE/.  The series is applied with `git am` onto a
# pristine worktree of the base (which checks that it applies, and is what
# buildcheck.sh builds), its subjects are checked for the KVM shortlog
# scopes, and then, without --check: every patch is authored and signed
# off by whoever runs this (git config user.name and user.email, or
# BUNDLE_IDENT="Name <email>"), `git format-patch --cover-letter` writes
# each posting of ci/data/postings (the selftest and msr.rst as PATCH, the
# KUnit part as RFC) with its cover letter and the matrix of these very
# patches (or refuses), To: the KVM x86 maintainers and Cc: their list and
# LKML, as MAINTAINERS of the base names them, and send.sh prints the `git
# send-email` commands (it never sends).  A placeholder identity is refused.
# Only the newest base is a submission: older bases carry a port of the
# tests for running them on LTS kernels (--check only).  --draft writes the
# same postings in out/bundle-draft/BASE/ as nobody's: the patches keep the
# pipeline's From: and get no Signed-off-by, their subjects say DRAFT and
# they have no To: or Cc:, the cover letters say DRAFT too, and no send.sh
# is written (make check's view of the cover letters).
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/../lib.sh"

check=
draft=
case ${1:-} in
--check) check=1; shift ;;
--draft) draft=1; shift ;;
-*) die "unknown option $1: bundle.sh [--check|--draft] BASE" ;;
esac
base=${1:?usage: bundle.sh [--check|--draft] BASE}
version=${BUNDLE_VERSION:-3}
base_field "$base" 1 >/dev/null
newest=$(newest_base)
if [ -z "$check" ]; then
	[ "$base" = "$newest" ] ||
		die "$base carries a port of the tests for $base kernels, not a submission: make bundle BASE=$newest"
	# The cover letter reports the last matrix: no matrix, no bundle.
	table=$OUT/bundle${draft:+-draft}/table.txt
	mkdir -p "${table%/*}"
	"$ROOT/ci/matrix/matrix.py" --out "$OUT" --text "$base" >"$table" || exit 1
	if [ -z "$draft" ]; then
		ident=${BUNDLE_IDENT:-$(git -C "$ROOT" config user.name || true) <$(git -C "$ROOT" config user.email || true)>}
		"$ROOT/ci/submission/identity.sh" "$ident"
		name=${ident% <*}
		email=${ident##* <}
		email=${email%>}
	fi
fi
# The tree's base commit is all that is used: its checkout stays as it is.
src=$WORK/$base/src
[ -d "$src/.git" ] || src=$("$ROOT/ci/pipeline/tree.sh" "$base" upstream)
wt=$WORK/$base/bundle
dst=$OUT/bundle/$base
log=$OUT/bundle/$base.log
[ -z "$draft" ] || { dst=$OUT/bundle-draft/$base; log=$OUT/bundle-draft/$base.log; }
mkdir -p "$OUT/bundle"
rm -rf "$dst"
: >"$log"
git -C "$src" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
git -C "$src" worktree prune
git -C "$src" worktree add -q --detach "$wt" base
gitq() { git -C "$wt" -c user.name="${name:-kvm-preempt-ci}" -c user.email="${email:-ci@localhost}" "$@"; }
# The series, then the RFC on top of it where the base has one (in-host/):
# one stack, numbered on, whose postings are the lines of ci/data/postings.
for p in "$ROOT"/patch/"$base"/series/*.patch "$ROOT"/patch/"$base"/in-host/*.patch; do
	[ -f "$p" ] || continue
	gitq am -q "$p" >>"$log" 2>&1 || die_log "$log" "$(basename "$p") does not git am onto pristine $base"
done
# Every subject must use one of the KVM x86 maintainers' shortlog scopes,
# or x86/kvm for the guest side (arch/x86/kernel/kvm.c).
bad=$(gitq log --format=%s base..HEAD |
	grep -vE '^(KVM: ((x86|VMX|SVM|nVMX|nSVM|x86/mmu|x86/pmu|selftests): )?|x86/kvm: )[A-Z]' || true)
[ -z "$bad" ] || die "subject without a KVM shortlog scope: $bad"
[ -n "$check" ] && { echo "$base: series applies, subjects scoped"; exit 0; }

# The runner is the author and signs off every patch (a draft: nobody).
[ -n "$draft" ] ||
	gitq rebase -q --exec 'git commit -q --amend --no-edit --reset-author --signoff' base >>"$log" 2>&1 ||
	die_log "$log" "cannot set the author of the series"
base_line="Debian's linux-source-$base $(cut -f1 "$CACHE/$base/source.info"), i.e. upstream
v$(cut -f1 "$CACHE/$base/source.info" | cut -d- -f1) plus Debian's patches, which has no git history
(source tarball sha256: $(cut -f3 "$CACHE/$base/source.info")).  Rebase onto
kvm-x86/next before posting."
fp=()
if [ -n "${KERNEL_SRC:-}" ]; then
	fp=(--base=base)
	base_line="the base-commit below."
fi
# One posting per line of ci/data/postings, each with its cover letter.
postings=$ROOT/ci/data/postings
section=$(sed -n 's/^section //p' "$postings")
[ -n "$section" ] || die "no MAINTAINERS section in $postings"
maint() { # FIELD: the FIELD: lines of $section in the base's MAINTAINERS
	awk -v s="$section" -v f="$1:" '$0 == s { on = 1; next } on && /^$/ { exit }
		on && $1 == f { sub(/^[A-Z]:[ \t]*/, ""); print }' "$wt/MAINTAINERS"
}
to=$(maint M | paste -sd, -)
cc=$(printf '%s\n' "$(maint L)" linux-kernel@vger.kernel.org | paste -sd, -)
[ -n "$to" ] || die "MAINTAINERS of $base has no section \"$section\" with M: lines"
peers=$(grep -vE '^(#|-|$)' "$ROOT/ci/data/peer-selftests" | awk '{ n = split($1, p, "/"); print p[n] }' |
	paste -sd, - | sed 's/,/, /g')
mapfile -t commits < <(gitq rev-list --reverse base..HEAD)
sends=()
while read -r posting kind range template pversion; do
	first=${range%-*} last=${range#*-}
	if [ "$first" -lt 1 ] || [ "$last" -gt "${#commits[@]}" ] || [ "$first" -gt "$last" ]; then
		die "posting $posting: patches $range, but the series has ${#commits[@]}"
	fi
	out=$dst/$posting
	case $kind in
	PATCH) rfc=() ;;
	RFC) rfc=(--rfc) ;;
	*) die "posting $posting: kind $kind is neither PATCH nor RFC" ;;
	esac
	# A draft goes to nobody, and says so in every subject.
	addr=(--to="$to" --cc="$cc")
	[ -z "$draft" ] || { addr=(); rfc=(--subject-prefix="DRAFT ${rfc:+RFC }PATCH"); }
	from=${commits[$((first - 1))]}
	# A first posting carries no version.
	vflag=(-v"${pversion:-$version}")
	[ "${pversion:-$version}" != 1 ] || vflag=()
	gitq format-patch -q --cover-letter "${vflag[@]}" "${rfc[@]}" --thread=shallow "${fp[@]}" \
		"${addr[@]}" -o "$out" "$from^..${commits[$((last - 1))]}"
	cover=$(ls "$out"/*0000-cover-letter.patch)
	python3 - "$cover" "$ROOT/ci/submission/$template" "$table" "$base_line" "$peers" "$draft" <<'PY'
import sys
import textwrap
cover, template, table, base, peers, draft = sys.argv[1:]
subject, _, blurb = open(template).read().partition('\n\n')
assert subject.startswith('Subject: '), template
if draft:
    blurb = ('DRAFT (bundle.sh --draft): not signed off by anyone, not to be\n'
             'sent; make bundle writes the posting as its runner.\n\n' + blurb)
blurb = blurb.replace('@TABLE@', open(table).read().rstrip())
# A paragraph with a substitution is filled again, to the width of mail.
paras = blurb.split('\n\n')
for i, p in enumerate(paras):
    if '@BASE@' in p or '@PEERS@' in p:
        p = p.replace('@BASE@', base).replace('@PEERS@', peers)
        paras[i] = textwrap.fill(' '.join(p.split()), 72, break_on_hyphens=False)
blurb = '\n\n'.join(paras)
s = open(cover).read()
s = s.replace('*** SUBJECT HERE ***', subject[len('Subject: '):])
open(cover, 'w').write(s.replace('*** BLURB HERE ***', blurb.rstrip()))
PY
	sends+=("git send-email $(basename "$out")/*.patch")
done < <(grep -vE '^(#|section |$)' "$postings")
if [ -n "$draft" ]; then
	echo "$dst: $(find "$dst" -name "*.patch" | wc -l) files in ${#sends[@]} postings, a draft (no sign-off, no send.sh)"
	exit 0
fi
{
	echo '#!/bin/sh'
	echo '# Prints the commands that would send the postings, in order; sends nothing.'
	echo '# The To: and Cc: are in the patches (git format-patch --to/--cc).'
	echo "cd \"\$(dirname \"\$0\")\""
	for c in "${sends[@]}"; do printf "echo '%s'\n" "$c"; done
} >"$dst/send.sh"
chmod +x "$dst/send.sh"
echo "$dst: $(find "$dst" -name "*.patch" | wc -l) files in ${#sends[@]} postings, from $ident, To: $to"
