#!/usr/bin/env python3
"""cover-table.py MATRIX_MD BASE COVER...: each cover letter's matrix says
what MATRIX_MD (matrix.py --markdown: out/matrix.md, or docs/matrix.md of
the same run) says of BASE, cell by cell: for every variant the cells that
passed, the others by result, a '!' on each mismatch, and the mutation
score.  The cells are read from the two files as written (matrix.md's
table, not matrix.json); a variant's line is summarised by matrix.py's
run_summary() and its score by score_line().  Exits 1 with a line per
difference."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'matrix'))
from matrix import platforms, run_summary, score_line  # noqa: E402


def md_tables(path):
    """The cells {(run, cell): (observed, ok)} and mutants {name: [columns]}."""
    cells, mutants, cols = {}, {}, None
    for line in open(path):
        f = [x.strip() for x in line.strip().strip('|').split('|')]
        if not line.startswith('|') or set(f[0]) <= set('-'):
            continue
        if f[:3] == ['platform', 'base', 'variant']:
            cols = f[3:]
        elif f[0] == 'mutant':
            cols = None
        elif cols is not None:
            for c, v in zip(cols, f[3:]):
                if v == '-':  # a cell that only other runs have
                    continue
                m = re.match(r'(\S+) \(want \S+\) MISMATCH$', v)
                cells[(tuple(f[:3]), c)] = (m.group(1), False) if m else (v, True)
        else:
            mutants[f[0]] = f[1:]
    return cells, mutants


def expected_lines(path, base):
    cells, mutants = md_tables(path)
    default = platforms()[0]
    runs = []
    for (run, _c) in cells:
        if run[1] == base and run not in runs:
            runs.append(run)
    want = {}
    for run in runs:
        got = [(c, o, ok) for (r, c), (o, ok) in cells.items() if r == run]
        name = '%s/%s' % run[1:] if run[0] == default else '/'.join(run)
        want[name] = run_summary(got)
    # matrix.md's mutant rows, one column a platform, back to matrix.json's
    # {mutant: {platform: killers, or None if missing}} for score_line().
    mine = {k: {i: None if x == '**missing**' else [] if x == '**survived**' else x.split(', ')
                for i, x in enumerate(v) if x != '-'}
            for k, v in mutants.items() if k.startswith(base + '/')}
    return want, score_line(mine) if mine else None


def cover_lines(path):
    """The variant lines and score line of a cover letter's matrix."""
    lines = open(path).read().split('\n')
    start = next((i for i, l in enumerate(lines) if l.startswith('  The matrix of commit')), None)
    if start is None:
        return None, None
    i = start
    while i < len(lines) and lines[i].strip():
        i += 1
    got, name = {}, None
    for l in lines[i + 1:]:
        if not l.strip():
            break
        if l.startswith('  ') and not l.startswith('   '):
            name, _, rest = l.strip().partition(' ')
            got[name] = rest.strip()
        elif name is not None:
            got[name] += ' ' + l.strip()
    score = None
    m = re.search(r'\n\n  (mutation score:[^\n]*(?:\n  [^\n]+)*)', '\n'.join(lines[i + 1:]))
    if m:
        score = ' '.join(x.strip() for x in m.group(1).split('\n'))
    return {k: ' '.join(v.split()) for k, v in got.items()}, score


def main():
    if len(sys.argv) < 4:
        print('usage: cover-table.py MATRIX_MD BASE COVER...', file=sys.stderr)
        return 2
    md, base, covers = sys.argv[1], sys.argv[2], sys.argv[3:]
    want, score = expected_lines(md, base)
    if not want:
        print('error: %s has no cells of %s' % (md, base), file=sys.stderr)
        return 1
    bad = 0
    for cover in covers:
        got, got_score = cover_lines(cover)
        if got is None:
            print('%s: no matrix' % cover)
            bad += 1
            continue
        for k in sorted(set(want) | set(got)):
            if want.get(k) != got.get(k):
                print('%s: %s: cover letter says %r, %s says %r' % (
                    cover, k, got.get(k), md, want.get(k)))
                bad += 1
        if got_score != score:
            print('%s: cover letter says %r, %s says %r' % (cover, got_score, md, score))
            bad += 1
    if bad:
        print('cover letters: %d differences from %s' % (bad, md))
        return 1
    print('cover letters: all %d say what %s says of %s (%d variants)' % (
        len(covers), md, base, len(want)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
