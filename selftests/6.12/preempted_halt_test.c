// SPDX-License-Identifier: GPL-2.0-only
/*
 * Written by make sources from patch/6.12/series/0001-KVM-selftests-Test-that-halted-vCPUs-are-not-reporte.patch:
 * edit the patch.
 * A deliberate backport: the 6.12 LTS port of selftests/7.3/preempted_halt_test.c.
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
 * boundary_reset:      a vCPU exits on CPUID over and over while it shares a
 *                      CPU with a busy host thread; an exit that is not a host
 *                      interrupt is not an instruction boundary, however many
 *                      host interrupt exits came before it, so KVM must count
 *                      some of its preemptions in preemption_other.
 * xen_runstate:        the same rules for a Xen guest, which reads its
 *                      runstate instead of the byte: a sibling must see a
 *                      preempted spinner RUNSTATE_runnable and then running
 *                      again, and a halted vCPU never runnable.
 * directed_yield:      a vCPU asks KVM to yield its CPU to a sibling
 *                      (KVM_HC_SCHED_YIELD) that shares the CPU; KVM may
 *                      yield only to a vCPU that is ready to run guest code,
 *                      i.e. preempted in KVM_RUN, or woken and not run since:
 *                      never to a blocked one or to one in userspace, but to
 *                      one it has just woken, and to a preempted spinner.
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
#define NR_BOUNDARY_PREEMPTIONS	50
#define RUNSTATE_GPA_BASE	(ST_GPA_BASE + BIT(21))
#define RUNSTATE_SIZE		64
#define XEN_HYPERCALL_MSR	0x40000000
#define RUNSTATE_running	0
#define RUNSTATE_runnable	1
#define NR_YIELDS		100
#define NR_YIELD_ROUNDS		20
#define NR_BLOCKED_TRIES	3

/* Xen's vcpu_runstate_info, as a 64-bit guest lays it out. */
struct vcpu_runstate_info {
	u32 state;
	u64 state_entry_time;
	u64 time[4];
};

/*
 * Backport to 6.12: its selftest library has neither vcpu_get_stat(),
 * pin_self_to_cpu(), kvm_pthread_create(), nor sti() and cli(); provide
 * equivalents.
 */
static inline void kvm_pthread_create(pthread_t *thread,
				      const pthread_attr_t *attr,
				      void *(*fn)(void *), void *arg)
{
	int r = pthread_create(thread, attr, fn, arg);

	TEST_ASSERT(!r, "pthread_create() failed: %d", r);
}

static inline void sti(void)
{
	asm volatile("sti");
}

static inline void cli(void)
{
	asm volatile("cli");
}

#define pin_self_to_cpu(cpu) kvm_pin_this_task_to_pcpu(cpu)

/*
 * KVM_GET_STATS_FD takes vcpu->mutex, which a vCPU holds while it is in
 * KVM_RUN: open every vCPU's stats before it runs, as later libraries do,
 * and close them before the VM is freed.
 */
static struct vcpu_stats {
	struct kvm_vcpu *vcpu;
	int fd;
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs;
} vcpu_stats[NR_VCPUS];

static void vcpu_stats_open(struct kvm_vcpu *vcpu, int idx)
{
	struct vcpu_stats *stats = &vcpu_stats[idx];

	stats->vcpu = vcpu;
	stats->fd = vcpu_get_stats_fd(vcpu);
	read_stats_header(stats->fd, &stats->header);
	stats->descs = read_stats_descriptors(stats->fd, &stats->header);
}

static void vcpu_stats_close(void)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++) {
		if (!vcpu_stats[i].vcpu)
			continue;
		free(vcpu_stats[i].descs);
		close(vcpu_stats[i].fd);
		vcpu_stats[i].vcpu = NULL;
	}
}

static u64 __vcpu_get_stat(struct kvm_vcpu *vcpu, const char *name)
{
	struct kvm_stats_desc *desc;
	u64 data;
	int i, j;

	for (i = 0; i < NR_VCPUS; i++) {
		if (vcpu_stats[i].vcpu != vcpu)
			continue;
		for (j = 0; j < vcpu_stats[i].header.num_desc; j++) {
			desc = get_stats_descriptor(vcpu_stats[i].descs, j,
						    &vcpu_stats[i].header);
			if (strcmp(desc->name, name))
				continue;
			read_stat_data(vcpu_stats[i].fd, &vcpu_stats[i].header,
				       desc, &data, 1);
			return data;
		}
	}
	TEST_FAIL("No vCPU stat '%s'", name);
	return 0;
}

#define vcpu_get_stat(vcpu, stat) __vcpu_get_stat(vcpu, #stat)

/* Guest data.  Steal time areas are identity mapped. */
static struct kvm_steal_time *st_gva[NR_VCPUS];
static u64 halts[NR_VCPUS];
static u8 sibling_preempted[NR_VCPUS];
static bool lost_wakeup;
static bool stop;
static u64 stale_flags;
static u64 seen_preempted, seen_cleared, flushes_asked;
static u64 shadow_ipis, halter_hlt_rip;
static struct vcpu_runstate_info *runstate_gva[NR_VCPUS];
static u64 spinner_runnable, halter_runnable;
static bool spinner_running_again;
static bool target_in_userspace, target_release, yield_again;
static pid_t target_tid;

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

/*
 * vCPU 0 of boundary_reset: exit on CPUID, which KVM handles in the kernel,
 * until told to stop; the vCPU is in the host most of the time.
 */
static void cpuid_guest_code(void)
{
	u32 eax, ebx, ecx, edx;

	sti();
	while (!READ_ONCE(stop))
		__cpuid(0, 0, &eax, &ebx, &ecx, &edx);
	GUEST_DONE();
}

/* vCPU 1 of xen_runstate: halt until told to stop. */
static void xen_halter_guest_code(void)
{
	x2apic_enable();
	cli();
	while (!READ_ONCE(stop)) {
		halter_safe_halt();
		cli();
	}
	GUEST_DONE();
}

/*
 * vCPU 2 of xen_runstate: watch the spinner's (vCPU 0) and the halter's
 * (vCPU 1) runstates, as a Xen guest's vcpu_is_preempted() does, until the
 * spinner was seen runnable and then running again; then stop both.
 */
static void xen_watcher_guest_code(void)
{
	u64 deadline = guest_deadline();

	x2apic_enable();
	sti();
	while (!spinner_running_again && rdtsc() < deadline) {
		u32 state = READ_ONCE(runstate_gva[0]->state);

		if (state == RUNSTATE_runnable)
			spinner_runnable++;
		else if (state == RUNSTATE_running && spinner_runnable)
			spinner_running_again = true;
		if (READ_ONCE(runstate_gva[1]->state) == RUNSTATE_runnable)
			halter_runnable++;
	}
	WRITE_ONCE(stop, true);
	send_ipi(1);
	GUEST_DONE();
}

static void yield_to_vcpu1(void)
{
	kvm_hypercall(KVM_HC_SCHED_YIELD, 1, 0, 0, 0);
}

/*
 * vCPU 0 of directed_yield: yield to vCPU 1 while it is blocked in HLT (as
 * long as the host asks), right after each IPI that wakes it, while it
 * spins until told to stop, and while it is out of KVM_RUN.
 */
static void yielder_guest_code(void)
{
	int i;

	x2apic_enable();
	do {
		for (i = 0; i < NR_YIELDS; i++)
			yield_to_vcpu1();
		GUEST_SYNC(1);
	} while (READ_ONCE(yield_again));
	for (i = 0; i < NR_YIELD_ROUNDS; i++) {
		send_ipi(1);
		yield_to_vcpu1();
		GUEST_SYNC(2);
	}
	while (!READ_ONCE(stop)) {
		yield_to_vcpu1();
		GUEST_SYNC(3);
	}
	GUEST_SYNC(4);
	for (i = 0; i < NR_YIELDS; i++)
		yield_to_vcpu1();
	GUEST_DONE();
}

/*
 * vCPU 1 of directed_yield: halt NR_YIELD_ROUNDS times, counting the halts,
 * then spin.
 */
static void yield_target_guest_code(void)
{
	int i;

	x2apic_enable();
	cli();
	for (i = 0; i < NR_YIELD_ROUNDS; i++) {
		WRITE_ONCE(halts[1], i + 1);
		halter_safe_halt();
		cli();
	}
	sti();
	while (!READ_ONCE(stop))
		;
	GUEST_SYNC(1);
	GUEST_DONE();
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

/*
 * The deadline to join threads whose guest code gives up after TIMEOUT_MS:
 * twice that, so that a guest that gave up is told apart from a vCPU that
 * never ran again.
 */
static struct timespec join_deadline(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 2 * TIMEOUT_MS / 1000;
	return ts;
}

/*
 * Join a thread by a deadline on CLOCK_MONOTONIC, which a step of the
 * wall clock does not move; false if it did not end by then.
 */
static bool join_thread(pthread_t thread, struct timespec deadline)
{
	return !pthread_clockjoin_np(thread, NULL, CLOCK_MONOTONIC, &deadline);
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
		vcpu_stats_open(vcpus[i], i);
	}
	sync_global_to_guest(vm, st_gva);
	return vm;
}

static u8 preempted_byte(struct kvm_vm *vm, int idx)
{
	struct kvm_steal_time *st = addr_gva2hva(vm, (vm_vaddr_t)st_gva[idx]);

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
	kvm_pthread_create(hog, NULL, hog_thread, NULL);
}

static void stop_hog(pthread_t hog)
{
	WRITE_ONCE(hog_stop, true);
	TEST_ASSERT(join_thread(hog, join_deadline()), "Busy thread did not stop");
}

/*
 * A vCPU's task, pinned to a CPU at a nice level, or at the lowest
 * real-time priority if it can have it.
 */
struct vcpu_task {
	struct kvm_vcpu *vcpu;
	int cpu;
	int nice;
	bool realtime;
	pid_t tid;
	pthread_t thread;
};

static void *vcpu_task_thread(void *arg)
{
	struct sched_param param = { .sched_priority = 1 };
	struct vcpu_task *task = arg;

	pin_self_to_cpu(task->cpu);
	WRITE_ONCE(task->tid, syscall(SYS_gettid));
	if (task->realtime)
		WRITE_ONCE(task->realtime, !sched_setscheduler(0, SCHED_FIFO, &param));
	else
		TEST_ASSERT(!setpriority(PRIO_PROCESS, syscall(SYS_gettid), task->nice),
			    "setpriority() failed");
	return vcpu_thread(task->vcpu);
}

static void __start_vcpu(struct vcpu_task *task, struct kvm_vcpu *vcpu, int cpu,
			 int nice, bool realtime)
{
	task->vcpu = vcpu;
	task->cpu = cpu;
	task->nice = nice;
	task->realtime = realtime;
	kvm_pthread_create(&task->thread, NULL, vcpu_task_thread, task);
}

static void start_vcpu(struct vcpu_task *task, struct kvm_vcpu *vcpu, int cpu,
		       int nice)
{
	__start_vcpu(task, vcpu, cpu, nice, false);
}

static void start_realtime_vcpu(struct vcpu_task *task, struct kvm_vcpu *vcpu,
				int cpu)
{
	__start_vcpu(task, vcpu, cpu, 0, true);
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

/* Wait until a vCPU is blocked, e.g. in HLT. */
static void wait_blocked(struct kvm_vcpu *vcpu)
{
	struct timespec nap = { .tv_nsec = NSEC_PER_MSEC };
	u64 deadline = now_ms() + TIMEOUT_MS;

	while (!vcpu_get_stat(vcpu, blocking)) {
		TEST_ASSERT(now_ms() < deadline, "vCPU %u did not block in %u ms",
			    vcpu->id, TIMEOUT_MS);
		nanosleep(&nap, NULL);
	}
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
	if (finished) {
		vcpu_stats_close();
		kvm_vm_free(vm);
	}

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
	vcpu_stats_close();
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

/*
 * From the vCPU's first host interrupt exit on, at_instruction_boundary was
 * set once; KVM must clear it again before every entry, or every later put
 * counts as on a boundary.  A vCPU that exits on CPUID and shares its CPU
 * with a busy thread is preempted both after host interrupt exits (on a
 * boundary) and after CPUID exits, while KVM handles them (not on one):
 * with the flag cleared before every entry, some of its preemptions count
 * in preemption_other; without, none does after the first host interrupt.
 */
static bool test_boundary_reset(void)
{
	u64 other, reported, deadline;
	struct vcpu_task looper;
	struct kvm_vcpu *vcpus[1];
	struct timespec nap = { .tv_nsec = NSEC_PER_MSEC };
	struct kvm_vm *vm;
	pthread_t hog;

	vm = create_vm(vcpus, 1, cpuid_guest_code);
	pin_self_to_cpu(vmm_cpu);
	start_hog(&hog);
	start_vcpu(&looper, vcpus[0], busy_cpu, 0);

	deadline = now_ms() + TIMEOUT_MS;
	while (!vcpu_get_stat(vcpus[0], irq_exits)) {
		TEST_ASSERT(now_ms() < deadline, "vCPU 0 had no host interrupt exit in %u ms",
			    TIMEOUT_MS);
		nanosleep(&nap, NULL);
	}
	other = vcpu_get_stat(vcpus[0], preemption_other);
	reported = vcpu_get_stat(vcpus[0], preemption_reported);
	deadline = now_ms() + TIMEOUT_MS;
	while (preemptions(vcpus[0]) - other - reported < NR_BOUNDARY_PREEMPTIONS &&
	       now_ms() < deadline)
		nanosleep(&nap, NULL);
	other = vcpu_get_stat(vcpus[0], preemption_other) - other;
	reported = vcpu_get_stat(vcpus[0], preemption_reported) - reported;

	stop_hog(hog);
	write_guest_global(vm, stop, true);
	TEST_ASSERT(join_thread(looper.thread, join_deadline()),
		    "vCPU did not finish within %u ms", TIMEOUT_MS);
	vcpu_stats_close();
	kvm_vm_free(vm);

	ksft_print_msg("boundary_reset: %lu of %lu preemptions not on a boundary\n",
		       (ulong)other, (ulong)(other + reported));
	return other > 0;
}

/*
 * A Xen guest reads a vCPU's runstate, not the steal time byte: KVM marks it
 * RUNSTATE_runnable on a put that is a preemption, and running again on the
 * next entry.  The halter blocks before the watcher starts and is not woken
 * until the end, so nothing may make it runnable.  Unlike the byte, the
 * runstate is written on any preemption, on an instruction boundary or not:
 * a halter preempted between its HLT exit and its block (or while it polls)
 * would stay runnable while blocked.  So the halter blocks at once (no halt
 * polling), at real-time priority if it can, and a halter whose task was
 * preempted before it blocked is no sample.
 */
static int test_xen_runstate(void)
{
	struct kvm_xen_hvm_config hvmc = { .msr = XEN_HYPERCALL_MSR };
	struct kvm_xen_hvm_attr lm = {
		.type = KVM_XEN_ATTR_TYPE_LONG_MODE,
		.u.long_mode = 1,
	};
	struct vcpu_task spinner, halter, watcher;
	struct kvm_vcpu *vcpus[3];
	struct kvm_vm *vm;
	u64 halter_preempted;
	bool finished;
	pthread_t hog;
	int i;

	if (!(kvm_check_cap(KVM_CAP_XEN_HVM) & KVM_XEN_HVM_CONFIG_RUNSTATE))
		return KSFT_SKIP;

	vm = create_vm(vcpus, 3, spinner_guest_code);
	vcpu_arch_set_entry_point(vcpus[1], xen_halter_guest_code);
	vcpu_arch_set_entry_point(vcpus[2], xen_watcher_guest_code);
	vm_ioctl(vm, KVM_XEN_HVM_CONFIG, &hvmc);
	vm_ioctl(vm, KVM_XEN_HVM_SET_ATTR, &lm);
	vm_enable_cap(vm, KVM_CAP_HALT_POLL, 0);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, RUNSTATE_GPA_BASE, 2, 1, 0);
	virt_map(vm, RUNSTATE_GPA_BASE, RUNSTATE_GPA_BASE, 1);
	for (i = 0; i < 3; i++) {
		struct kvm_xen_vcpu_attr rs = {
			.type = KVM_XEN_VCPU_ATTR_TYPE_RUNSTATE_ADDR,
			.u.gpa = RUNSTATE_GPA_BASE + i * RUNSTATE_SIZE,
		};

		runstate_gva[i] = (void *)(RUNSTATE_GPA_BASE + i * RUNSTATE_SIZE);
		vcpu_ioctl(vcpus[i], KVM_XEN_VCPU_SET_ATTR, &rs);
	}
	sync_global_to_guest(vm, runstate_gva);
	pin_self_to_cpu(vmm_cpu);

	start_realtime_vcpu(&halter, vcpus[1], vmm_cpu);
	wait_blocked(vcpus[1]);
	halter_preempted = involuntary_switches(READ_ONCE(halter.tid));
	start_vcpu(&spinner, vcpus[0], busy_cpu, 0);
	start_hog(&hog);
	start_vcpu(&watcher, vcpus[2], vmm_cpu, 0);

	finished = join_thread(watcher.thread, join_deadline());
	stop_hog(hog);
	finished &= join_thread(spinner.thread, join_deadline());
	finished &= join_thread(halter.thread, join_deadline());

	sync_global_from_guest(vm, spinner_runnable);
	sync_global_from_guest(vm, spinner_running_again);
	sync_global_from_guest(vm, halter_runnable);
	/* A vCPU stuck in KVM_RUN (a lost wake-up) keeps the VM. */
	if (finished) {
		vcpu_stats_close();
		kvm_vm_free(vm);
	}

	ksft_print_msg("xen_runstate: spinner runnable %lu times, %s; halter runnable %lu times\n",
		       (ulong)spinner_runnable,
		       spinner_running_again ? "then running" : "never running again",
		       (ulong)halter_runnable);
	if (halter_preempted)
		ksft_print_msg("xen_runstate: halter (%s) preempted %lu times: no sample\n",
			       READ_ONCE(halter.realtime) ? "real-time" : "not real-time",
			       (ulong)halter_preempted);
	if (!finished)
		ksft_print_msg("xen_runstate: a vCPU did not finish within %u ms\n",
			       2 * TIMEOUT_MS);
	return finished && spinner_running_again && (halter_preempted || !halter_runnable) ?
	       KSFT_PASS : KSFT_FAIL;
}

/*
 * vCPU 1 of directed_yield: run until the guest's spin ends, then stay out
 * of KVM_RUN, runnable, until released.  SCHED_BATCH, so that a wake-up
 * never preempts the yielder: the woken vCPU waits for the CPU.
 */
static void *yield_target_thread(void *arg)
{
	struct sched_param param = { .sched_priority = 0 };
	struct kvm_vcpu *vcpu = arg;

	pin_self_to_cpu(busy_cpu);
	WRITE_ONCE(target_tid, syscall(SYS_gettid));
	TEST_ASSERT(!sched_setscheduler(0, SCHED_BATCH, &param),
		    "sched_setscheduler(SCHED_BATCH) failed");
	run_until_sync(vcpu, 1);
	WRITE_ONCE(target_in_userspace, true);
	while (!READ_ONCE(target_release))
		cpu_relax();
	run_until_done(vcpu);
	return NULL;
}

/* Whether a thread of this process is asleep ("S" in its stat). */
static bool thread_sleeping(pid_t tid)
{
	char path[64], line[256], *state;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "r");
	TEST_ASSERT(f, "fopen(%s) failed", path);
	TEST_ASSERT(fgets(line, sizeof(line), f), "No line in %s", path);
	fclose(f);
	state = strrchr(line, ')');
	TEST_ASSERT(state && state[1] == ' ', "No state in %s", path);
	return state[2] == 'S';
}

/*
 * Wait until vCPU 1 of directed_yield has halted n times, i.e. handled the
 * previous IPI, and its task sleeps in kvm_vcpu_block(): "blocking" alone
 * also counts a vCPU that is woken and has not run yet, and one preempted
 * on its way to sleep, which is then ready.  False if not within TIMEOUT_MS.
 */
static bool wait_halted(struct kvm_vcpu *vcpu, u64 *halts, u64 n)
{
	struct timespec nap = { .tv_nsec = NSEC_PER_MSEC };
	u64 deadline = now_ms() + TIMEOUT_MS;

	while (READ_ONCE(*halts) != n || !vcpu_get_stat(vcpu, blocking) ||
	       !thread_sleeping(READ_ONCE(target_tid))) {
		if (now_ms() > deadline)
			return false;
		nanosleep(&nap, NULL);
	}
	return true;
}

static u64 yields_successful(struct kvm_vcpu *vcpu)
{
	return vcpu_get_stat(vcpu, directed_yield_successful);
}

/*
 * KVM counts every KVM_HC_SCHED_YIELD in directed_yield_attempted, and one
 * that made the CPU go to the target in directed_yield_successful; it looks
 * at the target only if another task shares the yielder's CPU, and yields
 * only if the target is "ready", which the scheduler's own checks do not
 * replace for a runnable task out of KVM_RUN.  Both vCPUs share busy_cpu, so
 * the target is never running while the yielder is.  A round in which the
 * target's task was preempted (an involuntary switch, not KVM's count,
 * which a faulty KVM may inflate) is not counted: that makes it ready.
 */
static bool test_directed_yield(void)
{
	u64 attempted, successful, preempted, blocked_yields, user_yields;
	u64 user_attempted, woken_rounds = 0, unclean_rounds = 0, spins = 0;
	struct timespec nap = { .tv_nsec = NSEC_PER_MSEC };
	bool stayed_blocked, spinner_yield, in_userspace, finished;
	struct kvm_vcpu *vcpus[2];
	pthread_t hog, target;
	struct kvm_vm *vm;
	u64 deadline, wakeups, *halted;
	int i, tries;

	vm = create_vm(vcpus, 2, yielder_guest_code);
	vcpu_arch_set_entry_point(vcpus[1], yield_target_guest_code);
	vm_enable_cap(vm, KVM_CAP_HALT_POLL, 0);
	pin_self_to_cpu(busy_cpu);
	halted = addr_gva2hva(vm, (vm_vaddr_t)&halts[1]);
	kvm_pthread_create(&target, NULL, yield_target_thread, vcpus[1]);

	/*
	 * Blocked in HLT; the hog makes KVM look at the target.  KVM may wake
	 * a blocked vCPU itself, e.g. the kvmclock update that the yielder's
	 * first load schedules kicks every vCPU; a woken vCPU is ready until
	 * it runs, so a try in which the target was woken is no sample.
	 */
	start_hog(&hog);
	for (tries = 1; ; tries++) {
		TEST_ASSERT(wait_halted(vcpus[1], halted, 1), "vCPU 1 did not halt in %u ms",
			    TIMEOUT_MS);
		wakeups = vcpu_get_stat(vcpus[1], halt_wakeup);
		attempted = vcpu_get_stat(vcpus[0], directed_yield_attempted);
		successful = yields_successful(vcpus[0]);
		write_guest_global(vm, yield_again, true);
		run_until_sync(vcpus[0], 1);
		attempted = vcpu_get_stat(vcpus[0], directed_yield_attempted) - attempted;
		blocked_yields = yields_successful(vcpus[0]) - successful;
		stayed_blocked = vcpu_get_stat(vcpus[1], halt_wakeup) == wakeups;
		if (stayed_blocked || tries == NR_BLOCKED_TRIES)
			break;
	}
	write_guest_global(vm, yield_again, false);
	stop_hog(hog);

	/* Woken by an IPI, yielded to at once. */
	for (i = 0; i < NR_YIELD_ROUNDS; i++) {
		/* A vCPU that lost its wake-up keeps the VM (process exit). */
		if (!wait_halted(vcpus[1], halted, i + 1)) {
			ksft_print_msg("directed_yield: vCPU 1 not halted %u ms after an IPI\n",
				       TIMEOUT_MS);
			return false;
		}
		preempted = involuntary_switches(target_tid);
		successful = yields_successful(vcpus[0]);
		run_until_sync(vcpus[0], 2);
		successful = yields_successful(vcpus[0]) - successful;
		if (involuntary_switches(target_tid) != preempted)
			unclean_rounds++;
		else
			woken_rounds += !!successful;
	}

	/* Spinning in the guest, preempted by the yielder's task. */
	successful = yields_successful(vcpus[0]);
	deadline = now_ms() + TIMEOUT_MS;
	do {
		run_until_sync(vcpus[0], 3);
		spins++;
		spinner_yield = yields_successful(vcpus[0]) != successful;
	} while (!spinner_yield && now_ms() < deadline);
	write_guest_global(vm, stop, true);
	run_until_sync(vcpus[0], 4);

	/* Out of KVM_RUN, runnable; it was ready before. */
	deadline = now_ms() + TIMEOUT_MS;
	while (!READ_ONCE(target_in_userspace) && now_ms() < deadline)
		nanosleep(&nap, NULL);
	in_userspace = READ_ONCE(target_in_userspace);
	user_attempted = vcpu_get_stat(vcpus[0], directed_yield_attempted);
	successful = yields_successful(vcpus[0]);
	run_until_done(vcpus[0]);
	user_attempted = vcpu_get_stat(vcpus[0], directed_yield_attempted) - user_attempted;
	user_yields = yields_successful(vcpus[0]) - successful;
	WRITE_ONCE(target_release, true);
	finished = in_userspace && join_thread(target, join_deadline());
	/* A vCPU stuck in KVM_RUN keeps the VM; the process exit frees it. */
	if (finished) {
		vcpu_stats_close();
		kvm_vm_free(vm);
	}

	ksft_print_msg("directed_yield: blocked: %lu of %lu yields successful, try %d%s\n",
		       (ulong)blocked_yields, (ulong)attempted, tries,
		       stayed_blocked ? "" : ", but the target was woken in every try");
	ksft_print_msg("directed_yield: woken: yielded in %lu of %lu rounds (%lu not counted)\n",
		       (ulong)woken_rounds, (ulong)(NR_YIELD_ROUNDS - unclean_rounds),
		       (ulong)unclean_rounds);
	ksft_print_msg("directed_yield: spinning: %s after %lu yields\n",
		       spinner_yield ? "successful" : "none successful", (ulong)spins);
	if (in_userspace)
		ksft_print_msg("directed_yield: in userspace: %lu of %lu yields successful\n",
			       (ulong)user_yields, (ulong)user_attempted);
	else
		ksft_print_msg("directed_yield: vCPU 1 did not leave KVM_RUN within %u ms\n",
			       TIMEOUT_MS);
	if (in_userspace && !finished)
		ksft_print_msg("directed_yield: vCPU 1 did not finish\n");
	return attempted == NR_YIELDS && !blocked_yields && stayed_blocked &&
	       woken_rounds && spinner_yield && finished &&
	       user_attempted == NR_YIELDS && !user_yields;
}

static bool kicks_done, not_realtime, too_busy;
static int bad_kicks, preempted_kicks;

static void kick_handler(int sig)
{
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
	pid_t tid = syscall(SYS_gettid);
	int i, r;
	u64 nivcsw;

	pin_self_to_cpu(busy_cpu);
	if (sched_setscheduler(0, SCHED_FIFO, &param)) {
		WRITE_ONCE(not_realtime, true);
		WRITE_ONCE(kicks_done, true);
		return NULL;
	}

	for (i = 0; i < NR_KICKS; i++) {
		nivcsw = involuntary_switches(tid);
		r = __vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EINTR &&
			    vcpu->run->exit_reason == KVM_EXIT_INTR,
			    "Expected KVM_EXIT_INTR, got %s (r = %d)",
			    exit_reason_str(vcpu->run->exit_reason), r);
		if (involuntary_switches(tid) != nivcsw) {
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
	kvm_pthread_create(&thread, NULL, kicked_thread, vcpus[0]);

	deadline = now_ms() + TIMEOUT_MS;
	while (!READ_ONCE(kicks_done)) {
		TEST_ASSERT(now_ms() < deadline, "vCPU not kicked %d times in %u ms",
			    NR_KICKS, TIMEOUT_MS);
		pthread_kill(thread, SIGUSR1);
		nanosleep(&nap, NULL);
	}
	TEST_ASSERT(join_thread(thread, join_deadline()), "vCPU thread did not finish");
	vcpu_stats_close();
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
	bool preempted_reported = false, flush_tlb = false;
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
	ksft_set_plan(9);

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
	if (two_cpus)
		ksft_test_result(test_boundary_reset(),
				 "boundary_reset: a put after an exit that is not a boundary is not reported\n");
	else
		ksft_test_result_skip("boundary_reset: needs two CPUs\n");
	r = two_cpus ? test_xen_runstate() : KSFT_SKIP;
	if (r == KSFT_SKIP)
		ksft_test_result_skip("xen_runstate: needs two CPUs and Xen runstates\n");
	else
		ksft_test_result(r == KSFT_PASS,
				 "xen_runstate: a Xen guest sees preempted vCPUs runnable, halted ones not\n");
	ksft_test_result(test_directed_yield(),
			 "directed_yield: KVM yields only to a vCPU that is ready to run\n");
	ksft_finished();
}
