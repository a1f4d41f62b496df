#!/usr/bin/env python3
"""Compare the results of base x variant runs with ci/expected.

matrix.py [--only BASE VARIANT] [--markdown FILE] [--json FILE] [--junit FILE]
Prints the table, writes the reports, and exits 1 if any cell differs from
its expectation.  A variant that is expected to fail somewhere is a mutant:
it is killed when every cell expected to fail did fail."""
import argparse
import json
import os
import sys
from xml.sax.saxutils import escape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.environ.get('OUT', os.path.join(ROOT, 'out')))
    ap.add_argument('--only', nargs=2, metavar=('BASE', 'VARIANT'))
    ap.add_argument('--cells', nargs='*', metavar='BASE/VARIANT')
    ap.add_argument('--markdown')
    ap.add_argument('--json')
    ap.add_argument('--junit')
    a = ap.parse_args()
    rows = table(os.path.join(ROOT, 'ci', 'expected'))
    if a.only:
        runs = [tuple(a.only)]
    else:
        runs = [tuple(c.split('/', 1)) for c in (a.cells or [])]
    report, failed, passed = [], 0, 0
    mutants = {}
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
        must_fail = [c for c in cells if exp.get(c) == 'fail']
        if must_fail:
            killed = got is not None and all(got.get(c) == 'fail' for c in must_fail)
            mutants['%s/%s' % (base, variant)] = killed
    print_table(report)
    if mutants:
        k = sum(mutants.values())
        print('mutation score: %d/%d mutants killed%s' % (
            k, len(mutants), ''.join('; SURVIVED: ' + m for m, v in mutants.items() if not v)))
    if a.markdown:
        write_markdown(a.markdown, report, mutants)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'cells': report, 'mutants': mutants}, f, indent=1)
    if a.junit:
        write_junit(a.junit, report)
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed or not report else 0


def grid(report):
    runs, cols = [], []
    for r in report:
        if (r['base'], r['variant']) not in runs:
            runs.append((r['base'], r['variant']))
        if r['cell'] not in cols:
            cols.append(r['cell'])
    order = ['kunit', 'halted_idle', 'preempted_reported', 'no_false_preemption',
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
            f.write('\nMutation score: %d/%d mutants killed.\n' % (
                sum(mutants.values()), len(mutants)))


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
