#!/usr/bin/env python3
"""bench/linux/initramfs.py: write a newc cpio (a Linux initramfs) from a list on stdin.

Usage: initramfs.py OUT.cpio < LIST

LIST has one entry a line (fields separated by single spaces; paths hold no spaces):
  file GUEST HOST [MODE]   the host file's bytes at GUEST (mode: the host's, or octal MODE)
  link GUEST TARGET        a symbolic link (TARGET kept as written)
  dir GUEST [MODE]         a directory
  char GUEST MAJOR MINOR   a character device node
  tree GUEST HOSTDIR       HOSTDIR's files, links and directories under GUEST
Missing parent directories are made (0755). A later entry at a path already taken is
skipped, so a list can say a thing twice (deps-list output for several programs).
The entries are written parents first; all owned by root, mtime 0 (reproducible).
"""
import os
import stat
import sys


class Cpio:
    def __init__(self, out):
        self.out = out
        self.ino = 1
        self.seen = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.lstrip("/")
        if not name or name in self.seen:
            return
        self.seen.add(name)
        raw = name.encode() + b"\0"
        fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(raw), 0)
        self.ino += 1
        head = b"070701" + b"".join(b"%08X" % f for f in fields)
        self.out.write(head + raw + b"\0" * (-(len(head) + len(raw)) % 4))
        self.out.write(data + b"\0" * (-len(data) % 4))

    def parents(self, guest):
        parts = guest.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self._entry("/".join(parts[:i]), stat.S_IFDIR | 0o755)

    def add(self, guest, mode, data=b"", rdev=(0, 0)):
        self.parents(guest)
        self._entry(guest, mode, data, rdev)

    def add_host(self, guest, host, mode=None):
        st = os.lstat(host)
        if stat.S_ISLNK(st.st_mode):
            self.add(guest, stat.S_IFLNK | 0o777, os.readlink(host).encode())
        elif stat.S_ISDIR(st.st_mode):
            self.add(guest, stat.S_IFDIR | (mode or stat.S_IMODE(st.st_mode)))
        else:
            with open(host, "rb") as f:
                self.add(guest, stat.S_IFREG | (mode or stat.S_IMODE(st.st_mode)), f.read())

    def tree(self, guest, hostdir):
        self.add_host(guest, hostdir)
        for top, dirs, files in os.walk(hostdir):
            dirs.sort()
            for n in sorted(dirs) + sorted(files):
                h = os.path.join(top, n)
                self.add_host(guest + "/" + os.path.relpath(h, hostdir), h)

    def finish(self):
        self.seen.discard("TRAILER!!!")
        self._entry("TRAILER!!!", 0)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: initramfs.py OUT.cpio < LIST")
    with open(sys.argv[1], "wb") as out:
        c = Cpio(out)
        for n, line in enumerate(sys.stdin, 1):
            w = line.split()
            if not w:
                continue
            try:
                if w[0] == "file" and len(w) in (3, 4):
                    c.add_host(w[1], w[2], int(w[3], 8) if len(w) == 4 else None)
                elif w[0] == "link" and len(w) == 3:
                    c.add(w[1], stat.S_IFLNK | 0o777, w[2].encode())
                elif w[0] == "link" and len(w) == 4 and w[2] == "->":  # deps-list's form
                    c.add(w[1], stat.S_IFLNK | 0o777, w[3].encode())
                elif w[0] == "dir" and len(w) in (2, 3):
                    c.add(w[1], stat.S_IFDIR | (int(w[2], 8) if len(w) == 3 else 0o755))
                elif w[0] == "char" and len(w) == 4:
                    c.add(w[1], stat.S_IFCHR | 0o600, rdev=(int(w[2]), int(w[3])))
                elif w[0] == "tree" and len(w) == 3:
                    c.tree(w[1], w[2])
                elif w[0] == "object":
                    pass  # deps-list's object lines say how, not what
                else:
                    sys.exit(f"initramfs.py: line {n}: cannot read '{line.rstrip()}'")
            except OSError as e:
                sys.exit(f"initramfs.py: line {n}: {e}")
        c.finish()


if __name__ == "__main__":
    main()
