#!/usr/bin/env python3
"""Compare the results of base x variant runs with ci/expected.

matrix.py [--only BASE VARIANT] [--markdown FILE] [--json FILE] [--junit FILE]
Prints the table, writes the reports, and exits 1 if any cell differs from
its expectation.  A variant with a mutants/ patch (ci/data/variants) is a
mutant: it is killed by every cell that failed, and survives if none did;
a survivor is reported, and is a mismatch only if ci/data/expected says a cell
must fail."""
import argparse
import json
import os
import sys
from xml.sax.saxutils import escape as _escape

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def table(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if line:
                rows.append(line)
    return rows


def expectations(rows, base, variant):
    exp = {}
    for b, v, cell, want in rows:
        if b in ('*', base) and v in ('*', variant):
            exp[cell] = want
    return exp


def mutant_variants():
    with open(os.path.join(ROOT, 'ci', 'data', 'variants')) as f:
        return {l.split()[0] for l in f
                if not l.startswith('#') and 'mutants/' in l}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.environ.get('OUT', os.path.join(ROOT, 'out')))
    ap.add_argument('--only', nargs=2, metavar=('BASE', 'VARIANT'))
    ap.add_argument('--cells', nargs='*', metavar='BASE/VARIANT')
    ap.add_argument('--markdown')
    ap.add_argument('--json')
    ap.add_argument('--junit')
    ap.add_argument('--text', metavar='BASE',
                    help='print the last matrix of BASE (matrix.json) as plain text')
    a = ap.parse_args()
    if a.text:
        return print_text(os.path.join(a.out, 'matrix.json'), a.text)
    rows = table(os.path.join(ROOT, 'ci', 'data', 'expected'))
    if a.only:
        runs = [tuple(a.only)]
    else:
        runs = [tuple(c.split('/', 1)) for c in (a.cells or [])]
    report, failed, passed = [], 0, 0
    mutants = {}
    is_mutant = mutant_variants()
    for base, variant in runs:
        exp = expectations(rows, base, variant)
        path = os.path.join(a.out, base, variant, 'results.json')
        try:
            with open(path) as f:
                got = json.load(f)['cells']
        except (OSError, ValueError, KeyError):
            got = None
        cells = sorted(set(exp) | set(got or {}))
        for cell in cells:
            want = exp.get(cell, 'unlisted')
            have = 'missing' if got is None else got.get(cell, 'absent')
            # "any": recorded but not a check, so counted neither way.
            ok = want == have or (want == 'any' and got is not None)
            if want != 'any':
                passed += ok
                failed += not ok
            report.append({'base': base, 'variant': variant, 'cell': cell,
                           'expected': want, 'observed': have, 'ok': ok})
        if variant in is_mutant:
            mutants['%s/%s' % (base, variant)] = None if got is None else [
                c for c in cells if got.get(c) == 'fail']
    print_table(report)
    if mutants:
        print(score_line(mutants))
        for m, killers in mutants.items():
            print('  %-32s %s' % (m, 'MISSING' if killers is None else
                                  'killed by ' + ', '.join(killers) if killers else 'SURVIVED'))
    if a.markdown:
        write_markdown(a.markdown, report, mutants)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'cells': report, 'mutants': mutants}, f, indent=1)
    if a.junit:
        write_junit(a.junit, report)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed or not report else 0


def print_text(path, base):
    """The last matrix of one base, for a cover letter (never typed)."""
    try:
        with open(path) as f:
            m = json.load(f)
    except (OSError, ValueError):
        m = {'cells': [], 'mutants': {}}
    report = [c for c in m['cells'] if c['base'] == base]
    if not report:
        print('(no matrix results for %s: run make matrix first)' % base)
        return 0
    runs, cols, cell = grid(report)
    short = {c: c.replace('_preempt', '').replace('preemption', 'preempt') for c in cols}
    w = max(len(v) for _, v in runs)
    print('  %-*s  %s' % (w, 'variant', ' '.join('%-14s' % short[c][:14] for c in cols)))
    for b, v in runs:
        print('  %-*s  %s' % (w, v, ' '.join(
            '%-14s' % ('-' if cell.get((b, v, c)) is None else
                       cell[(b, v, c)]['observed'] + ('' if cell[(b, v, c)]['ok'] else '!'))
            for c in cols)))
    mutants = {k: v for k, v in m.get('mutants', {}).items() if k.startswith(base + '/')}
    if mutants:
        print()
        for k, killers in mutants.items():
            print('  %-20s %s' % (k.split('/', 1)[1], 'killed by ' + ', '.join(killers)
                                  if killers else 'survived'))
        print('  ' + score_line(mutants))
    return 0


def score_line(mutants):
    k = sum(1 for v in mutants.values() if v)
    return 'mutation score: %d/%d mutants killed%s%s' % (
        k, len(mutants),
        ''.join('; SURVIVED: ' + m for m, v in mutants.items() if v == []),
        ''.join('; MISSING: ' + m for m, v in mutants.items() if v is None))


def grid(report):
    runs, cols = [], []
    for r in report:
        if (r['base'], r['variant']) not in runs:
            runs.append((r['base'], r['variant']))
        if r['cell'] not in cols:
            cols.append(r['cell'])
    order = ['kvm_x86_preempt', 'kvm_svm_preempt', 'kvm_vmx_preempt', 'halted_idle', 'preempted_reported', 'no_false_preemption',
             'userspace_exit', 'peer']
    cols.sort(key=lambda c: (order.index(c) if c in order else len(order), c))
    cell = {(r['base'], r['variant'], r['cell']): r for r in report}
    return runs, cols, cell


def show(r):
    if r is None:
        return '-'
    if r['ok']:
        return r['observed']
    return '%s (want %s) MISMATCH' % (r['observed'], r['expected'])


def print_table(report):
    runs, cols, cell = grid(report)
    w = max([len('%s/%s' % x) for x in runs] + [12])
    print('%-*s  %s' % (w, 'base/variant', '  '.join('%-19s' % c for c in cols)))
    for b, v in runs:
        print('%-*s  %s' % (w, '%s/%s' % (b, v), '  '.join(
            '%-19s' % show(cell.get((b, v, c))) for c in cols)))


def write_markdown(path, report, mutants):
    runs, cols, cell = grid(report)
    with open(path, 'w') as f:
        f.write('| base | variant | %s |\n' % ' | '.join(cols))
        f.write('|---|---|%s\n' % ('---|' * len(cols)))
        for b, v in runs:
            f.write('| %s | %s | %s |\n' % (b, v, ' | '.join(
                show(cell.get((b, v, c))) for c in cols)))
        if mutants:
            f.write('\n| mutant | killed by |\n|---|---|\n')
            for m, killers in mutants.items():
                f.write('| %s | %s |\n' % (m, '**missing**' if killers is None else
                                            ', '.join(killers) or '**survived**'))
            f.write('\n%s.\n' % score_line(mutants))


def escape(s):
    return _escape(s, {'"': '&quot;'})


def write_junit(path, report):
    with open(path, 'w') as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
        runs, _, _ = grid(report)
        for b, v in runs:
            rs = [r for r in report if (r['base'], r['variant']) == (b, v)]
            f.write(' <testsuite name="%s/%s" tests="%d" failures="%d">\n' % (
                escape(b), escape(v), len(rs), sum(not r['ok'] for r in rs)))
            for r in rs:
                f.write('  <testcase classname="%s.%s" name="%s">' % (
                    escape(b), escape(v), escape(r['cell'])))
                if not r['ok']:
                    f.write('<failure message="expected %s, observed %s"/>' % (
                        escape(r['expected']), escape(r['observed'])))
                f.write('</testcase>\n')
            f.write(' </testsuite>\n')
        f.write('</testsuites>\n')


if __name__ == '__main__':
    sys.exit(main())
