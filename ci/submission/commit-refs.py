#!/usr/bin/env python3
"""commit-refs.py PATCH...: every commit id in a changelog must be written
as checkpatch wants it, commit <12+ hex digits> ("<subject>").  checkpatch
checks that only in a tree with the history to look the commit up, which
the Debian trees lack.  Prints each bare reference; exits 1 if any."""
import re
import sys

bad = 0
for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    head, _, _ = text.partition('\n---\n')
    msg = head.split('\n\n', 1)[1] if '\n\n' in head else ''
    msg = ' '.join(l.strip() for l in msg.splitlines()
                   if not re.match(r'^\s*(Link|Closes|Fixes):', l))
    for m in re.finditer(r'\b[0-9a-f]{7,40}\b', msg):
        if not re.search(r'[a-f]', m.group()) or not re.search(r'[0-9]', m.group()):
            continue
        before = msg[max(0, m.start() - 7):m.start()]
        after = msg[m.end():m.end() + 3]
        if before != 'commit ' or after != ' ("' or len(m.group()) < 12:
            print('%s: bare commit reference %s (write commit <sha> ("subject"))'
                  % (path, m.group()))
            bad += 1
sys.exit(1 if bad else 0)
