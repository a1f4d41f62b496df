#!/usr/bin/env python3
"""bench-tlb.py RUNS DEST VARIANT...: tabulate the TLB runs of
BENCH_WORKLOAD=tlb bench/bench.sh (RUNS/VARIANT.tlb-bench/) into
DEST/bench-tlb.md: one row per level-1 variant with every repetition's
TLB-flush IPIs that idle vCPUs received (the "TLB" row of the level-2
guest's /proc/interrupts, and its "CAL" row: function-call IPIs), per
round and idle vCPU, the munmap() latency and whether level 1 offered
KVM_FEATURE_STEAL_TIME_IN_HOST.  A run that reported an error, or a
missing run, fails."""
import os
import statistics
import sys

from bench import in_host_offered, read_runs, stalls_line


def main():
    outdir, dest, variants = sys.argv[1], sys.argv[2], sys.argv[3:]
    rows, errors, stalls = [], [], []
    for v in variants:
        runs = read_runs(os.path.join(outdir, v + '.tlb-bench', 'results.log'),
                         v, 'TLB', 'tlb_ipi', errors, stalls)
        if runs is None:
            continue
        if not runs:
            errors.append('%s: no run' % v)
            continue
        rows.append((v, runs))
    md = os.path.join(dest, 'bench-tlb.md')
    with open(md, 'w') as f:
        f.write('| level-1 variant | IN_HOST offered | runs | rounds x idle vCPUs | '
                'TLB IPIs to idle vCPUs, each run | CAL IPIs, each run | '
                'TLB IPIs per round and idle vCPU (median) | munmap us median, each run |\n'
                '|---|---|---|---|---|---|---|---|\n')
        for v, runs in rows:
            idle = [int(r['rounds']) * (int(r['cpus']) - 1) for r in runs]
            offered = {in_host_offered(r) for r in runs}
            f.write('| %s | %s | %d | %s | %s | %s | %.2f | %s |\n' % (
                v, '/'.join(sorted(offered)), len(runs),
                ', '.join(str(i) for i in sorted(set(idle))),
                ', '.join(r['tlb_ipi'] for r in runs),
                ', '.join(r['cal_ipi'] for r in runs),
                statistics.median(int(r['tlb_ipi']) / i for r, i in zip(runs, idle)),
                ', '.join(r['munmap_us_med'] for r in runs)))
        f.write(stalls_line(stalls))
    print(open(md).read())
    for e in errors:
        print('error: ' + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
