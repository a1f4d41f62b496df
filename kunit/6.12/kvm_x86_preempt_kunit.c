// SPDX-License-Identifier: GPL-2.0-only
/*
 * Written by make sources from patch/6.12/series/0004-KVM-x86-Add-KUnit-tests-for-reporting-a-vCPU-as-pree.patch:
 * edit the patch.
 * A deliberate backport: the 6.12 LTS port of kunit/7.3/kvm_x86_preempt_kunit.c.
 */
/*
 * KUnit tests for what KVM tells a guest about a vCPU whose task is scheduled
 * out: preempted, or not.  The functions under test are the ones KVM calls on
 * the put path:
 *
 *   schedule()
 *     kvm_sched_out()                     virt/kvm/kvm_main.c
 *       kvm_vcpu_sched_out(vcpu, current)   <- tested: a task in each state
 *       kvm_arch_vcpu_put()               arch/x86/kvm/x86.c
 *         if (vcpu->preempted)
 *           kvm_steal_time_set_preempted()  <- tested: the guest's byte
 *
 * and record_steal_time(), which each VM-entry calls.  The VM and its
 * memslot are KVM's own (kvm_create_vm() and the ioctl's function), in the
 * test's mm; the steal time area is set up by record_steal_time(), and the
 * vCPU is the one running on the CPU during each call, as in KVM.
 * kvm_arch_vcpu_put() itself is not called: it calls into the vendor
 * module, which this vCPU has no state of (see st_vm_init()); its
 * "if (vcpu->preempted)" guard and its Xen runstate path are covered by
 * the preempted_halt_test selftest.  Which VM-Exits are instruction
 * boundaries is decided by the vendor modules.
 */
#include <kunit/test.h>
#include <linux/kvm_host.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "x86.h"

/* task->on_rq of a task on its runqueue, see TASK_ON_RQ_QUEUED. */
#define ON_RQ_QUEUED	1

struct sched_out_case {
	const char *desc;
	int on_rq;
	bool sched_delayed;
	bool wants_to_run;
	bool preempted;
};

static const struct sched_out_case sched_out_cases[] = {
	{ "preempted while in KVM_RUN", ON_RQ_QUEUED, false, true, true },
	{ "preempted outside KVM_RUN", ON_RQ_QUEUED, false, false, false },
	{ "blocked and dequeued in KVM_RUN", 0, false, true, false },
	{ "blocked and dequeued outside KVM_RUN", 0, false, false, false },
	{ "blocked, dequeue delayed, in KVM_RUN", ON_RQ_QUEUED, true, true, false },
	{ "blocked, dequeue delayed, outside KVM_RUN", ON_RQ_QUEUED, true, false, false },
};

KUNIT_ARRAY_PARAM_DESC(sched_out, sched_out_cases, desc);

/*
 * A task in the scheduler state of the case is scheduled out: the vCPU is
 * preempted and ready only if the task is still runnable and in KVM_RUN.
 */
static void kvm_vcpu_sched_out_test(struct kunit *test)
{
	const struct sched_out_case *c = test->param_value;
	struct task_struct *task;
	struct kvm_vcpu *vcpu;

	task = kunit_kzalloc(test, sizeof(*task), GFP_KERNEL);
	vcpu = kunit_kzalloc(test, sizeof(*vcpu), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vcpu);
	task->on_rq = c->on_rq;
	task->se.sched_delayed = c->sched_delayed;
	vcpu->wants_to_run = c->wants_to_run;

	kvm_vcpu_sched_out(vcpu, task);

	KUNIT_EXPECT_TRUE(test, vcpu->scheduled_out);
	KUNIT_EXPECT_EQ(test, vcpu->preempted, c->preempted);
	KUNIT_EXPECT_EQ(test, vcpu->ready, c->preempted);
}

/* The running KUnit thread itself, as kvm_sched_out() sees current. */
static void kvm_vcpu_sched_out_current_test(struct kunit *test)
{
	struct kvm_vcpu *vcpu = kunit_kzalloc(test, sizeof(*vcpu), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vcpu);
	vcpu->wants_to_run = true;

	kvm_vcpu_sched_out(vcpu, current);

	KUNIT_EXPECT_TRUE(test, vcpu->preempted);
	KUNIT_EXPECT_TRUE(test, vcpu->ready);
}

/*
 * A VM as KVM_CREATE_VM makes it, in the test's own mm, with one memslot of
 * one page at ST_GPA (KVM_SET_USER_MEMORY_REGION2), and a vCPU whose steal
 * time is at ST_GPA, as a write of MSR_KVM_STEAL_TIME leaves it.  The page
 * is the test's own, so the test reads and writes the byte that the guest
 * would read and write.
 *
 * The vCPU is the one thing KVM does not make here: KVM_CREATE_VCPU must
 * come from a user task, as kvm_arch_vcpu_create() locks the FPU
 * permissions of the caller, and KUnit runs every test in a kernel thread,
 * which has no FPU state of its own.  kvm_vcpu_init() gives it the state
 * that kvm_sched_out() and the steal time code read; the vendor's half is
 * never used, so the vCPU is neither loaded nor put by the vendor module.
 */
#define ST_GPA	0x100000ull

struct st_vm {
	struct kvm *kvm;
	struct kvm_vcpu *vcpu;
	struct kvm_steal_time __user *st;
};

KUNIT_DEFINE_ACTION_WRAPPER(st_vm_put_kvm, kvm_put_kvm, struct kvm *);

static unsigned long st_vm_user_page(struct kunit *test)
{
	unsigned long hva;

	hva = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, !hva || IS_ERR_VALUE(hva), "no user page: %ld", (long)hva);

	/*
	 * Fault the page in: the test runs the code under test with
	 * preemption disabled, as KVM runs it, where a fault cannot be
	 * handled.
	 */
	KUNIT_ASSERT_EQ(test, clear_user((void __user *)hva, PAGE_SIZE), 0);
	return hva;
}

static void st_vm_add_memslot(struct kunit *test, struct st_vm *vm, u32 slot, gpa_t gpa)
{
	struct kvm_userspace_memory_region2 region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = PAGE_SIZE,
		.userspace_addr = st_vm_user_page(test),
	};

	KUNIT_ASSERT_EQ(test, kvm_vm_ioctl_set_memory_region(vm->kvm, &region), 0);
	if (!slot)
		vm->st = (struct kvm_steal_time __user *)region.userspace_addr;
}

static void st_vm_init(struct kunit *test, struct st_vm *vm)
{
	if (!kvm_x86_ops.vm_size)
		kunit_skip(test, "no vendor module: KVM cannot create a VM");

	/* The mm of the VM: kunit_vm_mmap() gives the test thread one. */
	st_vm_user_page(test);
	vm->kvm = kvm_create_vm(KVM_X86_DEFAULT_VM, "kunit");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm->kvm);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, st_vm_put_kvm, vm->kvm), 0);

	st_vm_add_memslot(test, vm, 0, ST_GPA);

	vm->vcpu = kunit_kzalloc(test, sizeof(*vm->vcpu), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm->vcpu);
	kvm_vcpu_init(vm->vcpu, vm->kvm, 0);

	/* What kvm_set_msr_common() leaves for MSR_KVM_STEAL_TIME. */
	vm->vcpu->arch.st.msr_val = ST_GPA | KVM_MSR_ENABLED;
}

/*
 * The vCPU's task gets its CPU: until st_vm_unload(), the vCPU is the one
 * running on this CPU, as kvm_sched_in() makes it before the vendor's load,
 * and the test runs with preemption disabled, as the put path runs.
 */
static void st_vm_load(struct st_vm *vm)
{
	preempt_disable();
	*this_cpu_ptr(kvm_get_running_vcpus()) = vm->vcpu;
}

/* The task leaves its CPU, as kvm_sched_out() leaves it after the put. */
static void st_vm_unload(struct st_vm *vm)
{
	*this_cpu_ptr(kvm_get_running_vcpus()) = NULL;
	preempt_enable();
}

/* A VM-entry's update of the steal time area, with the vCPU loaded. */
static void st_vm_entry(struct st_vm *vm)
{
	int idx = srcu_read_lock(&vm->kvm->srcu);

	record_steal_time(vm->vcpu);
	srcu_read_unlock(&vm->kvm->srcu, idx);
}

/* The put of kvm_arch_vcpu_put(), from the scheduler: SRCU, IRQs off. */
static void st_vm_put(struct st_vm *vm, void (*put)(struct kvm_vcpu *vcpu))
{
	unsigned long flags;
	int idx;

	local_irq_save(flags);
	idx = srcu_read_lock(&vm->kvm->srcu);
	put(vm->vcpu);
	srcu_read_unlock(&vm->kvm->srcu, idx);
	local_irq_restore(flags);
}

/* The guest's byte, while the vCPU is loaded (no page faults). */
static int st_vm_read_byte(struct st_vm *vm, u8 *val)
{
	return copy_from_user_nofault(val, &vm->st->preempted, sizeof(*val));
}

static int st_vm_write_byte(struct st_vm *vm, u8 val)
{
	return copy_to_user_nofault(&vm->st->preempted, &val, sizeof(val));
}

struct st_case {
	const char *desc;
	bool at_instruction_boundary;	/* the last VM-Exit's */
	bool st_enabled;		/* KVM_MSR_ENABLED, as the guest left it since */
	bool reported_before;		/* a put since the entry reported it */
	bool memslots_changed;		/* since the entry */
	u8 guest_byte_before;		/* the guest's byte before the put */
	u8 guest_byte;			/* the guest's byte after the put */
	bool reported;			/* preemption_reported, else preemption_other */
};

static const struct st_case st_cases[] = {
	{ "host interrupt exit", true, true, false, false,
	  0, KVM_VCPU_PREEMPTED, true },
	{ "exit not on an instruction boundary", false, true, false, false,
	  0, 0, false },
	{ "steal time disabled since the entry", true, false, false, false, 0, 0, true },
	{ "already reported", true, true, true, false,
	  KVM_VCPU_PREEMPTED, KVM_VCPU_PREEMPTED, true },
	{ "already reported, flush asked", true, true, true, false,
	  KVM_VCPU_PREEMPTED | KVM_VCPU_FLUSH_TLB,
	  KVM_VCPU_PREEMPTED | KVM_VCPU_FLUSH_TLB, true },
	{ "memslots changed", true, true, false, true, 0, 0, true },
};

KUNIT_ARRAY_PARAM_DESC(st, st_cases, desc);

/*
 * A preempted vCPU is put: KVM writes KVM_VCPU_PREEMPTED into the guest's
 * steal time area only after an exit on an instruction boundary, with steal
 * time enabled, and if it has not written it since the last entry; what the
 * guest has written in the byte since, e.g. KVM_VCPU_FLUSH_TLB, stays.
 */
static void kvm_steal_time_set_preempted_test(struct kunit *test)
{
	const struct st_case *c = test->param_value;
	u64 reported, other;
	struct kvm_vcpu *vcpu;
	int wrote, read;
	struct st_vm vm;
	u8 recorded, byte;

	st_vm_init(test, &vm);
	vcpu = vm.vcpu;

	st_vm_load(&vm);
	st_vm_entry(&vm);
	if (!c->st_enabled)
		vcpu->arch.st.msr_val &= ~KVM_MSR_ENABLED;
	if (c->memslots_changed) {
		st_vm_unload(&vm);
		st_vm_add_memslot(test, &vm, 1, ST_GPA + PAGE_SIZE);
		st_vm_load(&vm);
	}
	vcpu->arch.at_instruction_boundary = c->at_instruction_boundary;
	if (c->reported_before)
		st_vm_put(&vm, kvm_steal_time_set_preempted);
	wrote = st_vm_write_byte(&vm, c->guest_byte_before);
	reported = vcpu->stat.preemption_reported;
	other = vcpu->stat.preemption_other;

	st_vm_put(&vm, kvm_steal_time_set_preempted);

	reported = vcpu->stat.preemption_reported - reported;
	other = vcpu->stat.preemption_other - other;
	read = st_vm_read_byte(&vm, &byte);
	recorded = vcpu->arch.st.preempted;
	st_vm_unload(&vm);

	KUNIT_ASSERT_EQ(test, wrote, 0);
	KUNIT_ASSERT_EQ(test, read, 0);
	KUNIT_EXPECT_EQ(test, byte, c->guest_byte);
	KUNIT_EXPECT_EQ(test, recorded, (u8)(c->guest_byte & ~KVM_VCPU_FLUSH_TLB));
	KUNIT_EXPECT_EQ(test, reported, (u64)c->reported);
	KUNIT_EXPECT_EQ(test, other, (u64)!c->reported);
}

/*
 * The VM-entry after a preemption clears the byte and what KVM recorded of
 * it, so the next preemption is reported again.  (A TLB flush that a
 * sibling asked for in the byte is done by that entry too, with the
 * vendor's half of the vCPU, which this one does not have.)
 */
static void kvm_steal_time_entry_test(struct kunit *test)
{
	u8 byte_in_guest, recorded, byte_again;
	int read, read_again;
	struct kvm_vcpu *vcpu;
	struct st_vm vm;

	st_vm_init(test, &vm);
	vcpu = vm.vcpu;

	st_vm_load(&vm);
	st_vm_entry(&vm);
	vcpu->arch.at_instruction_boundary = true;
	st_vm_put(&vm, kvm_steal_time_set_preempted);

	st_vm_entry(&vm);

	read = st_vm_read_byte(&vm, &byte_in_guest);
	recorded = vcpu->arch.st.preempted;
	st_vm_put(&vm, kvm_steal_time_set_preempted);
	read_again = st_vm_read_byte(&vm, &byte_again);
	st_vm_unload(&vm);

	KUNIT_ASSERT_EQ(test, read, 0);
	KUNIT_ASSERT_EQ(test, read_again, 0);
	KUNIT_EXPECT_EQ(test, byte_in_guest, 0);
	KUNIT_EXPECT_EQ(test, recorded, 0);
	KUNIT_EXPECT_EQ(test, byte_again, KVM_VCPU_PREEMPTED);
}

static struct kunit_case kvm_x86_preempt_cases[] = {
	KUNIT_CASE_PARAM(kvm_vcpu_sched_out_test, sched_out_gen_params),
	KUNIT_CASE(kvm_vcpu_sched_out_current_test),
	KUNIT_CASE_PARAM(kvm_steal_time_set_preempted_test, st_gen_params),
	KUNIT_CASE(kvm_steal_time_entry_test),
	{}
};

static struct kunit_suite kvm_x86_preempt_suite = {
	.name = "kvm_x86_preempt",
	.test_cases = kvm_x86_preempt_cases,
};

kunit_test_suite(kvm_x86_preempt_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for reporting preempted vCPUs to the guest");
MODULE_LICENSE("GPL");
