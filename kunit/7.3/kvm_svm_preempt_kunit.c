// SPDX-License-Identifier: GPL-2.0-only
/*
 * Written by make sources from patch/7.3/series/0005-KVM-SVM-Add-KUnit-tests-for-which-VMEXITs-are-instru.patch:
 * edit the patch.
 */
/*
 * KUnit tests for which #VMEXITs let KVM report the vCPU as preempted to the
 * guest, see kvm_steal_time_set_preempted().  svm_handle_exit_irqoff() is the
 * vendor hook that vcpu_enter_guest() calls after every #VMEXIT, with
 * at_instruction_boundary cleared; it is fed the exit code of the VMCB, as
 * the hardware leaves it, of a vCPU that never ran.
 *
 * SVM_EXIT_EXCP_BASE + MC_VECTOR is not tested: it handles a real machine
 * check.
 */
#include <kunit/test.h>

#include "svm.h"

struct exit_case {
	const char *desc;
	u64 exit_code;
	bool at_instruction_boundary;
};

#define EXIT_CASE(code, boundary) { #code, code, boundary }

static const struct exit_case exit_cases[] = {
	EXIT_CASE(SVM_EXIT_INTR, true),
	EXIT_CASE(SVM_EXIT_HLT, false),
	EXIT_CASE(SVM_EXIT_IDLE_HLT, false),
	EXIT_CASE(SVM_EXIT_NMI, false),
	EXIT_CASE(SVM_EXIT_SMI, false),
	EXIT_CASE(SVM_EXIT_INIT, false),
	EXIT_CASE(SVM_EXIT_VINTR, false),
	EXIT_CASE(SVM_EXIT_PAUSE, false),
	EXIT_CASE(SVM_EXIT_CPUID, false),
	EXIT_CASE(SVM_EXIT_IOIO, false),
	EXIT_CASE(SVM_EXIT_MSR, false),
	EXIT_CASE(SVM_EXIT_NPF, false),
	EXIT_CASE(SVM_EXIT_VMMCALL, false),
	EXIT_CASE(SVM_EXIT_SHUTDOWN, false),
	EXIT_CASE(SVM_EXIT_READ_CR0, false),
	EXIT_CASE(SVM_EXIT_EXCP_BASE + PF_VECTOR, false),
	EXIT_CASE(SVM_EXIT_AVIC_INCOMPLETE_IPI, false),
	EXIT_CASE(SVM_EXIT_ERR, false),
};

KUNIT_ARRAY_PARAM_DESC(exit, exit_cases, desc);

static void svm_handle_exit_irqoff_test(struct kunit *test)
{
	const struct exit_case *c = test->param_value;
	struct vcpu_svm *svm;

	svm = kunit_kzalloc(test, sizeof(*svm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, svm);
	svm->vmcb = kunit_kzalloc(test, sizeof(*svm->vmcb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, svm->vmcb);
	svm->vmcb->control.exit_code = c->exit_code;

	svm_handle_exit_irqoff(&svm->vcpu);

	KUNIT_EXPECT_EQ(test, svm->vcpu.arch.at_instruction_boundary,
			c->at_instruction_boundary);
}

static struct kunit_case kvm_svm_preempt_cases[] = {
	KUNIT_CASE_PARAM(svm_handle_exit_irqoff_test, exit_gen_params),
	{}
};

static struct kunit_suite kvm_svm_preempt_suite = {
	.name = "kvm_svm_preempt",
	.test_cases = kvm_svm_preempt_cases,
};

kunit_test_suite(kvm_svm_preempt_suite);

MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
MODULE_DESCRIPTION("KUnit tests for which #VMEXITs are instruction boundaries");
MODULE_LICENSE("GPL");
