/*
 * The QEMU command line for each hypervisor.
 *
 * Every machine shares one skeleton: no default devices, no user config, no
 * display, the first serial port on stdio (the console mote pumps), and
 * isa-debug-exit at port 0xf4 so the guest can end QEMU with a status. What
 * differs per hypervisor is a table row: the machine and whether the mote
 * kernel is the -kernel or is handed to the Firecracker fixture as -initrd.
 *
 * microvm runs with acpi=off so the guest sees what Firecracker gives it: no
 * ACPI, devices as virtio-mmio named on the command line (QEMU appends
 * `virtio_mmio.device=...` itself when there are devices).
 */
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

/* The longest command line is about 30 words; a fixed array keeps this simple. */
#define QEMU_ARGV_MAX 40

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
	push2(&b, "-M", hv->machine);
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
