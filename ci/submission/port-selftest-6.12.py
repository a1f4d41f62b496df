#!/usr/bin/env python3
"""port-selftest-6.12.py < 7.3's preempted_halt_test.c > 6.12's: the 6.12 LTS
port of the project's selftest, made from the 7.3 one.  6.12's selftest
library lacks vcpu_get_stat(), pin_self_to_cpu(), kvm_pthread_create(),
sti() and cli(), and names guest addresses vm_vaddr_t: the port adds
commented shims and changes nothing else.  After a change to the 7.3
selftest, run it and fold the result into patch/6.12/series/0001; `make
lint` (ci/submission/sources.sh --check) fails while the two disagree."""
import re
import sys
s = sys.stdin.read()
shim='''
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
'''
anchor='/* Guest data.'
assert anchor in s
s=s.replace(anchor, shim.lstrip('\n')+'\n'+anchor,1)
s=s.replace('(gva_t)','(vm_vaddr_t)')
old='''		vcpu_set_msr(vcpus[i], MSR_KVM_STEAL_TIME,
			     (ulong)st_gva[i] | KVM_MSR_ENABLED);
'''
assert old in s
s=s.replace(old, old+'		vcpu_stats_open(vcpus[i], i);\n',1)
# Every kvm_vm_free(vm) closes the stats first; one that is the body of an
# if without braces gets them.
frees=s.count('kvm_vm_free(vm);')
s=re.sub(r'^(\t+)if \((.*)\)\n\1\tkvm_vm_free\(vm\);$',
         lambda m: '%sif (%s) {\n%s\tkvm_vm_free(vm);\n%s}' % (m.group(1), m.group(2), m.group(1), m.group(1)),
         s, flags=re.M)
s=re.sub(r'^(\t+)kvm_vm_free\(vm\);$', r'\1vcpu_stats_close();\n\1kvm_vm_free(vm);', s, flags=re.M)
assert s.count('vcpu_stats_close();') == frees, (frees, s.count('vcpu_stats_close();'))
sys.stdout.write(s)
