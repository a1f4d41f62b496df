// SPDX-License-Identifier: GPL-2.0-only
/*
 * Written by make sources from patch/6.12/series/0004-KVM-x86-Add-KUnit-tests-for-reporting-a-vCPU-as-pree.patch:
 * edit the patch.
 * A deliberate backport: the 6.12 LTS port of kunit/7.3/kvm_x86_preempt_kunit.c.
 */
/*
 * KUnit tests for what KVM tells a guest about a vCPU whose task is scheduled
 * out: preempted, or not.  The functions under test are the ones KVM calls on
 * the put path, fed with the raw state they read:
 *
 *   schedule()
 *     kvm_sched_out()                     virt/kvm/kvm_main.c
 *       kvm_vcpu_sched_out(vcpu, current)   <- tested: a task in each state
 *       kvm_arch_vcpu_put()               arch/x86/kvm/x86.c
 *         if (vcpu->preempted)
 *           kvm_steal_time_set_preempted()  <- tested: the guest's byte
 *
 * kvm_arch_vcpu_put() itself is not called: it calls into the vendor module
 * through static calls that need a real vCPU.  Its "if (vcpu->preempted)"
 * guard and its Xen runstate path are covered by the preempted_halt_test
 * selftest only.  Which VM-Exits are instruction boundaries is decided by
 * the vendor modules.
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
 * A VM whose only vCPU has steal time at guest physical address ST_GPA,
 * backed by a user page of the test's own mm, with the gfn_to_hva cache
 * valid and the page present, as record_steal_time() leaves them.  The VM has no users, so KVM
 * accepts a guest write without a running vCPU.
 */
#define ST_GPA	0x100000ull

struct st_vm {
	struct kvm *kvm;
	struct kvm_vcpu *vcpu;
	struct kvm_steal_time __user *st;
};

static void st_vm_init(struct kunit *test, struct st_vm *vm)
{
	struct kvm_memory_slot *slot;
	struct kvm_memslots *slots;
	struct gfn_to_hva_cache *ghc;
	unsigned long hva;

	hva = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE_MSG(test, !hva || IS_ERR_VALUE(hva), "no user page: %ld", (long)hva);

	vm->kvm = kunit_kzalloc(test, sizeof(*vm->kvm), GFP_KERNEL);
	vm->vcpu = kunit_kzalloc(test, sizeof(*vm->vcpu), GFP_KERNEL);
	slots = kunit_kzalloc(test, sizeof(*slots), GFP_KERNEL);
	slot = kunit_kzalloc(test, sizeof(*slot), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm->kvm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm->vcpu);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, slots);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, slot);

	vm->kvm->mm = current->mm;
	slots->generation = 2;
	slot->base_gfn = gpa_to_gfn(ST_GPA);
	slot->npages = 1;
	slot->userspace_addr = hva;
	rcu_assign_pointer(vm->kvm->memslots[0], slots);

	vm->vcpu->kvm = vm->kvm;
	vm->vcpu->arch.st.msr_val = ST_GPA | KVM_MSR_ENABLED;
	ghc = &vm->vcpu->arch.st.cache;
	ghc->generation = slots->generation;
	ghc->gpa = ST_GPA;
	ghc->hva = hva;
	ghc->len = sizeof(struct kvm_steal_time);
	ghc->memslot = slot;
	vm->st = (struct kvm_steal_time __user *)hva;

	/*
	 * Fault the page in, as record_steal_time() does on every entry:
	 * KVM writes the flag with page faults disabled.
	 */
	KUNIT_ASSERT_EQ(test, clear_user(vm->st, sizeof(*vm->st)), 0);
}

static u8 st_vm_guest_byte(struct kunit *test, struct st_vm *vm)
{
	u8 val;

	KUNIT_ASSERT_EQ(test, get_user(val, &vm->st->preempted), 0);
	return val;
}

struct st_case {
	const char *desc;
	bool at_instruction_boundary;	/* the last VM-Exit's */
	bool st_enabled;		/* KVM_MSR_ENABLED in MSR_KVM_STEAL_TIME */
	u8 recorded;			/* vcpu->arch.st.preempted */
	bool stale_cache;		/* the memslots changed since the last entry */
	bool other_mm;			/* put from another mm than the VM's */
	u8 guest_byte_before;		/* the guest's byte before the put */
	u8 guest_byte;			/* the guest's byte after the put */
	u8 recorded_after;		/* vcpu->arch.st.preempted after the put */
	bool reported;			/* preemption_reported, else preemption_other */
};

static const struct st_case st_cases[] = {
	{ "host interrupt exit", true, true, 0, false, false,
	  0, KVM_VCPU_PREEMPTED, KVM_VCPU_PREEMPTED, true },
	{ "exit not on an instruction boundary", false, true, 0, false, false,
	  0, 0, 0, false },
	{ "steal time disabled", true, false, 0, false, false, 0, 0, 0, true },
	{ "already reported", true, true, KVM_VCPU_PREEMPTED, false, false,
	  KVM_VCPU_PREEMPTED, KVM_VCPU_PREEMPTED, KVM_VCPU_PREEMPTED, true },
	{ "already reported, flush asked", true, true, KVM_VCPU_PREEMPTED,
	  false, false, KVM_VCPU_PREEMPTED | KVM_VCPU_FLUSH_TLB,
	  KVM_VCPU_PREEMPTED | KVM_VCPU_FLUSH_TLB, KVM_VCPU_PREEMPTED, true },
	{ "memslots changed", true, true, 0, true, false, 0, 0, 0, true },
	{ "another mm", true, true, 0, false, true, 0, 0, 0, true },
};

KUNIT_ARRAY_PARAM_DESC(st, st_cases, desc);

/*
 * A preempted vCPU is put: KVM writes KVM_VCPU_PREEMPTED into the guest's
 * steal time area only after an exit on an instruction boundary, with steal
 * time enabled, and if it has not written it already; what the guest has
 * written in the byte since, e.g. KVM_VCPU_FLUSH_TLB, stays.
 */
static void kvm_steal_time_set_preempted_test(struct kunit *test)
{
	const struct st_case *c = test->param_value;
	struct kvm_vcpu *vcpu;
	struct st_vm vm;

	st_vm_init(test, &vm);
	KUNIT_ASSERT_EQ(test, put_user(c->guest_byte_before, &vm.st->preempted), 0);
	vcpu = vm.vcpu;
	vcpu->arch.at_instruction_boundary = c->at_instruction_boundary;
	if (!c->st_enabled)
		vcpu->arch.st.msr_val &= ~KVM_MSR_ENABLED;
	vcpu->arch.st.preempted = c->recorded;
	if (c->stale_cache)
		vcpu->arch.st.cache.generation--;
	if (c->other_mm) {
		vm.kvm->mm = kunit_kzalloc(test, sizeof(*vm.kvm->mm), GFP_KERNEL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vm.kvm->mm);
	}

	kvm_steal_time_set_preempted(vcpu);

	KUNIT_EXPECT_EQ(test, st_vm_guest_byte(test, &vm), c->guest_byte);
	KUNIT_EXPECT_EQ(test, vcpu->arch.st.preempted, c->recorded_after);
	KUNIT_EXPECT_EQ(test, vcpu->stat.preemption_reported, (u64)c->reported);
	KUNIT_EXPECT_EQ(test, vcpu->stat.preemption_other, (u64)!c->reported);
}

static struct kunit_case kvm_x86_preempt_cases[] = {
	KUNIT_CASE_PARAM(kvm_vcpu_sched_out_test, sched_out_gen_params),
	KUNIT_CASE(kvm_vcpu_sched_out_current_test),
	KUNIT_CASE_PARAM(kvm_steal_time_set_preempted_test, st_gen_params),
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
