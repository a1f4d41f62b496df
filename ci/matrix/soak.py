#!/usr/bin/env python3
"""soak.py DIR N PLATFORM BASE VARIANT: report, per scenario of the
project's selftests (the "own" lines of DIR/tests, the run's test list), how
many of the N runs in one boot failed.  A scenario that ci/data/expected
records ("any") for this cell is reported, not judged; a run that ended on
a known platform quirk (ci/data/quirks) is counted apart, never as a pass.
Exits 1 unless every other scenario passed in every run that did not end
on a quirk."""
import json
import os
import sys

from matrix import ROOT, expectations, table


def main():
    d, n, platform, base, variant = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
    exp = expectations(table(os.path.join(ROOT, 'ci', 'data', 'expected')),
                       platform, base, variant)
    with open(d + '/results.json') as f:
        res = json.load(f)
    bad = res['boot'] != 'ok'
    with open(d + '/tests') as f:
        names = [w[1] for w in (line.split() for line in f) if w[0] == 'own']
    if not names:
        print('soak: the test list has none of the project\'s own tests')
        return 1
    for t in names:
        r = res['selftests'].get(t)
        if not r or not r.get('points'):
            print('%s: no scenario results' % t)
            bad = True
            continue
        q = r.get('quirk_runs', 0)
        print('%s: %d runs, %d failed%s' % (
            t, r['runs'], r['failed_runs'] - q,
            ', %d ended on a platform quirk (ci/data/quirks)' % q if q else ''))
        bad |= r['runs'] != n
        for name, p in r['points'].items():
            scenario = name.split()[0].rstrip(':')
            recorded = exp.get(scenario) == 'any'
            print('  %-22s %d/%d failed%s' % (scenario, p['fail'] + p['skip'], p['runs'],
                                               ' (recorded, not judged)' if recorded else ''))
            if not recorded:
                bad |= p['runs'] < n - q or p['fail'] + p['skip'] > 0
    if res['boot'] != 'ok':
        print('boot: ' + res['boot'])
    print('soak: %s' % ('FAILED' if bad else 'passed'))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
