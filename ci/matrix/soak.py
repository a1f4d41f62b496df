#!/usr/bin/env python3
"""soak.py DIR N: report, per scenario of the project's selftests (the "own"
lines of DIR/tests, the run's test list), how many of the N runs in one boot
failed.  Exits 1 unless every scenario ran N times and never failed."""
import json
import sys


def main():
    d, n = sys.argv[1], int(sys.argv[2])
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
        print('%s: %d runs, %d failed' % (t, r['runs'], r['failed_runs']))
        for name, p in r['points'].items():
            print('  %-22s %d/%d failed' % (name.split()[0].rstrip(':'),
                                             p['fail'] + p['skip'], p['runs']))
            bad |= p['runs'] != n or p['fail'] + p['skip'] > 0
    if res['boot'] != 'ok':
        print('boot: ' + res['boot'])
    print('soak: %s' % ('FAILED' if bad else 'all %d runs passed' % n))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
