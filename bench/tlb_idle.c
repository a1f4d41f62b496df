// SPDX-License-Identifier: GPL-2.0
/*
 * tlb_idle: TLB shootdowns aimed at idle vCPUs.  One thread per CPU; the
 * flusher (CPU 0) runs ROUNDS rounds: it wakes the sleepers (one on each
 * other CPU), which touch the shared mm and go back to sleep, so that
 * their CPUs idle in it (lazy TLB); it waits IDLE_US, long enough for
 * those vCPUs to halt and block in the host; then it maps, touches and
 * unmaps 4 MiB, which frees page tables, so the kernel must flush the
 * TLB of every CPU in the mm, idle ones included (flush_tlb_multi()).
 * A KVM guest does that with kvm_flush_tlb_multi(): no IPI to a vCPU whose
 * steal time byte says it cannot run guest code (KVM_VCPU_PREEMPTED, or
 * KVM_VCPU_IN_HOST where offered).  Prints one line:
 *   TLB rounds= cpus= tlb_ipi= cal_ipi= munmap_us_med= munmap_us_max=
 *       wall_ms= kvm_feat=
 * tlb_ipi and cal_ipi: the "TLB" and "CAL" rows of /proc/interrupts,
 * summed over the sleepers' CPUs, over the rounds; kvm_feat: CPUID
 * 0x40000001 EAX, the PV features the guest was offered (bit 18:
 * KVM_FEATURE_STEAL_TIME_IN_HOST).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAP_BYTES	(4UL << 20)

static int ncpu;
static volatile int round_no;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		exit(1);
	}
}

static void futex(volatile int *addr, int op, int val)
{
	syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

static void *sleeper(void *arg)
{
	static volatile char touch[64];
	int seen = 0;

	pin((int)(long)arg);
	for (;;) {
		while (round_no == seen)
			futex(&round_no, FUTEX_WAIT_PRIVATE, seen);
		seen = round_no;
		if (seen < 0)
			return NULL;
		touch[0]++;
	}
}

/* The sum over CPUs 1..ncpu-1 of the /proc/interrupts row NAME. */
static long irq_row(const char *name)
{
	char line[4096], *p, *end;
	long sum = -1, v;
	FILE *f = fopen("/proc/interrupts", "r");
	int cpu;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, name, strlen(name)) || p[strlen(name)] != ':')
			continue;
		p += strlen(name) + 1;
		sum = 0;
		for (cpu = 0; cpu < ncpu; cpu++) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (cpu)
				sum += v;
			p = end;
		}
	}
	fclose(f);
	return sum;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	int idle_us = argc > 2 ? atoi(argv[2]) : 5000;
	unsigned int eax = 0, ebx, ecx, edx;
	long tlb0, cal0, tlb1, cal1;
	double t0, t, wall, *lat;
	pthread_t th;
	int i;

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2 || rounds < 1) {
		fprintf(stderr, "tlb_idle: needs 2 CPUs and a round\n");
		return 1;
	}
	lat = calloc(rounds, sizeof(*lat));
	__cpuid(0x40000001, eax, ebx, ecx, edx);
	pin(0);
	for (i = 1; i < ncpu; i++)
		pthread_create(&th, NULL, sleeper, (void *)(long)i);
	usleep(100000);
	tlb0 = irq_row("TLB");
	cal0 = irq_row("CAL");
	t0 = now_us();
	for (i = 0; i < rounds; i++) {
		char *m;

		round_no = i + 1;
		futex(&round_no, FUTEX_WAKE_PRIVATE, ncpu);
		usleep(idle_us);
		m = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		memset(m, 1, MAP_BYTES);
		t = now_us();
		munmap(m, MAP_BYTES);
		lat[i] = now_us() - t;
	}
	wall = (now_us() - t0) / 1e3;
	tlb1 = irq_row("TLB");
	cal1 = irq_row("CAL");
	round_no = -1;
	futex(&round_no, FUTEX_WAKE_PRIVATE, ncpu);
	qsort(lat, rounds, sizeof(*lat), cmp_double);
	if (tlb0 < 0 || cal0 < 0) {
		fprintf(stderr, "tlb_idle: no TLB or CAL row in /proc/interrupts\n");
		return 1;
	}
	printf("TLB rounds=%d cpus=%d tlb_ipi=%ld cal_ipi=%ld munmap_us_med=%.0f munmap_us_max=%.0f wall_ms=%.0f kvm_feat=%#x\n",
	       rounds, ncpu, tlb1 - tlb0, cal1 - cal0, lat[rounds / 2],
	       lat[rounds - 1], wall, eax);
	return 0;
}
