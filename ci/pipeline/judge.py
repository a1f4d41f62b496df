#!/usr/bin/env python3
"""Judge one boot of the test kernel: turn console.log (kernel + KUnit KTAP)
and results.log (framed selftest output) into results.json and a verdict per
cell.  Anything that cannot be read as a complete result is a failure: a
missing TAP plan, fewer results than planned, a test that never ended, a
kernel splat, a guest that did not finish.  A run that ended on a known
platform quirk (ci/data/quirks) is "quirk", never a pass; the judge then
exits with 3, so that run.sh can boot the cell again."""
import argparse
import json
import os
import re
import sys

SPLAT = re.compile(r'Kernel panic|Oops:|BUG:|WARNING:|general protection fault|'
                   r'INFO: task .* blocked for more than|RCU detected stall|'
                   r'watchdog: BUG: soft lockup|Call Trace:')
RESULT = re.compile(r'^(\s*)(not ok|ok) (\d+)(?: -)? ?([^#]*?)\s*(?:#\s*(.*))?$')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)')
PREFIX = re.compile(r'^\[\s*\d+\.\d+\] ')
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data')
QUIRK_EXIT = 3
TAIL = 4


def quirks_of(platform):
    """ci/data/quirks: {test: [line, ...]} for one platform."""
    out = {}
    with open(os.path.join(DATA, 'quirks')) as f:
        for l in f:
            if not l.strip() or l.startswith('#'):
                continue
            plat, test, line = l.rstrip('\n').split(None, 2)
            if plat == platform:
                out.setdefault(test, []).append(line)
    return out


def lines_of(path):
    try:
        with open(path, errors='replace') as f:
            return [PREFIX.sub('', l.rstrip('\r\n')) for l in f]
    except FileNotFoundError:
        return None


def parse_tap(lines):
    """Top-level TAP/KTAP results of one document: plan and ordered points."""
    plan, points, indent = None, [], None
    for l in lines:
        m = PLAN.match(l)
        if m and plan is None and (indent is None or len(m.group(1)) == indent):
            indent, plan = len(m.group(1)), int(m.group(2))
            continue
        m = RESULT.match(l)
        if m and indent is not None and len(m.group(1)) == indent:
            directive = (m.group(5) or '').strip()
            status = 'pass' if m.group(2) == 'ok' else 'fail'
            name = m.group(4).strip()
            if directive.upper().startswith('SKIP'):
                status = 'skip'
                # kselftest's skip: "ok N # SKIP <name>: <reason>"
                name = name or directive[4:].strip()
            points.append({'name': name, 'status': status})
    return plan, points


def judge_kunit(console, suites):
    out = {}
    if console is None:
        return {s: {'status': 'error', 'why': 'no console log'} for s in suites}
    try:
        start = next(i for i, l in enumerate(console) if l.strip() == 'KTAP version 1'
                     and not l.startswith(' '))
    except StopIteration:
        start = None
    ktap = console[start:] if start is not None else []
    plan, points = parse_tap(ktap)
    totals = [re.search(r'pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)', l)
              for l in ktap if l.startswith('# Totals:')]
    for s in suites:
        p = [x for x in points if x['name'] == s]
        if start is None or plan is None:
            out[s] = {'status': 'error', 'why': 'no KTAP plan on the console'}
        elif not p:
            out[s] = {'status': 'error', 'why': 'suite %s never reported' % s}
        else:
            out[s] = {'status': p[0]['status']}
    if totals and totals[-1]:
        out['_cases'] = dict(zip(('pass', 'fail', 'skip', 'total'),
                                 map(int, totals[-1].groups())))
    return out


def judge_selftests(results, tests, quirks=None):
    out = {}
    if results is None:
        return {t: {'status': 'error', 'why': 'no results log'} for t in tests}
    runs = {}
    cur = None
    for l in results:
        if l.startswith('==== BEGIN '):
            cur = l.split()[2]
            runs.setdefault(cur, []).append({'lines': [], 'rc': None})
        elif l.startswith('==== END ') and cur:
            m = re.search(r'rc=(\d+)', l)
            runs[cur][-1]['rc'] = int(m.group(1)) if m else None
            cur = None
        elif cur:
            runs[cur][-1]['lines'].append(l)
    for t in tests:
        rs = runs.get(t)
        if not rs:
            out[t] = {'status': 'error', 'why': 'never ran', 'runs': []}
            continue
        verdicts = [judge_run(r, (quirks or {}).get(t, [])) for r in rs]
        out[t] = merge_runs(verdicts)
    return out


def judge_run(run, quirks=()):
    rc = run['rc']
    plan, points = parse_tap(run['lines'])
    v = {'rc': rc, 'points': points, 'plan': plan}
    quirk = next((q for q in quirks for l in run['lines'] if q in l), None)
    if rc not in (None, 0, 137) and quirk:
        v.update(status='quirk', why='platform quirk: ' + quirk)
    elif rc is None:
        v.update(status='error', why='no end marker (hung or crashed)')
    elif rc == 137:
        v.update(status='error', why='timeout')
    elif rc == 4 and not any(p['status'] == 'fail' for p in points):
        v.update(status='skip', why='KSFT_SKIP')
    elif plan is None and (points or any(l.startswith('TAP version') for l in run['lines'])):
        v.update(status='error', why='TAP output without a plan')
    elif plan is not None and len(points) != plan:
        v.update(status='error', why='TAP plan %d, %d results' % (plan, len(points)))
    elif rc != 0 or any(p['status'] == 'fail' for p in points):
        v.update(status='fail', why='rc=%d' % rc)
    else:
        v['status'] = 'pass'
    if v['status'] != 'pass':
        # The run's last lines, so that a mismatch can say what happened.
        v['tail'] = [l for l in run['lines'] if l.strip()][-TAIL:]
    return v


def merge_runs(verdicts):
    """A test run N times: fail if any run failed, per point too."""
    order = ['error', 'quirk', 'fail', 'skip', 'pass']
    status = min((v['status'] for v in verdicts), key=order.index)
    points = {}
    for v in verdicts:
        for p in v['points']:
            d = points.setdefault(p['name'], {'runs': 0, 'pass': 0, 'fail': 0, 'skip': 0})
            d['runs'] += 1
            d[p['status']] += 1
    # The reason is the worst run's: the one that gave the status.
    worst = next(v for v in verdicts if v['status'] == status)
    return {'status': status, 'runs': len(verdicts), 'points': points,
            'why': worst.get('why'), 'tail': worst.get('tail', []),
            'failed_runs': sum(1 for v in verdicts if v['status'] != 'pass'),
            'quirk_runs': sum(1 for v in verdicts if v['status'] == 'quirk')}


def main():
    ap = argparse.ArgumentParser(
        description="DIR holds the boot's logs and the run's test list, "
        "DIR/tests: lines 'KIND NAME', KIND one of kunit, peer, own "
        "(run.sh writes it)")
    ap.add_argument('--platform', default=os.environ.get('PLATFORM'),
                    help='whose quirks (ci/data/quirks) apply; default $PLATFORM; '
                    'none if neither is given')
    ap.add_argument('dir')
    a = ap.parse_args()
    lists = {'kunit': [], 'peer': [], 'own': []}
    with open(os.path.join(a.dir, 'tests')) as f:
        for line in f:
            kind, name = line.split()
            lists[kind].append(name)
    a.kunit, a.selftest, a.own = lists['kunit'], lists['peer'], lists['own']
    console = lines_of(os.path.join(a.dir, 'console.log'))
    results = lines_of(os.path.join(a.dir, 'results.log'))
    quirks = quirks_of(a.platform)
    res = {'kunit': judge_kunit(console, a.kunit),
           'selftests': judge_selftests(results, a.selftest + a.own, quirks),
           'splats': [], 'boot': 'ok'}
    if console is not None:
        res['splats'] = [l for l in console if SPLAT.search(l)][:20]
    # A "(boot)" quirk: the guest ended as LINE says on the console, without
    # a splat, but the results log lost its end on the way.
    lost = [q for q in quirks.get('(boot)', []) if results and console and
            not res['splats'] and any(q in l for l in console[-3:])]
    if results is None or not any(l == '==== DONE' for l in results):
        res['boot'] = ('quirk' if lost else 'did not finish (panic, hang or timeout)')
    elif res['splats']:
        res['boot'] = 'kernel splat'

    cells = {}
    for s in a.kunit:
        cells[s] = res['kunit'][s]['status']
    peers = [res['selftests'][t]['status'] for t in a.selftest]
    if peers:
        cells['peer'] = ('pass' if all(p == 'pass' for p in peers) else
                         'error' if 'error' in peers else
                         'quirk' if 'quirk' in peers else
                         'fail' if 'fail' in peers else 'skip')
    for t in a.own:
        st = res['selftests'][t]
        broken = st['status'] in ('error', 'quirk', 'skip')
        if broken:
            cells[t + ':*'] = st['status']
        for name, d in st.get('points', {}).items():
            key = name.split()[0].rstrip(':') if name else name
            cells[key] = (st['status'] if broken else 'fail' if d['fail'] else
                          'skip' if d['skip'] or not d['pass'] else 'pass')
    if res['boot'] == 'quirk':
        cells = {k: 'quirk' for k in cells}
        quirk = ['(boot)']
        res['quirks'] = ['platform quirk: the results log has no end, the console '
                         'ends with "%s"' % lost[0]]
    else:
        if res['boot'] != 'ok':
            cells = {k: 'error' for k in cells} or {'boot': 'error'}
        quirk = [t for t, st in res['selftests'].items() if st['status'] == 'quirk']
        res['quirks'] = [res['selftests'][t]['why'] for t in quirk]
    res['cells'] = cells
    # Earlier boots of this cell that ended on a quirk (run.sh keeps them).
    res['quirk_reboots'] = len([n for n in os.listdir(a.dir)
                                if re.match(r'results\.quirk\d+\.log$', n)])
    with open(os.path.join(a.dir, 'results.json'), 'w') as f:
        json.dump(res, f, indent=1)
    for k, v in cells.items():
        print('%s\t%s' % (k, v))
    if res['boot'] not in ('ok', 'quirk'):
        print('boot: %s' % res['boot'], file=sys.stderr)
        for l in (console or [])[-15:]:
            print('  | ' + l, file=sys.stderr)
    elif quirk:
        print('%s: %s' % (', '.join(quirk), '; '.join(res['quirks'])), file=sys.stderr)
        return QUIRK_EXIT
    return 0


if __name__ == '__main__':
    sys.exit(main())
