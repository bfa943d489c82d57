#!/usr/bin/env python3
"""tests/net/protocol-check.py: TCP and UDP behaviour of a guest network stack, from the host.

Runs against tests/net/echo-server.c (in mote, in the Linux guest or natively) through the
host ports that reach its TCP echo (guest port 7), UDP echo (7/udp) and TCP source (19):

  echo-sizes      one connection, messages of 0 bytes to 1 MiB echoed back intact
  half-close      send 256 KiB, shutdown(SHUT_WR), read everything until EOF
  slow-reader     the server sends 8 MiB to a client with a small receive buffer that
                  reads 4 KiB at a time with pauses; every byte arrives, in order
  reset           a client aborts (SO_LINGER 0, an RST) mid-transfer on both services;
                  the server survives and serves the next client
  never-reader    a client sends to the echo service and never reads the echo, until the
                  server's writes to it and its own sends stall; meanwhile other clients
                  are served (an echo, a 1 MiB source transfer), and still after it goes
  idle-conns      300 connections opened and left idle (nothing sent); another client
                  is served while they stay open and after they are closed
  short-conns     N (default 10,000) connections one after another: connect, echo a
                  line, close; counts the failures (target: none), and stops after 5 in
                  a row
  udp-echo        datagrams of 1 to 1400 bytes echoed back (a lost one is retried twice)

Prints `PASS name` or `FAIL name: why` per check; exit 0 only if all pass. Python 3
standard library only.

Usage: protocol-check.py [--host H] --echo PORT --udp PORT --source PORT [--conns N] [--only CHECKS]
"""
import argparse
import socket
import struct
import sys
import threading
import time

failures = 0
TIMEOUT = 30.0


def result(name, ok, why=""):
    global failures
    if ok:
        print(f"PASS {name}", flush=True)
    else:
        failures += 1
        print(f"FAIL {name}: {why}", flush=True)


def pattern(n, start=0):
    """The bytes (start + i) % 251: what the source service sends."""
    base = bytes(range(251))
    out = bytearray()
    off = start % 251
    while len(out) < n:
        out += base[off:]
        off = 0
    return bytes(out[:n])


def connect(host, port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(TIMEOUT)
    s.connect((host, port))
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(n - len(buf), 1 << 16))
        if not chunk:
            raise ConnectionError(f"EOF after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def recv_all(s):
    buf = bytearray()
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            return bytes(buf)
        buf += chunk


def send_in_thread(s, data, then_shutdown=False):
    """Sends while the caller reads, so neither side's buffers can deadlock the echo."""
    err = []

    def run():
        try:
            s.sendall(data)
            if then_shutdown:
                s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, err


def check_echo_sizes(a):
    sizes = [0, 1, 2, 7, 100, 1459, 1460, 1461, 4095, 4096, 4097, 65535, 65536, 65537,
             100000, 262144, 1 << 20]
    try:
        s = connect(a.host, a.echo)
        for n in sizes:
            data = pattern(n, n)
            if n == 0:
                s.sendall(b"")
                continue
            t, err = send_in_thread(s, data)
            back = recv_exact(s, n)
            t.join(TIMEOUT)
            if err:
                raise err[0]
            if back != data:
                first = next(i for i in range(n) if back[i] != data[i])
                return result("echo-sizes", False, f"{n} bytes: differs at byte {first}")
        s.close()
        result("echo-sizes", True)
    except (OSError, ConnectionError) as e:
        result("echo-sizes", False, f"{type(e).__name__}: {e}")


def check_half_close(a):
    try:
        s = connect(a.host, a.echo)
        data = pattern(256 * 1024, 3)
        t, err = send_in_thread(s, data, then_shutdown=True)
        back = recv_all(s)
        t.join(TIMEOUT)
        s.close()
        if err:
            raise err[0]
        result("half-close", back == data, f"got {len(back)} bytes back of {len(data)}"
               + ("" if len(back) != len(data) else " (content differs)"))
        # Nothing sent at all: the server must see the EOF and close.
        s = connect(a.host, a.echo)
        s.shutdown(socket.SHUT_WR)
        back = recv_all(s)
        s.close()
        result("half-close-empty", back == b"", f"got {len(back)} bytes after an empty half-close")
    except (OSError, ConnectionError) as e:
        result("half-close", False, f"{type(e).__name__}: {e}")


def check_slow_reader(a):
    n = 8 << 20
    try:
        s = connect(a.host, a.source, rcvbuf=16384)
        s.sendall(b"%d\n" % n)
        got = bytearray()
        t0 = time.monotonic()
        reads = 0
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
            reads += 1
            if reads % 8 == 0:
                time.sleep(0.002)
        s.close()
        secs = time.monotonic() - t0
        if len(got) != n:
            return result("slow-reader", False, f"{len(got)} of {n} bytes arrived")
        if bytes(got) != pattern(n):
            first = next(i for i in range(n) if got[i] != i % 251)
            return result("slow-reader", False, f"byte {first} is wrong")
        result("slow-reader", True)
        print(f"  slow-reader: 8 MiB in {secs:.1f} s, {reads} reads", flush=True)
    except (OSError, ConnectionError) as e:
        result("slow-reader", False, f"{type(e).__name__}: {e}")


def abort(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def echo_once(a, payload=b"still there?\n"):
    s = connect(a.host, a.echo)
    s.sendall(payload)
    back = recv_exact(s, len(payload))
    s.close()
    return back == payload


def check_reset(a):
    try:
        s = connect(a.host, a.source)
        s.sendall(b"%d\n" % (64 << 20))
        recv_exact(s, 100000)
        abort(s)
        # 128 KiB, which the buffers on the way back hold: a reset while QEMU's user
        # networking still holds data for the guest aborts QEMU itself (libslirp 4.7's
        # soread asserts on its full buffer), whichever stack the guest runs.
        s = connect(a.host, a.echo)
        t, _ = send_in_thread(s, pattern(128 << 10))
        recv_exact(s, 50000)
        abort(s)
        time.sleep(0.5)
        result("reset", echo_once(a), "the server answered wrongly after the resets")
    except (OSError, ConnectionError) as e:
        result("reset", False, f"the server did not serve after the resets: {type(e).__name__}: {e}")


def source_ok(a, n):
    s = connect(a.host, a.source)
    s.sendall(b"%d\n" % n)
    got = recv_all(s)
    s.close()
    return got == pattern(n)


def served(a):
    """Whether an echo and a 1 MiB source transfer both work, each on a new connection."""
    return echo_once(a) and source_ok(a, 1 << 20)


def fill_until_stuck(s, limit=256 << 20):
    """Sends until a send makes no progress for 2 s (every buffer on the way is full);
    returns the byte count, or None if the limit went out without a stall."""
    s.settimeout(2.0)
    chunk, sent = pattern(1 << 16), 0
    while sent < limit:
        try:
            sent += s.send(chunk)
        except socket.timeout:
            return sent
    return None


def check_never_reader(a):
    try:
        stuck = connect(a.host, a.echo, rcvbuf=16384)
        if fill_until_stuck(stuck) is None:
            abort(stuck)
            return result("never-reader", False, "256 MiB went out although nothing read the echo")
        during = served(a)
        # It goes without a reset (see check_reset): half-close, then take the echo.
        stuck.settimeout(TIMEOUT)
        stuck.shutdown(socket.SHUT_WR)
        recv_all(stuck)
        stuck.close()
        after = served(a)
        result("never-reader", during and after,
               "other clients were not served " + ("while" if not during else "after")
               + " a client did not read")
    except (OSError, ConnectionError) as e:
        result("never-reader", False, f"{type(e).__name__}: {e}")


def check_idle_conns(a, n=300):
    idle = []
    try:
        for _ in range(n):
            idle.append(connect(a.host, a.echo))
            # Paced: QEMU's user networking accepts forwarded connections from a
            # listen backlog of 1, and a burst loses handshakes to retries seconds apart.
            time.sleep(0.01)
        time.sleep(0.5)
        during = served(a)
        for s in idle:
            s.close()
        idle = []
        time.sleep(0.5)
        after = served(a)
        result("idle-conns", during and after,
               f"another client was not served {'while' if not during else 'after'} "
               f"{n} idle connections were open")
    except (OSError, ConnectionError) as e:
        result("idle-conns", False, f"with {len(idle)} idle connections open: {type(e).__name__}: {e}")
    finally:
        for s in idle:
            s.close()


def check_short_conns(a, give_up=5):
    fails = in_a_row = tried = 0
    why = ""
    t0 = time.monotonic()
    for i in range(a.conns):
        tried += 1
        try:
            s = connect(a.host, a.echo)
            line = b"conn %d\n" % i
            s.sendall(line)
            if recv_exact(s, len(line)) != line:
                raise ConnectionError("wrong echo")
            s.close()
            in_a_row = 0
        except (OSError, ConnectionError) as e:
            fails += 1
            in_a_row += 1
            why = why or f"first failure at {i}: {type(e).__name__}: {e}"
            # A server that fails this many in a row is gone; each failure may take TIMEOUT.
            if in_a_row == give_up:
                why += f"; gave up after {give_up} failures in a row"
                break
    secs = time.monotonic() - t0
    print(f"  short-conns: {tried} connections in {secs:.1f} s, {fails} failed", flush=True)
    result("short-conns", fails == 0, f"{fails} of {tried} failed; {why}")


def check_udp(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    bad = []
    for n in (1, 2, 64, 512, 1024, 1400):
        data = pattern(n, n)
        ok = False
        for _ in range(3):
            s.sendto(data, (a.host, a.udp))
            try:
                back, _ = s.recvfrom(65536)
            except socket.timeout:
                continue
            ok = back == data
            break
        if not ok:
            bad.append(n)
    s.close()
    result("udp-echo", not bad, f"no correct echo for sizes {bad}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--echo", type=int, required=True, help="host port of TCP echo (guest 7)")
    p.add_argument("--udp", type=int, required=True, help="host port of UDP echo (guest 7/udp)")
    p.add_argument("--source", type=int, required=True, help="host port of the source (guest 19)")
    p.add_argument("--conns", type=int, default=10000, help="short connections (default 10000)")
    p.add_argument("--only", help="the checks to run, comma-separated (e.g. reset,udp)")
    a = p.parse_args()
    for check in (check_echo_sizes, check_half_close, check_slow_reader, check_reset,
                  check_never_reader, check_idle_conns, check_short_conns, check_udp):
        if not a.only or check.__name__[len("check_"):] in a.only.split(","):
            check(a)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
