// SPDX-License-Identifier: GPL-2.0
/*
 * lu_wake: the wake-up pattern of the RFC's NPB-OMP lu.C in miniature.
 * NTHREADS threads compute for a short phase, meet at a futex barrier, and
 * the last one to arrive wakes all others.  Where the guest's scheduler
 * places a woken thread depends on which vCPUs look idle: if halted vCPUs
 * read as preempted (vcpu_is_preempted()), available_idle_cpu() is false
 * for them and woken threads stack on busy vCPUs.
 *
 * Prints one line:
 *   BENCH threads=N phases=P wall_ms=W run_delay_ms=D stacked=S kvm_feat=F
 * run_delay_ms: the threads' total time runnable but waiting for a CPU
 * (schedstat), the scheduler-level figure of the mechanism; stacked: phases
 * in which a woken thread found another thread of the set on its CPU;
 * kvm_feat: CPUID 0x40000001 EAX, the KVM PV features offered.
 *
 * Each thread starts on a CPU of its own (thread i on the i-th CPU of the
 * process's mask), then may run anywhere: where threads are after the
 * first barrier is the wake-up placement under test, not where fork put
 * them.  Without that, with one socket per core (where a wake-up never
 * looks past its LLC, i.e. its own CPU), two threads that started on the
 * same CPU stayed together for the whole run: about 2 stacked wake-ups per
 * phase, in some runs of every variant, none in the others.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int nthreads = 4, phases = 2000, work_us = 200;
static atomic_int arrived, generation;
static atomic_long stacked;
static atomic_int cpu_of[64];
static cpu_set_t all_cpus;

static long futex(atomic_int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void compute(void)
{
	double end = now_ms() + work_us / 1000.0;
	volatile unsigned long x = 0;

	while (now_ms() < end)
		x++;
}

static void barrier(void)
{
	int gen = atomic_load(&generation);

	if (atomic_fetch_add(&arrived, 1) == nthreads - 1) {
		atomic_store(&arrived, 0);
		atomic_fetch_add(&generation, 1);
		futex(&generation, FUTEX_WAKE_PRIVATE, nthreads);
		return;
	}
	while (atomic_load(&generation) == gen)
		futex(&generation, FUTEX_WAIT_PRIVATE, gen);
}

static atomic_long total_delay_ns;

/* Time this thread spent runnable but waiting for a CPU, in ns. */
static long run_delay_ns(void)
{
	long run, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (!f || fscanf(f, "%ld %ld", &run, &wait) != 2) {
		fprintf(stderr, "lu_wake: no /proc/thread-self/schedstat (CONFIG_SCHED_INFO)\n");
		exit(1);
	}
	fclose(f);
	return wait;
}

static void *worker(void *arg)
{
	long id = (long)arg, delay;
	int p, i, cpu;

	if (sched_setaffinity(0, sizeof(all_cpus), &all_cpus)) {
		perror("sched_setaffinity");
		exit(1);
	}
	delay = run_delay_ns();
	for (p = 0; p < phases; p++) {
		compute();
		barrier();
		cpu = sched_getcpu();
		atomic_store(&cpu_of[id], cpu);
		for (i = 0; i < nthreads; i++) {
			if (i != id && atomic_load(&cpu_of[i]) == cpu) {
				atomic_fetch_add(&stacked, 1);
				break;
			}
		}
	}
	atomic_fetch_add(&total_delay_ns, run_delay_ns() - delay);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[64];
	pthread_attr_t attr;
	unsigned int eax, ebx, ecx, edx;
	cpu_set_t one;
	double t0, t1;
	int i, c, n;

	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (argc > 2)
		phases = atoi(argv[2]);
	if (argc > 3)
		work_us = atoi(argv[3]);
	if (nthreads < 2 || nthreads > 64 || phases < 1 || work_us < 0) {
		fprintf(stderr, "usage: lu_wake [threads 2..64] [phases] [work_us]\n");
		return 2;
	}
	for (i = 0; i < nthreads; i++)
		atomic_store(&cpu_of[i], -1 - i);
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus)) {
		perror("sched_getaffinity");
		return 1;
	}
	t0 = now_ms();
	for (i = 0, c = -1; i < nthreads; i++) {
		/* The next CPU of the mask, round robin. */
		for (n = 0; n < CPU_SETSIZE; n++) {
			c = (c + 1) % CPU_SETSIZE;
			if (CPU_ISSET(c, &all_cpus))
				break;
		}
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		if (pthread_attr_init(&attr) ||
		    pthread_attr_setaffinity_np(&attr, sizeof(one), &one) ||
		    pthread_create(&th[i], &attr, worker, (void *)(long)i)) {
			perror("pthread_create");
			return 1;
		}
		pthread_attr_destroy(&attr);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	t1 = now_ms();
	__cpuid(0x40000001, eax, ebx, ecx, edx);
	printf("BENCH threads=%d phases=%d wall_ms=%.1f run_delay_ms=%.1f stacked=%ld kvm_feat=%#x\n",
	       nthreads, phases, t1 - t0, atomic_load(&total_delay_ns) / 1e6,
	       atomic_load(&stacked), eax);
	return 0;
}
