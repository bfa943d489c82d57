/*
 * The QEMU command line for each hypervisor.
 *
 * Every machine shares one skeleton: no default devices, no user config, no
 * display, the first serial port on stdio (the console mote pumps), and
 * isa-debug-exit at port 0xf4 so the guest can end QEMU with a status. A
 * program's framed console also gets a virtio console whose output goes to
 * a pipe mote hands QEMU as fd MOTE_CONSOLE_FD (console.c). What
 * differs per hypervisor is a table row: the machine and whether the mote
 * kernel is the -kernel or is handed to the Firecracker fixture as -initrd.
 *
 * microvm runs with acpi=off so the guest sees what Firecracker gives it: no
 * ACPI, devices as virtio-mmio named on the command line (QEMU appends
 * `virtio_mmio.device=...` itself when there are devices).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mote.h"

struct hv_profile {
	const char *machine;
	bool kernel_as_initrd;  /* the -kernel is a loader that boots our kernel */
};

static const struct hv_profile hv_profiles[] = {
	[MOTE_HV_MICROVM] = { .machine = "microvm,acpi=off,x-option-roms=off" },
	/* -nographic sets graphics=off, which makes SeaBIOS mirror its screen
	 * onto COM1; graphics=on keeps the serial console the kernel's alone. */
	[MOTE_HV_Q35] = { .machine = "q35,graphics=on" },
	[MOTE_HV_FC_FIXTURE] = { .machine = "microvm,acpi=off,x-option-roms=off",
				 .kernel_as_initrd = true },
};

/* The longest command line is about 38 words plus 4 per disk; a fixed array keeps this simple. */
#define QEMU_ARGV_MAX (52 + 4 * RUN_MAX_DISKS)

struct argv_builder {
	char **v;
	int n;
};

static void push(struct argv_builder *b, const char *word)
{
	if (b->n >= QEMU_ARGV_MAX - 1)
		abort();  /* a bug in this file, not something a user can cause */
	/* execv() takes char *const[]; QEMU never writes to its argv strings. */
	b->v[b->n++] = (char *)word;
	b->v[b->n] = NULL;
}

static void push2(struct argv_builder *b, const char *opt, const char *val)
{
	push(b, opt);
	push(b, val);
}

/* QEMU's -m takes a suffix; keep the number readable in --dry-run output. */
static const char *format_mem(unsigned long long bytes)
{
	static char buf[32];
	if (bytes % (1ull << 20) == 0)
		snprintf(buf, sizeof(buf), "%lluM", bytes >> 20);
	else
		snprintf(buf, sizeof(buf), "%lluK", bytes >> 10);
	return buf;
}

static const char *format_uint(unsigned v)
{
	static char buf[16];
	snprintf(buf, sizeof(buf), "%u", v);
	return buf;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

/*
 * virtio devices: virtio-mmio on microvm (version 2 unless --virtio legacy
 * or transitional, which keep QEMU's version 1), virtio-pci on q35 with
 * the legacy or modern interface switched off as --virtio says.
 */
/* Host I/O errors (ENOSPC included) reach the guest as errors; QEMU's default pauses the VM on ENOSPC. */
#define DRIVE_ERRORS "werror=report,rerror=report"

bool qemu_virtio_console(const struct run_config *cfg)
{
	return cfg->framed && !cfg->serial_console;
}

static void push_virtio(struct argv_builder *b, const struct run_config *cfg)
{
	bool pci = cfg->hv == MOTE_HV_Q35;
	const char *pci_mode = cfg->virtio == MOTE_VIRTIO_MODERN   ? ",disable-legacy=on"
			       : cfg->virtio == MOTE_VIRTIO_LEGACY ? ",disable-modern=on"
								   : "";

	if (!pci && cfg->virtio == MOTE_VIRTIO_MODERN &&
	    (cfg->nr_disks || cfg->rng || cfg->net.mode != MOTE_NET_NONE || qemu_virtio_console(cfg)))
		push2(b, "-global", "virtio-mmio.force-legacy=false");
	if (qemu_virtio_console(cfg)) {
		/* The framed console's channel (drivers/virtio_console.c): a socket mote passes as fd MOTE_CONSOLE_FD. */
		push2(b, "-chardev", format("socket,id=mote-con,fd=%d", MOTE_CONSOLE_FD));
		push2(b, "-device", pci ? format("virtio-serial-pci,max_ports=2%s", pci_mode)
					: "virtio-serial-device,max_ports=2");
		push2(b, "-device", "virtserialport,chardev=mote-con,nr=1");
	}
	for (unsigned i = 0; i < cfg->nr_disks; i++) {
		const struct disk_spec *d = &cfg->disks[i];
		if (d->blkdebug)
			push2(b, "-drive", format("if=none,id=disk%u,format=raw,%s,file=blkdebug:%s:%s%s", i, DRIVE_ERRORS,
						  d->blkdebug, d->path, d->read_only ? ",readonly=on" : ""));
		else
			push2(b, "-drive", format("if=none,id=disk%u,format=raw,%s,file=%s%s", i, DRIVE_ERRORS, d->path,
						  d->read_only ? ",readonly=on" : ""));
		push2(b, "-device", format("%s,drive=disk%u%s%s%s", pci ? "virtio-blk-pci" : "virtio-blk-device",
					   i, d->serial ? ",serial=" : "", d->serial ? d->serial : "",
					   pci ? pci_mode : ""));
	}
	if (cfg->rng)
		push2(b, "-device", pci ? format("virtio-rng-pci%s", pci_mode) : "virtio-rng-device");
	if (cfg->net.mode != MOTE_NET_NONE) {
		push2(b, "-netdev", net_netdev_arg(&cfg->net));
		push2(b, "-device", format("%s,netdev=net0,mac=%s%s", pci ? "virtio-net-pci" : "virtio-net-device",
					   cfg->net.mac, pci ? pci_mode : ""));
	}
}

/*
 * Legacy devices the kernel does not use are left out: each one QEMU builds
 * is start-up work, and its memory regions are freed again, under QEMU's
 * global lock, in the first milliseconds the guest runs. The 8259 PIC is
 * never used (interrupts go through the IOAPIC); the PIT only calibrates
 * the TSC when the command line does not give its rate.
 */
static const char *microvm_machine(const char *base, const struct run_config *cfg)
{
	return format("%s,pic=off%s", base, cfg->tsc_rate_given ? ",pit=off" : "");
}

char **qemu_build_argv(const struct run_config *cfg)
{
	const struct hv_profile *hv = &hv_profiles[cfg->hv];
	struct argv_builder b = { .v = calloc(QEMU_ARGV_MAX, sizeof(char *)) };
	if (!b.v)
		abort();

	push(&b, cfg->qemu);
	push(&b, "-nodefaults");
	push(&b, "-no-user-config");
	push(&b, "-nographic");
	push(&b, "-no-reboot");
	push2(&b, "-M", cfg->hv == MOTE_HV_MICROVM ? microvm_machine(hv->machine, cfg) : hv->machine);
	if (cfg->accel == MOTE_ACCEL_KVM) {
		push2(&b, "-accel", "kvm");
		push2(&b, "-cpu", "host");
	} else {
		push2(&b, "-accel", "tcg");
		push2(&b, "-cpu", "max");
	}
	push2(&b, "-m", format_mem(cfg->mem_bytes));
	push2(&b, "-smp", format_uint(cfg->smp));
	push2(&b, "-serial", "stdio");
	if (cfg->exit_device)
		push2(&b, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04");
	if (hv->kernel_as_initrd) {
		push2(&b, "-kernel", cfg->fcfixture);
		push2(&b, "-initrd", cfg->kernel);
	} else {
		push2(&b, "-kernel", cfg->kernel);
		if (cfg->initrd)
			push2(&b, "-initrd", cfg->initrd);
	}
	push_virtio(&b, cfg);
	push2(&b, "-append", cfg->cmdline);
	if (cfg->gdb)
		push2(&b, "-s", "-S");
	return b.v;
}

/* Characters a POSIX shell never treats specially inside a word. */
static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	return s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789_@%+=:,./-")] == '\0';
}

/* Single quotes keep everything literal; a ' itself is closed, escaped, reopened. */
void qemu_fput_quoted(FILE *out, const char *word)
{
	if (shell_safe(word)) {
		fputs(word, out);
		return;
	}
	fputc('\'', out);
	for (const char *p = word; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", out);
		else
			fputc(*p, out);
	}
	fputc('\'', out);
}

void qemu_print_shell(FILE *out, char *const argv[])
{
	for (int i = 0; argv[i]; i++) {
		if (i)
			fputc(' ', out);
		qemu_fput_quoted(out, argv[i]);
	}
	fputc('\n', out);
}
