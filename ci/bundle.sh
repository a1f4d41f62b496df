#!/usr/bin/env bash
# bundle.sh BASE: the upstream submission bundle of BASE's series in
# out/bundle/BASE/: a `git format-patch --cover-letter` series made by
# applying patch/BASE/series with `git am` onto a pristine worktree of the
# base (which checks that it applies), a cover letter with the test table of
# the last matrix run, to-cc.txt from get_maintainer.pl, and send.sh, which
# prints the `git send-email` command and never sends.
set -euo pipefail
# shellcheck source=ci/lib.sh
. "$(dirname "$0")/lib.sh"

base=${1:?usage: bundle.sh BASE}
version=${BUNDLE_VERSION:-1}
base_field "$base" 1 >/dev/null
src=$WORK/$base/src
[ -d "$src/.git" ] || "$ROOT/ci/tree.sh" "$base" upstream >/dev/null
wt=$WORK/$base/bundle
dst=$OUT/bundle/$base
log=$OUT/bundle/$base.log
mkdir -p "$OUT/bundle"
rm -rf "$dst"
git -C "$src" worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
git -C "$src" worktree prune
git -C "$src" worktree add -q --detach "$wt" base
gitq() { git -C "$wt" -c user.name=kvm-preempt-ci -c user.email=ci@localhost "$@"; }
for p in "$ROOT"/patch/"$base"/series/*.patch; do
	gitq am -q "$p" >>"$log" 2>&1 || die_log "$log" "$(basename "$p") does not git am onto pristine $base"
done

# The newest base is the mainline submission, older ones are stable
# backports ("[PATCH 6.12.y]" to stable@, Cc kvm@).
prefix=PATCH
to=kvm@vger.kernel.org
if [ "$base" != "$(valid_bases | awk '{ print $NF }')" ]; then
	prefix="PATCH $base.y"
	to=stable@vger.kernel.org
fi
# Every subject must use one of the KVM x86 maintainers' shortlog scopes.
bad=$(gitq log --format=%s base..HEAD |
	grep -vE '^KVM: ((x86|VMX|SVM|nVMX|nSVM|x86/mmu|x86/pmu|selftests): )?[A-Z]' || true)
[ -z "$bad" ] || die "subject without a KVM shortlog scope: $bad"
git -C "$wt" -c user.name="KVM Preempt Team" -c user.email=kvm-preempt@example.org \
	format-patch -q --cover-letter -v"$version" --thread=shallow \
	--subject-prefix="$prefix" -o "$dst" base..HEAD

pkgver=$(cut -f1 "$CACHE/$base/source.info")
sha=$(cut -f3 "$CACHE/$base/source.info")
table=$("$ROOT/ci/bundle-table.py" "$OUT/matrix.json" "$base")
cover=$(ls "$dst"/*0000-cover-letter.patch)
python3 - "$cover" "$base" "$pkgver" "$sha" "$table" "$prefix" <<'PY'
import sys
path, base, pkgver, sha, table, prefix = sys.argv[1:]
upstream = pkgver.split('-')[0]
backport = prefix != 'PATCH'
subject = 'KVM: x86: Make reporting a vCPU as preempted explicit, and test it'
blurb = f"""\
KVM tells a guest that a vCPU is preempted through the "preempted" byte of
its steal time area, which the guest's vcpu_is_preempted() reads and its
scheduler uses to skip busy vCPUs when it looks for an idle one.  A halted
vCPU must not look preempted: in v5.13 KVM reported every put, including a
vCPU that blocked after HLT, and parallel workloads in guests with a shared
LLC ran up to 3.4x slower (Masanori Misono's 2021 RFC "KVM: x86: Don't set
preempted when vCPU does HLT VMEXIT").  Upstream fixed it by other means,
54aa83c90198 ("KVM: x86: do not set st->preempted when going back to user
space") and 6cd88243c7e0 ("KVM: x86: do not report a vCPU as preempted
outside instruction boundaries"), but nothing tests it, and the 6.12 merge
window's delayed dequeue broke it again without any test noticing, until
1cc2f68c016a ("sched: Fix external p->on_rq users").

Patches 1-4 move the decision into small pure helpers, with no functional
change intended: kvm_sched_out_is_preemption() (generic),
vmx_exit_is_instruction_boundary() and svm_exit_is_instruction_boundary()
(which exits may end with a report: only host interrupts, never HLT), and
kvm_steal_time_preempted_action().  Patch 5 adds a KUnit suite that drives
them with the vendors' exit reason constants and runs without VMX or SVM.
Patch 6 adds a selftest: halted vCPUs of two 4-vCPU VMs are never reported
preempted, a really preempted vCPU is, blocking is not counted as
preemption, and an exit to userspace is not preemption.

Base: Debian's linux-source-{base} {pkgver}, i.e. upstream v{upstream}
plus Debian's patches (source tarball sha256:
{sha}).
"""
if backport:
    blurb += f"""
This is the {base}.y backport of the mainline series; the selftest carries
small local helpers that {base}'s selftest library lacks.  Upstream commit
ids will be added once the mainline series is merged.
"""
blurb += f"""
Tested (QEMU TCG with emulated SVM and nested paging, 2 vCPUs; the test
kernel runs kvm_amd): the KUnit suite at boot and through kunit.py, the new
selftest, and the upstream selftests listed in the project's
ci/peer-selftests; each patch builds with KVM_INTEL=m KVM_AMD=m
KVM_WERROR=y.  Not tested: VMX on hardware or nested VMX (exercised only by
the KUnit suite), SVM on hardware, Xen runstate (KUnit only).  The table is
the last run of the mutant matrix: every mutant (a reconstructed bug or
injected fault on top of the series) must fail where the table says so.

{table}
"""
with open(path) as f:
    s = f.read()
s = s.replace('*** SUBJECT HERE ***', subject).replace('*** BLURB HERE ***', blurb)
with open(path, 'w') as f:
    f.write(s)
PY
(cd "$wt" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
	--separator , "$dst"/*.patch) >"$dst/to-cc.txt" 2>>"$log" ||
	die_log "$log" "get_maintainer.pl failed"
cat >"$dst/send.sh" <<SH
#!/bin/sh
# Prints the command that would send this series; sends nothing.
cd "\$(dirname "\$0")"
printf 'git send-email --to=%s --cc=%s ./*.patch\n' $to "'\$(cat to-cc.txt)'"
SH
chmod +x "$dst/send.sh"
echo "$dst: $(find "$dst" -name "*.patch" | wc -l) files: cover letter and patches"
