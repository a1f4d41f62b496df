// SPDX-License-Identifier: GPL-2.0-only
/*
 * Written by make sources from patch/6.12/series/0006-KVM-VMX-Add-KUnit-tests-for-which-VM-Exits-are-instr.patch:
 * edit the patch.
 * A deliberate backport: the 6.12 LTS port of kunit/7.3/kvm_vmx_preempt_kunit.c.
 */
/*
 * KUnit tests for which VM-Exits let KVM report the vCPU as preempted to the
 * guest, see kvm_steal_time_set_preempted().  vmx_handle_exit_irqoff() is the
 * vendor hook that vcpu_enter_guest() calls after every VM-Exit, with
 * at_instruction_boundary cleared; it is fed the basic exit reason, as
 * vmx_vcpu_enter_exit() caches it, of a vCPU that never ran.
 *
 * Not tested: EXIT_REASON_EXTERNAL_INTERRUPT, the one exit that must set
 * at_instruction_boundary, as handling it dispatches the host interrupt from
 * the VMCS, and likewise EXIT_REASON_EXCEPTION_NMI, which handles a real NMI
 * or exception.  Only a VMX host running a guest covers them.
 */
#include <kunit/test.h>

#include "vmx.h"
#include "x86_ops.h"

struct exit_case {
	const char *desc;
	u16 basic_exit_reason;
};

#define EXIT_CASE(reason) { #reason, reason }

static const struct exit_case exit_cases[] = {
	EXIT_CASE(EXIT_REASON_HLT),
	EXIT_CASE(EXIT_REASON_IO_INSTRUCTION),
	EXIT_CASE(EXIT_REASON_EPT_VIOLATION),
	EXIT_CASE(EXIT_REASON_EPT_MISCONFIG),
	EXIT_CASE(EXIT_REASON_CPUID),
	EXIT_CASE(EXIT_REASON_MSR_READ),
	EXIT_CASE(EXIT_REASON_MSR_WRITE),
	EXIT_CASE(EXIT_REASON_PAUSE_INSTRUCTION),
	EXIT_CASE(EXIT_REASON_PREEMPTION_TIMER),
	EXIT_CASE(EXIT_REASON_INTERRUPT_WINDOW),
	EXIT_CASE(EXIT_REASON_NMI_WINDOW),
	EXIT_CASE(EXIT_REASON_VMCALL),
	EXIT_CASE(EXIT_REASON_TRIPLE_FAULT),
	EXIT_CASE(EXIT_REASON_CR_ACCESS),
	EXIT_CASE(EXIT_REASON_APIC_WRITE),
	EXIT_CASE(EXIT_REASON_MCE_DURING_VMENTRY),
};

KUNIT_ARRAY_PARAM_DESC(exit, exit_cases, desc);

/* None of these exits is on an instruction boundary. */
static void vmx_handle_exit_irqoff_test(struct kunit *test)
{
	const struct exit_case *c = test->param_value;
	struct vcpu_vmx *vmx;

	vmx = kunit_kzalloc(test, sizeof(*vmx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vmx);
	vmx->exit_reason.basic = c->basic_exit_reason;

	vmx_handle_exit_irqoff(&vmx->vcpu);

	KUNIT_EXPECT_FALSE(test, vmx->vcpu.arch.at_instruction_boundary);
}

static struct kunit_case kvm_vmx_preempt_cases[] = {
	KUNIT_CASE_PARAM(vmx_handle_exit_irqoff_test, exit_gen_params),
	{}
};

static struct kunit_suite kvm_vmx_preempt_suite = {
	.name = "kvm_vmx_preempt",
	.test_cases = kvm_vmx_preempt_cases,
};

kunit_test_suite(kvm_vmx_preempt_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests for which VM-Exits are instruction boundaries");
MODULE_LICENSE("GPL");
