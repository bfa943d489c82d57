#!/usr/bin/env python3
"""bench/blocks: the boot and launch paths counted in basic blocks.

Under TCG, QEMU translates each basic block the first time it runs, and that
translation, not the work the code does, is nearly all of a boot's guest
time: bench/boot's wall-clock and bootchart figures move with the number of
distinct blocks on the path. This benchmark counts them, which unlike a time
is the same on every run and every host:

  1. the cost of one new block: tcgcost.elf times 1000 fresh blocks with RDTSC
     (median of the runs, in microseconds at the host's TSC rate);
  2. `mote run` (the banner) and `mote run HELLO` (a static musl hello world),
     each once under `-d in_asm`: the blocks QEMU translated, split into
     firmware, the kernel's boot (first instruction to the application's
     thread), the kernel's launch (to the program's first instruction), the
     program and the kernel under it, and after; the boot by the step of
     kernel_main it runs in; the kernel's blocks by source file; and the
     blocks translated more than once (the same code under other CPU state).

Blocks times the cost of the simplest block is a lower bound on the time
(the ">= ms" column): the kernel's blocks load and store, so each costs more;
the boot's bootchart total over its block count gives their real average.
There are no targets here: bench/boot holds them.

Usage: bench-blocks [-n RUNS] [--mote PATH] [--kernel PATH] [--hello PATH]
                    [--tcgcost PATH] [--tsc-khz PATH] [--top N]
"""
import argparse
import collections
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

KERNEL_BASE = 0xffffffff80000000
ENTRY_STUB = (0x100000, 0x101000)  # the kernel's .boot section, run at its physical address


def is_user(addr):
    """The program's blocks: a static binary from 4 MiB (below the firmware's top 256 MiB
    of the 32-bit space), a PIE, its libraries or the vDSO high in the lower half."""
    return 0x400000 <= addr < 0xf0000000 or 0x500000000000 <= addr < 0x800000000000


def fail(msg):
    print(f"FAIL bench-blocks: {msg}")
    sys.exit(1)


def tsc_khz(path):
    out = subprocess.run([path], capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip().isdigit():
        fail(f"{path} did not print the host's TSC rate (run make)")
    return int(out.stdout)


def block_cost_us(args, khz):
    """Median microseconds per fresh block over the runs of tcgcost.elf."""
    costs = []
    for _ in range(args.runs):
        out = subprocess.run([args.mote, "run", "--accel", "tcg", "--kernel", args.tcgcost],
                             capture_output=True, text=True, timeout=60)
        line = out.stdout.strip().splitlines()[-1:] or [""]
        try:
            cycles = int(line[0], 16)
        except ValueError:
            fail(f"tcgcost.elf printed {out.stdout!r} (exit {out.returncode})")
        costs.append(cycles / khz)  # ms for 1000 blocks: µs per block
    return statistics.median(costs)


def translated_blocks(args, extra, workdir, name):
    """Runs `mote run EXTRA` under a QEMU logging in_asm; returns [(addr, insns)]."""
    log = os.path.join(workdir, name + ".log")
    wrapper = os.path.join(workdir, "qemu-in-asm")
    real = args.qemu or shutil.which("qemu-system-x86_64")
    if not real:
        fail("no qemu-system-x86_64 in PATH")
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec "{real}" "$@" -d in_asm -D "$BLOCKS_LOG"\n')
    os.chmod(wrapper, 0o755)
    env = dict(os.environ, BLOCKS_LOG=log)
    out = subprocess.run([args.mote, "run", "--accel", "tcg", "--qemu", wrapper, "--kernel",
                          args.kernel] + extra, capture_output=True, text=True, env=env,
                         stdin=subprocess.DEVNULL, timeout=120)
    if out.returncode != 0:
        fail(f"mote run {' '.join(extra)} exited {out.returncode}: {out.stderr[-300:]}")
    blocks, cur = [], None
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("IN:"):
                cur = None
            elif line.startswith("0x"):
                if cur is None:
                    cur = [int(line.split(":")[0], 16), 0]
                    blocks.append(cur)
                cur[1] += 1
    return blocks


def symbolize(kernel, addrs):
    """(function, source file) of each kernel address, by addr2line."""
    if not addrs:
        return []
    out = subprocess.run(["addr2line", "-f", "-e", kernel], input="\n".join(map(hex, addrs)),
                         capture_output=True, text=True).stdout.split("\n")
    root = os.getcwd() + "/"
    return [(out[2 * i], out[2 * i + 1].split(":")[0].replace(root, ""))
            for i in range(len(addrs))]


def report(name, blocks, syms, cost, top):
    """Prints one case: its parts, the boot's steps, the kernel's files."""
    kern = [i for i, b in enumerate(blocks) if b[0] >= KERNEL_BASE]
    sym_of = dict(zip(kern, syms))
    user = [i for i, b in enumerate(blocks) if is_user(b[0])]
    first_app = next((i for i in kern if sym_of[i][0] == "app_main"), len(blocks))
    first_user = user[0] if user else len(blocks)
    last_user = user[-1] if user else len(blocks)

    def tally(idx):
        return len(idx), sum(blocks[i][1] for i in idx)

    def kernel_in(lo, hi):
        return [i for i in kern if lo <= i < hi]

    stub = [i for i, b in enumerate(blocks) if ENTRY_STUB[0] <= b[0] < ENTRY_STUB[1]]
    firmware = [i for i, b in enumerate(blocks)
                if b[0] < KERNEL_BASE and not is_user(b[0]) and i not in stub]
    rows = [("firmware", *tally(firmware)),
            ("kernel: boot (to the app thread)", *tally(stub + kernel_in(0, first_app))),
            ("kernel: app thread, to the program" if user else "kernel: app thread",
             *tally(kernel_in(first_app, first_user)))]
    if user:
        rows += [("program", *tally(user)),
                 ("kernel: under the program", *tally(kernel_in(first_user, last_user))),
                 ("kernel: after the program", *tally(kernel_in(last_user, len(blocks))))]
    print(f"\n{name}: {len(blocks)} blocks translated, {sum(b[1] for b in blocks)} instructions")
    print(f"  {'part':38} {'blocks':>7} {'insns':>7} {'>= ms':>6}")
    for label, n, insns in rows:
        print(f"  {label:38} {n:7d} {insns:7d} {n * cost / 1000:6.2f}")

    # The boot by kernel_main's steps: a step is named by the first function it enters.
    steps, label, count = [], None, 0
    for i in kern:
        if i >= first_app:
            break
        fn = sym_of[i][0]
        if fn in ("bootchart_mark", "arch_cycles", "rdtsc"):  # the instrumentation
            continue
        if fn == "kernel_main":
            if count:
                steps.append((label or "entry", count))
            label, count = None, 0
        elif label is None:
            label = fn
        count += 1
    if count:
        steps.append((label or "entry", count))
    print(f"  the boot by kernel_main step (blocks): " +
          ", ".join(f"{s} {n}" for s, n in steps if n >= 5))
    files = collections.Counter(sym_of[i][1] for i in kern)
    print(f"  kernel blocks by source file (top {top}): " +
          ", ".join(f"{f} {n}" for f, n in files.most_common(top)))

    # An address translated more than once was translated again under other CPU state
    # (TCG keys blocks on flags such as SS's size bit or the interrupt shadow after sti),
    # or its code was overwritten: each repeat is a block's translation paid twice.
    seen = collections.Counter(b[0] for b in blocks)
    fn_at = {blocks[i][0]: sym_of[i][0] for i in kern}
    by_fn = collections.Counter()
    for addr, n in seen.items():
        if n > 1 and addr in fn_at:
            by_fn[fn_at[addr]] += n - 1
    repeats = sum(n - 1 for n in seen.values())
    print(f"  translated again: {repeats} blocks" +
          (" (kernel: " + ", ".join(f"{f} {n}" for f, n in by_fn.most_common(top)) + ")"
           if by_fn else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", dest="runs", type=int, default=9, help="tcgcost runs (default 9)")
    ap.add_argument("--mote", default="build/mote")
    ap.add_argument("--kernel", default="build/kernel.elf")
    ap.add_argument("--hello", default="build/bench/hello")
    ap.add_argument("--tcgcost", default="build/bench/tcgcost.elf")
    ap.add_argument("--tsc-khz", default="build/linux/tsc-khz", dest="tsc_khz")
    ap.add_argument("--qemu", default=os.environ.get("MOTE_QEMU"))
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    args.runs = max(1, min(args.runs, 21))
    for path in (args.mote, args.kernel, args.hello, args.tcgcost, args.tsc_khz):
        if not os.path.exists(path):
            fail(f"{path} missing (run make)")

    cost = block_cost_us(args, tsc_khz(args.tsc_khz))
    print(f"bench-blocks: a basic block's first run under TCG costs {cost:.2f} us "
          f"(tcgcost.elf, median of {args.runs})")
    with tempfile.TemporaryDirectory() as work:
        for name, extra in (("mote run (the banner)", []),
                            (f"mote run {args.hello}", [args.hello])):
            blocks = translated_blocks(args, extra, work, "case")
            kern = [b[0] for b in blocks if b[0] >= KERNEL_BASE]
            report(name, blocks, symbolize(args.kernel, kern), cost, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
