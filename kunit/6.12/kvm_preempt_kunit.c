// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the decision whether a vCPU that is put, i.e. whose task is
 * scheduled out, is reported as preempted to the guest.
 *
 * The guest reads the "preempted" byte of its steal time area through
 * vcpu_is_preempted(), and its scheduler skips vCPUs that look preempted when
 * it looks for an idle CPU.  The rule under test:
 *
 *  - a vCPU is preempted only if its task is scheduled out while runnable and
 *    inside KVM_RUN (kvm_sched_out_is_preemption()), so a vCPU that blocks
 *    after HLT, or that exited to userspace, is never preempted;
 *  - only a VM-Exit due to a host interrupt is on an instruction boundary
 *    (vmx_exit_is_instruction_boundary(), svm_exit_is_instruction_boundary());
 *  - a preempted vCPU is reported in steal time only on an instruction
 *    boundary, only if the guest enabled steal time, and only once
 *    (kvm_steal_time_preempted_action()); with Xen emulation the runstate
 *    is updated instead.
 *
 * The exit reasons are the vendors' architectural constants, so the tests run
 * without VMX or SVM, e.g. under kunit.py's QEMU.
 */
#include <kunit/test.h>

#include "x86.h"

enum vendor { VMX, SVM };

struct exit_case {
	enum vendor vendor;
	u64 reason;
	bool boundary;
	const char *desc;
};

#define VMX_EXIT(r, b) { VMX, EXIT_REASON_##r, b, "VMX " #r }
#define SVM_EXIT(r, b) { SVM, SVM_EXIT_##r, b, "SVM " #r }

/* Only the host-interrupt exits are instruction boundaries. */
static const struct exit_case exit_cases[] = {
	VMX_EXIT(EXTERNAL_INTERRUPT,	true),
	VMX_EXIT(HLT,			false),
	VMX_EXIT(EXCEPTION_NMI,		false),
	VMX_EXIT(IO_INSTRUCTION,	false),
	VMX_EXIT(MSR_READ,		false),
	VMX_EXIT(MSR_WRITE,		false),
	VMX_EXIT(EPT_VIOLATION,		false),
	VMX_EXIT(EPT_MISCONFIG,		false),
	VMX_EXIT(PAUSE_INSTRUCTION,	false),
	VMX_EXIT(CPUID,			false),
	VMX_EXIT(VMCALL,		false),
	VMX_EXIT(PREEMPTION_TIMER,	false),
	VMX_EXIT(TRIPLE_FAULT,		false),
	VMX_EXIT(INTERRUPT_WINDOW,	false),
	SVM_EXIT(INTR,			true),
	SVM_EXIT(HLT,			false),
	SVM_EXIT(NMI,			false),
	SVM_EXIT(IOIO,			false),
	SVM_EXIT(MSR,			false),
	SVM_EXIT(NPF,			false),
	SVM_EXIT(PAUSE,			false),
	SVM_EXIT(CPUID,			false),
	SVM_EXIT(VMMCALL,		false),
	SVM_EXIT(SHUTDOWN,		false),
	SVM_EXIT(VINTR,			false),
};

KUNIT_ARRAY_PARAM_DESC(exit, exit_cases, desc);

static bool exit_is_instruction_boundary(const struct exit_case *c)
{
	if (c->vendor == VMX)
		return vmx_exit_is_instruction_boundary(c->reason);

	return svm_exit_is_instruction_boundary(c->reason);
}

static void instruction_boundary_test(struct kunit *test)
{
	const struct exit_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, exit_is_instruction_boundary(c), c->boundary);
}

/* What kvm_arch_vcpu_put() does with a vCPU's steal time or Xen runstate. */
enum put_outcome {
	PUT_NOT_PREEMPTED,	/* nothing, the vCPU is not preempted */
	PUT_XEN_RUNSTATE,	/* Xen runstate set to runnable */
	PUT_ST_OTHER,		/* preemption_other++, guest not told */
	PUT_ST_SKIP,		/* preemption_reported++, no write */
	PUT_ST_WRITE,		/* preemption_reported++, KVM_VCPU_PREEMPTED written */
};

struct put_case {
	bool runnable;		/* task scheduled out while runnable */
	bool in_kvm_run;	/* vcpu->wants_to_run */
	bool boundary;		/* vcpu->arch.at_instruction_boundary */
	bool st_enabled;	/* KVM_MSR_ENABLED in MSR_KVM_STEAL_TIME */
	bool reported;		/* vcpu->arch.st.preempted already set */
	bool xen;		/* Xen runstate instead of steal time */
	enum put_outcome expected;
};

/*
 * Every combination of the inputs.  Reading a row: the vCPU is not preempted
 * unless runnable and in KVM_RUN; then Xen gets its runstate; then steal time
 * counts "other" unless on a boundary; then it is written unless disabled or
 * already reported.
 *
 *  runnable, in_kvm_run, boundary, st_enabled, reported, xen, expected
 */
static const struct put_case put_cases[] = {
	{ 1, 1, 1, 1, 1, 1, PUT_XEN_RUNSTATE  },
	{ 1, 1, 1, 1, 1, 0, PUT_ST_SKIP       },
	{ 1, 1, 1, 1, 0, 1, PUT_XEN_RUNSTATE  },
	{ 1, 1, 1, 1, 0, 0, PUT_ST_WRITE      },
	{ 1, 1, 1, 0, 1, 1, PUT_XEN_RUNSTATE  },
	{ 1, 1, 1, 0, 1, 0, PUT_ST_SKIP       },
	{ 1, 1, 1, 0, 0, 1, PUT_XEN_RUNSTATE  },
	{ 1, 1, 1, 0, 0, 0, PUT_ST_SKIP       },
	{ 1, 1, 0, 1, 1, 1, PUT_XEN_RUNSTATE  },
	{ 1, 1, 0, 1, 1, 0, PUT_ST_OTHER      },
	{ 1, 1, 0, 1, 0, 1, PUT_XEN_RUNSTATE  },
	{ 1, 1, 0, 1, 0, 0, PUT_ST_OTHER      },
	{ 1, 1, 0, 0, 1, 1, PUT_XEN_RUNSTATE  },
	{ 1, 1, 0, 0, 1, 0, PUT_ST_OTHER      },
	{ 1, 1, 0, 0, 0, 1, PUT_XEN_RUNSTATE  },
	{ 1, 1, 0, 0, 0, 0, PUT_ST_OTHER      },
	{ 1, 0, 1, 1, 1, 1, PUT_NOT_PREEMPTED },
	{ 1, 0, 1, 1, 1, 0, PUT_NOT_PREEMPTED },
	{ 1, 0, 1, 1, 0, 1, PUT_NOT_PREEMPTED },
	{ 1, 0, 1, 1, 0, 0, PUT_NOT_PREEMPTED },
	{ 1, 0, 1, 0, 1, 1, PUT_NOT_PREEMPTED },
	{ 1, 0, 1, 0, 1, 0, PUT_NOT_PREEMPTED },
	{ 1, 0, 1, 0, 0, 1, PUT_NOT_PREEMPTED },
	{ 1, 0, 1, 0, 0, 0, PUT_NOT_PREEMPTED },
	{ 1, 0, 0, 1, 1, 1, PUT_NOT_PREEMPTED },
	{ 1, 0, 0, 1, 1, 0, PUT_NOT_PREEMPTED },
	{ 1, 0, 0, 1, 0, 1, PUT_NOT_PREEMPTED },
	{ 1, 0, 0, 1, 0, 0, PUT_NOT_PREEMPTED },
	{ 1, 0, 0, 0, 1, 1, PUT_NOT_PREEMPTED },
	{ 1, 0, 0, 0, 1, 0, PUT_NOT_PREEMPTED },
	{ 1, 0, 0, 0, 0, 1, PUT_NOT_PREEMPTED },
	{ 1, 0, 0, 0, 0, 0, PUT_NOT_PREEMPTED },
	{ 0, 1, 1, 1, 1, 1, PUT_NOT_PREEMPTED },
	{ 0, 1, 1, 1, 1, 0, PUT_NOT_PREEMPTED },
	{ 0, 1, 1, 1, 0, 1, PUT_NOT_PREEMPTED },
	{ 0, 1, 1, 1, 0, 0, PUT_NOT_PREEMPTED },
	{ 0, 1, 1, 0, 1, 1, PUT_NOT_PREEMPTED },
	{ 0, 1, 1, 0, 1, 0, PUT_NOT_PREEMPTED },
	{ 0, 1, 1, 0, 0, 1, PUT_NOT_PREEMPTED },
	{ 0, 1, 1, 0, 0, 0, PUT_NOT_PREEMPTED },
	{ 0, 1, 0, 1, 1, 1, PUT_NOT_PREEMPTED },
	{ 0, 1, 0, 1, 1, 0, PUT_NOT_PREEMPTED },
	{ 0, 1, 0, 1, 0, 1, PUT_NOT_PREEMPTED },
	{ 0, 1, 0, 1, 0, 0, PUT_NOT_PREEMPTED },
	{ 0, 1, 0, 0, 1, 1, PUT_NOT_PREEMPTED },
	{ 0, 1, 0, 0, 1, 0, PUT_NOT_PREEMPTED },
	{ 0, 1, 0, 0, 0, 1, PUT_NOT_PREEMPTED },
	{ 0, 1, 0, 0, 0, 0, PUT_NOT_PREEMPTED },
	{ 0, 0, 1, 1, 1, 1, PUT_NOT_PREEMPTED },
	{ 0, 0, 1, 1, 1, 0, PUT_NOT_PREEMPTED },
	{ 0, 0, 1, 1, 0, 1, PUT_NOT_PREEMPTED },
	{ 0, 0, 1, 1, 0, 0, PUT_NOT_PREEMPTED },
	{ 0, 0, 1, 0, 1, 1, PUT_NOT_PREEMPTED },
	{ 0, 0, 1, 0, 1, 0, PUT_NOT_PREEMPTED },
	{ 0, 0, 1, 0, 0, 1, PUT_NOT_PREEMPTED },
	{ 0, 0, 1, 0, 0, 0, PUT_NOT_PREEMPTED },
	{ 0, 0, 0, 1, 1, 1, PUT_NOT_PREEMPTED },
	{ 0, 0, 0, 1, 1, 0, PUT_NOT_PREEMPTED },
	{ 0, 0, 0, 1, 0, 1, PUT_NOT_PREEMPTED },
	{ 0, 0, 0, 1, 0, 0, PUT_NOT_PREEMPTED },
	{ 0, 0, 0, 0, 1, 1, PUT_NOT_PREEMPTED },
	{ 0, 0, 0, 0, 1, 0, PUT_NOT_PREEMPTED },
	{ 0, 0, 0, 0, 0, 1, PUT_NOT_PREEMPTED },
	{ 0, 0, 0, 0, 0, 0, PUT_NOT_PREEMPTED },
};

static void put_case_desc(const struct put_case *c, char *desc)
{
	static const char * const outcome[] = {
		[PUT_NOT_PREEMPTED] = "not preempted",
		[PUT_XEN_RUNSTATE] = "xen runstate",
		[PUT_ST_OTHER] = "other",
		[PUT_ST_SKIP] = "reported, no write",
		[PUT_ST_WRITE] = "reported and written",
	};

	snprintf(desc, KUNIT_PARAM_DESC_SIZE,
		 "%s %s %s st=%s %s %s -> %s",
		 c->runnable ? "runnable" : "blocked",
		 c->in_kvm_run ? "in-run" : "userspace",
		 c->boundary ? "boundary" : "mid-insn",
		 c->st_enabled ? "on" : "off",
		 c->reported ? "reported" : "fresh",
		 c->xen ? "xen" : "kvm",
		 outcome[c->expected]);
}

KUNIT_ARRAY_PARAM(put, put_cases, put_case_desc);

/* The decision of kvm_sched_out() and kvm_arch_vcpu_put(), in order. */
static enum put_outcome put_outcome(bool runnable, bool in_kvm_run,
				    bool boundary, bool st_enabled,
				    bool reported, bool xen)
{
	if (!kvm_sched_out_is_preemption(runnable, in_kvm_run))
		return PUT_NOT_PREEMPTED;

	if (xen)
		return PUT_XEN_RUNSTATE;

	switch (kvm_steal_time_preempted_action(boundary, st_enabled, reported)) {
	case KVM_ST_PREEMPTED_OTHER:
		return PUT_ST_OTHER;
	case KVM_ST_PREEMPTED_SKIP:
		return PUT_ST_SKIP;
	case KVM_ST_PREEMPTED_WRITE:
		return PUT_ST_WRITE;
	}

	return -1;
}

static void put_decision_test(struct kunit *test)
{
	const struct put_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, put_outcome(c->runnable, c->in_kvm_run,
					  c->boundary, c->st_enabled,
					  c->reported, c->xen),
			c->expected);
}

/*
 * The 2021 rule, composed from the vendor mapping and the put decision: a
 * vCPU whose last exit was HLT is never reported as preempted, whatever the
 * state of its task and of its steal time.
 */
static void hlt_never_reported_test(struct kunit *test)
{
	static const struct exit_case hlt[] = {
		VMX_EXIT(HLT, false),
		SVM_EXIT(HLT, false),
	};
	int i, state;

	for (i = 0; i < ARRAY_SIZE(hlt); i++) {
		bool boundary = exit_is_instruction_boundary(&hlt[i]);

		for (state = 0; state < 16; state++) {
			enum put_outcome o;

			o = put_outcome(state & 1, state & 2, boundary,
					state & 4, state & 8, false);

			KUNIT_EXPECT_NE_MSG(test, o, PUT_ST_WRITE,
					    "%s, task state %d", hlt[i].desc,
					    state);
		}
	}
}

/* The positive control: a host interrupt that preempts a running vCPU. */
static void host_interrupt_reported_test(struct kunit *test)
{
	static const struct exit_case intr[] = {
		VMX_EXIT(EXTERNAL_INTERRUPT, true),
		SVM_EXIT(INTR, true),
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(intr); i++) {
		bool boundary = exit_is_instruction_boundary(&intr[i]);

		KUNIT_EXPECT_EQ_MSG(test,
				    put_outcome(true, true, boundary, true,
						false, false),
				    PUT_ST_WRITE, "%s", intr[i].desc);
	}
}

static struct kunit_case kvm_x86_preempt_cases[] = {
	KUNIT_CASE_PARAM(instruction_boundary_test, exit_gen_params),
	KUNIT_CASE_PARAM(put_decision_test, put_gen_params),
	KUNIT_CASE(hlt_never_reported_test),
	KUNIT_CASE(host_interrupt_reported_test),
	{}
};

static struct kunit_suite kvm_x86_preempt_suite = {
	.name = "kvm_x86_preempt",
	.test_cases = kvm_x86_preempt_cases,
};

kunit_test_suites(&kvm_x86_preempt_suite);

MODULE_DESCRIPTION("KUnit tests for reporting preempted vCPUs to KVM guests");
MODULE_LICENSE("GPL");
