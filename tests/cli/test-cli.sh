#!/usr/bin/env bash
# tests/cli/test-cli.sh: the behaviour of `mote` (build/mote) as docs/cli.md
# describes it. One line per check, `PASS <name>` or `FAIL <name>: <why>`.
#
# Most checks run mote against a fake QEMU (a shell script whose output and
# exit are chosen per check) so that every rule is exercised without booting
# anything. A few boot a tiny PVH fixture (fixture-pvh.S) under the real QEMU
# to prove the command line mote builds is one QEMU accepts and boots.
#
# Usage: tests/cli/test-cli.sh        (from anywhere; MOTE=path overrides build/mote)

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MOTE=${MOTE:-$ROOT/build/mote}
SRC=$ROOT/tests/cli
T=$(mktemp -d "${TMPDIR:-/tmp}/mote-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset MOTE_KERNEL MOTE_QEMU MOTE_FCFIXTURE
# Under TCG mote adds the host's TSC rate to the kernel command line; the
# checks of the line's other words want it left out (the "TSC rate" checks
# below unset this).
export MOTE_TSC_KHZ=0
failures=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }

# run ARGS...: runs mote with stdout, stderr and status in $T/out, $T/err, $rc.
run() {
	"$MOTE" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
}

# expect NAME STATUS [STDERR-SUBSTRING]: judges the last run().
expect() {
	local name=$1 want=$2 text=${3-}
	if [ "$rc" != "$want" ]; then
		fail "$name" "exit $rc, want $want; stderr: $(head -c 300 "$T/err")"
	elif [ -n "$text" ] && ! grep -qF -- "$text" "$T/err"; then
		fail "$name" "stderr lacks '$text': $(head -c 300 "$T/err")"
	else
		pass "$name"
	fi
}

# ---------------------------------------------------------------- fixtures
fixture() {
	gcc -nostdlib -static -Wl,-N,-Ttext-segment=0x100000,--build-id=none,--no-warn-rwx-segments \
		"$@" "$SRC/fixture-pvh.S" 2>"$T/gcc.err"
}
# A real (tiny) ELF: mote reads the kernel's program headers before starting QEMU.
K=$T/kernel.elf;  fixture -DSTATUS=0 -o "$K" || { echo "FAIL cli: cannot build the fixture"; exit 1; }
I=$T/initrd.img;  printf 'module\n' >"$I"
FIX=$T/fcfixture.elf; printf 'fixture\n' >"$FIX"
PLAIN=$T/plain;   printf 'no x bit\n' >"$PLAIN"; chmod 644 "$PLAIN"

# A QEMU that only records that it ran: validation errors must never start it.
RECORDER=$T/recorder
printf '#!/bin/sh\n: >"%s/ran"\n' "$T" >"$RECORDER"
chmod +x "$RECORDER"

# A QEMU whose behaviour the environment scripts: FAKE_OUT/FAKE_ERR are printf
# formats for stdout/stderr, FAKE_CAT a file to copy to stdout, FAKE_SIG a
# signal to kill itself with, FAKE_EXIT its exit status.
FAKE=$T/fake-qemu
cat >"$FAKE" <<'EOF'
#!/bin/sh
[ -n "${FAKE_OUT-}" ] && printf "$FAKE_OUT"
[ -n "${FAKE_ERR-}" ] && printf "$FAKE_ERR" >&2
[ -n "${FAKE_CAT-}" ] && cat "$FAKE_CAT"
[ -n "${FAKE_CAT_ERR-}" ] && cat "$FAKE_CAT_ERR" >&2
[ -n "${FAKE_SIG-}" ] && kill -s "$FAKE_SIG" $$
exit "${FAKE_EXIT:-0}"
EOF
chmod +x "$FAKE"

# ------------------------------------------------------ version and help
run version
if [ $rc = 0 ] && grep -qE '^mote 0\.1\.0 \([^)]+\)$' "$T/out"; then pass version
else fail version "exit $rc, output '$(cat "$T/out")'"; fi

for form in help --help "run --help" "run -h" "help run"; do
	run $form
	if [ $rc = 0 ] && grep -q '^usage: mote' "$T/out"; then pass "help: mote $form"
	else fail "help: mote $form" "exit $rc"; fi
done
run run --help
if grep -q -- '--no-exit-device' "$T/out" && grep -q -- '--timeout' "$T/out"; then
	pass "help: run lists its options"
else fail "help: run lists its options" "usage misses options"; fi

run
expect "no command: usage, exit 2" 2 "usage: mote"
run frobnicate
expect "unknown command: exit 2" 2 "unknown command 'frobnicate'"

# ------------------------------------------------ errors: exit 2, no QEMU
# err NAME STDERR-SUBSTRING ARGS...: mote run must refuse before starting QEMU.
err() {
	local name=$1 text=$2
	shift 2
	rm -f "$T/ran"
	MOTE_QEMU=$RECORDER run run --qemu "$RECORDER" --kernel "$K" "$@"
	if [ -e "$T/ran" ]; then
		fail "error: $name" "QEMU was started"
		return
	fi
	expect "error: $name" 2 "$text"
	if [ -s "$T/out" ]; then fail "error: $name: stdout empty" "stdout: $(head -c 200 "$T/out")"; fi
	if [ "$(wc -l <"$T/err")" != 1 ]; then fail "error: $name: one line" "$(cat "$T/err")"; fi
}

err "unknown option" "mote run: unknown option '--bogus'" --bogus
err "unknown short option" "unknown option '-x'" -x
err "missing value at end" "option --smp needs a value" --smp
err "missing value -m" "option -m needs a value" -m
err "empty value" "option --hv needs a value" --hv=
err "flag with value" "option --gdb takes no value" --gdb=yes
err "unknown hypervisor" "--hv: unknown hypervisor 'xen'" --hv xen
err "unknown accel" "--accel: unknown accelerator 'hvf'" --accel=hvf
err "smp 0" "--smp: '0' is not a CPU count" --smp 0
err "smp 256" "--smp: '256'" --smp 256
err "smp junk" "--smp: 'two'" --smp two
err "smp sign" "--smp: '+2'" --smp +2
err "mem below 1M" "-m: '512K' is not a memory size" -m 512K
err "mem zero" "-m: '0'" -m 0
err "mem above 1T" "-m: '2T'" -m 2T
err "mem above 1T in MiB" "-m: '1048577'" -m 1048577
err "mem junk suffix" "-m: '64Q'" -m 64Q
err "mem junk" "-m: 'lots'" -m lots
err "mem two suffixes" "-m: '64MB'" -m=64MB
err "mem huge number" "-m: '99999999999999999999999'" -m 99999999999999999999999
err "timeout negative" "--timeout: '-1'" --timeout -1
err "timeout fraction" "--timeout: '1.5'" --timeout 1.5
err "missing kernel" "--kernel $T/nope.elf: No such file or directory" --kernel "$T/nope.elf"
err "kernel is a directory" "--kernel $T: Is a directory" --kernel "$T"
err "missing initrd" "--initrd $T/nope.img: No such file or directory" --initrd "$T/nope.img"
err "initrd with fc-fixture" "--initrd cannot be used with --hv fc-fixture" \
	--hv fc-fixture --initrd "$I"
err "quote in app args" "contains a double quote" -- 'say "hi"'
err "disk missing" "--disk $T/nope.img: No such file or directory" --disk "$T/nope.img"
err "disk is a directory" "--disk $T: Is a directory" --disk "$T,ro"
err "disk without a name" "--disk ',ro': no file name" --disk ,ro
err "disk unknown word" "unknown disk option 'rw' (ro, serial=NAME, blkdebug=FILE)" --disk "$I,rw"
err "disk bad serial" "serial 'a b' is not 1 to 20 of" --disk "$I,serial=a b"
err "disk long serial" "serial 'abcdefghijklmnopqrstu' is not 1 to 20 of" --disk "$I,serial=abcdefghijklmnopqrstu"
err "disk blkdebug missing" "blkdebug=$T/nope: No such file" --disk "$I,blkdebug=$T/nope"
err "unknown virtio mode" "--virtio: unknown virtio mode 'old'" --virtio old
if [ "$(id -u)" != 0 ]; then
	cp "$K" "$T/secret.elf"; chmod 000 "$T/secret.elf"
	err "unreadable kernel" "--kernel $T/secret.elf: Permission denied" --kernel "$T/secret.elf"
fi

MOTE_FCFIXTURE=$T/nofix.elf err "missing fc fixture" \
	"fc-fixture $T/nofix.elf (from MOTE_FCFIXTURE): No such file" --hv fc-fixture

# QEMU itself: --qemu, then MOTE_QEMU, then PATH.
qerr() {
	local name=$1 text=$2
	shift 2
	run run --kernel "$K" "$@"
	expect "error: $name" 2 "$text"
}
qerr "qemu missing file" "qemu '$T/nope' (from --qemu): No such file or directory" --qemu "$T/nope"
qerr "qemu not executable" "qemu '$PLAIN' (from --qemu): not executable" --qemu "$PLAIN"
qerr "qemu is a directory" "(from --qemu): Is a directory" --qemu "$T"
qerr "qemu not in PATH" "qemu 'no-such-qemu-xyz' (from --qemu) not found in PATH" \
	--qemu no-such-qemu-xyz
MOTE_QEMU=$T/nope qerr "MOTE_QEMU missing" "qemu '$T/nope' (from MOTE_QEMU)"
PATH=$T/empty-path-dir "$MOTE" run --kernel "$K" >"$T/out" 2>"$T/err"; rc=$?
expect "error: default qemu not in PATH" 2 \
	"qemu 'qemu-system-x86_64' (from the default) not found in PATH"

# The kernel must be an x86-64 ELF whose image fits in the guest's memory.
run run --qemu "$RECORDER" --kernel "$I"
expect "error: kernel not an ELF" 2 "kernel $I: not an ELF file"
head -c 40 "$K" > "$T/short.elf"
run run --qemu "$RECORDER" --kernel "$T/short.elf"
expect "error: kernel ELF header cut short" 2 "kernel $T/short.elf: truncated ELF header"
head -c 100 "$K" > "$T/short.elf"
run run --qemu "$RECORDER" --kernel "$T/short.elf"
expect "error: kernel program headers cut short" 2 "kernel $T/short.elf: truncated program headers"
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\050\000' > "$T/arm.elf"
head -c 64 /dev/zero >> "$T/arm.elf"
run run --qemu "$RECORDER" --kernel "$T/arm.elf"
expect "error: kernel for another architecture" 2 "kernel $T/arm.elf: wrong architecture (ARM)"
run run --qemu "$RECORDER" --kernel "$K" -m 1M
expect "error: memory smaller than the kernel image" 2 "-m 1024K is too small: the kernel image alone reaches"

# The default kernel is kernel.elf beside the mote binary, not in the cwd.
mkdir -p "$T/bin"
cp "$MOTE" "$T/bin/mote"
(cd "$T" && "$T/bin/mote" run --qemu "$RECORDER" >"$T/out" 2>"$T/err"); rc=$?
expect "error: default kernel missing" 2 "kernel $T/bin/kernel.elf (from the default): No such file"
MOTE_KERNEL=$T/nope.elf run run --qemu "$RECORDER"
expect "error: MOTE_KERNEL missing" 2 "kernel $T/nope.elf (from MOTE_KERNEL): No such file"

# ------------------------------------------ programs: refused before boot
# A static program: mote checks and bundles it, the kernel runs it.
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 3; }\n' >"$T/hello.c"
HELLO=$T/hello
if ! gcc -O1 -static -o "$HELLO" "$T/hello.c" 2>"$T/gcc.err" || ! gcc -O1 -o "$T/dyn" "$T/hello.c"; then
	echo "FAIL cli: cannot build the sample programs: $(cat "$T/gcc.err")"; exit 1
fi
head -c 100 "$HELLO" >"$T/hello-cut"
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\050\000' >"$T/arm-prog"
head -c 64 /dev/zero >>"$T/arm-prog"
mkdir -p "$T/bt"
export TMPDIR=$T/bt	# where mote puts its bundles: checked empty after each run
err "program missing" "mote run: program $T/nope: No such file or directory" "$T/nope"
err "program is a directory" "program $T: Is a directory" "$T"
err "program not ELF" "program $T/hello.c: not an ELF file" "$T/hello.c"
err "program empty" "program $T/empty-prog: empty file" "$(: >"$T/empty-prog"; echo "$T/empty-prog")"
err "program truncated" "program $T/hello-cut: truncated program headers" "$T/hello-cut"
err "program wrong arch" "program $T/arm-prog: wrong architecture (ARM)" "$T/arm-prog"
# A dynamic program runs from a cached image (MOTE_CACHE_DIR) holding its libraries, as the root disk.
export MOTE_CACHE_DIR=$T/cache
run run --dry-run --qemu "$RECORDER" --kernel "$K" "$T/dyn" -- one
cached=$(ls "$T"/cache/images/*.img 2>/dev/null)
if [ $rc = 0 ] && [ -n "$cached" ] && grep -qF -- "file=$cached,readonly=on" "$T/out" &&
	grep -q "serial=root" "$T/out" && grep -q -- "-- one'" "$T/out"; then
	pass "run dynamic: a cached image as the root disk"
else fail "run dynamic: a cached image as the root disk" "exit $rc: $(cat "$T/out" "$T/err")"; fi
stamp=$(stat -c %Y.%i "$cached" 2>/dev/null)
run run --dry-run --qemu "$RECORDER" --kernel "$K" "$T/dyn"
if [ $rc = 0 ] && [ "$(stat -c %Y.%i "$cached" 2>/dev/null)" = "$stamp" ] &&
	[ "$(ls "$T"/cache/images | wc -l)" = 1 ]; then pass "run dynamic: the cached image is reused"
else fail "run dynamic: the cached image is reused" "exit $rc: $(ls "$T"/cache/images)"; fi
touch -d '2001-01-01' "$T/dyn"
run run --dry-run --qemu "$RECORDER" --kernel "$K" "$T/dyn"
if [ $rc = 0 ] && [ "$(ls "$T"/cache/images | wc -l)" = 2 ]; then pass "run dynamic: a changed program gets a new image"
else fail "run dynamic: a changed program gets a new image" "exit $rc: $(ls "$T"/cache/images)"; fi
# A library that went away: named with who needs it, exit 2, no QEMU.
printf 'int gone(void) { return 1; }\n' >"$T/gone.c"
printf 'int gone(void);\nint main(void) { return gone(); }\n' >"$T/usegone.c"
gcc -shared -fPIC -o "$T/libgone.so" "$T/gone.c" && gcc -o "$T/usegone" "$T/usegone.c" -L"$T" -lgone &&
	rm "$T/libgone.so"
err "program's library missing" "libgone.so: not found (needed by $T/usegone)" "$T/usegone"
err "two programs" "unexpected argument 'x' (the program's arguments go after --)" "$HELLO" x
err "--file without program" "--file, -e and -v need a PROGRAM to run" --file "$T/hello.c:/x"
err "-e without program" "--file, -e and -v need a PROGRAM to run" -e A=1
err "-v without program" "--file, -e and -v need a PROGRAM to run" -v "$T/vol.img:/data:rw"
[ ! -e "$T/vol.img" ] && pass "-v without program creates nothing" || fail "-v without program creates nothing" "$T/vol.img exists"
err "-v relative guest" "want HOST:/path[:rw]" -v "$T/vol.img:data" "$HELLO"
err "-v bad mode" "unknown mode 'rx' (rw or ro)" -v "$T/vol.img:/data:rx" "$HELLO"
err "-v blank in path" "may not hold blanks, quotes, . or .." -v "$T/vol.img:/a b" "$HELLO"
err "-v read-only missing" "--disk $T/nope.img: No such file or directory" -v "$T/nope.img:/data" "$HELLO"
run run --dry-run --qemu "$RECORDER" --kernel "$K" -v "$T/vol.img:/data:rw" "$HELLO"
[ ! -e "$T/vol.img" ] && pass "-v: a dry run creates no volume" || fail "-v: a dry run creates no volume" "created"
rm -f "$T"/bt/mote-bundle.*	# the dry run's bundle, kept on purpose
run run --timeout 60 -v "$T/vol.img:/data:rw" "$HELLO"
if [ $rc = 3 ] && [ "$(stat -c %s "$T/vol.img" 2>/dev/null)" = $((64 << 20)) ] &&
	grep -q "created volume $T/vol.img (64 MiB, empty)" "$T/err"; then
	pass "-v: a missing writable volume is created"
else fail "-v: a missing writable volume is created" "exit $rc: $(cat "$T/err")"; fi
run run --dry-run --qemu "$RECORDER" --kernel "$K" -v "$T/vol.img:/data:rw" -v "$T/hello.c:/src" "$HELLO"
if [ $rc = 0 ] && grep -q "serial=vol0" "$T/out" && grep -q "serial=vol1" "$T/out" &&
	grep -q "volume=vol0:/data:rw volume=vol1:/src" "$T/out"; then
	pass "-v: disks vol0, vol1 and their volume= words"
else fail "-v: disks vol0, vol1 and their volume= words" "exit $rc: $(cat "$T/out" "$T/err")"; fi
rm -f "$T"/bt/mote-bundle.*
err "--file host missing" "--file $T/nope:/x: host file $T/nope: No such file or directory" "$HELLO" --file "$T/nope:/x"
err "--file host directory" "--file $T:/x: host file $T: Is a directory" "$HELLO" --file "$T:/x"
err "--file no colon" "--file $T/hello.c: want HOST:GUEST" "$HELLO" --file "$T/hello.c"
err "--file guest relative" "guest path x is not absolute" "$HELLO" --file "$T/hello.c:x"
err "--file guest dotdot" "guest path /a/../b has a '.' or '..' component" "$HELLO" --file "$T/hello.c:/a/../b"
err "--file guest root" "guest path / is the root directory" "$HELLO" --file "$T/hello.c:/"
err "--file guest taken by program" "guest path /app/hello is already taken by the program" "$HELLO" --file "$T/hello.c:/app/hello"
err "--file guest twice" "guest path /d is already taken" "$HELLO" --file "$T/hello.c:/d" --file "$T/hello.c:/d"
err "-e without a name" "-e =1: the variable needs a name" "$HELLO" -e =1
err "program with fc-fixture" "a program cannot run with --hv fc-fixture" --hv fc-fixture "$HELLO"
err "program with --initrd" "--initrd cannot be used with a program" --initrd "$I" "$HELLO"
err "--log unwritable" "--log $T/nodir/log: No such file or directory" "$HELLO" --log "$T/nodir/log"
if [ -z "$(ls "$T/bt")" ]; then pass "refusals leave no bundle behind"
else fail "refusals leave no bundle behind" "$(ls "$T/bt")"; fi

# ------------------------------------------ mote build / inspect: refusals
# berr NAME STDERR-SUBSTRING ARGS...: `mote build -o $T/img/out.img ARGS` exits 2
# saying so, and leaves nothing in $T/img (no image, no temporary file).
mkdir -p "$T/img" "$T/tree/sub"
echo data >"$T/tree/a"; echo more >"$T/tree/sub/b"; ln -s a "$T/tree/link"
berr() {
	local name=$1 text=$2
	shift 2
	run build -o "$T/img/out.img" "$@"
	if [ -n "$(ls -A "$T/img")" ]; then fail "build: $name" "left $(ls -A "$T/img")"
	else expect "build: $name" 2 "$text"; fi
}
berr "no program" "which program?"
run build "$HELLO"
expect "build: no -o" 2 "-o OUT.img is required"
berr "program missing" "mote build: program $T/nope: No such file or directory" "$T/nope"
berr "library missing" "libgone.so: not found (needed by $T/usegone)" "$T/usegone"
berr "--file missing" "--file $T/nope:/x: $T/nope: No such file or directory" "$HELLO" --file "$T/nope:/x"
berr "--file directory" "is a directory (use --dir)" "$HELLO" --file "$T/tree:/x"
berr "--dir missing" "--dir $T/nope:/d: $T/nope: No such file or directory" "$HELLO" --dir "$T/nope:/d"
berr "name clash" "name clash: /app/hello is added by the program and by --file $T/hello.c:/app/hello" \
	"$HELLO" --file "$T/hello.c:/app/hello"
berr "name clash in --dir" "name clash: /d/a is added by --file" "$HELLO" --file "$T/hello.c:/d/a" --dir "$T/tree:/d"
berr "file under a file" "/x/y: /x is not a directory" "$HELLO" --file "$T/hello.c:/x" --file "$T/hello.c:/x/y"
berr "guest relative" "guest path x is not absolute" "$HELLO" --file "$T/hello.c:x"
printf 'symlink /loop /loop\nfile hello.c /loop/x\n' >"$T/loop.mf"
berr "symlink loop on the way" "/loop/x: too many symlinks in the image on the way" "$HELLO" --manifest "$T/loop.mf"
berr "unknown option" "unknown option '--nope'" "$HELLO" --nope
berr "--cmd not in image" "command /bin/sh: not in the image" "$HELLO" --cmd /bin/sh
berr "--cmd unterminated" "--cmd: an unterminated quote" "$HELLO" --cmd "a 'b"
berr "--cmd and args" "cannot be combined with --cmd" "$HELLO" --cmd /app/hello -- x
berr "manifest missing" "--manifest $T/nope.mf: No such file" "$HELLO" --manifest "$T/nope.mf"
printf 'file a /a\nbogus x\n' >"$T/bad.mf"
berr "manifest bad line" "manifest $T/bad.mf:2: unknown directive 'bogus'" "$HELLO" --manifest "$T/bad.mf"
printf '# comment\nfile nope /a\n' >"$T/bad2.mf"
berr "manifest missing file" "manifest $T/bad2.mf:2: $T/nope: No such file" "$HELLO" --manifest "$T/bad2.mf"
if [ "$(id -u)" != 0 ]; then
	echo secret >"$T/unreadable"; chmod 000 "$T/unreadable"
	berr "unreadable file" "$T/unreadable: Permission denied" "$HELLO" --file "$T/unreadable:/s"
fi
# A good build: reproducible, listed by inspect, an existing OUT replaced whole.
printf '%s\n' '# the manifest format (docs/cli.md)' 'file tree/a /etc/a.conf' 'dir tree /srv/tree' \
	'symlink /srv/tree/a /srv/first' 'env GREETING="hello world"' 'cwd /srv' >"$T/good.mf"
echo old >"$T/img/good.img"
run build -o "$T/img/good.img" "$HELLO" --manifest "$T/good.mf" -e A=1 -- one "two three"
expect "build: a good image" 0
cp "$T/img/good.img" "$T/good1.img"
run build -o "$T/img/good.img" "$HELLO" --manifest "$T/good.mf" -e A=1 -- one "two three"
if cmp -s "$T/img/good.img" "$T/good1.img"; then pass "build: reproducible (same inputs, same bytes)"
else fail "build: reproducible (same inputs, same bytes)" "the two images differ"; fi
if [ "$(ls -A "$T/img")" = good.img ]; then pass "build: no temporary file left"
else fail "build: no temporary file left" "$(ls -A "$T/img")"; fi
# A --file under a symlink in the image lands where the link points, as in the guest.
printf 'symlink usr/lib /lib\nfile hello.c /lib/x/hello.c\n' >"$T/through.mf"
run build -o "$T/through.img" "$HELLO" --manifest "$T/through.mf"
if [ $rc = 0 ] && "$MOTE" inspect "$T/through.img" | grep -q " /usr/lib/x/hello.c$"; then
	pass "build: a guest path through a symlink in the image"
else fail "build: a guest path through a symlink in the image" "exit $rc: $(cat "$T/err")"; fi
rm -f "$T/through.img"
run inspect "$T/img/good.img"
if [ $rc = 0 ] && grep -q "^command: /app/hello one 'two three'$" "$T/out" && grep -q "^cwd: /srv$" "$T/out" &&
	grep -q "^env: GREETING=hello world$" "$T/out" && grep -q " /srv/first -> /srv/tree/a$" "$T/out" &&
	grep -q "^-rw-r--r-- .* /etc/a.conf$" "$T/out" && grep -q " /srv/tree/sub/b$" "$T/out" &&
	grep -q " /srv/tree/link -> a$" "$T/out" && grep -q " /etc/passwd$" "$T/out" &&
	grep -q "^drwxrwxrwt .* /tmp$" "$T/out"; then pass "inspect: command, env, cwd and files"
else fail "inspect: command, env, cwd and files" "exit $rc: $(head -c 600 "$T/out") $(cat "$T/err")"; fi
SOURCE_DATE_EPOCH=86400 run build -o "$T/img/sde.img" "$HELLO"
run inspect "$T/img/sde.img"
if grep -q "1970-01-02 00:00 /app/hello$" "$T/out" && ! grep -q " 20[0-9][0-9]-" "$T/out"; then
	pass "build: SOURCE_DATE_EPOCH clamps every time"
else fail "build: SOURCE_DATE_EPOCH clamps every time" "$(head -c 400 "$T/out")"; fi
# Placement: a program under /usr, /bin, /sbin, /lib or /opt keeps its path (made absolute).
if file -L /usr/bin/busybox 2>/dev/null | grep -q "statically linked"; then
	(cd /usr/lib && "$MOTE" build -o "$T/img/bb.img" ../bin/busybox -- echo hi) >"$T/out" 2>"$T/err"
	run inspect "$T/img/bb.img"
	if grep -q "^program: /usr/bin/busybox$" "$T/out" && grep -q "^command: /usr/bin/busybox echo hi$" "$T/out" &&
		! grep -q " /app" "$T/out"; then pass "build: a program under /usr keeps its path"
	else fail "build: a program under /usr keeps its path" "$(head -c 300 "$T/out") $(cat "$T/err")"; fi
fi
rm -f "$T/img/"*
run inspect "$T/nope.img"
expect "inspect: missing image" 2 "mote inspect: $T/nope.img: No such file or directory"
run inspect "$T/hello.c"
expect "inspect: not an image" 2 "not a mote image (bad magic)"
head -c 8192 "$T/good1.img" >"$T/cut.img"
run inspect "$T/cut.img"
expect "inspect: truncated image" 2 "image truncated"
cp "$T/good1.img" "$T/flip.img"
meta=$(od -An -t u8 -j 24 -N 8 "$T/good1.img" | tr -d ' ')	# superblock's meta_offset
printf 'X' | dd of="$T/flip.img" bs=1 seek=$((meta + 10)) conv=notrunc 2>/dev/null
run inspect "$T/flip.img"
expect "inspect: corrupted image" 2 "checksum mismatch"
# The progress bar: on a terminal, for 32 MiB of file data or more; never on a pipe.
if command -v script >/dev/null; then
	head -c $((33 << 20)) /dev/zero >"$T/big.bin"
	script -qec "'$MOTE' build -o '$T/big.img' '$HELLO' --file '$T/big.bin:/big' --lz4" /dev/null >"$T/tty.out" 2>&1 </dev/null
	if grep -q "mote build: \[#*\] 100% 33/33 MiB" "$T/tty.out"; then pass "build: a progress bar on a terminal"
	else fail "build: a progress bar on a terminal" "$(head -c 300 "$T/tty.out")"; fi
	run build -o "$T/big.img" "$HELLO" --file "$T/big.bin:/big"
	if [ $rc = 0 ] && [ ! -s "$T/err" ]; then pass "build: no progress bar on a pipe"
	else fail "build: no progress bar on a pipe" "exit $rc: $(head -c 300 "$T/err")"; fi
	rm -f "$T/big.bin" "$T/big.img"
fi
# `mote run IMAGE`: checked on the host first, then attached as the disk named root.
err "run image: corrupted" "image $T/flip.img: image metadata checksum mismatch" "$T/flip.img"
err "run image: truncated" "image $T/cut.img: image truncated" "$T/cut.img"
err "run image: -e" "--file and -e cannot be used with an image (give them to mote build)" "$T/good1.img" -e A=1
run run --dry-run --qemu "$RECORDER" --kernel "$K" "$T/good1.img" -- x "y z"
if [ $rc = 0 ] && grep -qF -- "file=$T/good1.img,readonly=on" "$T/out" && grep -q "serial=root" "$T/out" &&
	grep -q "console=framed.* -- x \"y z\"'" "$T/out"; then pass "run image: the root disk, arguments on the command line"
else fail "run image: the root disk, arguments on the command line" "exit $rc: $(cat "$T/out" "$T/err")"; fi

# ------------------------------------------------------------- --dry-run
# dry NAME ARGS...: a dry run that must succeed; its line is in $line, words in $words.
dry() {
	local name=$1
	shift
	rm -f "$T/ran"
	run run --dry-run --qemu "$RECORDER" "$@"
	line=$(cat "$T/out")
	words=()
	eval "words=($line)" 2>/dev/null
	if [ $rc != 0 ]; then fail "dry-run: $name" "exit $rc: $(cat "$T/err")"; return 1; fi
	if [ -e "$T/ran" ]; then fail "dry-run: $name" "QEMU was started"; return 1; fi
	if [ "$(wc -l <"$T/out")" != 1 ]; then fail "dry-run: $name" "not one line"; return 1; fi
	return 0
}
# has NAME TEXT...: the dry-run line contains each TEXT (as words, space-separated).
has() {
	local name=$1 t
	shift
	for t in "$@"; do
		case " $line " in
		*" $t "*) ;;
		*) fail "dry-run: $name" "missing '$t' in: $line"; return ;;
		esac
	done
	pass "dry-run: $name"
}
lacks() {
	local name=$1 t
	shift
	for t in "$@"; do
		case " $line " in
		*"$t"*) fail "dry-run: $name" "unexpected '$t' in: $line"; return ;;
		esac
	done
	pass "dry-run: $name"
}
# word_after NAME OPT WANT: the word after OPT in the parsed line is exactly WANT.
word_after() {
	local name=$1 opt=$2 want=$3 i
	for ((i = 0; i < ${#words[@]} - 1; i++)); do
		if [ "${words[i]}" = "$opt" ]; then
			if [ "${words[i + 1]}" = "$want" ]; then pass "dry-run: $name"
			else fail "dry-run: $name" "$opt is '${words[i + 1]}', want '$want'"; fi
			return
		fi
	done
	fail "dry-run: $name" "no $opt in: $line"
}

COMMON="-nodefaults -no-user-config -nographic -no-reboot -serial stdio"
EXITDEV="-device isa-debug-exit,iobase=0xf4,iosize=0x04"

# No 8259 PIC on microvm (the kernel routes through the IOAPIC), and no PIT once the command line
# gives the TSC rate (the PIT only calibrates it): QEMU builds, and frees, fewer devices.
MOTE_TSC_KHZ=2500000 dry microvm --kernel "$K" --accel tcg --cmdline "log=debug" &&
	has "microvm machine and devices" "$RECORDER" $COMMON \
		"-M microvm,acpi=off,x-option-roms=off,pic=off,pit=off" "-accel tcg -cpu max" \
		"-m 128M" "-smp 1" "$EXITDEV" "-kernel $K" &&
	word_after "microvm: the rate on the command line" -append "log=debug tsc_khz=2500000"
MOTE_TSC_KHZ=0 dry "microvm calibrating" --kernel "$K" --accel tcg &&
	has "microvm keeps the PIT to calibrate" "-M microvm,acpi=off,x-option-roms=off,pic=off"
dry "microvm, rate given" --kernel "$K" --accel kvm --cmdline "tsc_khz=3000000" &&
	has "microvm, rate given: no PIT" "-M microvm,acpi=off,x-option-roms=off,pic=off,pit=off"
dry "default is microvm" --kernel "$K" &&
	case "$line" in *" -M microvm,acpi=off,x-option-roms=off,pic=off"*) pass "dry-run: default is microvm" ;;
	*) fail "dry-run: default is microvm" "$line" ;; esac
dry "empty cmdline" --kernel "$K" && word_after "empty cmdline" -append ""
dry q35 --hv q35 --kernel "$K" --initrd "$I" &&
	has "q35 machine, initrd" "-M q35,graphics=on" $COMMON "$EXITDEV" "-kernel $K" "-initrd $I"
MOTE_FCFIXTURE=$FIX dry fc-fixture --hv=fc-fixture --kernel "$K" --cmdline "a b" &&
	has "fc-fixture: fixture as -kernel, kernel as -initrd" \
		"-M microvm,acpi=off,x-option-roms=off" "$EXITDEV" "-kernel $FIX" "-initrd $K"
dry "disks on microvm" --kernel "$K" --disk "$I,serial=d-1" --disk "$K,ro" &&
	has "disks on microvm" "-global virtio-mmio.force-legacy=false" \
		"-drive if=none,id=disk0,format=raw,werror=report,rerror=report,file=$I" "-device virtio-blk-device,drive=disk0,serial=d-1" \
		"-drive if=none,id=disk1,format=raw,werror=report,rerror=report,file=$K,readonly=on" "-device virtio-blk-device,drive=disk1"
dry "legacy disk on microvm" --kernel "$K" --disk "$I" --virtio legacy &&
	lacks "legacy disk on microvm" "force-legacy"
dry "disk on q35" --hv q35 --kernel "$K" --disk "$I" --rng &&
	has "disk on q35" "-device virtio-blk-pci,drive=disk0,disable-legacy=on" \
		"-device virtio-rng-pci,disable-legacy=on"
dry "legacy disk on q35" --hv q35 --kernel "$K" --disk "$I" --virtio=legacy &&
	has "legacy disk on q35" "-device virtio-blk-pci,drive=disk0,disable-modern=on"
dry "no devices by default" --kernel "$K" && lacks "no devices by default" "virtio" "-drive"

# ------------------------------------------------------------- networking
# -p, --net, --ip (docs/cli.md "Networking"): the NIC, forwards and the ip= word.
USER_IP="ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off:10.0.2.3"
dry "publish on microvm" --kernel "$K" -p 28080:80 -p 0.0.0.0:28081:53/udp --cmdline log=1 -- app &&
	has "publish on microvm" "-global virtio-mmio.force-legacy=false" \
		"-netdev user,id=net0,hostfwd=tcp:127.0.0.1:28080-:80,hostfwd=udp:0.0.0.0:28081-:53" &&
	word_after "publish: ip= first, app args after" -append "$USER_IP log=1 -- app"
case "$line" in
*"-device virtio-net-device,netdev=net0,mac=52:54:00:"[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]" "*)
	pass "dry-run: publish: virtio-net-device with a 52:54:00 MAC" ;;
*) fail "dry-run: publish: virtio-net-device with a 52:54:00 MAC" "$line" ;;
esac
mac1=$(grep -o 'mac=[0-9a-f:]*' "$T/out")
dry "publish again" --kernel "$K" -p 28080:80 -p 0.0.0.0:28081:53/udp
if [ "$mac1" = "$(grep -o 'mac=[0-9a-f:]*' "$T/out")" ]; then pass "dry-run: MAC stable for the same command"
else fail "dry-run: MAC stable for the same command" "$mac1 then $(cat "$T/out")"; fi
dry "publish long form" --kernel "$K" --publish=28080:80/tcp &&
	has "publish long form" "-netdev user,id=net0,hostfwd=tcp:127.0.0.1:28080-:80"
dry "publish on q35" --hv q35 --kernel "$K" -p 28080:80 &&
	has "publish on q35" "-netdev user,id=net0,hostfwd=tcp:127.0.0.1:28080-:80"
case "$line" in *"-device virtio-net-pci,netdev=net0,mac="*",disable-legacy=on "*) pass "dry-run: virtio-net-pci modern" ;;
*) fail "dry-run: virtio-net-pci modern" "$line" ;; esac
dry "legacy net on q35" --hv q35 --virtio legacy --kernel "$K" --net user
case "$line" in *"-device virtio-net-pci,netdev=net0,mac="*",disable-modern=on "*) pass "dry-run: virtio-net-pci legacy" ;;
*) fail "dry-run: virtio-net-pci legacy" "$line" ;; esac
dry "net user alone" --kernel "$K" --net user &&
	has "net user alone" "-netdev user,id=net0" && word_after "net user: default ip=" -append "$USER_IP"
dry "net tap" --kernel "$K" --net tap &&
	has "net tap" "-netdev tap,id=net0,ifname=mote0,script=no,downscript=no" &&
	word_after "net tap: dhcp by default" -append "ip=dhcp"
dry "net tap:IF with --ip" --kernel "$K" --net tap:tap7 --ip 192.168.7.2/24,gw=192.168.7.1,dns=192.168.7.1 &&
	has "net tap:IF" "-netdev tap,id=net0,ifname=tap7,script=no,downscript=no" &&
	word_after "--ip ADDR/PREFIX,gw,dns" -append "ip=192.168.7.2::192.168.7.1:255.255.255.0::eth0:off:192.168.7.1"
dry "--ip /20 without gw" --kernel "$K" -p 28080:80 --ip 10.0.2.15/20 &&
	word_after "--ip /20 without gw" -append "ip=10.0.2.15:::255.255.240.0::eth0:off:"
dry "--ip dhcp" --kernel "$K" -p 28080:80 --ip dhcp && word_after "--ip dhcp" -append "ip=dhcp"
if [ -x "$HELLO" ]; then
	dry "publish with a program" --kernel "$K" -p 28080:80 "$HELLO" -- one &&
		word_after "publish with a program: ip= before the framed console" -append "$USER_IP console=framed quiet"
fi
dry "net none" --kernel "$K" --net none && lacks "net none" "netdev" "virtio-net" "ip="
dry "no NIC by default" --kernel "$K" && lacks "no NIC by default" "netdev" "virtio-net" "ip="

err "publish: port 0" "-p 0:80: host port '0' is not a number from 1 to 65535" -p 0:80
err "publish: guest port too big" "guest port '65536' is not a number from 1 to 65535" -p 8080:65536
err "publish: junk port" "host port 'http' is not a number" -p http:80
err "publish: one port" "want [ADDR:]HOSTPORT:GUESTPORT[/tcp|/udp]" -p 8080
err "publish: bad address" "'300.1.1.1' is not a dotted IPv4 address" -p 300.1.1.1:8080:80
err "publish: bad protocol" "unknown protocol 'sctp' (tcp or udp)" -p 8080:80/sctp
err "publish: IPv6 refused clearly" "cannot listen on an IPv6 host address" -p '[::1]:8080:80'
err "publish: duplicate host port" "host port 28080/tcp is already published" -p 28080:80 -p 28080:81
err "publish: with tap" "-p needs user networking" --net tap -p 28080:80
err "publish: with none" "-p needs user networking" --net none -p 28080:80
err "publish: foreign address" "address 192.0.2.1 is not one of this host's" -p 192.0.2.1:28080:80
err "net: unknown" "--net: unknown network 'bridge'" --net bridge
err "net: bad tap name" "is not an interface name" --net tap:a/b
err "ip: without a NIC" "--ip needs a network card" --ip 10.0.2.15/24
err "ip: no prefix" "want ADDR/PREFIX" --net user --ip 10.0.2.15
err "ip: prefix 33" "prefix '33' is not a number from 1 to 32" --net user --ip 10.0.2.15/33
err "ip: bad address" "'10.0.2' is not a dotted IPv4 address" --net user --ip 10.0.2/24
err "ip: bad word" "'gw=x' is not gw=IPv4 or dns=IPv4" --net user --ip 10.0.2.15/24,gw=x
# A host port something already listens on is refused before QEMU starts.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/port" &
busy_pid=$!
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
busy=$(cat "$T/port")
err "publish: port in use" "-p: port $busy is in use (tcp 127.0.0.1 on this host)" -p "$busy:80"
kill "$busy_pid" 2>/dev/null; wait "$busy_pid" 2>/dev/null
cp "$K" "$T/bin/kernel.elf"
printf 'fixture\n' >"$T/bin/fcfixture.elf"
(cd / && "$T/bin/mote" run --dry-run --qemu "$RECORDER" --hv fc-fixture >"$T/out" 2>"$T/err"); rc=$?
line=$(cat "$T/out")
[ $rc = 0 ] && has "defaults beside the binary" "-kernel $T/bin/fcfixture.elf" "-initrd $T/bin/kernel.elf" ||
	fail "dry-run: defaults beside the binary" "exit $rc: $(cat "$T/err")"
cp "$K" "$T/other.elf"
MOTE_KERNEL=$T/other.elf dry "MOTE_KERNEL" && has "MOTE_KERNEL" "-kernel $T/other.elf"
dry "--kernel beats MOTE_KERNEL" --kernel "$K" && has "--kernel beats MOTE_KERNEL" "-kernel $K"
MOTE_QEMU=$FAKE run run --dry-run --kernel "$K"; line=$(cat "$T/out")
[ $rc = 0 ] && has "MOTE_QEMU" "$FAKE -nodefaults" || fail "dry-run: MOTE_QEMU" "exit $rc"
mkdir -p "$T/path"; cp "$FAKE" "$T/path/qemu-system-x86_64"
PATH=$T/path:$PATH run run --dry-run --kernel "$K"; line=$(cat "$T/out")
[ $rc = 0 ] && has "qemu found in PATH" "$T/path/qemu-system-x86_64" ||
	fail "dry-run: qemu found in PATH" "exit $rc"

# With a program: the bundle is the -initrd (kept for a dry run), the console framed.
dry "program" --kernel "$K" "$HELLO" -- one "two words" 'q"uote' &&
	word_after "program: framed console, quiet log" -append "console=framed quiet" &&
	bundle=$(for ((i = 0; i < ${#words[@]} - 1; i++)); do [ "${words[i]}" = -initrd ] && echo "${words[i + 1]}"; done)
case "${bundle-}" in
"$T/bt/mote-bundle."*)
	if [ "$(head -c 8 "$bundle")" = MOTEBNDL ] && grep -qa 'two words' "$bundle" && grep -qa 'q"uote' "$bundle" &&
	   grep -qa '/app/hello' "$bundle" && grep -qa 'HOSTNAME=mote' "$bundle"; then
		pass "dry-run: program bundle kept, with argv, env and /app/hello"
	else fail "dry-run: program bundle kept, with argv, env and /app/hello" "$(od -c "$bundle" | head -3)"; fi
	rm -f "$bundle" ;;
*) fail "dry-run: program bundle in TMPDIR" "initrd '${bundle-}'" ;;
esac
dry "program strace" --kernel "$K" --cmdline "x=1" --strace "$HELLO" &&
	word_after "program: --strace and --cmdline" -append "x=1 console=framed strace quiet"
dry "program verbose" --kernel "$K" --verbose "$HELLO" &&
	word_after "program: --verbose keeps the whole log" -append "console=framed"
# A program's console goes on through a virtio console on fd 3 (a socket pair with mote).
dry "program console" --kernel "$K" "$HELLO" &&
	has "program: virtio console on fd 3" "-chardev socket,id=mote-con,fd=3" \
		"-device virtio-serial-device,max_ports=2" "-device virtserialport,chardev=mote-con,nr=1" \
		"-global virtio-mmio.force-legacy=false"
dry "program console q35" --kernel "$K" --hv q35 "$HELLO" &&
	has "program: q35 virtio console on PCI" "-device virtio-serial-pci,max_ports=2,disable-legacy=on"
dry "program serial console" --kernel "$K" --console serial "$HELLO" &&
	lacks "program: --console serial, no virtio console" -chardev virtio-serial-device virtserialport
dry "no program, no console device" --kernel "$K" &&
	lacks "no program: no virtio console" -chardev virtio-serial-device virtserialport
run run --qemu "$RECORDER" --kernel "$K" --console hvc "$HELLO"
expect "--console hvc refused" 2 "--console: unknown console 'hvc' (use virtio or serial)"
rm -f "$T"/bt/mote-bundle.*
dry "no exit device" --kernel "$K" --no-exit-device && lacks "no exit device" isa-debug-exit
dry gdb --kernel "$K" --gdb && has gdb "-s -S"
if [ "$(grep -c . "$T/err")" = 0 ]; then pass "dry-run: gdb hint only when running"
else fail "dry-run: gdb hint only when running" "$(cat "$T/err")"; fi
dry kvm --kernel "$K" --accel kvm && has kvm "-accel kvm -cpu host"
dry tcg --kernel "$K" --accel=tcg && has tcg "-accel tcg -cpu max"
# (Test for existence first: the shell's <> would create a missing /dev/kvm.)
if [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null; then want_accel="-accel kvm -cpu host"; else want_accel="-accel tcg -cpu max"; fi
dry "default accel" --kernel "$K" && has "default accel follows /dev/kvm" "$want_accel"

for m in "64M 64M" "2G 2048M" "512 512M" "1536K 1536K" "1T 1048576M" "1g 1024M" "2m 2M"; do
	set -- $m
	dry "-m $1" --kernel "$K" -m "$1" && has "-m $1 gives -m $2" "-m $2"
done
dry "-m=SIZE form" --kernel "$K" -m=256M && has "-m=SIZE form" "-m 256M"
dry "--smp=N form" --kernel "$K" --smp=4 && has "--smp=N form" "-smp 4"
dry "smp 255" --kernel "$K" --smp 255 && has "smp 255" "-smp 255"
dry "--cmdline=TEXT form" --kernel "$K" --cmdline=x=1 && word_after "--cmdline=TEXT form" -append "x=1"

dry "app args" --kernel "$K" --cmdline "log=1" -- app -v --flag &&
	word_after "app args after ' -- '" -append "log=1 -- app -v --flag"
dry "app args, no cmdline" --kernel "$K" -- a b && word_after "app args, no cmdline" -append "-- a b"
dry "app args with spaces" --kernel "$K" -- "two words" "" x &&
	word_after "app args with spaces are double-quoted" -append '-- "two words" "" x'
dry "options after -- are app args" --kernel "$K" -- --smp 9 && has "options after -- are app args" "-smp 1"
dry "shell quoting" --kernel "$K" --cmdline "it's \$HOME *; \"q\"" &&
	word_after "shell quoting round-trips" -append "it's \$HOME *; \"q\""

# ------------------------------------------------------ the host's TSC rate
# Under TCG, tsc_khz=<the host's rate> joins the kernel command line (before
# any " -- "), measured once per host boot and cached as "BOOT_ID KHZ".
BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)
TSC_CACHE=$T/tsc-cache
tsc_dry() {	# tsc_dry NAME ARGS...: a dry run with the measured rate in play
	(unset MOTE_TSC_KHZ; MOTE_CACHE_DIR=$TSC_CACHE dry "$@")
}
tsc_words() {	# the tsc_khz= words of the -append of $T/out
	grep -oE "tsc_khz=[0-9]+" "$T/out" | tr '\n' ' '
}
if grep -q '^flags.* constant_tsc' /proc/cpuinfo; then
	rm -rf "$TSC_CACHE"
	tsc_dry "tsc rate" --kernel "$K" --accel tcg --cmdline "log=1" -- app
	khz=$(sed -n 's/.*-append .*tsc_khz=\([0-9]*\) -- app.*/\1/p' "$T/out")
	if [ -n "$khz" ] && [ "$khz" -ge 1000 ] && [ "$khz" -le 100000000 ] &&
	   grep -q "log=1 tsc_khz=$khz -- app" "$T/out"; then pass "TSC rate: measured, before ' -- '"
	else fail "TSC rate: measured, before ' -- '" "$(grep -o -- '-append.*' "$T/out")"; fi
	if [ "$(cat "$TSC_CACHE/tsc-khz" 2>/dev/null)" = "$BOOT_ID $khz" ]; then pass "TSC rate: cached with the boot ID"
	else fail "TSC rate: cached with the boot ID" "cache holds '$(cat "$TSC_CACHE/tsc-khz" 2>&1)'"; fi
	echo "$BOOT_ID 1234567" >"$TSC_CACHE/tsc-khz"
	tsc_dry "tsc rate" --kernel "$K" --accel tcg
	if [ "$(tsc_words)" = "tsc_khz=1234567 " ]; then pass "TSC rate: this boot's cached rate is used"
	else fail "TSC rate: this boot's cached rate is used" "got '$(tsc_words)'"; fi
	for stale in "another-boot 1234567" "garbage" "$BOOT_ID 12" "$BOOT_ID 1234567x" ""; do
		printf '%s\n' "$stale" >"$TSC_CACHE/tsc-khz"
		tsc_dry "tsc rate" --kernel "$K" --accel tcg
		if [ "$(tsc_words)" = "tsc_khz=$khz " ] || { w=$(tsc_words); w=${w#tsc_khz=}; w=${w% };
		   [ -n "$w" ] && [ $((w > khz ? w - khz : khz - w)) -le $((khz / 1000)) ]; } &&
		   grep -q "^$BOOT_ID [0-9]*$" "$TSC_CACHE/tsc-khz"; then
			pass "TSC rate: a cache of '${stale//$BOOT_ID/BOOT_ID}' is measured again"
		else fail "TSC rate: a cache of '${stale//$BOOT_ID/BOOT_ID}' is measured again" "got '$(tsc_words)', cache '$(cat "$TSC_CACHE/tsc-khz")'"; fi
	done
else
	echo "PASS TSC rate: (this host has no constant_tsc: nothing is measured)"
fi
tsc_dry "tsc rate" --kernel "$K" --accel tcg --cmdline "tsc_khz=5 x=1"
if [ "$(tsc_words)" = "tsc_khz=5 " ]; then pass "TSC rate: the user's tsc_khz= wins"
else fail "TSC rate: the user's tsc_khz= wins" "got '$(tsc_words)'"; fi
tsc_dry "tsc rate" --kernel "$K" --accel kvm
if [ -z "$(tsc_words)" ]; then pass "TSC rate: none under KVM (kvmclock tells the kernel)"
else fail "TSC rate: none under KVM (kvmclock tells the kernel)" "got '$(tsc_words)'"; fi
(unset MOTE_TSC_KHZ; MOTE_CACHE_DIR=/proc/no/such/dir dry "tsc rate" --kernel "$K" --accel tcg)
if [ -z "$(tsc_words)" ]; then pass "TSC rate: no cache directory, none passed (the kernel calibrates)"
else fail "TSC rate: no cache directory, none passed (the kernel calibrates)" "got '$(tsc_words)'"; fi
MOTE_TSC_KHZ=3000000 dry "tsc rate" --kernel "$K" --accel tcg -- a
word_after "TSC rate: \$MOTE_TSC_KHZ overrides" -append "tsc_khz=3000000 -- a"
for bad in abc 12 -5 99999999999 "2000000 "; do
	MOTE_TSC_KHZ=$bad run run --qemu "$RECORDER" --kernel "$K" --accel tcg
	expect "TSC rate: MOTE_TSC_KHZ='$bad' refused" 2 "MOTE_TSC_KHZ=$bad: want the TSC rate in kHz"
done

# ------------------------------------------------------ the exit status
# status NAME WANT [STDERR-SUBSTRING]: run the fake QEMU (behaviour in FAKE_*).
status() {
	run run --qemu "$FAKE" --kernel "$K"
	expect "status: $1" "$2" "${3-}"
}
FAKE_OUT='boot\nmote: power off, status 42\n' status "marker" 42
FAKE_OUT='mote: power off, status 42\r\n' status "marker with CRLF" 42
FAKE_OUT='mote: power off, status 0\n' FAKE_EXIT=1 FAKE_ERR='noise\n' status "marker beats qemu failure" 0
FAKE_OUT='mote: power off, status 3\n' FAKE_EXIT=9 status "marker beats debug-exit" 3
FAKE_OUT='mote: power off, status 5\nmote: power off, status 6\n' status "last marker wins" 6
FAKE_OUT='mote: power off, status 255\n' status "marker 255" 255
FAKE_OUT='mote: power off, status 9' status "marker at EOF without newline" 9
FAKE_OUT='mote: power off, status 256\n' FAKE_EXIT=9 status "marker 256 is not a marker" 4
FAKE_OUT='mote: power off, status 1x\n' FAKE_EXIT=9 status "marker junk is not a marker" 4
FAKE_OUT='mote: power off, status \n' FAKE_EXIT=9 status "marker without N" 4
FAKE_OUT='> mote: power off, status 5\n' FAKE_EXIT=9 status "marker must start the line" 4
FAKE_OUT='mote: power off, status 5 \n' FAKE_EXIT=9 status "marker must end the line" 4
FAKE_ERR='mote: power off, status 5\n' FAKE_EXIT=9 status "marker on stderr is ignored" 4
FAKE_EXIT=9 status "debug-exit 4" 4
FAKE_EXIT=3 status "debug-exit 1" 1
FAKE_EXIT=255 status "debug-exit 127" 127
FAKE_EXIT=9 FAKE_ERR='warning: something\n' status "debug-exit despite stderr" 4
FAKE_EXIT=0 status "clean exit 0" 0
FAKE_EXIT=1 status "exit 1 without stderr is 0" 0
FAKE_EXIT=1 FAKE_ERR='qemu: bad option\n' status "exit 1 with stderr is a failure" 125 \
	"mote run: qemu exited with status 1"
FAKE_EXIT=0 FAKE_ERR='qemu: odd\n' status "exit 0 with stderr is a failure" 125 \
	"qemu exited with status 0"
FAKE_EXIT=2 status "even status is a failure" 125 "qemu exited with status 2"
FAKE_SIG=KILL status "killed by SIGKILL" 137
FAKE_SIG=SEGV status "killed by SIGSEGV" 139
FAKE_ERR='qemu: fatal\n' run run --qemu "$FAKE" --kernel "$K"
if [ "$(head -n1 "$T/err")" = "qemu: fatal" ]; then pass "qemu stderr forwarded"
else fail "qemu stderr forwarded" "stderr: $(cat "$T/err")"; fi

FAKE_EXIT=9 run run --qemu "$FAKE" --kernel "$K" --gdb
expect "gdb: prints how to attach" 4 "gdb $K -ex 'target remote :1234'"

# The marker split across writes must still be seen.
SPLIT=$T/split-qemu
printf '#!/bin/sh\nprintf "mote: power "; sleep 0.2; printf "off, status 1"; sleep 0.2; printf "1\\r"; sleep 0.2; printf "\\n"\n' >"$SPLIT"
chmod +x "$SPLIT"
run run --qemu "$SPLIT" --kernel "$K"
expect "status: marker split across reads" 11

# ------------------------------------------- the framed console, faked
# rec STREAM TEXT: one console record (include/abi/console.h) on stdout.
rec() { local n=${#2}; printf "\\365\\$(printf %03o "$1")\\$(printf %03o $((n & 255)))\\$(printf %03o $((n >> 8)))"; printf '%s' "$2"; }
{ printf 'firmware\n'; rec 0 "booting"$'\n'; rec 1 "out1 "; rec 2 "err1"; rec 1 "mote: power off, status 9"$'\n'
  rec 0 "mote: power off, status 6"$'\n'; } >"$T/framed.bin"
FAKE_CAT=$T/framed.bin MOTE_QEMU=$FAKE "$MOTE" run "$HELLO" --kernel "$K" --log "$T/fake.log" </dev/null >"$T/out" 2>"$T/err"; rc=$?
if [ $rc = 6 ] && [ "$(cat "$T/out")" = "out1 mote: power off, status 9" ] && [ "$(cat "$T/err")" = err1 ]; then
	pass "framed: streams apart, the marker only from the log"
else fail "framed: streams apart, the marker only from the log" "exit $rc, out '$(cat "$T/out")', err '$(cat "$T/err")'"; fi
if [ "$(cat "$T/fake.log")" = "$(printf 'firmware\nbooting\nmote: power off, status 6')" ]; then pass "framed: --log holds raw bytes and log records"
else fail "framed: --log holds raw bytes and log records" "$(cat "$T/fake.log")"; fi
{ rec 0 "line before"$'\n'; rec 1 "x"; printf '\365\000\000\000'; rec 0 "mote: panic: oops"$'\n'; } >"$T/fatal.bin"
FAKE_CAT=$T/fatal.bin FAKE_EXIT=251 MOTE_QEMU=$FAKE "$MOTE" run "$HELLO" --kernel "$K" </dev/null >"$T/out" 2>"$T/err"; rc=$?
if [ $rc = 125 ] && [ "$(cat "$T/err")" = "$(printf 'line before\nmote: panic: oops')" ]; then
	pass "framed: the fatal mark shows the log tail and the rest"
else fail "framed: the fatal mark shows the log tail and the rest" "exit $rc, err '$(cat "$T/err")'"; fi
FAKE_CAT=$T/framed.bin MOTE_QEMU=$FAKE "$MOTE" run "$HELLO" --kernel "$K" --verbose </dev/null >"$T/out" 2>"$T/err"; rc=$?
if [ $rc = 6 ] && grep -q '^booting$' "$T/err" && grep -q err1 "$T/err"; then pass "framed: --verbose shows the log on stderr"
else fail "framed: --verbose shows the log on stderr" "exit $rc, err '$(cat "$T/err")'"; fi
if [ -z "$(ls "$T/bt")" ]; then pass "framed: the bundle is removed after the run"
else fail "framed: the bundle is removed after the run" "$(ls "$T/bt")"; fi

# ------------------------------------------------------ byte-exact output
BLOB=$T/blob
{ for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done; head -c 300000 /dev/urandom; printf 'tail\r\n\0'; } >"$BLOB"
FAKE_CAT=$BLOB FAKE_EXIT=9 run run --qemu "$FAKE" --kernel "$K"
if [ $rc = 4 ] && cmp -s "$BLOB" "$T/out"; then pass "stdout forwarded byte for byte"
else fail "stdout forwarded byte for byte" "exit $rc; $(cmp "$BLOB" "$T/out" 2>&1)"; fi
FAKE_CAT_ERR=$BLOB FAKE_EXIT=9 run run --qemu "$FAKE" --kernel "$K"
if [ $rc = 4 ] && cmp -s "$BLOB" "$T/err"; then pass "stderr forwarded byte for byte"
else fail "stderr forwarded byte for byte" "exit $rc; $(cmp "$BLOB" "$T/err" 2>&1)"; fi

# Output arrives as it is written, not when a line or the run ends.
SLOW=$T/slow-qemu
printf '#!/bin/sh\nprintf "partial"\nsleep 3\nexit 9\n' >"$SLOW"; chmod +x "$SLOW"
"$MOTE" run --qemu "$SLOW" --kernel "$K" >"$T/out" 2>/dev/null &
pid=$!
sleep 1
if [ "$(cat "$T/out")" = partial ]; then pass "output is not buffered"
else fail "output is not buffered" "after 1 s stdout is '$(cat "$T/out")'"; fi
wait $pid

# A reader that goes away (| head) must not kill mote or hang QEMU.
FAKE_CAT=$BLOB FAKE_EXIT=9 "$MOTE" run --qemu "$FAKE" --kernel "$K" 2>/dev/null | head -c 10 >/dev/null
rc=${PIPESTATUS[0]}
if [ "$rc" = 4 ]; then pass "closed stdout: still exits with the guest's status"
else fail "closed stdout: still exits with the guest's status" "exit $rc"; fi

# --------------------------------------------------- timeout and signals
SLEEPER=$T/sleeper
printf '#!/bin/sh\nprintf "started\\n"\nexec sleep 30\n' >"$SLEEPER"; chmod +x "$SLEEPER"
start=$(date +%s%N)
run run --qemu "$SLEEPER" --kernel "$K" --timeout 1
ms=$((($(date +%s%N) - start) / 1000000))
expect "timeout: exit 124" 124 "mote: timed out after 1 s"
if [ $ms -lt 5000 ]; then pass "timeout: within time (${ms} ms)"; else fail "timeout: within time" "${ms} ms"; fi
if grep -q started "$T/out"; then pass "timeout: output before it kept"; else fail "timeout: output before it kept" "stdout: $(cat "$T/out")"; fi
FAKE_EXIT=9 run run --qemu "$FAKE" --kernel "$K" --timeout 5
expect "timeout: not hit, guest status" 4
FAKE_EXIT=9 run run --qemu "$FAKE" --kernel "$K" --timeout=0
expect "timeout: 0 means none" 4

# A QEMU that reports the signal mote forwards, then exits 0 as QEMU does.
TRAPPER=$T/trapper
cat >"$TRAPPER" <<EOF
#!/bin/sh
trap 'echo got TERM; exit 0' TERM
trap 'echo got HUP; exit 0' HUP
: >"$T/ready"
while :; do sleep 0.05; done
EOF
chmod +x "$TRAPPER"
for sig in TERM HUP; do
	rm -f "$T/ready"
	"$MOTE" run --qemu "$TRAPPER" --kernel "$K" >"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.05; done
	kill -s $sig $pid
	wait $pid
	rc=$?
	want=$((128 + $(kill -l $sig)))
	if [ $rc = $want ] && grep -q "got $sig" "$T/out"; then pass "signal: SIG$sig forwarded, exit $want"
	else fail "signal: SIG$sig forwarded, exit $want" "exit $rc, stdout '$(cat "$T/out")'"; fi
done

# --------------------------------------------- the real QEMU and a fixture
# Proves each machine's command line is one the installed QEMU accepts and
# boots, and that the exit device and the marker work end to end.
if ! command -v qemu-system-x86_64 >/dev/null; then
	fail "qemu: installed" "qemu-system-x86_64 not in PATH"
elif ! fixture -DSTATUS=4 -o "$T/exit4.elf" || ! fixture -DSTATUS=0 -DMARKER -o "$T/marker.elf"; then
	fail "qemu: fixture builds" "$(cat "$T/gcc.err")"
else
	for hv in microvm q35; do
		run run --hv $hv --kernel "$T/exit4.elf" --timeout 30
		expect "qemu: $hv boots, debug-exit 4" 4
		run run --hv $hv --kernel "$T/marker.elf" --timeout 30
		expect "qemu: $hv boots, marker 7" 7
		if grep -q "^hello from the fixture" "$T/out"; then pass "qemu: $hv serial on stdout, nothing before"
		else fail "qemu: $hv serial on stdout, nothing before" "stdout: $(head -c 300 "$T/out" | od -c | head -5)"; fi
	done
	# The fixture stands in for fcfixture.elf: QEMU must accept the pair.
	MOTE_FCFIXTURE=$T/exit4.elf run run --hv fc-fixture --kernel "$T/marker.elf" --timeout 30
	expect "qemu: fc-fixture command line boots" 4
	run run --kernel "$T/exit4.elf" --initrd "$I" --smp 2 -m 2M --cmdline "a b" --timeout 30 -- x y
	expect "qemu: initrd, smp, memory, cmdline accepted" 4
	run run --kernel "$T/exit4.elf" --no-exit-device --timeout 1
	expect "qemu: --no-exit-device omits the device" 124
fi

# ------------------------- the framed console end to end: console.selftest
# The kernel's console.selftest app writes the 256 byte values 17 times to
# stdout, once to stderr, then echoes stdin until its EOF record.
KERNEL=$ROOT/build/kernel.elf
if [ ! -f "$KERNEL" ]; then
	fail "console: kernel" "$KERNEL missing (make)"
elif command -v qemu-system-x86_64 >/dev/null; then
	ALL=$T/all256
	for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done >"$ALL"
	for i in $(seq 17); do cat "$ALL"; done >"$T/pattern"
	{ cat "$ALL"; head -c 20000 /dev/urandom; printf '\365\000\000\000 end\n'; } >"$T/stdin.bin"
	cat "$T/pattern" "$T/stdin.bin" >"$T/want"
	for hv in microvm q35 "microvm --console serial"; do
		"$MOTE" run --hv $hv --kernel "$KERNEL" --timeout 120 "$HELLO" --cmdline console.selftest=7 \
			--log "$T/con.log" <"$T/stdin.bin" >"$T/out" 2>"$T/err"; rc=$?
		if [ $rc = 7 ] && cmp -s "$T/want" "$T/out"; then pass "console: $hv stdout byte for byte, stdin echoed to EOF"
		else fail "console: $hv stdout byte for byte, stdin echoed to EOF" "exit $rc; $(cmp "$T/want" "$T/out" 2>&1); $(tail -c 300 "$T/err")"; fi
		if cmp -s "$ALL" "$T/err"; then pass "console: $hv stderr apart, no log on it"
		else fail "console: $hv stderr apart, no log on it" "$(head -c 300 "$T/err" | od -c | head -3)"; fi
		if grep -q "^console.selftest: echoed 20265 bytes, read ended with 0$" "$T/con.log" &&
		   grep -q "^mote: power off, status 7$" "$T/con.log" && grep -Eq "^cmdline: console.selftest=7 console=framed( virtio_mmio.device=[^ ]+)*$" "$T/con.log" &&
		   ! LC_ALL=C grep -q $'\xf5' "$T/con.log"; then
			pass "console: $hv --log has the kernel log"
		else fail "console: $hv --log has the kernel log" "$(tail -5 "$T/con.log")"; fi
	done
	"$MOTE" run --kernel "$KERNEL" --timeout 120 "$HELLO" --cmdline console.selftest --verbose </dev/null >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc = 0 ] && cmp -s "$T/pattern" "$T/out" && grep -qa "^mote 0.1.0 " "$T/err" && grep -qa "echoed 0 bytes" "$T/err"; then
		pass "console: --verbose puts the log on stderr; empty stdin is an immediate EOF"
	else fail "console: --verbose puts the log on stderr; empty stdin is an immediate EOF" "exit $rc: $(tail -3 "$T/err")"; fi
	"$MOTE" run --kernel "$KERNEL" --timeout 120 "$HELLO" --cmdline debug.crash=panic </dev/null >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc = 125 ] && grep -q "^mote: panic: debug.crash=panic$" "$T/err" && grep -q "crashing on purpose" "$T/err" && [ ! -s "$T/out" ]; then
		pass "console: a panic is shown without --verbose"
	else fail "console: a panic is shown without --verbose" "exit $rc: $(head -3 "$T/err")"; fi
	"$MOTE" run --kernel "$KERNEL" --timeout 120 "$HELLO" --cmdline 'a="open' </dev/null >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc = 125 ] && grep -q "^mote: boot failed: bad command line" "$T/err"; then
		pass "console: a boot failure is shown without --verbose"
	else fail "console: a boot failure is shown without --verbose" "exit $rc: $(head -3 "$T/err")"; fi
	"$MOTE" run --kernel "$KERNEL" --timeout 120 "$HELLO" </dev/null >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc = 3 ] && [ "$(cat "$T/out")" = hi ] && [ ! -s "$T/err" ]; then
		pass "console: the program's output and status, nothing from the kernel"
	else fail "console: the program's output and status, nothing from the kernel" "exit $rc: $(head -3 "$T/err")"; fi
	# A terminal on stdin is not read without -i: the program sees the end at once.
	if command -v script >/dev/null; then
		script -qec "'$MOTE' run --kernel '$KERNEL' --timeout 120 '$HELLO' --cmdline console.selftest --log '$T/tty.log' >/dev/null 2>&1" /dev/null >/dev/null </dev/null
		if grep -q "echoed 0 bytes, read ended with 0" "$T/tty.log"; then pass "console: a terminal stdin is not forwarded without -i"
		else fail "console: a terminal stdin is not forwarded without -i" "$(tail -2 "$T/tty.log")"; fi
	fi
	if [ -z "$(ls "$T/bt")" ]; then pass "console: no bundle left behind"
	else fail "console: no bundle left behind" "$(ls "$T/bt")"; fi
fi

echo "test-cli: $failures failed"
[ $failures = 0 ]
