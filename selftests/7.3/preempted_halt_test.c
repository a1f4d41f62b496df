// SPDX-License-Identifier: GPL-2.0-only
/*
 * Written by make sources from patch/7.3/series/0001-KVM-selftests-Test-that-halted-vCPUs-are-not-reporte.patch:
 * edit the patch.
 */
/*
 * Check what KVM tells a guest about vCPUs that are not running: a vCPU
 * that halted is idle, a vCPU whose task lost its CPU while running the
 * guest is preempted.  The guest reads the answer in the "preempted" byte of
 * its steal time area, e.g. through vcpu_is_preempted(), and its scheduler
 * avoids vCPUs that look preempted when it looks for an idle CPU.
 *
 * halted_idle:         vCPUs halt and block; the host and an awake sibling
 *                      must never see the byte set, and every halted vCPU
 *                      must run again after an IPI.
 * preempted_reported:  a spinning vCPU shares a CPU with a busy host thread;
 *                      a sibling vCPU must see its byte set while it is
 *                      descheduled and clear once it runs again, and
 *                      preemption_reported must grow.
 * no_false_preemption: vCPUs halt and wake over and over while they share a
 *                      CPU with a busy host thread at a higher priority, so
 *                      that their tasks are ineligible when they block and
 *                      the scheduler delays their dequeue; blocking is not
 *                      preemption, so KVM may count a vCPU as preempted
 *                      (preemption_reported or preemption_other) only when
 *                      its task had an involuntary context switch.
 * userspace_exit:      a vCPU is kicked out of KVM_RUN by a signal, i.e.
 *                      right after a host interrupt: it is not preempted
 *                      (a run in which its task was preempted is no sample).
 * flush_tlb:           in preempted_reported, the sibling asks for a TLB flush
 *                      in the byte, as kvm_flush_tlb_multi() does instead of
 *                      an IPI; KVM must flush when the vCPU runs again.
 * sti_shadow:          no IPI was taken in the interrupt shadow of STI, i.e.
 *                      the platform honours what the halters' STI;HLT rely
 *                      on (see guest_ipi_handler()).
 *
 * Every wait is bounded: a lost wake-up fails the test within seconds.
 *
 * The VMs keep HLT exits (no KVM_CAP_X86_DISABLE_EXITS), and blocks are
 * counted with halt_wakeup, not halt_exits, so Idle HLT (AMD), which elides
 * the exit of a HLT with an interrupt pending, changes no count: KVM would
 * not have blocked on that HLT either.
 *
 * The guest's waits do not PAUSE, as udelay() does not: with pause-loop
 * exiting (on by default), a PAUSE loop exits to KVM's directed yield,
 * which schedules the vCPU out outside an instruction boundary, counted in
 * preemption_other.  The vCPUs that spin while others wait do so with
 * interrupts enabled, as a guest's spin loops do; nothing interrupts them
 * in the guest, but an emulated VMX that holds host interrupts while the
 * guest has RFLAGS.IF=0 (Bochs 2.7) would otherwise never take them out
 * of the guest for one.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/time64.h>
#include <asm/kvm_para.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "apic.h"
#include "ucall_common.h"

#define NR_VCPUS		4
#define ST_GPA_BASE		BIT(30)
#define STEAL_TIME_SIZE		((sizeof(struct kvm_steal_time) + 63) & ~63)
#define IPI_VECTOR		0xa0
#define NR_HALT_CYCLES		50
#define NR_KICKS		20
#define TIMEOUT_MS		5000
#define SAMPLE_WINDOW_MS	200
#define HALTER_NICE		10
#define HALTER_RUN_US		500

/* Guest data.  Steal time areas are identity mapped. */
static struct kvm_steal_time *st_gva[NR_VCPUS];
static u64 halts[NR_VCPUS];
static u8 sibling_preempted[NR_VCPUS];
static bool lost_wakeup;
static bool stop;
static u64 stale_flags;
static u64 seen_preempted, seen_cleared, flushes_asked;
static u64 shadow_ipis, halter_hlt_rip;

/* STI;HLT, as safe_halt(), but first tell the IPI handler where the HLT is. */
static void halter_safe_halt(void)
{
	asm volatile("lea 1f(%%rip), %%rax\n\t"
		     "mov %%rax, %0\n\t"
		     "sti\n\t"
		     "1: hlt"
		     : "=m"(halter_hlt_rip) : : "rax", "memory");
}

/*
 * An interrupt is never taken in the shadow of STI, i.e. before the HLT
 * that follows it: that is what makes STI;HLT free of lost wake-ups.  A
 * platform that takes one there anyway (QEMU's TCG, in nested SVM, does in
 * a few percent of runs) would leave the halter waiting in HLT for the IPI
 * it has just handled.  Count it, and go on after the HLT as if the IPI
 * had woken it, so that halted_idle still tests KVM.
 */
static void guest_ipi_handler(struct ex_regs *regs)
{
	if (regs->rip == READ_ONCE(halter_hlt_rip)) {
		regs->rip++;
		WRITE_ONCE(shadow_ipis, shadow_ipis + 1);
	}
	x2apic_write_reg(APIC_EOI, 0);
}

static void send_ipi(u32 apic_id)
{
	x2apic_write_reg(APIC_ICR, ((u64)apic_id << 32) | APIC_DEST_PHYSICAL |
			 APIC_DM_FIXED | APIC_INT_ASSERT | IPI_VECTOR);
}

static u64 guest_deadline(void)
{
	return rdtsc() + guest_tsc_khz * TIMEOUT_MS;
}

/*
 * vCPUs 1..N-1: halt until woken, count every halt.  Run for
 * HALTER_RUN_US before each halt, so that a task that shares its CPU has
 * used more than its share when it blocks; with interrupts disabled, so
 * that a wake-up IPI that comes meanwhile waits for the halt.
 */
static void halter_guest_code(u32 idx)
{
	x2apic_enable();
	while (!READ_ONCE(stop)) {
		WRITE_ONCE(halts[idx], halts[idx] + 1);
		udelay(HALTER_RUN_US);
		halter_safe_halt();
		cli();
	}
	GUEST_DONE();
}

/*
 * vCPU 0: look at the halted siblings' bytes as the guest scheduler would,
 * then wake each sibling NR_HALT_CYCLES times, then let them all finish.
 * A sibling that does not run again within TIMEOUT_MS lost its wake-up.
 */
static void observer_guest_code(void)
{
	int i, cycle;

	x2apic_enable();
	sti();
	for (i = 1; i < NR_VCPUS; i++)
		sibling_preempted[i] = READ_ONCE(st_gva[i]->preempted);
	GUEST_SYNC(1);

	for (cycle = 0; cycle < NR_HALT_CYCLES && !lost_wakeup; cycle++) {
		for (i = 1; i < NR_VCPUS && !lost_wakeup; i++) {
			u64 h = READ_ONCE(halts[i]), deadline = guest_deadline();

			send_ipi(i);
			while (READ_ONCE(halts[i]) == h && !lost_wakeup) {
				if (rdtsc() > deadline)
					lost_wakeup = true;
			}
		}
	}
	GUEST_SYNC(2);

	WRITE_ONCE(stop, true);
	for (i = 1; i < NR_VCPUS; i++)
		send_ipi(i);
	GUEST_DONE();
}

/*
 * How the guest reads a vCPU's byte: Linux's x86-64 vcpu_is_preempted()
 * takes any non-zero byte for preempted, so the test does too.
 */
static bool guest_reads_preempted(struct kvm_steal_time *st)
{
	return READ_ONCE(st->preempted) != 0;
}

/* vCPU 0: spin; the vCPU's own byte must read clear whenever it runs. */
static void spinner_guest_code(void)
{
	struct kvm_steal_time *st = st_gva[0];

	sti();
	while (!READ_ONCE(stop)) {
		if (guest_reads_preempted(st))
			WRITE_ONCE(stale_flags, stale_flags + 1);
	}
	GUEST_DONE();
}

/*
 * vCPU 1: watch vCPU 0's byte from inside the guest, as vcpu_is_preempted()
 * does, until it was seen set and then clear again, and a TLB flush was
 * asked for in it while it was set, as kvm_flush_tlb_multi() does (which
 * can take more than one preemption: the vCPU may run again between the
 * read and the exchange).
 */
static void watcher_guest_code(void)
{
	struct kvm_steal_time *st = st_gva[0];
	u64 deadline = guest_deadline();

	sti();
	while ((!seen_cleared || !flushes_asked) && rdtsc() < deadline) {
		bool preempted = guest_reads_preempted(st);

		if (preempted)
			seen_preempted++;
		else if (seen_preempted)
			seen_cleared = 1;
		if (preempted && !flushes_asked &&
		    __sync_bool_compare_and_swap(&st->preempted, KVM_VCPU_PREEMPTED,
						 KVM_VCPU_PREEMPTED | KVM_VCPU_FLUSH_TLB))
			flushes_asked = 1;
	}
	GUEST_DONE();
}

static void start_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	int r = pthread_create(thread, NULL, fn, arg);

	TEST_ASSERT(!r, "pthread_create() failed: %d", r);
}

/*
 * The deadline to join threads whose guest code gives up after TIMEOUT_MS:
 * twice that, so that a guest that gave up is told apart from a vCPU that
 * never ran again.
 */
static struct timespec join_deadline(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2 * TIMEOUT_MS / 1000;
	return ts;
}

/* Join a thread by a deadline; false if it did not end by then. */
static bool join_thread(pthread_t thread, struct timespec deadline)
{
	return !pthread_timedjoin_np(thread, NULL, &deadline);
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / NSEC_PER_MSEC;
}

static struct kvm_vm *create_vm(struct kvm_vcpu **vcpus, int nr_vcpus,
				void *guest_code)
{
	struct kvm_vm *vm;
	unsigned int gpages;
	int i;

	vm = vm_create_with_vcpus(nr_vcpus, guest_code, vcpus);
	gpages = vm_calc_num_guest_pages(VM_MODE_DEFAULT, STEAL_TIME_SIZE * NR_VCPUS);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, ST_GPA_BASE, 1, gpages, 0);
	virt_map(vm, ST_GPA_BASE, ST_GPA_BASE, gpages);
	vm_install_exception_handler(vm, IPI_VECTOR, guest_ipi_handler);

	for (i = 0; i < nr_vcpus; i++) {
		st_gva[i] = (void *)(ST_GPA_BASE + i * STEAL_TIME_SIZE);
		vcpu_set_msr(vcpus[i], MSR_KVM_STEAL_TIME,
			     (ulong)st_gva[i] | KVM_MSR_ENABLED);
	}
	sync_global_to_guest(vm, st_gva);
	return vm;
}

static u8 preempted_byte(struct kvm_vm *vm, int idx)
{
	struct kvm_steal_time *st = addr_gva2hva(vm, (gva_t)st_gva[idx]);

	return READ_ONCE(st->preempted);
}

/*
 * Fail on an exit that is not the expected ucall.  For a shutdown (triple
 * fault), say which exception KVM saw last, i.e. the one that escalated.
 */
static void fail_unexpected_exit(struct kvm_vcpu *vcpu, const char *expected)
{
	struct kvm_vcpu_events events;

	if (vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN) {
		vcpu_events_get(vcpu, &events);
		TEST_FAIL("Unexpected exit: SHUTDOWN (exception %u, error code %#x), expected %s",
			  events.exception.nr, events.exception.error_code, expected);
	}
	TEST_FAIL("Unexpected exit: %s, expected %s",
		  exit_reason_str(vcpu->run->exit_reason), expected);
}

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
			fail_unexpected_exit(vcpu, "done");
		}
	}
}

static void run_until_sync(struct kvm_vcpu *vcpu, u64 stage)
{
	char expected[32];
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
		snprintf(expected, sizeof(expected), "sync %lu", (ulong)stage);
		fail_unexpected_exit(vcpu, expected);
	}
}

static void run_until_done(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		return;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		fail_unexpected_exit(vcpu, "done");
	}
}

static bool all_halters_blocked(struct kvm_vcpu **vcpus)
{
	int i;

	for (i = 1; i < NR_VCPUS; i++)
		if (!vcpu_get_stat(vcpus[i], blocking))
			return false;
	return true;
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

static void start_hog(pthread_t *hog)
{
	WRITE_ONCE(hog_stop, false);
	start_thread(hog, hog_thread, NULL);
}

static void stop_hog(pthread_t hog)
{
	WRITE_ONCE(hog_stop, true);
	TEST_ASSERT(join_thread(hog, join_deadline()), "Busy thread did not stop");
}

/* A vCPU's task, pinned to a CPU at a nice level. */
struct vcpu_task {
	struct kvm_vcpu *vcpu;
	int cpu;
	int nice;
	pid_t tid;
	pthread_t thread;
};

static void *vcpu_task_thread(void *arg)
{
	struct vcpu_task *task = arg;

	pin_self_to_cpu(task->cpu);
	WRITE_ONCE(task->tid, syscall(SYS_gettid));
	TEST_ASSERT(!setpriority(PRIO_PROCESS, syscall(SYS_gettid), task->nice),
		    "setpriority() failed");
	return vcpu_thread(task->vcpu);
}

static void start_vcpu(struct vcpu_task *task, struct kvm_vcpu *vcpu, int cpu,
		       int nice)
{
	task->vcpu = vcpu;
	task->cpu = cpu;
	task->nice = nice;
	start_thread(&task->thread, vcpu_task_thread, task);
}

/* The involuntary context switches of one of this process's threads. */
static u64 involuntary_switches(pid_t tid)
{
	char path[64], line[128];
	bool found = false;
	unsigned long n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	TEST_ASSERT(f, "fopen(%s) failed", path);
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "nonvoluntary_ctxt_switches: %lu", &n) == 1;
	fclose(f);
	TEST_ASSERT(found, "No nonvoluntary_ctxt_switches in %s", path);
	return n;
}

/* What KVM counted as preemptions of a vCPU, on a boundary or not. */
static u64 preemptions(struct kvm_vcpu *vcpu)
{
	return vcpu_get_stat(vcpu, preemption_reported) +
	       vcpu_get_stat(vcpu, preemption_other);
}

/*
 * halted_idle and no_false_preemption share one VM: vCPU 0 observes, the
 * others halt.
 */
static void test_halted_vcpus(bool *halted_idle, bool *no_false_preemption,
			      bool *sti_shadow)
{
	u64 counted[NR_VCPUS], nivcsw[NR_VCPUS], wakeups[NR_VCPUS], deadline;
	u64 samples = 0, preempted = 0, blocks = 0;
	bool overcounted = false;
	struct vcpu_task halters[NR_VCPUS];
	struct kvm_vcpu *vcpus[NR_VCPUS];
	bool finished = true;
	struct timespec ts;
	pthread_t hog;
	struct kvm_vm *vm;
	int i;

	*halted_idle = true;
	vm = create_vm(vcpus, NR_VCPUS, halter_guest_code);
	vcpu_arch_set_entry_point(vcpus[0], observer_guest_code);
	/* Block at once instead of polling, so that "halted" is "blocked". */
	vm_enable_cap(vm, KVM_CAP_HALT_POLL, 0);
	pin_self_to_cpu(vmm_cpu);
	/*
	 * The halters share busy_cpu with the hog at a lower priority, so
	 * that they are ineligible whenever they have just run; not the
	 * lowest, which 6.12's scheduler once left waiting for over 5 s.
	 */
	for (i = 1; i < NR_VCPUS; i++) {
		vcpu_args_set(vcpus[i], 1, i);
		start_vcpu(&halters[i], vcpus[i], busy_cpu, HALTER_NICE);
	}

	deadline = now_ms() + TIMEOUT_MS;
	while (!all_halters_blocked(vcpus))
		TEST_ASSERT(now_ms() < deadline,
			    "Halted vCPUs not blocked after %u ms", TIMEOUT_MS);

	/* What the host reports while every halter is blocked. */
	deadline = now_ms() + SAMPLE_WINDOW_MS;
	while (now_ms() < deadline) {
		for (i = 1; i < NR_VCPUS; i++) {
			samples++;
			preempted += !!preempted_byte(vm, i);
		}
	}
	if (preempted) {
		ksft_print_msg("halted_idle: %lu of %lu samples read preempted\n",
			       (ulong)preempted, (ulong)samples);
		*halted_idle = false;
	}
	if (!all_halters_blocked(vcpus)) {
		ksft_print_msg("halted_idle: a halted vCPU woke up without an IPI\n");
		*halted_idle = false;
	}

	/* What an awake sibling sees, then halt/wake cycles. */
	run_until_sync(vcpus[0], 1);
	sync_global_from_guest(vm, sibling_preempted);
	for (i = 1; i < NR_VCPUS; i++) {
		if (sibling_preempted[i]) {
			ksft_print_msg("halted_idle: vCPU %d preempted: %u\n",
				       i, sibling_preempted[i]);
			*halted_idle = false;
		}
		counted[i] = preemptions(vcpus[i]);
		nivcsw[i] = involuntary_switches(halters[i].tid);
		wakeups[i] = vcpu_get_stat(vcpus[i], halt_wakeup);
	}
	start_hog(&hog);
	run_until_sync(vcpus[0], 2);
	stop_hog(hog);
	for (i = 1; i < NR_VCPUS; i++) {
		counted[i] = preemptions(vcpus[i]) - counted[i];
		nivcsw[i] = involuntary_switches(halters[i].tid) - nivcsw[i];
		overcounted |= counted[i] > nivcsw[i];
		blocks += vcpu_get_stat(vcpus[i], halt_wakeup) - wakeups[i];
	}
	run_until_done(vcpus[0]);

	sync_global_from_guest(vm, lost_wakeup);
	if (lost_wakeup) {
		ksft_print_msg("halted_idle: a vCPU did not run within %u ms of an IPI\n",
			       TIMEOUT_MS);
		*halted_idle = false;
	}
	sync_global_from_guest(vm, halts);
	sync_global_from_guest(vm, shadow_ipis);
	*sti_shadow = !shadow_ipis;
	if (shadow_ipis)
		ksft_print_msg("sti_shadow: %lu IPIs taken on the HLT after STI\n",
			       (ulong)shadow_ipis);
	ts = join_deadline();
	for (i = 1; i < NR_VCPUS; i++) {
		if (!join_thread(halters[i].thread, ts)) {
			ksft_print_msg("halted_idle: vCPU %d did not finish\n", i);
			finished = false;
		} else if (halts[i] < NR_HALT_CYCLES + 1) {
			ksft_print_msg("halted_idle: vCPU %d halted %lu times\n",
				       i, (ulong)halts[i]);
			*halted_idle = false;
		}
	}
	*halted_idle &= finished;
	/* A vCPU stuck in KVM_RUN keeps the VM; the process exit frees it. */
	if (finished)
		kvm_vm_free(vm);

	/*
	 * A blocked vCPU is not preempted, even if its task is still queued
	 * when it is scheduled out.  The scheduler counts every switch of a
	 * task that was still runnable as involuntary (nivcsw), and every
	 * switch of a task that blocked, its dequeue delayed or not, as
	 * voluntary; KVM counts a put as a preemption (preemption_reported on
	 * an instruction boundary, preemption_other elsewhere) only if the
	 * task was still runnable.  So a halter is counted as preempted at
	 * most nivcsw times, however busy the host; a KVM that takes a delayed
	 * dequeue, or any block, for preemption counts one more at (nearly)
	 * every block.  Without delayed dequeue in the scheduler, only the
	 * latter is tested.  A halter that an IPI finds still running does
	 * not block: 49 to 150 blocks of 150 IPIs in 300 runs under QEMU TCG;
	 * fewer than NR_HALT_CYCLES / 2 would not test blocking.
	 */
	ksft_print_msg("no_false_preemption: %lu blocks\n", (ulong)blocks);
	for (i = 1; i < NR_VCPUS; i++)
		ksft_print_msg("no_false_preemption: vCPU %d: %lu preemptions, %lu nivcsw\n",
			       i, (ulong)counted[i], (ulong)nivcsw[i]);
	*no_false_preemption = !lost_wakeup && blocks >= NR_HALT_CYCLES / 2 &&
			       !overcounted;
	ksft_print_msg("halted_idle: %lu samples of %d blocked vCPUs\n",
		       (ulong)samples, NR_VCPUS - 1);
}

static void test_preempted_reported(bool *preempted_reported, bool *flush_tlb)
{
	u64 reported, grew, flushes, deadline;
	struct vcpu_task spinner, watcher;
	struct kvm_vcpu *vcpus[2];
	struct kvm_vm *vm;
	bool finished;
	pthread_t hog;

	vm = create_vm(vcpus, 2, spinner_guest_code);
	vcpu_arch_set_entry_point(vcpus[1], watcher_guest_code);
	reported = vcpu_get_stat(vcpus[0], preemption_reported);
	start_vcpu(&spinner, vcpus[0], busy_cpu, 0);
	start_hog(&hog);
	/*
	 * Count TLB flushes from the spinner's first exit on, i.e. after the
	 * flushes of its first entry: the watcher's is the only one asked for
	 * after that.
	 */
	deadline = now_ms() + TIMEOUT_MS;
	while (!vcpu_get_stat(vcpus[0], exits))
		TEST_ASSERT(now_ms() < deadline, "vCPU 0 did not exit in %u ms", TIMEOUT_MS);
	flushes = vcpu_get_stat(vcpus[0], tlb_flush);
	start_vcpu(&watcher, vcpus[1], vmm_cpu, 0);

	finished = join_thread(watcher.thread, join_deadline());
	stop_hog(hog);
	write_guest_global(vm, stop, true);
	finished &= join_thread(spinner.thread, join_deadline());
	TEST_ASSERT(finished, "vCPUs did not finish within %u ms", TIMEOUT_MS);

	grew = vcpu_get_stat(vcpus[0], preemption_reported) - reported;
	flushes = vcpu_get_stat(vcpus[0], tlb_flush) - flushes;
	sync_global_from_guest(vm, seen_preempted);
	sync_global_from_guest(vm, seen_cleared);
	sync_global_from_guest(vm, stale_flags);
	sync_global_from_guest(vm, flushes_asked);
	kvm_vm_free(vm);

	ksft_print_msg("preempted_reported: sibling saw the flag %lu times, %s\n",
		       (ulong)seen_preempted, seen_cleared ? "then clear" : "never clear");
	ksft_print_msg("preempted_reported: preemption_reported +%lu, stale flag seen %lu times\n",
		       (ulong)grew, (ulong)stale_flags);
	ksft_print_msg("flush_tlb: %lu flush asked for, tlb_flush +%lu\n",
		       (ulong)flushes_asked, (ulong)flushes);
	*preempted_reported = seen_preempted && seen_cleared && grew && !stale_flags;
	*flush_tlb = flushes_asked && seen_cleared && flushes >= flushes_asked;
}

static bool kicks_done, not_realtime, too_busy;
static int bad_kicks, preempted_kicks;

static void kick_handler(int sig)
{
}

/* The involuntary context switches of the calling thread. */
static u64 own_involuntary_switches(void)
{
	struct rusage ru;

	TEST_ASSERT(!getrusage(RUSAGE_THREAD, &ru), "getrusage() failed");
	return ru.ru_nivcsw;
}

/*
 * Run the spinner until a signal kicks it out of KVM_RUN, NR_KICKS times,
 * and read its byte each time.  At the lowest real-time priority, alone on
 * its CPU, the task is rarely preempted, and a kick is not a preemption, so
 * KVM must not report it.  On a busy host a higher priority task (a
 * per-CPU kthread, a threaded interrupt) can still preempt it in KVM_RUN,
 * and then KVM is right to: a KVM_RUN in which the task had an involuntary
 * context switch is not a sample, and is run again.  Without real-time
 * priority, or if more than NR_KICKS runs were preempted, the scenario
 * skips.
 */
static void *kicked_thread(void *arg)
{
	struct sched_param param = { .sched_priority = 1 };
	struct kvm_vcpu *vcpu = arg;
	int i, r;
	u64 nivcsw;

	pin_self_to_cpu(busy_cpu);
	if (sched_setscheduler(0, SCHED_FIFO, &param)) {
		WRITE_ONCE(not_realtime, true);
		WRITE_ONCE(kicks_done, true);
		return NULL;
	}

	for (i = 0; i < NR_KICKS; i++) {
		nivcsw = own_involuntary_switches();
		r = __vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EINTR &&
			    vcpu->run->exit_reason == KVM_EXIT_INTR,
			    "Expected KVM_EXIT_INTR, got %s (r = %d)",
			    exit_reason_str(vcpu->run->exit_reason), r);
		if (own_involuntary_switches() != nivcsw) {
			if (++preempted_kicks > NR_KICKS) {
				WRITE_ONCE(too_busy, true);
				break;
			}
			i--;
			continue;
		}
		bad_kicks += !!preempted_byte(vcpu->vm, 0);
	}
	WRITE_ONCE(kicks_done, true);
	return NULL;
}

static int test_userspace_exit(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	struct kvm_vcpu *vcpus[1];
	struct timespec nap = { .tv_nsec = NSEC_PER_MSEC };
	struct kvm_vm *vm;
	pthread_t thread;
	u64 deadline;

	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction() failed");
	vm = create_vm(vcpus, 1, spinner_guest_code);
	pin_self_to_cpu(vmm_cpu);
	start_thread(&thread, kicked_thread, vcpus[0]);

	deadline = now_ms() + TIMEOUT_MS;
	while (!READ_ONCE(kicks_done)) {
		TEST_ASSERT(now_ms() < deadline, "vCPU not kicked %d times in %u ms",
			    NR_KICKS, TIMEOUT_MS);
		pthread_kill(thread, SIGUSR1);
		nanosleep(&nap, NULL);
	}
	TEST_ASSERT(join_thread(thread, join_deadline()), "vCPU thread did not finish");
	kvm_vm_free(vm);

	if (not_realtime || too_busy) {
		ksft_print_msg("userspace_exit: %s\n", not_realtime ?
			       "no real-time priority" : "more than NR_KICKS runs were preempted");
		return KSFT_SKIP;
	}
	ksft_print_msg("userspace_exit: %d of %d exits saw preempted, %d runs preempted\n",
		       bad_kicks, NR_KICKS, preempted_kicks);
	return bad_kicks ? KSFT_FAIL : KSFT_PASS;
}

int main(int argc, char *argv[])
{
	bool halted_idle, no_false_preemption, sti_shadow, two_cpus;
	bool preempted_reported, flush_tlb;
	cpu_set_t cpus;
	int r;

	ksft_print_header();
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_KVM_STEAL_TIME));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_BINARY_STATS_FD));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HALT_POLL));
	TEST_ASSERT(!sched_getaffinity(0, sizeof(cpus), &cpus), "sched_getaffinity() failed");
	for (busy_cpu = CPU_SETSIZE - 1; !CPU_ISSET(busy_cpu, &cpus); busy_cpu--)
		;
	for (vmm_cpu = 0; !CPU_ISSET(vmm_cpu, &cpus); vmm_cpu++)
		;
	two_cpus = busy_cpu != vmm_cpu;
	ksft_set_plan(6);

	test_halted_vcpus(&halted_idle, &no_false_preemption, &sti_shadow);
	ksft_test_result(halted_idle, "halted_idle: halted vCPUs are not reported preempted\n");
	if (two_cpus) {
		test_preempted_reported(&preempted_reported, &flush_tlb);
		ksft_test_result(preempted_reported,
				 "preempted_reported: a descheduled running vCPU is reported preempted\n");
	} else {
		ksft_test_result_skip("preempted_reported: needs two CPUs\n");
	}
	ksft_test_result(no_false_preemption,
			 "no_false_preemption: blocking is not counted as preemption\n");
	r = two_cpus ? test_userspace_exit() : KSFT_SKIP;
	if (r == KSFT_SKIP)
		ksft_test_result_skip("userspace_exit: needs two CPUs and real-time priority\n");
	else
		ksft_test_result(r == KSFT_PASS,
				 "userspace_exit: a vCPU kicked out to userspace is not preempted\n");
	ksft_test_result(sti_shadow, "sti_shadow: no IPI was taken in the shadow of STI\n");
	if (two_cpus)
		ksft_test_result(flush_tlb,
				 "flush_tlb: a flush asked for in the byte is done when the vCPU runs\n");
	else
		ksft_test_result_skip("flush_tlb: needs two CPUs\n");
	ksft_finished();
}
