#!/usr/bin/env python3
"""commit-refs.py FILE...: every commit a file cites is a mainline commit of
ci/data/commits, with its subject there.  In a patch (*.patch) only the
changelog is read, and each reference must also be written as checkpatch
wants it, commit <12+ hex digits> ("<subject>"): checkpatch checks that
only in a tree with the history to look the commit up, which the Debian
trees lack.  In other files (cover letter, docs) a 12-digit id may stand
alone.  Prints each bad reference; exits 1 if any."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def known():
    table = {}
    with open(os.path.join(ROOT, 'ci', 'data', 'commits')) as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                sha, subject = line.rstrip('\n').split(None, 1)
                table[sha] = subject.strip()
    return table


def text_of(path):
    with open(path) as f:
        text = f.read()
    if not path.endswith('.patch'):
        return ' '.join(text.split())
    head, _, _ = text.partition('\n---\n')
    msg = head.split('\n\n', 1)[1] if '\n\n' in head else ''
    return ' '.join(l.strip() for l in msg.splitlines()
                    if not re.match(r'^\s*(Link|Closes|Fixes):', l))


def main():
    table = known()
    bad = 0
    for path in sys.argv[1:]:
        msg = text_of(path)
        # The series is posted: checkpatch's form.  Mutants are not.
        patch = path.endswith('.patch') and '/series/' in path
        ids = r'\b[0-9a-f]{7,40}\b' if patch else r'\b[0-9a-f]{12}\b'
        for m in re.finditer(ids, msg):
            sha = m.group()
            if not re.search(r'[a-f]', sha) or not re.search(r'[0-9]', sha):
                continue
            before = msg[max(0, m.start() - 7):m.start()]
            after = msg[m.end():m.end() + 3]
            if patch and (before != 'commit ' or after != ' ("' or len(sha) < 12):
                print('%s: bare commit reference %s (write commit <sha> ("subject"))'
                      % (path, sha))
                bad += 1
                continue
            main_id = [k for k in table if sha.startswith(k)]
            if not main_id:
                print('%s: commit %s is not in ci/data/commits (a mainline id?)' % (path, sha))
                bad += 1
                continue
            if after == ' ("':
                subject = msg[m.end() + 3:].split('")', 1)[0]
                if subject != table[main_id[0]]:
                    print('%s: commit %s ("%s"): its subject is "%s"'
                          % (path, sha, subject, table[main_id[0]]))
                    bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
