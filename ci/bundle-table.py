#!/usr/bin/env python3
"""bundle-table.py MATRIX.JSON BASE: the matrix of one base as a plain-text
table for a cover letter (generated from the last run, never typed)."""
import json
import sys

ORDER = ['kunit', 'halted_idle', 'preempted_reported', 'no_false_preemption',
         'userspace_exit', 'peer']


def main():
    path, base = sys.argv[1:]
    try:
        with open(path) as f:
            cells = [c for c in json.load(f)['cells'] if c['base'] == base]
    except (OSError, ValueError, KeyError):
        cells = []
    if not cells:
        print('(no matrix results for %s: run `make matrix` first)' % base)
        return 0
    variants = list(dict.fromkeys(c['variant'] for c in cells))
    cols = [c for c in ORDER if any(x['cell'] == c for x in cells)]
    get = {(c['variant'], c['cell']): c for c in cells}
    w = max(len(v) for v in variants)
    print('  %-*s  %s' % (w, 'variant', '  '.join('%-8s' % c[:8] for c in cols)))
    for v in variants:
        row = []
        for c in cols:
            x = get.get((v, c))
            s = '-' if x is None else x['observed'] + ('' if x['ok'] else '!')
            row.append('%-8s' % s)
        print('  %-*s  %s' % (w, v, '  '.join(row)))
    print('\n  columns: %s' % ', '.join(cols))
    print('  "!" marks a cell that differs from the expectation.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
