#!/usr/bin/env python3
"""Compare the results of base x variant runs with ci/expected.

matrix.py [--only BASE VARIANT] [--cells [PLATFORM/]BASE/VARIANT...]
          [--markdown FILE] [--json FILE] [--junit FILE]
Prints the table, writes the reports, and exits 1 if any cell differs from
its expectation.  A run is a base x variant on a platform (ci/data/platforms;
the default one when the PLATFORM/ is left out).  A variant with a mutants/
patch (ci/data/variants) is a mutant: on each platform it is killed by
every cell that failed, or ended in error (a kernel splat fails every cell
of its boot); it is killed if any platform killed it, and
survives if none did.  A survivor is reported, and is a mismatch only if
ci/data/expected says a cell must fail."""
import argparse
import datetime
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
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


def expectations(rows, platform, base, variant):
    """A line's base may be PLATFORM:BASE, for that platform only."""
    exp = {}
    for b, v, cell, want in rows:
        p, _, b = b.rpartition(':')
        if p in ('', platform) and b in ('*', base) and v in ('*', variant):
            exp[cell] = want
    return exp


@functools.lru_cache(maxsize=None)
def platforms():
    """The platforms of ci/data/platforms, the default first (read once)."""
    with open(os.path.join(ROOT, 'ci', 'data', 'platforms')) as f:
        return [l.split()[0] for l in f if l.strip() and not l.startswith('#')]


def results_dir(out, platform, base, variant):
    """As results_dir in ci/lib.sh: the default platform's runs in
    OUT/BASE/VARIANT, another's in OUT/PLATFORM/BASE/VARIANT."""
    if platform == platforms()[0]:
        return os.path.join(out, base, variant)
    return os.path.join(out, platform, base, variant)


def run_of(name):
    """A --cells item: [PLATFORM/]BASE/VARIANT."""
    parts = name.split('/')
    if len(parts) == 2:
        parts.insert(0, platforms()[0])
    if len(parts) != 3 or parts[0] not in platforms():
        sys.exit('error: bad cell %s (valid platforms: %s)' % (name, ' '.join(platforms())))
    return tuple(parts)


def what_was_tested():
    """The key of what a matrix tests: every patch, the variants and the
    expectations (their contents), and the commit they were read at."""
    h = hashlib.sha256()
    files = [os.path.join(ROOT, 'ci', 'data', n) for n in ('variants', 'expected')]
    for d, _, names in sorted(os.walk(os.path.join(ROOT, 'patch'))):
        files += [os.path.join(d, n) for n in sorted(names)]
    for path in files:
        h.update(os.path.relpath(path, ROOT).encode() + b'\0')
        with open(path, 'rb') as f:
            h.update(f.read() + b'\0')
    try:
        git = ['git', '-C', ROOT]
        commit = subprocess.run(git + ['rev-parse', '--short=12', 'HEAD'],
                                capture_output=True, text=True, check=True).stdout.strip()
        if subprocess.run(git + ['status', '--porcelain', '--', 'patch', 'ci/data'],
                          capture_output=True, text=True, check=True).stdout.strip():
            commit += ' with uncommitted changes'
    except (OSError, subprocess.CalledProcessError):
        commit = 'unknown'
    return {'key': h.hexdigest()[:16], 'commit': commit,
            'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}


def mutant_variants():
    with open(os.path.join(ROOT, 'ci', 'data', 'variants')) as f:
        return {l.split()[0] for l in f
                if not l.startswith('#') and 'mutants/' in l}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.environ.get('OUT', os.path.join(ROOT, 'out')))
    ap.add_argument('--only', nargs=2, metavar=('BASE', 'VARIANT'))
    ap.add_argument('--platform', default=os.environ.get('PLATFORM') or platforms()[0],
                    help='the platform of --only')
    ap.add_argument('--cells', nargs='*', metavar='[PLATFORM/]BASE/VARIANT')
    ap.add_argument('--markdown')
    ap.add_argument('--json')
    ap.add_argument('--junit')
    ap.add_argument('--keep', metavar='DIR',
                    help='copy the logs of every run with a mismatch to DIR/RUN/, '
                    'so that they outlive a CI clone')
    ap.add_argument('--text', metavar='BASE',
                    help='print the last matrix of BASE (matrix.json) as plain text; '
                    'refused if it tested other patches than the current ones')
    a = ap.parse_args()
    if a.text:
        return print_text(os.path.join(a.out, 'matrix.json'), a.text)
    rows = table(os.path.join(ROOT, 'ci', 'data', 'expected'))
    if a.only:
        runs = [run_of('/'.join([a.platform] + a.only))]
    else:
        runs = [run_of(c) for c in (a.cells or [])]
    report, failed, passed = [], 0, 0
    mutants, reboots = {}, {}
    is_mutant = mutant_variants()
    for platform, base, variant in runs:
        exp = expectations(rows, platform, base, variant)
        path = os.path.join(results_dir(a.out, platform, base, variant), 'results.json')
        try:
            with open(path) as f:
                res = json.load(f)
            got = res['cells']
        except (OSError, ValueError, KeyError):
            got, res = None, {}
        if res.get('quirk_reboots'):
            reboots['/'.join((platform, base, variant))] = res['quirk_reboots']
        cells = sorted(set(exp) | set(got or {}))
        dst = os.path.dirname(path)
        for cell in cells:
            want = exp.get(cell, 'unlisted')
            have = 'missing' if got is None else got.get(cell, 'absent')
            # "any": recorded but not a check, so counted neither way.
            ok = want == have or (want == 'any' and got is not None)
            if want != 'any':
                passed += ok
                failed += not ok
            report.append({'platform': platform, 'base': base, 'variant': variant,
                           'cell': cell, 'expected': want, 'observed': have, 'ok': ok})
            if not ok:
                report[-1]['why'] = reasons(res, dst, cell)
        if variant in is_mutant:
            mutants.setdefault('%s/%s' % (base, variant), {})[platform] = (
                None if got is None else [c for c in cells if got.get(c) in ('fail', 'error')])
    print_table(report)
    if mutants:
        print(score_line(mutants))
        for m, by in mutants.items():
            print('  %-28s %s' % (m, '; '.join('%s: %s' % (p, verdict(k)) for p, k in by.items())))
    # One line per mismatch, so that the end of a long log names them.
    for r in report:
        if not r['ok']:
            print('mismatch: %s %s: expected %s, observed %s' % (
                run_name((r['platform'], r['base'], r['variant'])), r['cell'],
                r['expected'], r['observed']))
            for line in r['why']:
                print('  ' + line)
    if a.keep:
        keep_logs(a.keep, a.out, {(r['platform'], r['base'], r['variant'])
                                  for r in report if not r['ok']})
    # Boots ended by a known platform quirk (ci/data/quirks), booted again.
    for c, n in reboots.items():
        print('reboots after a platform quirk: %s %d' % (c, n))
    if a.markdown:
        write_markdown(a.markdown, report, mutants, reboots)
    if a.json:
        with open(a.json, 'w') as f:
            json.dump({'cells': report, 'mutants': mutants, 'tested': what_was_tested()},
                      f, indent=1)
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
    default = platforms()[0]
    report = [c for c in m['cells'] if c['base'] == base]
    if not report:
        print('error: no matrix results for %s in %s: run make matrix first' % (base, path),
              file=sys.stderr)
        return 1
    tested, now = m.get('tested', {}), what_was_tested()
    if tested.get('key') != now['key']:
        print('error: %s is the matrix of other patches or expectations (commit %s), '
              'not of these (%s): run make matrix first' % (
                  path, tested.get('commit', 'unknown'), now['commit']), file=sys.stderr)
        return 1
    print(text_table(report, tested, default, mutants_of(m, base, default)))
    return 0


def mutants_of(m, base, default):
    """The mutants of BASE in matrix.json M, {mutant: {platform: killers}}."""
    # A matrix.json from before platforms: one list (or None) per mutant.
    return {k: v if isinstance(v, dict) else {default: v}
            for k, v in m.get('mutants', {}).items() if k.startswith(base + '/')}


def run_summary(cells):
    """A variant's line of a cover letter's matrix, from its cells
    [(name, observed, ok)] in column order: how many passed as expected,
    then every other cell by result, '!' where it differs from
    ci/data/expected (an absent cell only then)."""
    passed = [c for c, o, ok in cells if o == 'pass' and ok]
    rest = [(c, o, ok) for c, o, ok in cells
            if not (o == 'pass' and ok) and (o != 'absent' or not ok)]
    statuses = sorted({o for _, o, _ in rest})
    if not passed and len(statuses) == 1 and all(ok for _, _, ok in rest):
        return '%s: all %d' % (statuses[0], len(rest))
    return '; '.join(['%d passed' % len(passed)] + [
        '%s: %s' % (s, ', '.join(c + ('' if ok else '!') for c, o, ok in rest if o == s))
        for s in statuses])


def text_table(report, tested, default, mutants):
    """A cover letter's matrix, 72 columns wide: a line per variant with the
    cells that did not pass (the others did), '!' where the cell differs
    from ci/data/expected; then the mutation score."""
    runs, cols, cell = grid(report)
    lines = ['  The matrix of commit %s.' % tested['commit']]
    lines += textwrap.wrap(
        'Run %s, on %s unless another platform is named: the cells of each '
        'variant that did not pass (the others passed; a test that the tree '
        'lacks is absent), a "!" where the result differs from what '
        'ci/data/expected pins.' % (tested['date'], default),
        72, initial_indent='  ', subsequent_indent='  ', break_on_hyphens=False)
    lines.append('')
    w = max(len(run_name(r)) for r in runs)
    for r in runs:
        got = [(c, cell[r + (c,)]['observed'], cell[r + (c,)]['ok'])
               for c in cols if cell.get(r + (c,))]
        head = '  %-*s  ' % (w, run_name(r))
        lines += textwrap.wrap(run_summary(got), 72, initial_indent=head,
                               subsequent_indent=' ' * len(head),
                               break_on_hyphens=False)
    if mutants:
        lines.append('')
        lines += textwrap.wrap(score_line(mutants), 72, initial_indent='  ',
                               subsequent_indent='  ', break_on_hyphens=False)
    return '\n'.join(lines)


def verdict(killers):
    return 'MISSING' if killers is None else (
        'killed by ' + ', '.join(killers) if killers else 'SURVIVED')


def score_line(mutants):
    """A mutant is killed if a platform killed it, missing if it ran on none."""
    killed = {m for m, by in mutants.items() if any(by.values())}
    missing = {m for m, by in mutants.items()
               if m not in killed and all(v is None for v in by.values())}
    return 'mutation score: %d/%d mutants killed%s%s' % (
        len(killed), len(mutants),
        ''.join('; SURVIVED: ' + m for m in mutants if m not in killed | missing),
        ''.join('; MISSING: ' + m for m in mutants if m in missing))


def keep_logs(keep, out, runs):
    """The logs and verdicts of RUNS, copied to KEEP/[PLATFORM/]BASE/VARIANT."""
    for run in sorted(runs):
        src = results_dir(out, *run)
        dst = results_dir(keep, *run)
        os.makedirs(dst, exist_ok=True)
        for n in sorted(os.listdir(src)) if os.path.isdir(src) else []:
            if n.endswith(('.log', '.json')) or n in ('tests', 'source.info'):
                shutil.copy(os.path.join(src, n), dst)
    if runs:
        print('logs of the runs with a mismatch: %s' % keep)


def reasons(res, dst, cell):
    """Why a cell of one run's results.json is what it is: the judge's
    reason and the last lines of each test behind the cell, so that a
    mismatch in a CI log can be understood without the run's files."""
    if not res:
        return ['no results.json (the run did not complete)']
    out = []
    if res.get('boot', 'ok') != 'ok':
        out.append('boot: %s' % res['boot'])
    out += ['splat: %s' % l for l in res.get('splats', [])[:3]]
    kunit = res.get('kunit', {}).get(cell)
    if isinstance(kunit, dict) and kunit.get('why'):
        out.append('%s: %s' % (cell, kunit['why']))
    try:
        with open(os.path.join(dst, 'tests')) as f:
            kinds = dict(reversed(l.split()) for l in f if l.strip())
    except OSError:
        kinds = {}
    for t, st in sorted(res.get('selftests', {}).items()):
        if st.get('status') == 'pass':
            continue
        mine = (kinds.get(t) == 'peer' if cell == 'peer' else
                cell.split(':')[0] == t or
                any(p.split()[0].rstrip(':') == cell for p in st.get('points', {}) if p))
        if mine:
            out.append('%s: %s%s' % (t, st['status'], ': %s' % st['why'] if st.get('why') else ''))
            out += ['| ' + l for l in st.get('tail', [])]
    return out


def run_name(run):
    """A run's name: BASE/VARIANT, after PLATFORM/ if not the default."""
    p, b, v = run
    return '%s/%s' % (b, v) if p == platforms()[0] else '%s/%s/%s' % (p, b, v)


def grid(report):
    runs, cols = [], []
    for r in report:
        run = (r.get('platform', platforms()[0]), r['base'], r['variant'])
        if run not in runs:
            runs.append(run)
        if r['cell'] not in cols:
            cols.append(r['cell'])
    order = ['kvm_x86_preempt', 'kvm_svm_preempt', 'kvm_vmx_preempt', 'halted_idle', 'preempted_reported', 'no_false_preemption',
             'userspace_exit', 'peer']
    cols.sort(key=lambda c: (order.index(c) if c in order else len(order), c))
    cell = {(r.get('platform', platforms()[0]), r['base'], r['variant'], r['cell']): r
            for r in report}
    return runs, cols, cell


def show(r):
    if r is None:
        return '-'
    if r['ok']:
        return r['observed']
    return '%s (want %s) MISMATCH' % (r['observed'], r['expected'])


def print_table(report):
    runs, cols, cell = grid(report)
    w = max([len(run_name(r)) for r in runs] + [12])
    print('%-*s  %s' % (w, 'base/variant', '  '.join('%-19s' % c for c in cols)))
    for r in runs:
        print('%-*s  %s' % (w, run_name(r), '  '.join(
            '%-19s' % show(cell.get(r + (c,))) for c in cols)))


def write_markdown(path, report, mutants, reboots=None):
    runs, cols, cell = grid(report)
    with open(path, 'w') as f:
        f.write('| platform | base | variant | %s |\n' % ' | '.join(cols))
        f.write('|---|---|---|%s\n' % ('---|' * len(cols)))
        for r in runs:
            f.write('| %s | %s | %s | %s |\n' % (r + (' | '.join(
                show(cell.get(r + (c,))) for c in cols),)))
        if mutants:
            names = [p for p in platforms() if any(p in by for by in mutants.values())]
            f.write('\n| mutant | %s |\n|---|%s\n' % (
                ' | '.join('killed on %s by' % p for p in names), '---|' * len(names)))
            for m, by in mutants.items():
                f.write('| %s | %s |\n' % (m, ' | '.join(
                    '-' if p not in by else '**missing**' if by[p] is None else
                    ', '.join(by[p]) or '**survived**' for p in names)))
            f.write('\n%s.\n' % score_line(mutants))
        if reboots:
            f.write('\nBooted again after a platform quirk (ci/data/quirks): %s.\n' % ', '.join(
                '%s (%d)' % (c, n) for c, n in reboots.items()))


def escape(s):
    return _escape(s, {'"': '&quot;'})


def write_junit(path, report):
    with open(path, 'w') as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
        runs, _, _ = grid(report)
        for run in runs:
            rs = [r for r in report if (r['platform'], r['base'], r['variant']) == run]
            f.write(' <testsuite name="%s" tests="%d" failures="%d">\n' % (
                escape(run_name(run)), len(rs), sum(not r['ok'] for r in rs)))
            for r in rs:
                f.write('  <testcase classname="%s" name="%s">' % (
                    escape(run_name(run).replace('/', '.')), escape(r['cell'])))
                if not r['ok']:
                    f.write('<failure message="expected %s, observed %s"/>' % (
                        escape(r['expected']), escape(r['observed'])))
                f.write('</testcase>\n')
            f.write(' </testsuite>\n')
        f.write('</testsuites>\n')


if __name__ == '__main__':
    sys.exit(main())
