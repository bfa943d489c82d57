#!/bin/bash
# bench/linux/run-guest.sh: run one static x86-64 program as /init of a Linux
# guest (Debian's cloud kernel, bench/linux/fetch-kernel.sh) on QEMU microvm
# under TCG, the same machine mote benchmarks boot on, and print its stdout.
#
# Usage: run-guest.sh [-s SMP] [-m MEM] [-t TIMEOUT_S] [-a APPEND] [-c FILE]
#                     [-d DISK] [-k] [-i INITRD -x] PROGRAM [ARG...]
# -a adds kernel parameters; -c keeps the raw console (kernel log included).
# -d attaches the file DISK read-only as a virtio-blk disk (virtio-mmio, the
# guest's /dev/vda). -k puts the modules fetch-kernel.sh keeps in the
# initramfs as /modules/*.ko, with /modules/load-order naming them in load
# order: the cloud kernel has virtio, virtio-blk and squashfs as modules, so
# a program using a disk loads them itself (bench/fs/fs-prog.c shows how).
# With a disk the machine has ACPI (microvm,acpi=on): Debian's cloud kernel
# is built without CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, so the
# `virtio_mmio.device=` words QEMU appends to the command line without ACPI
# mean nothing to it (virtio_mmio.ko ignores the parameter), and the DSDT is
# the only way it finds the device (with ACPI, QEMU appends nothing).
# -x runs nothing but prints the QEMU command, one word a line, with the
# initramfs written to INITRD (-i): for a driver that times QEMU itself from
# its start (bench/boot's python row), without this script's own cost.
#
# The initramfs (newc cpio, written here: /init, /dev, /dev/console, and
# /modules with -k) holds nothing but the program. Its arguments go on the kernel command line after
# "--", so none may contain spaces. The program must end the VM itself with
# guest_exit() from guest-exit.h (microvm without ACPI cannot power off).
# The guest TSC is the host's under TCG, so the host's rate is passed as
# tsc_early_khz (from $TSC_KHZ, or measured by build/linux/tsc-khz), and
# tsc=reliable: otherwise the clocksource watchdog, comparing against jiffies
# that TCG delivers late, marks the TSC unstable about 1.3 s into boot and the
# guest's clocks fall back to jiffies (4 ms steps, no vDSO).
#
# Output: the guest console with kernel log lines ("[ 0.123] ...") and
# carriage returns removed. Exit status: the program's guest_exit status;
# 124 on timeout; 125 if the guest ended without guest_exit (e.g. /init
# crashed and the kernel panicked); 2 if the harness could not run. On any
# nonzero status the console's last lines go to stderr.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${BUILD:-$root/build}/linux
smp=1 mem=256M timeout=300 append="" console="" disk="" modules="" initrd="" print=""
while getopts s:m:t:a:c:d:ki:x o; do
	case $o in
	s) smp=$OPTARG ;; m) mem=$OPTARG ;; t) timeout=$OPTARG ;; a) append=$OPTARG ;;
	c) console=$OPTARG ;; d) disk=$OPTARG ;; k) modules=1 ;;
	i) initrd=$OPTARG ;; x) print=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
die() { echo "run-guest: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: run-guest.sh [-s SMP] [-m MEM] [-t S] [-a APPEND] [-c FILE] [-d DISK] [-k] [-i INITRD -x] PROGRAM [ARG...]"
prog=$1; shift
[ -f "$prog" ] || die "$prog: no such file"
[ -z "$disk" ] || [ -f "$disk" ] || die "$disk: no such file"
[ -z "$print" ] || [ -n "$initrd" ] || die "-x needs -i INITRD"
"$here/fetch-kernel.sh" >/dev/null || die "no Linux kernel (bench/linux/fetch-kernel.sh failed)"

khz=${TSC_KHZ:-}
if [ -z "$khz" ]; then
	if [ ! -x "$dir/tsc-khz" ]; then
		${HOSTCC:-cc} -O2 -o "$dir/tsc-khz" "$here/tsc-khz.c" || die "cannot build tsc-khz"
	fi
	khz=$("$dir/tsc-khz")
fi
[[ $khz =~ ^[0-9]+$ ]] || die "bad TSC kHz '$khz'"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-guest.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT

# newc cpio: a 110-byte ASCII header (magic and 13 hex fields), the name and
# its NUL padded to 4 bytes, then the data padded to 4 bytes.
ino=1
cpio_entry() {	# cpio_entry NAME MODE RDEVMAJOR RDEVMINOR [FILE]
	local size=0 pad
	[ $# -ge 5 ] && size=$(stat -c %s "$5")
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		$((ino++)) "$2" 0 0 1 0 "$size" 0 0 "$3" "$4" $((${#1} + 1)) 0
	printf '%s\0' "$1"
	pad=$(((4 - (110 + ${#1} + 1) % 4) % 4))
	head -c "$pad" /dev/zero
	if [ $# -ge 5 ]; then
		cat "$5"
		head -c $(((4 - size % 4) % 4)) /dev/zero
	fi
}
{
	cpio_entry dev $((0040755)) 0 0
	cpio_entry dev/console $((0020600)) 5 1
	cpio_entry init $((0100755)) 0 0 "$prog"
	if [ -n "$modules" ]; then
		cpio_entry modules $((0040755)) 0 0
		cpio_entry modules/load-order $((0100644)) 0 0 "$dir/modules/load-order"
		while read -r m; do
			cpio_entry "modules/$m" $((0100644)) 0 0 "$dir/modules/$m"
		done < "$dir/modules/load-order"
	fi
	cpio_entry TRAILER!!! 0 0 0
} > "$tmp/initramfs.cpio" || die "cannot write the initramfs"

# The disk is read-only to QEMU as well, so no run can change it; format=raw
# stops QEMU probing it (and warning).
machine=microvm,acpi=off,x-option-roms=off diskopts=()
if [ -n "$disk" ]; then
	machine=microvm,acpi=on,x-option-roms=off
	diskopts=(-drive "file=$disk,format=raw,if=none,id=disk0,readonly=on"
		-device virtio-blk-device,drive=disk0)
fi

# BENCH_LINUX_GUEST=1 reaches /init as an environment variable (guest-exit.h).
cmdline="console=ttyS0 quiet tsc_early_khz=$khz tsc=reliable panic=-1 BENCH_LINUX_GUEST=1 $append -- $*"
if [ -n "$initrd" ]; then
	cp "$tmp/initramfs.cpio" "$initrd" || die "cannot write $initrd"
else
	initrd=$tmp/initramfs.cpio
fi
qemu=(qemu-system-x86_64 -M "$machine" -nodefaults -no-user-config -nographic
	-no-reboot -serial stdio -accel tcg -cpu max -m "$mem" -smp "$smp"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 "${diskopts[@]}"
	-kernel "$dir/vmlinuz" -initrd "$initrd" -append "$cmdline")
if [ -n "$print" ]; then
	printf '%s\n' "$(command -v qemu-system-x86_64)" "${qemu[@]:1}"
	exit 0
fi
timeout -k 5 "$timeout" "${qemu[@]}" </dev/null >"$tmp/console" 2>"$tmp/qemu-stderr"
rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	status=124
elif [ $((rc % 2)) -eq 1 ]; then
	status=$((rc >> 1))	# isa-debug-exit: QEMU exits with (status << 1) | 1
else
	status=125		# QEMU exited by itself: the guest panicked or rebooted
fi
[ -n "$console" ] && cp "$tmp/console" "$console"
tr -d '\r' < "$tmp/console" | grep -Ev '^\[ *[0-9]+\.[0-9]+\] '
if [ $status -ne 0 ]; then
	echo "run-guest: $prog exited with status $status (QEMU status $rc); console tail:" >&2
	tr -d '\r' < "$tmp/console" | tail -n 20 >&2
	cat "$tmp/qemu-stderr" >&2
fi
exit $status
