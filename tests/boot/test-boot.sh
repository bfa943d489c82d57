#!/bin/bash
# Boot tests: each case boots build/kernel.elf through `mote run` under a
# timeout and passes when the exit status and every expected line of the
# serial output match; a case that runs kernel self-tests (--selftest,
# selftest=) boots build/kernel-test.elf, the kernel that has them. One
# `PASS name` / `FAIL name: why` line per case.
# Usage: tests/boot/test-boot.sh [name-filter]
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MOTE=${MOTE:-$BUILD/mote}
TIMEOUT=${BOOT_TIMEOUT:-60}
filter=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# expect NAME STATUS "mote run args" [regex...]: the regexes are matched (grep -E) in order of
# appearance-independent lines of the output; a regex starting with ! must not match.
expect() {
	local name=$1 want=$2 args=$3
	shift 3
	[[ -n $filter && $name != *$filter* ]] && return
	local out=$work/$name.out status why="" kernel=""
	[[ " $args" =~ [\ \'](--)?selftest && $args != *--kernel* ]] && kernel="--kernel $BUILD/kernel-test.elf"
	eval "$MOTE run $kernel --timeout $TIMEOUT $args" >"$out" 2>&1 </dev/null
	status=$?
	[[ $status == "$want" ]] || why="exit status $status, want $want"
	for re in "$@"; do
		[[ -n $why ]] && break
		if [[ $re == !* ]]; then
			grep -Eq -- "${re#!}" "$out" && why="output matches '${re#!}'"
		else
			grep -Eq -- "$re" "$out" || why="no line matches '$re'"
		fi
	done
	if [[ -z $why ]]; then
		echo "PASS boot-$name"
	else
		echo "FAIL boot-$name: $why"
		grep -E "^ktest: (FAIL|  )|exception|panic" "$out" | head -20 | sed 's/^/    | /'
		# The kernel's log lines apart from the self-tests' repeats, then the whole output kept.
		grep -v "^ktest:   also " "$out" | sed 's/^/    | /' | tail -40
		mkdir -p "$BUILD/boot-failures" && cp "$out" "$BUILD/boot-failures/$name.out" &&
			echo "    | whole output: $BUILD/boot-failures/$name.out"
	fi
}

banner=("^mote [0-9]+\.[0-9]+\.[0-9]+ \(git [0-9a-f]+" "^cmdline: " "^memory map:" "usable$" "^cpus: [0-9]+ " "^mote: power off, status 0$")

# The banner app on every machine and boot path.
expect microvm 0 "--hv microvm" "${banner[@]}" "booted via PVH" "virtio-mmio|cpus: 1 \(MP table\)"
expect q35 0 "--hv q35" "${banner[@]}" "booted via PVH" "cpus: 1 \(ACPI MADT\)" "!SeaBIOS"
expect firecracker 0 "--hv fc-fixture" "${banner[@]}" "booted via the Linux 64-bit boot protocol" \
	"cpus: 1 \(MP table\)"
expect cmdline-shown 0 "--cmdline 'flag answer=42 msg=\"a b\"' -- app one 'two three'" \
	'^cmdline: flag answer=42 msg="a b"( tsc_khz=[0-9]+)? -- app one "two three"$' "^application arguments: app one two three$"

expect devices-after-app-args 0 "--cmdline 'virtio_mmio.device=4K@0xd0000000:5:3' -- app virtio_mmio.device=512@0xfeb00e00:12" \
	"^virtio-mmio 3: 0xd0000000, 0x1000 bytes, irq 5$" "^virtio-mmio 1: 0xfeb00e00, 0x200 bytes, irq 12$" \
	"^application arguments: app$"

# CPUs from each firmware table, all started.
expect microvm-smp4 0 "--hv microvm --smp 4" "^cpus: 4 \(MP table\), 4 online, APIC ids 0 1 2 3$"
expect microvm-smp16 0 "--hv microvm --smp 16" "^cpus: 16 \(MP table\), 16 online, "
expect q35-smp4 0 "--hv q35 --smp 4" "^cpus: 4 \(ACPI MADT\), 4 online, APIC ids 0 1 2 3$"
expect q35-smp16 0 "--hv q35 --smp 16" "^cpus: 16 \(ACPI MADT\), 16 online, "
expect firecracker-smp2 0 "--hv fc-fixture --smp 2 --cmdline fixture.cpus=2" "^cpus: 2 \(MP table\), 2 online"
# A CPU the firmware lists but that never starts is reported and left out, not waited on.
expect missing-cpus 0 "--hv fc-fixture --smp 2 --cmdline fixture.cpus=4" \
	"^mote: cpu 2 \(APIC id 2\) did not start; continuing without it$" \
	"^mote: cpu 3 \(APIC id 3\) did not start; continuing without it$" "^cpus: 4 \(MP table\), 2 online"

# Memory: the floor, and a large guest (above the 4 GiB hole on q35).
expect microvm-2m 0 "--hv microvm -m 2M" "^memory: [0-9]+ KiB usable" "power off, status 0"
expect q35-6g 0 "--hv q35 -m 6G" "0x0*100000000-0x0*1[0-9a-f]{8} usable"

# Self-tests, bootchart.
expect selftest-microvm 0 "--hv microvm --cmdline --selftest" "^ktest: [1-9][0-9]* passed, 0 failed$" "!ktest: FAIL"
# The kernel that ships has no self-tests, and says so rather than pass with none.
expect selftest-shipped-kernel 1 "--kernel $BUILD/kernel.elf --cmdline --selftest" \
	"^ktest: this kernel has no self-tests; they are in kernel-test.elf" "!ktest: [0-9]+ passed"
expect selftest-q35 0 "--hv q35 --cmdline --selftest" "^ktest: [1-9][0-9]* passed, 0 failed$"
expect selftest-smp2 0 "--smp 2 --cmdline --selftest" "^ktest: PASS smp_every_cpu_answers_an_ipi$" \
	"^ktest: PASS sched_spreads_work$" "^ktest: PASS sched_affinity_self$" "^ktest: [1-9][0-9]* passed, 0 failed$"
# Four vCPUs on a two-core host under TCG run the whole suite slowly (about a minute when
# the host is busy): these get more time than the default.
slow="--timeout 240"
expect selftest-smp4 0 "$slow --smp 4 --cmdline --selftest" "^ktest: PASS smp_every_cpu_answers_an_ipi$" \
	"^ktest: PASS sched_spreads_work$" "^ktest: PASS mutex_contention$" "^ktest: [1-9][0-9]* passed, 0 failed$"
# TLB shootdown on its own (the stress part hangs if spinning CPUs stop serving requests).
expect selftest-tlb-smp2 0 "--smp 2 --cmdline selftest=tlb" "^ktest: PASS tlb_shootdown_reaches_other_cpu$" \
	"^ktest: PASS tlb_shootdown_stress$" "^ktest: 2 passed, 0 failed$"
expect selftest-tlb-q35-smp4 0 "--hv q35 --smp 4 --cmdline selftest=tlb" "^ktest: PASS tlb_shootdown_reaches_other_cpu$" \
	"^ktest: PASS tlb_shootdown_stress$" "^ktest: 2 passed, 0 failed$"
# The threads and locking self-tests with the lock-order checker on, on one CPU and on four.
expect selftest-locks 0 "--cmdline 'selftest=thread debug.locks=1'" "^ktest: PASS thread_churn_no_leak$" "^ktest: [1-9][0-9]* passed, 0 failed$"
expect selftest-locks-smp4 0 "$slow --smp 4 --cmdline '--selftest debug.locks=1'" "^ktest: [1-9][0-9]* passed, 0 failed$" "!lock order"
expect selftest-q35-smp4 0 "$slow --hv q35 --smp 4 --cmdline --selftest" "^ktest: [1-9][0-9]* passed, 0 failed$"
expect selftest-firecracker 0 "--hv fc-fixture --cmdline --selftest" "^ktest: [1-9][0-9]* passed, 0 failed$"
expect selftest-filter 0 "--cmdline selftest=symbol" "^ktest: PASS symbol_lookup$" "^ktest: 1 passed, 0 failed$"
expect bootchart 0 "--cmdline --bootchart" "^bootchart: main [0-9]+\.[0-9]{3}$" \
	"^bootchart: sched [0-9]+\.[0-9]{3}$" "^bootchart: app [0-9]+\.[0-9]{3}$" \
	"^bootchart: firmware [0-9]+\.[0-9]{3}$" "^bootchart: total [0-9]+\.[0-9]{3}$"

# The cycle counter's rate. Under TCG mote passes the host's (tsc_khz=); without
# it the kernel calibrates against the PIT, which must agree with the host's
# own measurement (build/linux/tsc-khz) to 0.5%: it once read 2% low under TCG.
MOTE_TSC_KHZ=2500000 expect tsc-given 0 "--cmdline --bootchart" "^cmdline: --bootchart tsc_khz=2500000$" \
	"^bootchart: cycle counter at 2500000 kHz$"
if [[ -z $filter || tsc-pit-calibration == *$filter* ]]; then
	host_khz=$("$BUILD/linux/tsc-khz") why=""
	for i in 1 2 3; do
		khz=$(MOTE_TSC_KHZ=0 "$MOTE" run --timeout "$TIMEOUT" --cmdline --bootchart </dev/null |
		      sed -n 's/^bootchart: cycle counter at \([0-9]*\) kHz$/\1/p')
		if [[ -z $khz || -z $host_khz ]]; then why="no rate (kernel '$khz', host '$host_khz')"; break; fi
		off=$(( (khz > host_khz ? khz - host_khz : host_khz - khz) * 1000 / host_khz ))
		(( off <= 5 )) || { why="run $i: kernel $khz kHz, host $host_khz kHz"; break; }
	done
	if [[ -z $why ]]; then echo "PASS boot-tsc-pit-calibration"
	else echo "FAIL boot-tsc-pit-calibration: $why"; fi
fi

# The framed console at volume, compared byte for byte with the program run on
# the host (stdout and stderr): megabytes through the virtio console, read at
# once and by a reader that stalls first (the host pipe fills: flow control,
# nothing dropped); one-byte writes (a record each) on the virtio console and
# on the serial console alone (--console serial, the path Firecracker has).
bigout() {	# bigout NAME READER "MOTE OPTIONS" BYTES [CHUNK]
	local name=$1 reader=$2 opts=$3 prog=build/tests/user_bigout-musl rc why=""
	shift 3
	[[ -n $filter && $name != *$filter* ]] && return
	"$prog" "$@" >"$work/$name.want" 2>"$work/$name.want-err"
	eval "$MOTE run --timeout $TIMEOUT $opts $prog -- $*" 2>"$work/$name.err" </dev/null |
		eval "$reader" >"$work/$name.out"
	rc=${PIPESTATUS[0]}
	if [[ $rc != 0 ]]; then why="exit status $rc: $(tail -c 300 "$work/$name.err")"
	elif ! cmp -s "$work/$name.want" "$work/$name.out"; then
		why="stdout differs: $(cmp "$work/$name.want" "$work/$name.out" 2>&1 | head -1)"
	elif ! cmp -s "$work/$name.want-err" "$work/$name.err"; then
		why="stderr differs: $(cmp "$work/$name.want-err" "$work/$name.err" 2>&1 | head -1)"
	fi
	if [[ -z $why ]]; then echo "PASS boot-$name"; else echo "FAIL boot-$name: $why"; fi
}
bigout console-virtio-8m cat "" 8000000
bigout console-virtio-slow-reader "{ sleep 2; cat; }" "" 4000000
bigout console-virtio-q35 cat "--hv q35" 2000000
bigout console-virtio-legacy cat "--virtio legacy" 2000000
bigout console-virtio-bytes cat "" 20000 1
# 7-byte writes: the first KiB goes on the UART, then the virtio console is set up mid-stream.
bigout console-virtio-midstream cat "" 5000 7
bigout console-serial cat "--console serial" 20000 1
# Stdin at volume: 4 MB echoed back by console.selftest (its 4352-byte pattern
# first), through the virtio console and through the serial line alone.
bigin() {	# bigin NAME "MOTE OPTIONS" BYTES
	local name=$1 opts=$2 bytes=$3 why=""
	[[ -n $filter && $name != *$filter* ]] && return
	build/tests/user_bigout-musl "$bytes" >"$work/$name.in" 2>/dev/null
	eval "$MOTE run --timeout $TIMEOUT $opts --cmdline console.selftest build/bench/hello" \
		<"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	if [[ $rc != 0 ]]; then why="exit status $rc: $(tail -c 300 "$work/$name.err")"
	elif ! tail -c "$bytes" "$work/$name.out" | cmp -s - "$work/$name.in" ||
	     [[ $(stat -c %s "$work/$name.out") != $((bytes + 4352)) ]]; then
		why="stdout is not the pattern and the input: $(stat -c %s "$work/$name.out") bytes"
	fi
	if [[ -z $why ]]; then echo "PASS boot-$name"; else echo "FAIL boot-$name: $why"; fi
}
bigin console-virtio-stdin "" 4000000
bigin console-serial-stdin "--console serial" 100000
# A virtio console the kernel cannot use (one port, no MULTIPORT: QEMU's own virtconsole, by a
# wrapper in place of QEMU): the kernel stays on the UART and says so when stdin is first used,
# and mote, which waits to hear where stdin goes, sends it on the serial line.
stay_qemu=$work/qemu-one-port
cat >"$stay_qemu" <<'EOF'
#!/bin/bash
a=()
for w in "$@"; do
	case $w in
	virtio-serial-device,max_ports=2) w=virtio-serial-device,max_ports=1 ;;
	virtserialport,chardev=mote-con,nr=1) w=virtconsole,chardev=mote-con ;;
	esac
	a+=("$w")
done
exec qemu-system-x86_64 "${a[@]}"
EOF
chmod +x "$stay_qemu"
bigin console-virtio-unusable "--qemu $stay_qemu" 20000
expect console-virtio-unusable-log 0 "--qemu $stay_qemu --verbose build/bench/hello" \
	"^virtio-console: virtio-mmio@0x[0-9a-f]+ has no port 1: the console stays on the UART$"
# The virtio console is set up when it pays: output past 1 KiB, or stdin's first use; a program
# writing a line leaves it idle (its setup costs more than the line on the UART).
carries="^virtio-console: virtio-(mmio|pci)@[0-9a-fx:.]+ \((mmio|pci)\) carries the console's output$"
expect console-virtio-used 0 "--verbose build/tests/user_bigout-musl -- 2000" "$carries"
expect console-virtio-stdin-used 0 "--verbose build/compat/musl/stdin_sum" "$carries"
expect console-virtio-idle 0 "--verbose build/bench/hello" "^hello$" "!^virtio-console"
expect console-serial-kept 0 "--verbose --console serial build/bench/hello" "!^virtio-console"

# In-kernel benchmarks (bench=NAME): the lines bench/sched parses; an unknown name is an error.
expect bench-sched 0 "--cmdline bench=sched" "^sched: clock_step_ns [0-9]+$" "^sched: create_join_ns [0-9]+$" \
	"^sched: pingpong_ns [0-9]+$" "^sched: wake_late_us [0-9]+\.[0-9] [0-9]+\.[0-9]$"
expect bench-unknown 1 "--cmdline bench=nope" "^kbench: no benchmark called 'nope'$"

# Faults and panics: a report with the cause, registers, the thread and a symbolized
# backtrace, status 125. The crashes happen in the application's thread ("main").
for kind in ud:UD pf:PF gp:GP de:DE bp:BP; do
	expect "crash-${kind%:*}" 125 "--cmdline debug.crash=${kind%:*}" \
		"^mote: cpu exception #${kind#*:} " "^  rip 0x" "^backtrace:" "^  in thread 1 'main' on cpu 0$" \
		"arch_provoke_fault\+0x" "app_main\+0x" "^mote: power off, status 125$"
done
expect crash-pf-address 125 "--cmdline debug.crash=pf" "fault address 0x00000dead0000000: not-present page on read in kernel mode"
expect crash-panic 125 "--cmdline debug.crash=panic" "^mote: panic: debug.crash=panic$" "^  0x[0-9a-f]+ panic\+0x" "app_main\+0x"
expect crash-q35 125 "--hv q35 --cmdline debug.crash=gp" "#GP" "app_main\+0x"
expect crash-firecracker 125 "--hv fc-fixture --cmdline debug.crash=pf" "#PF" "app_main\+0x"
# A thread overflowing its stack hits the unmapped guard below it: a report naming the thread.
expect crash-stack 125 "--cmdline debug.crash=stack" "^mote: cpu exception #PF " \
	"not-present page on write in kernel mode" \
	"^  thread stack guard: stack overflow of thread 1 'main' \(stack 0x[0-9a-f]+-0x[0-9a-f]+, [0-9]+ bytes below it\)$" \
	"overflow_stack[.a-z0-9]*\+0x" "!double fault" "^mote: power off, status 125$"
expect crash-stack-smp2 125 "--smp 2 --cmdline debug.crash=stack" "thread stack guard: stack overflow of thread 1 'main'"
# Locking bugs: a mutex locked twice by its owner; spinlocks against their ranks (debug.locks=1).
expect crash-mutex 125 "--cmdline debug.crash=mutex" "^mote: panic: mutex 0x[0-9a-f]+: locked again by its owner, thread 1 'main'$"
expect crash-lockorder 125 "--cmdline 'debug.crash=lockorder debug.locks=1'" \
	"^mote: panic: lock order: crash-test inner \(rank 30\) taken while holding crash-test outer \(rank 60\)$"
expect lockorder-unchecked 0 "--cmdline debug.crash=lockorder" "lock order violation went unnoticed"

# Memory: the debug allocator turns heap bugs into reports naming the allocation site.
expect heap-uaf 125 "--cmdline 'mm.debug=1 debug.crash=uaf'" "^mote: cpu exception #PF" \
	"mm.debug: use after free of the 24-byte object" "allocated at 0x[0-9a-f]+ provoke_heap_error\+0x" \
	"freed at 0x[0-9a-f]+ provoke_heap_error\+0x"
expect heap-overflow 125 "--cmdline 'mm.debug=1 debug.crash=overflow'" "^mote: cpu exception #PF" \
	"mm.debug: overflow past the end of the 24-byte object" "allocated at 0x[0-9a-f]+ provoke_heap_error\+0x"
expect heap-no-debug 0 "--cmdline debug.crash=overflow" "overflow went unnoticed"
expect selftest-6g 0 "--hv q35 -m 6G --cmdline --selftest" "^ktest: PASS all_ram_is_mapped$" "^ktest: [0-9]+ passed, 0 failed$"
# Small memory: the self-tests (200 threads at once) still pass with 3 MiB of RAM.
expect selftest-3m 0 "-m 3M --cmdline --selftest" "^ktest: [0-9]+ passed, 0 failed$"

# Static programs in ring 3, through `mote run PROGRAM` (the compat suite has the rest).
smoke=("^malloc ok 1$" "^joined 6$" "^caught 11 addr 0x10$" "^after segv$" "^float 3.890614$")
expect user-musl 3 "build/tests/user_smoke-musl -- x" "^hello from build/tests/user_smoke-musl argc=2$" "${smoke[@]}"
expect user-glibc 3 "build/tests/user_smoke-glibc" "^hello from build/tests/user_smoke-glibc argc=1$" "${smoke[@]}"
expect user-glibc-smp 3 "--smp 2 build/tests/user_smoke-glibc" "${smoke[@]}"
expect user-q35 3 "--hv q35 build/tests/user_smoke-musl" "${smoke[@]}"
expect user-log 3 "--log $work/user.log build/tests/user_smoke-musl" "!power off" "${smoke[@]}"
expect user-strace 3 "--strace build/tests/user_smoke-musl" "^\\[pid 1\\] brk\\(NULL\\) = 0x" \
	"^\\[pid 2\\] exit\\(0\\) = \\?$" "^\\[pid 1\\] exit_group\\(3\\) = \\?$"

# A fatal signal: one report line on stderr (signal, fault address, ip with the binary and
# offset), status 128 + the signal, as a shell reports it.
expect user-fatal-segv 139 "build/compat/musl/exit_codes -- segv" \
	"^mote: program killed by signal 11 \\(SIGSEGV\\), fault address 0x0, code 1, at ip 0x[0-9a-f]+ \\(/app/exit_codes\\+0x[0-9a-f]+\\) sp 0x[0-9a-f]+, thread 1$"

# What the kernel refuses to run, as a shell would: 127 not found, 126 cannot execute.
mkb=tests/boot/mkbundle.py smoke_bin=build/tests/user_smoke-musl
$mkb "$work/b-missing" "exec:/app/nope"
$mkb "$work/b-noexec" "file:/app/p:$smoke_bin:644" "exec:/app/p"
$mkb "$work/b-notelf" "file:/app/p:tests/boot/user_smoke.c:755" "exec:/app/p"
ld_so=/lib64/ld-linux-x86-64.so.2 libc=/lib/x86_64-linux-gnu/libc.so.6
$mkb "$work/b-no-interp" "file:/app/p:/bin/true:755" "exec:/app/p"
$mkb "$work/b-dynamic" "file:/app/p:build/tests/user_smoke-dyn:755" "file:$ld_so:$ld_so:755" \
	"file:$libc:$libc:755" "exec:/app/p" "argv:p"
$mkb "$work/b-ok" "file:/app/p:$smoke_bin:755" "exec:/app/p" "argv:p,one"
expect exec-missing 127 "--initrd $work/b-missing" "^mote: /app/nope: no such file$"
expect exec-no-x-bit 126 "--initrd $work/b-noexec" "^mote: /app/p: permission denied$"
expect exec-not-elf 126 "--initrd $work/b-notelf" "^mote: cannot run /app/p: not an ELF file"
expect exec-no-interpreter 126 "--initrd $work/b-no-interp" \
	"^mote: cannot run /app/p: its interpreter /lib64/ld-linux-x86-64.so.2 does not exist$"
# A dynamic PIE through its own ld.so: libc mapped from the file, threads, signals.
expect exec-dynamic 3 "--initrd $work/b-dynamic" "^hello from p argc=1$" "${smoke[@]}"
expect exec-bundle 3 "--initrd $work/b-ok" "^hello from p argc=2$"

# `mote run` of a dynamic program: a cached image (its ld.so and libc) as the root disk.
export MOTE_CACHE_DIR=$work/cache
expect run-dynamic 3 "build/tests/user_smoke-dyn -- one" "^hello from build/tests/user_smoke-dyn argc=2$" \
	"${smoke[@]}"
expect run-dynamic-q35 3 "--hv q35 build/tests/user_smoke-dyn" "${smoke[@]}"
# Non-PIE, and dlopen() of a library given with --file (mote build adds what it needs).
libm=/lib/x86_64-linux-gnu/libm.so.6
expect run-dlopen-nopie 0 "--file $libm:$libm build/tests/user_dlopen-nopie -- libm.so.6 cos" \
	"^cos\(0\) = 1.000 from libm.so.6$"
expect run-dlopen-missing 1 "build/tests/user_dlopen-nopie -- libnope.so.1 cos" \
	"^dlopen libnope.so.1: libnope.so.1: cannot open shared object file: No such file or directory$"
# Free memory only in single pages: 64 KiB reads and writes still go whole (one-page buffer).
expect io-fragmented-memory 0 "-m 16M build/tests/user_fragment-musl" "^filled [0-9]+ pages" \
	"^read /dev/zero 65536: 65536$" "^write /dev/null 65536: 65536$" "^write pipe 4096: 4096$" \
	"^write stream socket 65536: 65536$" "^recv stream socket 65536 \(waitall\): 65536$" \
	"^getdents64 of / into 32768 bytes: listed$" "^sendfile 16384 to a stream socket: 16384$"

# Volumes (docs/fs.md): a writable one (created empty by mote run) keeps what a program
# wrote for the next boot; read-only, the same disk refuses writes; a bad one stops the boot.
bb=/bin/busybox
expect volume-write 0 "-v $work/vol.img:/data:rw $bb -- sh -c 'echo one >/data/a; echo two >>/data/a; echo wrote'" \
	"^wrote$"
expect volume-reread 0 "--hv q35 -v $work/vol.img:/data:rw $bb -- sh -c 'while read l; do echo \"got \$l\"; done </data/a; echo three >/data/b'" \
	"^got one$" "^got two$"
expect volume-read-only 1 "-v $work/vol.img:/data $bb -- sh -c 'read l </data/b; echo \"ro \$l\"; echo x >/data/c'" \
	"^ro three$" "can't create /data/c: Read-only file system"
printf 'not an image' >"$work/junk.img"; truncate -s 1M "$work/junk.img"
expect volume-junk 125 "-v $work/junk.img:/data:rw $bb -- sh -c 'echo no'" \
	"^mote: volume vol0 on /data: neither empty nor a mote image$" "!^no$"
expect volume-no-disk 125 "--cmdline volume=nope:/data $bb -- sh -c 'echo no'" \
	"^mote: volume nope on /data: no disk of that name$"

# The vDSO (docs/vdso.md): libc's clocks and getcpu through it agree with the system calls,
# in order, on one CPU and on two; with `strace` on, the calls between the program's
# "untraced" markers never reach the kernel.
vdso=("^vdso: image at 0x[0-9a-f]+, clock mode 1, cpu mode [12]$" "^vdso: clock_gettime [0-9]+ ns/call, syscall [0-9]+ ns/call$"
	"^vdso: PASS$" "!vdso: FAIL")
expect user-vdso-musl 0 "build/tests/user_vdso-musl" "${vdso[@]}"
expect user-vdso-glibc 0 "build/tests/user_vdso-glibc" "${vdso[@]}"
expect user-vdso-glibc-smp2 0 "--smp 2 build/tests/user_vdso-glibc" "${vdso[@]}"
expect user-vdso-q35 0 "--hv q35 --smp 2 build/tests/user_vdso-musl" "${vdso[@]}"

# expect_untraced NAME "mote run args": the program prints "vdso: untraced begin" and
# "vdso: untraced end" around its vDSO calls; under `strace` no clock or getcpu system
# call may be traced between them (and the run must pass as above).
expect_untraced() {
	local name=$1 args=$2 out=$work/$1.out traced
	[[ -n $filter && $name != *$filter* ]] && return
	expect "$name" 0 "--strace $args" "${vdso[@]}" "^vdso: untraced begin$" \
		"^vdso: untraced end$" "^\[pid 1\] clock_gettime\(" | grep -v '^PASS' && return
	traced=$(sed -n '/^vdso: untraced begin$/,/^vdso: untraced end$/p' "$out" |
		grep -E '^\[pid [0-9]+\] (clock_gettime|gettimeofday|time|getcpu)\(' | head -3)
	if [[ -z $traced ]]; then
		echo "PASS boot-$name"
	else
		echo "FAIL boot-$name: system calls between the markers"
		echo "$traced" | sed 's/^/    | /'
	fi
}
expect_untraced user-vdso-untraced-musl "build/tests/user_vdso-musl"
expect_untraced user-vdso-untraced-glibc "build/tests/user_vdso-glibc"

# /dev, /proc and /sys (tests/boot/user_devproc.c): devices, magic links, maps, the system
# files; the cpu count from cpuinfo and sysfs matches --smp.
devproc=("^devproc: PASS$" "!devproc: FAIL" "^devproc: through /dev/stdout$" "^devproc: through /dev/console$" "^devproc: fd1 pipe:\\[[0-9]+\\]$"
	"^devproc: MemTotal [0-9]+ kB$")
expect user-devproc-musl 0 "build/tests/user_devproc-musl -- 1" "${devproc[@]}" "^devproc: exe /app/user_devproc-musl$" \
	"^devproc: cpuinfo processors 1$" "^devproc: cpu online 0$"
expect user-devproc-glibc-smp2 0 "--smp 2 build/tests/user_devproc-glibc -- 2" "${devproc[@]}" \
	"^devproc: cpuinfo processors 2$" "^devproc: cpu online 0-1$"
expect user-devproc-q35-smp4 0 "--hv q35 --smp 4 build/tests/user_devproc-musl -- 4" "${devproc[@]}" \
	"^devproc: cpuinfo processors 4$" "^devproc: cpu online 0-3$"

# Bad input: random system calls with random arguments (tests/fuzz/sysfuzz.c; docs/testing.md,
# "Syscall fuzzing"). Kernel warnings about unimplemented calls are fine; a fault report, a
# panic, a hang or a non-zero status is a kernel bug.
expect sysfuzz 0 "build/tests/sysfuzz -- --seed 1 --calls 100000" "^sysfuzz: 100000 calls, seed 1, done$" \
	"!cpu exception" "!panic"
expect sysfuzz-smp2 0 "--smp 2 build/tests/sysfuzz -- --seed 2 --calls 100000" \
	"^sysfuzz: 100000 calls, seed 2, done$" "!cpu exception" "!panic"

# virtio-blk (docs/virtio.md): the self-tests against five disks (tests/ktest/virtio_blk.c says
# what each is for), on each transport; the "pattern" disk is then checked on the host.
printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "8"\n' > "$work/blkdebug.conf"
printf '[inject-error]\nevent = "write_aio"\nerrno = "28"\nsector = "16"\n' >> "$work/blkdebug.conf"
# virtio_blk_case NAME "mote run args": boots with fresh disks, checks the pattern afterwards.
virtio_blk_case() {
	local name=$1 args=$2 d=$work/$1
	[[ -n $filter && $name != *$filter* ]] && return
	mkdir -p "$d"
	truncate -s 1M "$d/rw.img"; truncate -s 64K "$d/ro.img" "$d/err.img" "$d/x.img" "$d/pattern.img"
	local disks="--disk $d/rw.img,serial=kt-rw --disk $d/ro.img,ro,serial=kt-ro --disk $d/x.img"
	disks+=" --disk $d/err.img,serial=kt-err,blkdebug=$work/blkdebug.conf --disk $d/pattern.img,serial=pattern"
	local res
	res=$(expect "$name" 0 "$args $disks --cmdline selftest=virtio_blk" "^ktest: 6 passed, 0 failed$" \
		"^virtio-blk: kt-ro: 128 sectors \(64 KiB\), read-only" "^virtio-blk: vd[0-9]: 128 sectors" \
		"^ktest: virtio_blk_pattern: wrote 64 sectors$" "!skipped" "!device disabled")
	if [[ $res == PASS* ]] && ! python3 - "$d/pattern.img" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
for n in range(64):
    text = b'mote sector %d' % n
    want = text + b'\0' + bytes([n]) * (512 - len(text) - 1)
    if data[n * 512:(n + 1) * 512] != want:
        sys.exit('sector %d differs' % n)
if data[64 * 512:].strip(b'\0'):
    sys.exit('data past sector 63')
PY
	then
		res="FAIL boot-$name: the pattern on the host differs"
	fi
	echo "$res"
}
virtio_blk_case virtio-blk-mmio "--hv microvm"
virtio_blk_case virtio-blk-mmio-legacy "--hv microvm --virtio legacy --smp 2"
virtio_blk_case virtio-blk-firecracker "--hv fc-fixture"
virtio_blk_case virtio-blk-q35 "--hv q35"
virtio_blk_case virtio-blk-q35-legacy "--hv q35 --virtio legacy --smp 2"
expect virtio-blk-q35-transitional 0 "--hv q35 --virtio transitional --disk $work/blkdebug.conf,ro,serial=conf" \
	"^virtio-blk: conf: 1 sectors \(0 KiB\), read-only, flush, virtio-pci 00:01.0 \(pci\)$"
# virtio-rng feeds the random pool (getrandom, AT_RANDOM) on each transport.
rng=("^ktest: virtio_rng_feeds_pool: [0-9]+ bytes from the device$" "^ktest: 1 passed, 0 failed$")
expect virtio-rng-mmio 0 "--rng --cmdline selftest=virtio_rng" "^virtio-rng: virtio-mmio@0x[0-9a-f]+ \(mmio\) feeds" "${rng[@]}"
expect virtio-rng-mmio-legacy 0 "--rng --virtio legacy --cmdline selftest=virtio_rng" "\(mmio-legacy\) feeds" "${rng[@]}"
expect virtio-rng-q35 0 "--hv q35 --rng --cmdline selftest=virtio_rng" "^virtio-rng: virtio-pci 00:01.0 \(pci\) feeds" "${rng[@]}"
expect virtio-rng-q35-legacy 0 "--hv q35 --virtio legacy --rng --cmdline selftest=virtio_rng" "\(pci-legacy\) feeds" "${rng[@]}"
expect random-pool 0 "--cmdline selftest=random" "^ktest: PASS random_bytes_vary$" "^ktest: 1 passed, 0 failed$"
# A device that misbehaves (tests/ktest/virtio_core.c fakes one) is reported and disabled.
expect virtio-bad-device 0 "--cmdline selftest=virtio_core" "^ktest: 2 passed, 0 failed$" \
	"^virtio: ktest-fake: bad used-ring entry .*; device disabled$" "!cpu exception"
# virtio-net: the ARP self-test (tests/ktest/virtio_net.c) against QEMU's user networking on
# every transport, with and without mergeable receive buffers. Until `mote run` attaches a NIC
# itself, tests/boot/qemu-net.sh adds it to the QEMU command line ($VNET_ARGS).
# virtio_net_case NAME "device[,options] [more QEMU args]" "mote run args" [regex...]
# ($NET_KARGS: more kernel command line words)
virtio_net_case() {
	local name=$1 dev=$2 args=$3
	shift 3
	export VNET_ARGS="-netdev user,id=n0 -device ${dev%% *},netdev=n0${dev#"${dev%% *}"}"
	expect "$name" 0 "$args --qemu tests/boot/qemu-net.sh --cmdline 'selftest=virtio_net${NET_KARGS:-}'" \
		"^ktest: virtio_net_arp: eth0: 10.0.2.2 is at 52:55:0a:00:02:02 \([0-9]+ frames, [1-9][0-9]* interrupts\)$" \
		"^ktest: virtio_net_arp: burst: 600 requests, [0-9]+ replies in [0-9]+ us .*, 0 malformed\)$" \
		"^ktest: 2 passed, 0 failed$" "!virtio: virtio-(mmio|pci).*device disabled" "!eth0: dropped" "!skipped" "$@"
	unset VNET_ARGS
}
virtio_net_case virtio-net-mmio "virtio-net-device -global virtio-mmio.force-legacy=false" "--hv microvm" \
	"^virtio-net: eth0: 52:54:00:12:34:56 mtu 1500, mrg, virtio-mmio@0x[0-9a-f]+ \(mmio\)$"
virtio_net_case virtio-net-mmio-legacy "virtio-net-device,mrg_rxbuf=off" "--hv microvm --virtio legacy --smp 2" \
	"^virtio-net: eth0: 52:54:00:12:34:56 mtu 1500, virtio-mmio@0x[0-9a-f]+ \(mmio-legacy\)$"
virtio_net_case virtio-net-q35 "virtio-net-pci,disable-legacy=on,host_mtu=1400,mac=02:00:00:00:00:01" "--hv q35" \
	"^virtio-net: eth0: 02:00:00:00:00:01 mtu 1400, mrg, virtio-pci 00:01.0 \(pci\)$"
NET_KARGS=" debug.locks=1" virtio_net_case virtio-net-q35-legacy "virtio-net-pci,disable-modern=on" \
	"--hv q35 --virtio legacy --smp 2" "^virtio-net: eth0: .* mrg, virtio-pci 00:01.0 \(pci-legacy\)$" "!lock order"
virtio_net_case virtio-net-q35-legacy-nomrg "virtio-net-pci,disable-modern=on,mrg_rxbuf=off" "--hv q35 --virtio legacy" \
	"^virtio-net: eth0: 52:54:00:12:34:56 mtu 1500, virtio-pci 00:01.0 \(pci-legacy\)$"
virtio_net_case virtio-net-q35-transitional "virtio-net-pci" "--hv q35 --virtio transitional" \
	"^virtio-net: eth0: .* mrg, virtio-pci 00:01.0 \(pci\)$"
# Without a NIC the ARP test skips; the fake device's test (malformed frames) runs anywhere.
expect virtio-net-none 0 "--cmdline selftest=virtio_net" "^ktest: virtio_net_arp: no network device, skipped$" \
	"^ktest: PASS virtio_net_fake_device$" "^ktest: 2 passed, 0 failed$" \
	"^virtio-net: eth0: dropped a malformed receive \(shorter than the header\)" "!cpu exception|panic"
# --nopci: the PCI disk is not looked for.
expect virtio-nopci 0 "--hv q35 --disk $work/blkdebug.conf,ro --cmdline --nopci" "power off, status 0" "!virtio-blk"

# Power-off without the debug-exit device: ACPI on q35, reset or triple fault elsewhere.
expect poweroff-acpi 0 "--hv q35 --no-exit-device" "power off, status 0" "!did not power off" "!i8042"
expect poweroff-reset 0 "--hv microvm --no-exit-device" "power off, status 0"
expect poweroff-firecracker 0 "--hv fc-fixture --no-exit-device" "power off, status 0"
expect poweroff-status 125 "--hv q35 --no-exit-device --cmdline debug.crash=ud" "power off, status 125"

# Bad boot input: a message and status 125, never a hang or a fault report.
bad=("^mote: boot failed: " "!cpu exception")
expect bad-quote 125 "--cmdline 'a=\"open'" "${bad[@]}" "bad command line: unterminated quote at byte 2"
expect bad-empty-key 125 "--cmdline '=x'" "${bad[@]}" "empty key"
expect bad-mmio 125 "--cmdline virtio_mmio.device=bogus" "${bad[@]}" "bad virtio_mmio.device=bogus"
expect bad-tsc 125 "--cmdline tsc_khz=fast" "${bad[@]}" "bad tsc_khz=fast"
expect bad-e820-none 125 "--hv fc-fixture --cmdline fixture.e820=none" "${bad[@]}" "no memory map"
expect bad-e820-overlap 125 "--hv fc-fixture --cmdline fixture.e820=overlap" "${bad[@]}" "memory regions overlap"
expect bad-e820-absurd 125 "--hv fc-fixture --cmdline fixture.e820=absurd" "${bad[@]}" "200 e820 entries"

# Boot modules: a well-formed bundle is listed; a truncated or foreign one is refused.
bundle() {	# bundle FILE DECLARED_SIZE ACTUAL_SIZE
	{ printf 'MOTEBNDL\x01\x00\x00\x00\x18\x00\x00\x00'
	  printf "$(printf '\\x%02x' $(( $2 & 255 )) $(( ($2 >> 8) & 255 )) $(( ($2 >> 16) & 255 )) 0 0 0 0 0)"
	  head -c $(( $3 - 24 )) /dev/zero; } > "$1"
}
bundle "$work/good.bundle" 4096 4096
bundle "$work/short.bundle" 8192 4096
printf 'this is some text, not a mote bundle' > "$work/junk.bin"
expect initrd-ok 0 "--initrd $work/good.bundle" "^module 0: 0x[0-9a-f]+, 4096 bytes$"
expect initrd-truncated 125 "--initrd $work/short.bundle" "${bad[@]}" "bundle truncated: header says 8192 bytes, module has 4096"
expect initrd-foreign 125 "--initrd $work/junk.bin" "${bad[@]}" "not a mote bundle"
expect initrd-q35 125 "--hv q35 --initrd $work/short.bundle" "bundle truncated"

# Disk images (docs/image-format.md): `mote build` an image of a static program, files, a
# tree with symlinks, an environment and a working directory; `mote run IMAGE` boots it
# (imgfs as the root, read-only; ramfs on /tmp). Hashes are computed here on the host.
image_tests="image image-lz4 image-q35-smp2 image-truncated image-corrupt image-loop image-huge-file image-busybox
	resolv-static resolv-dhcp resolv-no-nic resolv-bundle resolv-bundle-own dhcp-wait-bad proc-net-dev ipv6-addresses
	bundle-freed-room bundle-freed-total bundle-pages-kept"
if [[ -z $filter || $image_tests == *$filter* ]]; then
	d=$work/imgdata
	mkdir -p "$d/sub/deep"
	echo "hello from the image" >"$d/hello.txt"
	ln -s hello.txt "$d/link"
	ln -s /data/hello.txt "$d/sub/deep/abs-link"
	printf '#!/bin/sh\n' >"$d/run.sh"; chmod 755 "$d/run.sh"
	python3 -c "
import random, sys
random.seed(7)
open('$d/rand.bin', 'wb').write(bytes(random.getrandbits(8) for _ in range(100003)))
open('$d/text.bin', 'w').write(''.join('line %d of a compressible file\n' % i for i in range(12000)))"
	fnv() { python3 -c "
import sys
h = 0xcbf29ce484222325
data = open(sys.argv[1], 'rb').read()
for b in data: h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print('^hash %s %d %016x$' % (sys.argv[2], len(data), h))" "$1" "$2"; }
	image_lines=("^argv: \[/app/user_image-musl\] \[one\] \[two words\] \[/data/text.bin\] \[/data/rand.bin\]$"
		"^env GREETING=hi there$" "^cwd /data$" "^cat hello.txt: hello from the image$"
		"^cat /data/link: hello from the image$" "^cat /data/sub/deep/abs-link: hello from the image$"
		"^readlink /data/link: hello.txt$"
		"^ls /data: \. \.\. hello.txt link rand.bin run.sh sub text.bin$"
		"^ls /: \. \.\. app data dev etc proc sys tmp$" "^mode /data/run.sh 755$"
		"^create in /data: Read-only file system$" "^cat /tmp/scratch: tmp ok$"
		"^cat /etc/passwd: root:x:0:0:root:/root:/bin/sh$"
		"$(fnv "$d/text.bin" /data/text.bin)" "$(fnv "$d/rand.bin" /data/rand.bin)")
	build_args="build/tests/user_image-musl --dir $d:/data -e 'GREETING=hi there' --cwd /data --quiet \
		-- one 'two words' /data/text.bin /data/rand.bin"
	eval "$MOTE build -o $work/app.img $build_args" && eval "$MOTE build --lz4 -o $work/app-lz4.img $build_args" ||
		echo "FAIL boot-image: mote build failed"
	expect image 0 "$work/app.img" "${image_lines[@]}" "!cpu exception"
	expect image-lz4 0 "$work/app-lz4.img" "${image_lines[@]}" "!cpu exception"
	expect image-q35-smp2 0 "--hv q35 --smp 2 $work/app-lz4.img" "${image_lines[@]}"
	# A real Debian program placed at its own path (/usr/bin), with LZ4: busybox's md5sum
	# of files read through imgfs, a symlink followed, as the host computes them.
	if file -L /usr/bin/busybox 2>/dev/null | grep -q "statically linked"; then
		$MOTE build --lz4 --quiet -o "$work/bb.img" /usr/bin/busybox --dir "$d:/data" \
			--cmd 'busybox md5sum /data/text.bin /data/rand.bin /data/link'
		sums=()
		for f in text.bin rand.bin link; do sums+=("^$(md5sum <"$d/$f" | cut -d' ' -f1)  /data/$f$"); done
		expect image-busybox 0 "$work/bb.img" "${sums[@]}"
		# The name servers reach /etc/resolv.conf (mote build links it to
		# /proc/net/resolv.conf): from ip= (static), from DHCP (the program starts once
		# the lease is bound), none without a NIC.
		$MOTE build --quiet -o "$work/resolv.img" /usr/bin/busybox --cmd 'busybox cat /etc/resolv.conf'
		expect resolv-static 0 "--net user --ip 10.0.2.15/24,gw=10.0.2.2,dns=192.0.2.53 $work/resolv.img" \
			"^nameserver 192.0.2.53$" "!nameserver 10.0.2.3"
		expect resolv-dhcp 0 "--net user --ip dhcp --verbose $work/resolv.img" \
			"^nameserver 10.0.2.3$" "^net: eth0: DHCP lease after [0-9]+ ms$"
		expect resolv-no-nic 0 "$work/resolv.img" "!nameserver" "!No such file"
		expect dhcp-wait-bad 0 "--net user --ip dhcp --verbose --cmdline dhcp.wait=soon $work/resolv.img" \
			"^net: dhcp.wait=soon: not a number of milliseconds up to 3600000; 3000 taken$" \
			"^net: eth0: DHCP lease after [0-9]+ ms$" "^nameserver 10.0.2.3$"
		expect resolv-bundle 0 "--net user /usr/bin/busybox -- cat /etc/resolv.conf" "^nameserver 10.0.2.3$"
		echo "nameserver 192.0.2.9" >"$work/own-resolv.conf"
		expect resolv-bundle-own 0 "--net user --file $work/own-resolv.conf:/etc/resolv.conf \
			/usr/bin/busybox -- cat /etc/resolv.conf" "^nameserver 192.0.2.9$" "!10.0.2.3"
		# The boot bundle's memory is freed once its files are unpacked: a 16 MiB file in
		# a 48 MiB VM leaves room for 20 MiB more in /tmp (the bundle kept would not), and
		# the VM's MemTotal is the same with the file as without it (but for the partial
		# pages at the bundle's ends, which are not freed).
		head -c $((16 << 20)) /dev/urandom >"$work/big.bin"
		expect bundle-freed-room 0 "-m 48M --file $work/big.bin:/data/big.bin /usr/bin/busybox -- \
			dd if=/dev/zero of=/tmp/fill bs=64k count=320" "^320\+0 records out$"
		if [[ -z $filter || bundle-freed-total == *$filter* ]]; then
			mem_total() { $MOTE run -m 48M "$@" /usr/bin/busybox -- grep MemTotal /proc/meminfo |
				tr -dc '0-9'; }
			small=$(mem_total) big=$(mem_total --file "$work/big.bin:/data/big.bin")
			if [[ -n $small && -n $big ]] && ((small - big <= 8 && big - small <= 8)); then
				echo "PASS boot-bundle-freed-total"
			else
				echo "FAIL boot-bundle-freed-total: MemTotal ${small:-?} kB without a 16 MiB file, ${big:-?} kB with it"
			fi
		fi
		rm -f "$work/big.bin"
		# A file's pages in the bundle become the file's own, not copied: a 36 MiB file runs
		# in a 64 MiB VM, where a copy would need 36 MiB more, and reads back intact.
		if [[ -z $filter || bundle-pages-kept == *$filter* ]]; then
			head -c $(((36 << 20) + 1234)) /dev/urandom >"$work/huge.bin"
			sum=$(md5sum <"$work/huge.bin")
			expect bundle-pages-kept 0 "-m 64M --file $work/huge.bin:/data/huge.bin \
				/usr/bin/busybox -- md5sum /data/huge.bin" "^${sum%% *}  /data/huge.bin$"
			rm -f "$work/huge.bin"
		fi
		# Interface counters as /proc/net/dev shows them: the DHCP exchange went both ways.
		expect proc-net-dev 0 "--net user --ip dhcp /usr/bin/busybox -- cat /proc/net/dev" \
			"^Inter-\|   Receive " "^ face \|bytes    packets errs drop " "^ +lo: +0 +0 " \
			"^  eth0: +[1-9][0-9]* +[1-9][0-9]* +0 +0 +0 +0 +0 +0 +[1-9][0-9]* +[1-9][0-9]* +0 +0 "
		# IPv6 addresses as /proc/net/if_inet6 lists them: eth0's link-local one (from
		# its MAC, 52:54:00:...), a static one from ip6=, and loopback's.
		$MOTE build --quiet -o "$work/inet6.img" /usr/bin/busybox --cmd 'busybox cat /proc/net/if_inet6'
		expect ipv6-addresses 0 "--net user --cmdline ip6=2001:db8::15/64 $work/inet6.img" \
			"^fe80000000000000505400fffe[0-9a-f]{6} 02 40 20 [0-9a-f]{2} +eth0$" \
			"^20010db8000000000000000000000015 02 40 00 80 +eth0$" \
			"^00000000000000000000000000000001 01 80 10 80 +lo$"
	fi
	# The kernel's own refusals (the image given as a plain boot module; `mote run IMAGE`
	# would refuse these on the host first): a clear message and status 125, never a fault.
	head -c $(( $(stat -c %s "$work/app.img") - 4096 )) "$work/app.img" >"$work/cut.img"
	python3 - "$work/app.img" "$work" <<'PYEOF'
import struct, sys
def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xffffffff
img = bytearray(open(sys.argv[1], 'rb').read())
mo, ms = struct.unpack_from('<QQ', img, 24)
ni, nd = struct.unpack_from('<II', img, 40)
def fix(b):
    struct.pack_into('<I', b, 56, crc32c(bytes(b[mo:mo + ms])))
    struct.pack_into('<I', b, 100, 0)
    struct.pack_into('<I', b, 100, crc32c(bytes(b[:104])))
bad = bytearray(img); bad[mo + 5] ^= 0x10
open(sys.argv[2] + '/corrupt.img', 'wb').write(bad)
# A loop: the entry "sub" in /data names /data itself (CRCs fixed, so only the checks stand).
nb = struct.unpack_from('<I', img, 48)[0]
strings = mo + ni * 64 + nd * 16 + nb * 16 + 64
for i in range(nd):
    at = mo + ni * 64 + i * 16
    ino, off, ln = struct.unpack_from('<IIH', img, at)
    if img[strings + off:strings + off + ln] == b'sub':
        loop = bytearray(img)
        data_ino = [struct.unpack_from('<IIH', img, mo + ni * 64 + k * 16) for k in range(nd)]
        for e in data_ino:
            if img[strings + e[1]:strings + e[1] + e[2]] == b'data':
                struct.pack_into('<I', loop, at, e[0])
        fix(loop)
        open(sys.argv[2] + '/loop.img', 'wb').write(loop)
# A file claiming more bytes than the disk holds.
for i in range(ni):
    mode, = struct.unpack_from('<I', img, mo + i * 64)
    if mode & 0o170000 == 0o100000:
        big = bytearray(img); struct.pack_into('<Q', big, mo + i * 64 + 16, 1 << 40)
        fix(big)
        open(sys.argv[2] + '/huge.img', 'wb').write(big)
        break
PYEOF
	expect image-truncated 125 "--initrd $work/cut.img" "${bad[@]}" "boot module 0: image truncated"
	expect image-corrupt 125 "--initrd $work/corrupt.img" "^mote: root image on disk root: image metadata checksum mismatch" "!cpu exception"
	expect image-loop 125 "--initrd $work/loop.img" "^mote: root image on disk root: .*loop" "!cpu exception"
	expect image-huge-file 125 "--initrd $work/huge.img" "^mote: root image on disk root: inode [0-9]+: .* outside the data area" "!cpu exception"
fi
