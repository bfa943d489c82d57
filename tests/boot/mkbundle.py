#!/usr/bin/env python3
"""Writes a boot bundle (include/abi/bundle.h, version 2) for the boot tests,
so they can hand the kernel what `mote run` would refuse to send.
Usage: mkbundle.py OUT [file:GUEST:HOSTPATH:MODE]... [exec:GUEST] [argv:A,B]"""
import struct, sys

def entry(kind, path=b'', data=b'', mode=0):
    pad = lambda b: b + b'\0' * (-len(b) % 8)
    return struct.pack('<IIIIQ', kind, mode, len(path), 0, len(data)) + pad(path) + pad(data)

out, entries = sys.argv[1], []
for arg in sys.argv[2:]:
    kind, rest = arg.split(':', 1)
    if kind == 'file':
        guest, host, mode = rest.rsplit(':', 2)
        entries.append(entry(1, guest.encode(), open(host, 'rb').read(), int(mode, 8)))
    elif kind == 'exec':
        entries.append(entry(6, rest.encode()))
    elif kind == 'argv':
        entries.append(entry(4, data=b''.join(a.encode() + b'\0' for a in rest.split(','))))
body = b''.join(entries)
header = b'MOTEBNDL' + struct.pack('<IIQII', 2, 32, 32 + len(body), len(entries), 0)
open(out, 'wb').write(header + body)
