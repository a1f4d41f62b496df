// SPDX-License-Identifier: GPL-2.0-only
/*
 * Check what KVM tells a guest about vCPUs that are not running: a vCPU
 * that halted is idle, a vCPU whose task lost its CPU while running the
 * guest is preempted.  The guest reads the answer in the "preempted" byte of
 * its steal time area, e.g. through vcpu_is_preempted(), and its scheduler
 * avoids vCPUs that look preempted when it looks for an idle CPU.
 *
 * halted_idle:         vCPUs of several VMs halt and block; the host and an
 *                      awake sibling must never see the byte set, and every
 *                      halted vCPU must run again after an IPI.
 * preempted_reported:  a spinning vCPU shares a pCPU with a busy host thread;
 *                      the byte must be set while the vCPU is descheduled,
 *                      preemption_reported must grow, and the guest must see
 *                      the byte clear once the vCPU runs again.
 * no_false_preemption: vCPUs halt and wake over and over; blocking is not
 *                      preemption, so preemption_other must not count it.
 * userspace_exit:      a vCPU exits to userspace and the VMM thread is
 *                      descheduled; the vCPU is not preempted.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <asm/kvm_para.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "apic.h"
#include "ucall_common.h"

#define NR_VMS			2
#define NR_VCPUS		4
#define ST_GPA_BASE		BIT(30)
#define STEAL_TIME_SIZE		((sizeof(struct kvm_steal_time) + 63) & ~63)
#define IPI_VECTOR		0xa0
#define NR_HALT_CYCLES		50
#define NR_USERSPACE_EXITS	20
#define MSEC			1000000ull
#define TIMEOUT_NS		(10000 * MSEC)
#define SAMPLE_WINDOW_NS	(200 * MSEC)

/* Guest data, one copy per VM.  Steal time areas are identity mapped. */
static struct kvm_steal_time *st_gva[NR_VCPUS];
static u64 halts[NR_VCPUS];
static u8 sibling_preempted[NR_VCPUS];
static bool stop;
static u64 spins;
static u64 stale_flags;

struct vm_ctx {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
};

static void guest_ipi_handler(struct ex_regs *regs)
{
	x2apic_write_reg(APIC_EOI, 0);
}

static void send_ipi(u32 apic_id)
{
	x2apic_write_reg(APIC_ICR, ((u64)apic_id << 32) | APIC_DEST_PHYSICAL |
			 APIC_DM_FIXED | APIC_INT_ASSERT | IPI_VECTOR);
}

/* vCPUs 1..N-1: halt until woken, count every halt. */
static void halter_guest_code(u32 idx)
{
	x2apic_enable();
	while (!READ_ONCE(stop)) {
		WRITE_ONCE(halts[idx], halts[idx] + 1);
		safe_halt();
		cli();
	}
	GUEST_DONE();
}

/*
 * vCPU 0: look at the halted siblings' bytes as the guest scheduler would,
 * then wake each sibling NR_HALT_CYCLES times, then let them all finish.
 */
static void observer_guest_code(void)
{
	int i, cycle;

	x2apic_enable();
	for (i = 1; i < NR_VCPUS; i++)
		sibling_preempted[i] = READ_ONCE(st_gva[i]->preempted);
	GUEST_SYNC(1);

	for (cycle = 0; cycle < NR_HALT_CYCLES; cycle++) {
		for (i = 1; i < NR_VCPUS; i++) {
			u64 h = READ_ONCE(halts[i]);

			send_ipi(i);
			while (READ_ONCE(halts[i]) == h)
				cpu_relax();
		}
	}
	GUEST_SYNC(2);

	WRITE_ONCE(stop, true);
	for (i = 1; i < NR_VCPUS; i++)
		send_ipi(i);
	GUEST_DONE();
}

/* Spin; the vCPU's own byte must read clear whenever it runs. */
static void spinner_guest_code(void)
{
	struct kvm_steal_time *st = st_gva[0];

	while (!READ_ONCE(stop)) {
		if (READ_ONCE(st->preempted) & KVM_VCPU_PREEMPTED)
			WRITE_ONCE(stale_flags, stale_flags + 1);
		WRITE_ONCE(spins, spins + 1);
	}
	GUEST_DONE();
}

static void exit_guest_code(void)
{
	int i;

	for (i = 0; i < NR_USERSPACE_EXITS; i++)
		GUEST_SYNC(i);
	GUEST_DONE();
}

static void start_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	int r = pthread_create(thread, NULL, fn, arg);

	TEST_ASSERT(!r, "pthread_create() failed: %d", r);
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct kvm_vm *create_vm(struct vm_ctx *ctx, int nr_vcpus,
				void *guest_code)
{
	struct kvm_vm *vm;
	unsigned int gpages;
	int i;

	vm = vm_create_with_vcpus(nr_vcpus, guest_code, ctx->vcpus);
	gpages = vm_calc_num_guest_pages(VM_MODE_DEFAULT, STEAL_TIME_SIZE * NR_VCPUS);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, ST_GPA_BASE, 1, gpages, 0);
	virt_map(vm, ST_GPA_BASE, ST_GPA_BASE, gpages);
	vm_install_exception_handler(vm, IPI_VECTOR, guest_ipi_handler);

	for (i = 0; i < nr_vcpus; i++) {
		st_gva[i] = (void *)(ST_GPA_BASE + i * STEAL_TIME_SIZE);
		vcpu_set_msr(ctx->vcpus[i], MSR_KVM_STEAL_TIME,
			     (ulong)st_gva[i] | KVM_MSR_ENABLED);
	}
	sync_global_to_guest(vm, st_gva);
	ctx->vm = vm;
	return vm;
}

static u8 preempted_byte(struct kvm_vm *vm, int idx)
{
	struct kvm_steal_time *st = addr_gva2hva(vm, (gva_t)st_gva[idx]);

	return READ_ONCE(st->preempted);
}

/* The host's view of a guest global of a given VM. */
#define GUEST_VAR(vm, var) READ_ONCE(*(typeof(var) *)addr_gva2hva(vm, (gva_t)&(var)))
#define SET_GUEST_VAR(vm, var, val) \
	WRITE_ONCE(*(typeof(var) *)addr_gva2hva(vm, (gva_t)&(var)), val)

/* Run a vCPU until GUEST_DONE; a guest assert fails the whole test. */
static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_DONE:
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("Unexpected exit: %s",
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

static void run_until_sync(struct kvm_vcpu *vcpu, u64 stage)
{
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_SYNC:
		TEST_ASSERT(uc.args[1] == stage, "Expected stage %lu, got %lu",
			    (ulong)stage, (ulong)uc.args[1]);
		return;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("Unexpected exit: %s, expected sync %lu",
			  exit_reason_str(vcpu->run->exit_reason), (ulong)stage);
	}
}

static void run_until_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_DONE);
}

static bool all_halters_blocked(struct vm_ctx *ctx)
{
	int v, i;

	for (v = 0; v < NR_VMS; v++)
		for (i = 1; i < NR_VCPUS; i++)
			if (!vcpu_get_stat(ctx[v].vcpus[i], blocking))
				return false;
	return true;
}

/*
 * halted_idle and no_false_preemption share their VMs: vCPU 0 of each VM
 * observes, the others halt.
 */
static void test_halted_vcpus(bool *halted_idle, bool *no_false_preemption)
{
	u64 other[NR_VMS][NR_VCPUS], wakeups[NR_VMS][NR_VCPUS];
	u64 samples = 0, preempted = 0, blocks = 0, others = 0;
	struct vm_ctx ctx[NR_VMS];
	u64 deadline;
	int v, i;

	*halted_idle = true;
	for (v = 0; v < NR_VMS; v++) {
		create_vm(&ctx[v], NR_VCPUS, halter_guest_code);
		vcpu_arch_set_entry_point(ctx[v].vcpus[0], observer_guest_code);
		/* Block at once instead of polling, so that "halted" is "blocked". */
		vm_enable_cap(ctx[v].vm, KVM_CAP_HALT_POLL, 0);
		for (i = 1; i < NR_VCPUS; i++) {
			vcpu_args_set(ctx[v].vcpus[i], 1, i);
			start_thread(&ctx[v].threads[i], vcpu_thread,
				     ctx[v].vcpus[i]);
		}
	}

	deadline = now_ns() + TIMEOUT_NS;
	while (!all_halters_blocked(ctx))
		TEST_ASSERT(now_ns() < deadline,
			    "Halted vCPUs not blocked after %llu ms", TIMEOUT_NS / MSEC);

	/* What the host reports while every halter is blocked. */
	deadline = now_ns() + SAMPLE_WINDOW_NS;
	while (now_ns() < deadline) {
		for (v = 0; v < NR_VMS; v++) {
			for (i = 1; i < NR_VCPUS; i++) {
				samples++;
				preempted += !!preempted_byte(ctx[v].vm, i);
			}
		}
	}
	if (preempted || !all_halters_blocked(ctx)) {
		ksft_print_msg("halted_idle: %lu of %lu samples read preempted\n",
			       (ulong)preempted, (ulong)samples);
		*halted_idle = false;
	}

	/* What an awake sibling sees, then halt/wake cycles. */
	for (v = 0; v < NR_VMS; v++) {
		struct kvm_vm *vm = ctx[v].vm;

		run_until_sync(ctx[v].vcpus[0], 1);
		for (i = 1; i < NR_VCPUS; i++) {
			u8 seen = GUEST_VAR(vm, sibling_preempted[i]);

			if (seen) {
				ksft_print_msg("halted_idle: VM %d: vCPU %d preempted: %u\n",
					       v, i, seen);
				*halted_idle = false;
			}
			other[v][i] = vcpu_get_stat(ctx[v].vcpus[i], preemption_other);
			wakeups[v][i] = vcpu_get_stat(ctx[v].vcpus[i], halt_wakeup);
		}
		run_until_sync(ctx[v].vcpus[0], 2);
		for (i = 1; i < NR_VCPUS; i++) {
			others += vcpu_get_stat(ctx[v].vcpus[i], preemption_other) -
				  other[v][i];
			blocks += vcpu_get_stat(ctx[v].vcpus[i], halt_wakeup) -
				  wakeups[v][i];
		}
		run_until_done(ctx[v].vcpus[0]);
	}

	for (v = 0; v < NR_VMS; v++) {
		for (i = 1; i < NR_VCPUS; i++) {
			u64 h;

			pthread_join(ctx[v].threads[i], NULL);
			h = GUEST_VAR(ctx[v].vm, halts[i]);
			if (h < NR_HALT_CYCLES + 1) {
				ksft_print_msg("halted_idle: VM %d: vCPU %d halted %lu times\n",
					       v, i, (ulong)h);
				*halted_idle = false;
			}
		}
		kvm_vm_free(ctx[v].vm);
	}

	/*
	 * A blocked vCPU is not preempted.  KVM still counts a preemption of a
	 * running vCPU outside an instruction boundary as "other", e.g. when
	 * the host preempts it while it handles an exit (up to a third of the
	 * blocks on a busy 2-CPU host), while a KVM that mistakes blocking for
	 * preemption counts every block.
	 */
	ksft_print_msg("no_false_preemption: %lu blocks, preemption_other +%lu\n",
		       (ulong)blocks, (ulong)others);
	*no_false_preemption = blocks >= NR_HALT_CYCLES && others * 10 < blocks * 9;
	ksft_print_msg("halted_idle: %lu samples of %d blocked vCPUs in %d VMs\n",
		       (ulong)samples, NR_VMS * (NR_VCPUS - 1), NR_VMS);
}

static int busy_cpu, vmm_cpu;
static bool hog_stop;

static void *hog_thread(void *arg)
{
	pin_self_to_cpu(busy_cpu);
	while (!READ_ONCE(hog_stop))
		cpu_relax();
	return NULL;
}

static bool test_preempted_reported(void)
{
	u64 reported, deadline, seen_at_spins = 0, grew;
	struct vm_ctx ctx;
	pthread_t hog;
	bool seen = false, ran_again = false;
	u64 stale;

	create_vm(&ctx, 1, spinner_guest_code);
	pin_self_to_cpu(vmm_cpu);
	start_thread(&ctx.threads[0], vcpu_thread, ctx.vcpus[0]);
	pin_task_to_cpu(ctx.threads[0], busy_cpu);
	WRITE_ONCE(hog_stop, false);
	reported = vcpu_get_stat(ctx.vcpus[0], preemption_reported);
	start_thread(&hog, hog_thread, NULL);

	deadline = now_ns() + TIMEOUT_NS;
	while (now_ns() < deadline && !ran_again) {
		if (!seen && preempted_byte(ctx.vm, 0) == KVM_VCPU_PREEMPTED) {
			seen = true;
			seen_at_spins = GUEST_VAR(ctx.vm, spins);
		}
		if (seen && GUEST_VAR(ctx.vm, spins) > seen_at_spins + 1000)
			ran_again = true;
	}

	WRITE_ONCE(hog_stop, true);
	pthread_join(hog, NULL);
	SET_GUEST_VAR(ctx.vm, stop, true);
	pthread_join(ctx.threads[0], NULL);
	grew = vcpu_get_stat(ctx.vcpus[0], preemption_reported) - reported;
	stale = GUEST_VAR(ctx.vm, stale_flags);
	kvm_vm_free(ctx.vm);

	ksft_print_msg("preempted_reported: flag %s, ran again: %s\n",
		       seen ? "seen" : "never seen", ran_again ? "yes" : "no");
	ksft_print_msg("preempted_reported: preemption_reported +%lu, stale flag seen %lu times\n",
		       (ulong)grew, (ulong)stale);
	return seen && ran_again && grew > 0 && !stale;
}

static bool test_userspace_exit(void)
{
	struct timespec nap = { .tv_nsec = MSEC };
	struct vm_ctx ctx;
	pthread_t hog;
	int i, bad = 0;

	create_vm(&ctx, 1, exit_guest_code);
	pin_self_to_cpu(busy_cpu);
	WRITE_ONCE(hog_stop, false);
	start_thread(&hog, hog_thread, NULL);

	for (i = 0; i < NR_USERSPACE_EXITS; i++) {
		run_until_sync(ctx.vcpus[0], i);
		bad += !!preempted_byte(ctx.vm, 0);
		/* The VMM thread sleeps, and then competes with the hog. */
		nanosleep(&nap, NULL);
		bad += !!preempted_byte(ctx.vm, 0);
	}
	run_until_done(ctx.vcpus[0]);

	WRITE_ONCE(hog_stop, true);
	pthread_join(hog, NULL);
	kvm_vm_free(ctx.vm);

	ksft_print_msg("userspace_exit: %d of %d reads saw preempted\n",
		       bad, 2 * NR_USERSPACE_EXITS);
	return !bad;
}

int main(int argc, char *argv[])
{
	bool halted_idle, no_false_preemption;
	cpu_set_t cpus;

	ksft_print_header();
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_KVM_STEAL_TIME));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_BINARY_STATS_FD));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HALT_POLL));
	TEST_ASSERT(!sched_getaffinity(0, sizeof(cpus), &cpus), "sched_getaffinity() failed");
	__TEST_REQUIRE(CPU_COUNT(&cpus) >= 2,
		       "Need two CPUs, one for the VMM and one shared by a vCPU and a hog");
	for (busy_cpu = CPU_SETSIZE - 1; !CPU_ISSET(busy_cpu, &cpus); busy_cpu--)
		;
	for (vmm_cpu = 0; !CPU_ISSET(vmm_cpu, &cpus); vmm_cpu++)
		;
	ksft_set_plan(4);

	test_halted_vcpus(&halted_idle, &no_false_preemption);
	ksft_test_result(halted_idle, "halted_idle: halted vCPUs are not reported preempted\n");
	ksft_test_result(test_preempted_reported(),
			 "preempted_reported: a descheduled running vCPU is reported preempted\n");
	ksft_test_result(no_false_preemption,
			 "no_false_preemption: blocking is not counted as preemption\n");
	ksft_test_result(test_userspace_exit(),
			 "userspace_exit: a vCPU that exited to userspace is not preempted\n");
	ksft_finished();
}
