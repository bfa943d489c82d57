#!/bin/sh
# Boot build/fcfixture.elf with build/fcprobe.elf as its module under QEMU and
# check what the probe reports about the Firecracker start state it was given.
# One line per case: "PASS name" or "FAIL name: why". Exit status 1 if any failed.
#
#   tests/boot/fcfixture/test-fixture.sh        (after `make`; BUILD, QEMU override)
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-x86_64}
FIXTURE=$BUILD/fcfixture.elf
PROBE=$BUILD/fcprobe.elf
MICROVM=microvm,acpi=off,x-option-roms=off
REFUSED=225			# isa-debug-exit value 0x70 from the fixture: (0x70 << 1) | 1
failures=0

for f in "$FIXTURE" "$PROBE"; do
	if [ ! -f "$f" ]; then
		echo "FAIL fcfixture-start-state: $f missing (run make)"
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# boot MACHINE MEM MODULE CMDLINE: sets $out (serial output) and $status.
boot() {
	timeout 60 "$QEMU" -M "$1" -nodefaults -no-user-config -nographic -no-reboot \
		-serial stdio -accel tcg -cpu max -m "$2" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$FIXTURE" -initrd "$3" -append "$4" >"$tmp/out" 2>&1
	status=$?
	out=$(tr -d '\r' <"$tmp/out")
}

# expect NAME STATUS TEXT...: pass when the exit status matches and every TEXT
# appears in the output.
expect() {
	name=$1 want=$2
	shift 2
	why=
	[ "$status" = "$want" ] || why="exit status $status, want $want"
	for text; do
		case $out in
		*"$text"*) ;;
		*) why="${why:+$why; }no '$text' in output" ;;
		esac
	done
	if [ -z "$why" ]; then
		echo "PASS $name"
	else
		echo "FAIL $name: $why"
		printf '%s\n' "$out" | sed 's/^/    | /' | tail -n 12
		failures=$((failures + 1))
	fi
}

boot "$MICROVM" 128M "$PROBE" "hello"
expect fcfixture-start-state 1 "probe: start state ok" "probe: cmdline=[hello] size=0x6" \
	"probe: e820 entries=0x2" "probe: e820 0x0 0x9fc00 0x1" \
	"probe: e820 0x100000 0x7f00000 0x1" "probe: mp cpus=0x1 ioapic=0x2" \
	"probe: initrd 0x0 0x0 0x0"

boot "$MICROVM" 128M "$PROBE" "fixture.cpus=4 hello fixture.e820=overlap world"
expect fcfixture-options 1 "probe: start state ok" "probe: cmdline=[hello world] size=0xc" \
	"probe: mp cpus=0x4 ioapic=0x5" "probe: e820 entries=0x3" "probe: e820 0x200000 0x200000 0x1"

boot "$MICROVM" 64M "$PROBE" "fixture.e820=none"
expect fcfixture-e820-none 1 "probe: start state ok" "probe: cmdline=[] size=0x1" \
	"probe: e820 entries=0x0"

# 4 GiB: Firecracker splits RAM around the 768 MiB gap below 4 GiB.
boot "$MICROVM" 4G "$PROBE" "fixture.e820=absurd"
expect fcfixture-e820-absurd-4g 1 "probe: start state ok" "probe: e820 entries=0xc8" \
	"probe: e820 0x100000 0xcff00000 0x1" "probe: e820 0x100000000 0x30000000 0x1"

# fixture.initrd=OFF: the module's tail moves to the top of low RAM.
size=$(stat -c %s "$PROBE")
{ cat "$PROBE"; printf 'INITRD..'; head -c 100000 /dev/zero; } >"$tmp/with-initrd"
boot "$MICROVM" 128M "$tmp/with-initrd" "fixture.initrd=$size rd"
expect fcfixture-initrd 1 "probe: start state ok" "probe: cmdline=[rd] size=0x3" \
	"probe: initrd 0x7fe7000 0x186a8 0x2e2e445254494e49"

# q35 reaches the fixture through SeaBIOS's PVH loader instead of qboot.
boot q35 128M "$PROBE" "on q35"
expect fcfixture-q35 1 "probe: start state ok" "probe: cmdline=[on q35] size=0x7"

head -c 100 "$PROBE" >"$tmp/truncated"
boot "$MICROVM" 64M "$tmp/truncated" ""
expect fcfixture-refuses-truncated-elf $REFUSED "fcfixture: refused: program headers outside the file"

head -c 4096 "$0" >"$tmp/text"		# this script: long enough, not an ELF
boot "$MICROVM" 64M "$tmp/text" ""
expect fcfixture-refuses-non-elf $REFUSED "fcfixture: refused: kernel is not an ELF file"

boot "$MICROVM" 64M "$PROBE" "fixture.cpus=0"
expect fcfixture-refuses-bad-option $REFUSED "fcfixture: refused: fixture.cpus must be 1..32"

[ "$failures" -eq 0 ]
