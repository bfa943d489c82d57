#!/usr/bin/env python3
"""Marks system calls implemented in linux/syscalls.def:
NO(nr, name) /* kinds ret */  ->  SC(nr, name, "kinds", "ret").
Usage: tools/sc-enable.py NAME..."""
import re, sys
path = 'linux/syscalls.def'
text = open(path).read()
for name in sys.argv[1:]:
    pat = re.compile(r'^NO\((\d+), %s\) /\*\s*(\S*)\s+(\S) \*/$' % re.escape(name), re.M)
    m = pat.search(text)
    if not m:
        sys.exit('no unimplemented entry with kinds for %s' % name)
    text = pat.sub('SC(%s, %s, "%s", "%s")' % (m.group(1), name, m.group(2), m.group(3)), text)
open(path, 'w').write(text)
