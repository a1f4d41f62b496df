# KVM "preempted on put" test pipeline.  `make help` lists the targets.
BASE    ?= 7.3
VARIANT ?= series
ACCEL   ?= auto
PLATFORM ?=
JOB     ?= lint
N       ?= 30
BASES   ?=
VARIANTS ?=
export BASE VARIANT ACCEL PLATFORM JOBS KERNEL_SRC KERNEL_TARBALL VARIANTS

BENCH_REPS ?= 5
BENCH_PHASES ?= 500
export BENCH_REPS BENCH_PHASES

.PHONY: bench all run kunit selftests selftests-soak matrix matrix-check check lint tooling-test \
	deps bundle sources rehearse kvm-leg clean distclean help

all: run

help:
	@echo 'make                 fetch, build, boot and test BASE/VARIANT, print a summary'
	@echo 'make check           everything CI checks: tooling self-tests, lint, the matrix'
	@echo 'make kunit           run the KUnit suite with kunit.py (BASE=, VARIANT=series)'
	@echo 'make selftests       same as make: KUnit at boot plus the KVM selftests'
	@echo 'make selftests-soak  run the selftests N times (N=30) in one boot'
	@echo 'make matrix          every base x variant against ci/data/expected (on PLATFORM)'
	@echo 'make matrix-check    the cells make check runs (on PLATFORM, or on every platform)'
	@echo 'make lint            checkpatch --strict on every patch, shellcheck, actionlint'
	@echo 'make bundle          git format-patch series + cover letter in out/bundle/BASE, build checks'
	@echo 'make bench           the RFC table in a nested guest: out/bench.md, out/bench.png;'
	@echo '                     series vs in-host with the CPU that offers IN_HOST: out/bench-full.md;'
	@echo '                     TLB shootdowns to idle vCPUs, series vs in-host: out/bench-tlb.md'
	@echo 'make sources         write kunit/ and selftests/ from the series patches'
	@echo 'make rehearse JOB=lint|fixes|mutants|make|check  a GitHub job (or a first make, make check) in a new Debian root'
	@echo 'make kvm-leg         the ACCEL=kvm leg, rehearsed in a TCG level-1 KVM host (slow)'
	@echo 'make deps            install the Debian packages of ci/data/packages'
	@echo 'make clean           remove out/ (results); distclean also work/ (trees)'
	@echo 'variables: BASE=$(BASE) VARIANT=$(VARIANT) ACCEL=auto|tcg|kvm JOBS= (CPUs + 1)'
	@echo '           PLATFORM=qemu-svm|bochs-vmx (ci/data/platforms; make, matrix, selftests-soak)'
	@echo '           BASES="6.12 7.3" VARIANTS="..." (make matrix)  N=30 (soak)'
	@echo '           KERNEL_SRC=/path/to/linux  KERNEL_TARBALL=/path/to/linux.tar.xz'

deps:
	@ci/checks/deps.sh

run selftests: deps
	@ci/pipeline/run.sh $(BASE) $(VARIANT)
	@ci/pipeline/verdict.sh $(BASE) $(VARIANT)

selftests-soak: deps
	@OUT=$(CURDIR)/out/soak ci/matrix/soak.sh $(BASE) $(VARIANT) $(N)

kunit: deps
	@ci/pipeline/kunit.sh $(BASE) $(VARIANT)

matrix: deps
	@ci/matrix/matrix.sh $(BASES)

matrix-check: deps
	@ci/matrix/matrix.sh --check $(PLATFORM)

bench: deps
	@bench/bench.sh
	@BENCH_L2_CPU=full bench/bench.sh
	@BENCH_WORKLOAD=tlb bench/bench.sh

bundle: deps
	@ci/submission/bundle.sh $(BASE)
	@ci/submission/buildcheck.sh $(BASE)

sources:
	@ci/submission/sources.sh

rehearse: deps
	@ci/checks/rehearse.sh $(JOB) $(BASE)

kvm-leg: deps
	@ci/checks/kvm-leg.sh $(BASE) $(VARIANT)

lint: deps
	@ci/checks/lint.sh

tooling-test: deps
	@ci/checks/tests/run.sh

check: deps
	@ci/checks/check.sh

clean:
	rm -rf out

distclean: clean
	rm -rf work
