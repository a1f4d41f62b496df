#!/usr/bin/env python3
"""bench.py [--name NAME] RUNS DEST VARIANT...: tabulate the bench runs of
bench/bench.sh (RUNS/VARIANT.NAME/, NAME by default "bench") into
DEST/NAME.md (rows: topology x level-1 variant; the stacked wake-ups and
the run delay of every run, min/median/max of the wall time) and plot the
medians into DEST/NAME.png with gnuplot.  A run that reported an error,
or a missing run, fails."""
import os
import re
import statistics
import subprocess
import sys

FIELD = re.compile(r'(\w+)=([\w.\-]+)')
TOPO = {'llc': '1 socket x N cores (shared LLC)', 'nollc': 'N sockets x 1 core'}
IN_HOST = 1 << 18


def in_host_offered(run):
    """Whether level 2 was offered KVM_FEATURE_STEAL_TIME_IN_HOST in RUN:
    'yes', 'no', or '?' for a run of before kvm_feat= was reported."""
    if 'kvm_feat' not in run:
        return '?'
    return 'yes' if int(run['kvm_feat'], 16) & IN_HOST else 'no'


def stalls_line(stalls):
    """The line under a table that lists the runs started again."""
    return ('\nStarted again after a stall or a crash (a level-2 run, or a whole '
            'level-1 boot): %s.\n' % (', '.join(stalls) if stalls else 'never'))


def read_runs(path, v, marker, needed, errors, stalls=None):
    """The fields of each "==== MARKER ..." line of PATH (the results.log
    of variant V's bench boot), or None if there is no log; a line
    without the field NEEDED (a run that reported an error) and a missing
    log are appended to ERRORS, and each "==== STALL MARKER WHAT" line (a
    level-2 run or a level-1 boot that was started again) to STALLS as
    "V WHAT"."""
    try:
        lines = open(path, errors='replace').read().splitlines()
    except OSError:
        errors.append('%s: no results' % v)
        return None
    runs = []
    for line in lines:
        if line.startswith('==== STALL %s ' % marker) and stalls is not None:
            stalls.append('%s %s' % (v, line[len('==== STALL %s ' % marker):]))
        if not line.startswith('==== %s ' % marker):
            continue
        f = dict(FIELD.findall(line))
        if needed not in f:
            errors.append('%s: %s' % (v, line))
            continue
        runs.append(f)
    return runs


def main():
    args = sys.argv[1:]
    name = 'bench'
    if args[:1] == ['--name']:
        name, args = args[1], args[2:]
    outdir, dest, variants = args[0], args[1], args[2:]
    runs, errors, stalls = {}, [], []
    for v in variants:
        for f in read_runs(os.path.join(outdir, v + '.' + name, 'results.log'),
                           v, 'BENCH', 'wall_ms', errors, stalls) or []:
            runs.setdefault((f['topo'], v), []).append(f)
    rows = []
    for topo in TOPO:
        for v in variants:
            rs = runs.get((topo, v), [])
            if not rs:
                errors.append('%s/%s: no run' % (topo, v))
                continue
            wall = [float(r['wall_ms']) for r in rs]
            delay = [float(r['run_delay_ms']) for r in rs]
            stacked = [int(r['stacked']) for r in rs]
            offered = {in_host_offered(r) for r in rs}
            rows.append((topo, v, len(rs), wall, delay, stacked,
                         rs[0].get('threads'), rs[0].get('steal_time'),
                         '/'.join(sorted(offered))))
    md = os.path.join(dest, name + '.md')
    with open(md, 'w') as f:
        f.write('| topology | level-1 variant | runs | stacked wake-ups, each run (median) | '
                'run delay ms, each run (median) | wall ms min / median / max | '
                'L2 threads / steal time / IN_HOST offered |\n|---|---|---|---|---|---|---|\n')
        for topo, v, n, wall, delay, stacked, threads, st, offered in rows:
            f.write('| %s | %s | %d | %s (%d) | %s (%.0f) | %.0f / %.0f / %.0f | %s / %s / %s |\n' % (
                TOPO[topo], v, n, ', '.join('%d' % x for x in stacked),
                statistics.median(stacked), ', '.join('%.0f' % x for x in delay),
                statistics.median(delay), min(wall), statistics.median(wall), max(wall),
                threads, 'yes' if st == '1' else 'NO', offered))
        f.write(stalls_line(stalls))
    print(open(md).read())
    data = os.path.join(os.path.dirname(md), name + '.dat')
    with open(data, 'w') as f:
        for topo, v, n, wall, delay, stacked, _, _, _ in rows:
            f.write('"%s\\n%s" %f %f %f\n' % (topo, v, statistics.median(delay),
                                                statistics.median(wall),
                                                statistics.median(stacked)))
    png = os.path.join(os.path.dirname(md), name + '.png')
    script = '''set terminal png size 900,480
set output '%s'
set style data histograms
set style fill solid 0.7
set boxwidth 0.8
set ylabel 'ms (median)'
set y2label 'stacked wake-ups (median)'
set y2tics
set ytics nomirror
set title 'lu\\_wake in a level-2 guest: run delay and wall time per topology and level-1 variant'
set xtics font ',9'
plot '%s' using 2:xtic(1) title 'run delay (ms)', '' using 3 title 'wall time (ms)', '' using 4 axes x1y2 title 'stacked wake-ups (right axis)'
''' % (png, data)
    try:
        subprocess.run(['gnuplot'], input=script.encode(), check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        errors.append('plot: %s' % e)
    for e in errors:
        print('error: ' + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
