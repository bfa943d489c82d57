/*
 * `mote run`: decode, then invoke.
 *
 * All options are decoded into a struct run_config and every file and
 * program it names is checked before QEMU starts, so a mistake costs one
 * clear line `mote run: <problem>` and exit status 2, never a half-started
 * VM or a QEMU error to decipher. The options are a table: the parser and
 * `mote run --help` are both driven by it and cannot drift apart.
 *
 * Both `--opt value` and `--opt=value` are accepted. The one word that is
 * not an option is the PROGRAM (program.c builds what the VM gets from
 * it); words after `--` are its arguments, or without a program the
 * app's arguments on the kernel command line after " -- ".
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mote.h"

const char *mote_command = "run";

#define RUN_GO (-1)  /* parse_args: carry on (anything else is an exit status) */

/* What the command line said, before defaults and checks. */
struct run_args {
	struct run_config cfg;
	bool accel_set;
	const char *qemu;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	int app_argc;
	char **app_argv;
	struct program_spec prog;
	bool interactive;
	bool strace;
	struct volume_arg {
		const char *host, *guest;
		bool rw;
	} volumes[RUN_MAX_DISKS];
	unsigned nr_volumes;
};

int run_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mote %s: ", mote_command);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return MOTE_EXIT_USAGE;
}

/* Decimal digits only: strtoull alone would take "+5", " 5" and "-1". */
static bool parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	if (*s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * A memory size as QEMU's -m reads it: a number with an optional K, M, G or
 * T suffix (either case); a plain number is MiB. Returns bytes, or 0 when
 * the text is not a size from 1 MiB to 1 TiB (below 1 MiB QEMU hangs).
 */
static unsigned long long parse_size(const char *s)
{
	static const char suffixes[] = "KMGT";
	const unsigned long long lo = 1ull << 20, hi = 1ull << 40;
	size_t digits = strspn(s, "0123456789");
	unsigned shift = 20;
	if (digits == 0 || digits > 13)
		return 0;
	if (s[digits]) {
		const char *p = strchr(suffixes, s[digits] & ~0x20);
		if (!p || s[digits + 1] || !*p)
			return 0;
		shift = 10 * (unsigned)(p - suffixes + 1);
	}
	unsigned long long n = strtoull(s, NULL, 10);
	if (n > (hi >> shift) || (n << shift) < lo)
		return 0;
	return n << shift;
}

static int set_hv(struct run_args *a, const char *opt, const char *val)
{
	static const struct { const char *name; enum mote_hv hv; } names[] = {
		{ "microvm", MOTE_HV_MICROVM },
		{ "q35", MOTE_HV_Q35 },
		{ "fc-fixture", MOTE_HV_FC_FIXTURE },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(val, names[i].name) == 0) {
			a->cfg.hv = names[i].hv;
			return 0;
		}
	}
	return run_fail("%s: unknown hypervisor '%s' (use microvm, q35 or fc-fixture)", opt, val);
}

static int set_mem(struct run_args *a, const char *opt, const char *val)
{
	a->cfg.mem_bytes = parse_size(val);
	if (!a->cfg.mem_bytes)
		return run_fail("%s: '%s' is not a memory size from 1M to 1T (like 64M, 1536K, 2G)",
			    opt, val);
	return 0;
}

static int set_smp(struct run_args *a, const char *opt, const char *val)
{
	unsigned long long n;
	if (!parse_uint(val, 255, &n) || n < 1)
		return run_fail("%s: '%s' is not a CPU count from 1 to 255", opt, val);
	a->cfg.smp = (unsigned)n;
	return 0;
}

static int set_timeout(struct run_args *a, const char *opt, const char *val)
{
	/* The bound keeps the deadline in poll()'s int milliseconds. */
	unsigned long long n;
	if (!parse_uint(val, 2000000, &n))
		return run_fail("%s: '%s' is not a whole number of seconds (0 to 2000000)", opt, val);
	a->cfg.timeout_s = (unsigned)n;
	return 0;
}

static int set_accel(struct run_args *a, const char *opt, const char *val)
{
	if (strcmp(val, "kvm") == 0)
		a->cfg.accel = MOTE_ACCEL_KVM;
	else if (strcmp(val, "tcg") == 0)
		a->cfg.accel = MOTE_ACCEL_TCG;
	else
		return run_fail("%s: unknown accelerator '%s' (use kvm or tcg)", opt, val);
	a->accel_set = true;
	return 0;
}

static int set_cmdline(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	a->cmdline = val;
	return 0;
}

static int set_kernel(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	a->kernel = val;
	return 0;
}

static int set_initrd(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	a->initrd = val;
	return 0;
}

static int set_qemu(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	a->qemu = val;
	return 0;
}

static int set_gdb(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	(void)val;
	a->cfg.gdb = true;
	return 0;
}

static int set_dry_run(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	(void)val;
	a->cfg.dry_run = true;
	return 0;
}

static int set_no_exit_device(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	(void)val;
	a->cfg.exit_device = false;
	return 0;
}

static void word_add(struct word_list *l, const char *w)
{
	l->v = realloc(l->v, (size_t)(l->n + 1) * sizeof(char *));
	if (!l->v)
		abort();
	l->v[l->n++] = w;
}

/* -v HOST:/path[:rw|:ro] (read-only unless :rw). */
static int set_volume(struct run_args *a, const char *opt, const char *val)
{
	char *copy = strdup(val), *guest, *mode;
	struct volume_arg *v = &a->volumes[a->nr_volumes];

	if (!copy)
		abort();
	guest = strchr(copy, ':');
	if (!guest || guest == copy || guest[1] != '/')
		return run_fail("%s %s: want HOST:/path[:rw] (a host file and an absolute guest path)",
			    opt, val);
	*guest++ = 0;
	mode = strchr(guest, ':');
	if (mode) {
		*mode++ = 0;
		if (strcmp(mode, "rw") && strcmp(mode, "ro"))
			return run_fail("%s %s: unknown mode '%s' (rw or ro)", opt, val, mode);
	}
	if (strpbrk(guest, " \t\n\"") || strstr(guest, "/../") || strstr(guest, "/./"))
		return run_fail("%s %s: the guest path may not hold blanks, quotes, . or ..", opt, val);
	if (a->nr_volumes == RUN_MAX_DISKS - 1)
		return run_fail("%s: at most %d volumes", opt, RUN_MAX_DISKS - 1);
	*v = (struct volume_arg){ copy, guest, mode && !strcmp(mode, "rw") };
	a->nr_volumes++;
	word_add(&a->prog.mounts, guest);
	return 0;
}

/*
 * The volumes become disks vol0, vol1, ... A writable one that does not
 * exist yet is created, empty and sparse (VOLUME_NEW_SIZE), with a note.
 */
#define VOLUME_NEW_SIZE (64ull << 20)

static int add_volume_disks(struct run_args *a)
{
	struct run_config *cfg = &a->cfg;

	for (unsigned i = 0; i < a->nr_volumes; i++) {
		const struct volume_arg *v = &a->volumes[i];
		char *serial;

		if (v->rw && access(v->host, F_OK) && errno == ENOENT && !cfg->dry_run) {
			int fd = open(v->host, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

			if (fd < 0 || ftruncate(fd, (off_t)VOLUME_NEW_SIZE))
				return run_fail("-v %s: cannot create it: %s", v->host, strerror(errno));
			close(fd);
			fprintf(stderr, "mote run: created volume %s (%llu MiB, empty)\n", v->host,
				VOLUME_NEW_SIZE >> 20);
		}
		if (cfg->nr_disks == RUN_MAX_DISKS)
			return run_fail("-v %s: at most %d disks in all", v->host, RUN_MAX_DISKS);
		if (asprintf(&serial, "vol%u", i) < 0)
			abort();
		cfg->disks[cfg->nr_disks++] = (struct disk_spec){ .path = v->host, .serial = serial,
								 .read_only = !v->rw };
	}
	return 0;
}

static int set_file(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	word_add(&a->prog.files, val);
	return 0;
}

static int set_env(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	word_add(&a->prog.env, val);
	return 0;
}

static int set_log(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	a->cfg.log_path = val;
	return 0;
}

static int set_verbose(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	(void)val;
	a->cfg.verbose = true;
	return 0;
}

static int set_interactive(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	(void)val;
	a->interactive = true;
	return 0;
}

static int set_strace(struct run_args *a, const char *opt, const char *val)
{
	(void)opt;
	(void)val;
	a->strace = true;
	return 0;
}

/* A serial the guest can use as a disk name: 1 to 20 of [A-Za-z0-9._-] (virtio-blk's ID is 20 bytes). */
static bool serial_ok(const char *s)
{
	size_t n = strlen(s);
	return n && n <= 20 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789._-") == n;
}

/* FILE[,ro][,serial=NAME][,blkdebug=CONF]: FILE ends at the first comma. */
static int set_disk(struct run_args *a, const char *opt, const char *val)
{
	struct run_config *cfg = &a->cfg;
	if (cfg->nr_disks == RUN_MAX_DISKS)
		return run_fail("%s: at most %d disks", opt, RUN_MAX_DISKS);
	char *copy = strdup(val), *save = NULL;
	if (!copy)
		abort();
	struct disk_spec *d = &cfg->disks[cfg->nr_disks];
	*d = (struct disk_spec){ .path = copy };
	char *comma = strchr(copy, ',');
	if (comma)
		*comma = '\0';
	if (!*copy)
		return run_fail("%s '%s': no file name", opt, val);
	for (char *w = comma ? strtok_r(comma + 1, ",", &save) : NULL; w;
	     w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "ro") == 0)
			d->read_only = true;
		else if (strncmp(w, "serial=", 7) == 0 && serial_ok(w + 7))
			d->serial = w + 7;
		else if (strncmp(w, "serial=", 7) == 0)
			return run_fail("%s '%s': serial '%s' is not 1 to 20 of A-Z a-z 0-9 . _ -",
				    opt, val, w + 7);
		else if (strncmp(w, "blkdebug=", 9) == 0 && w[9])
			d->blkdebug = w + 9;
		else
			return run_fail("%s '%s': unknown disk option '%s' (ro, serial=NAME, "
				    "blkdebug=FILE)", opt, val, w);
	}
	cfg->nr_disks++;
	return 0;
}

static int set_virtio(struct run_args *a, const char *opt, const char *val)
{
	if (strcmp(val, "modern") == 0)
		a->cfg.virtio = MOTE_VIRTIO_MODERN;
	else if (strcmp(val, "legacy") == 0)
		a->cfg.virtio = MOTE_VIRTIO_LEGACY;
	else if (strcmp(val, "transitional") == 0)
		a->cfg.virtio = MOTE_VIRTIO_TRANSITIONAL;
	else
		return run_fail("%s: unknown virtio mode '%s' (use modern, legacy or transitional)",
			    opt, val);
	return 0;
}

static int set_rng(struct run_args *a, const char *opt, const char *val)
{
	(void)val;
	a->cfg.rng = strcmp(opt, "--rng") == 0;
	return 0;
}

static int set_console(struct run_args *a, const char *opt, const char *val)
{
	if (strcmp(val, "virtio") && strcmp(val, "serial"))
		return run_fail("%s: unknown console '%s' (use virtio or serial)", opt, val);
	a->cfg.serial_console = !strcmp(val, "serial");
	return 0;
}

static int set_publish(struct run_args *a, const char *opt, const char *val)
{
	return net_add_publish(&a->cfg.net, opt, val);
}

static int set_net(struct run_args *a, const char *opt, const char *val)
{
	return net_set_mode(&a->cfg.net, opt, val);
}

static int set_ip(struct run_args *a, const char *opt, const char *val)
{
	return net_set_ip(&a->cfg.net, opt, val);
}

struct run_option {
	const char *name;
	const char *metavar;     /* NULL: a flag that takes no value */
	bool may_be_empty;       /* an empty value means something (--cmdline "") */
	int (*set)(struct run_args *a, const char *opt, const char *val);
	const char *help;
};

static const struct run_option run_options[] = {
	{ "--hv", "HV", false, set_hv,
	  "microvm (default), q35, or fc-fixture (Firecracker's boot path)" },
	{ "-m", "SIZE", false, set_mem,
	  "guest memory: 64M, 2G, 1536K; a plain number is MiB (default 128M)" },
	{ "--smp", "N", false, set_smp, "virtual CPUs, 1 to 255 (default 1)" },
	{ "--cmdline", "TEXT", true, set_cmdline, "kernel command line (default empty)" },
	{ "--kernel", "FILE", false, set_kernel,
	  "kernel ELF (default: $MOTE_KERNEL, else kernel.elf beside mote)" },
	{ "--initrd", "FILE", false, set_initrd, "boot module, passed as QEMU -initrd" },
	{ "--qemu", "PATH", false, set_qemu,
	  "QEMU binary (default: $MOTE_QEMU, else qemu-system-x86_64 in PATH)" },
	{ "--accel", "ACCEL", false, set_accel,
	  "kvm or tcg (default: kvm if /dev/kvm works, else tcg)" },
	{ "--timeout", "SECONDS", false, set_timeout,
	  "kill QEMU after SECONDS and exit 124 (default 0: never)" },
	{ "--gdb", NULL, false, set_gdb, "start paused with a gdb stub on :1234" },
	{ "--dry-run", NULL, false, set_dry_run, "print the QEMU command line, start nothing" },
	{ "--no-exit-device", NULL, false, set_no_exit_device,
	  "omit isa-debug-exit (the guest must power off by ACPI or reset)" },
	{ "--file", "HOST:GUEST", false, set_file,
	  "with PROGRAM: add host file HOST at GUEST (repeatable)" },
	{ "-v", "HOST:/path[:rw]", false, set_volume,
	  "with PROGRAM: mount disk image HOST on /path, read-only unless :rw (repeatable)" },
	{ "-e", "KEY=VALUE", false, set_env,
	  "with PROGRAM: set an environment variable; -e KEY copies mote's (repeatable)" },
	{ "-i", NULL, false, set_interactive,
	  "with PROGRAM: send stdin even when it is a terminal" },
	{ "--console", "virtio|serial", false, set_console,
	  "with PROGRAM: the guest's output on a virtio console (default) or the serial port alone" },
	{ "--log", "FILE", false, set_log, "write the kernel log to FILE" },
	{ "--verbose", NULL, false, set_verbose,
	  "with PROGRAM: show the kernel log on stderr" },
	{ "--disk", "FILE[,ro][,serial=NAME]", false, set_disk,
	  "attach raw disk image FILE as virtio-blk (repeatable)" },
	{ "--virtio", "MODE", false, set_virtio,
	  "modern (default), legacy or transitional virtio devices" },
	{ "--rng", NULL, false, set_rng, "attach a virtio-rng device" },
	{ "--no-rng", NULL, false, set_rng, "no virtio-rng device" },
	{ "-p", "[ADDR:]HPORT:GPORT[/udp]", false, set_publish,
	  "publish guest port GPORT on host ADDR:HPORT (ADDR 127.0.0.1 unless given; repeatable)" },
	{ "--publish", "[ADDR:]HPORT:GPORT[/udp]", false, set_publish, "same as -p" },
	{ "--net", "user|tap[:IF]|none", false, set_net,
	  "virtio-net NIC on QEMU user networking (-p's default), tap IF (mote0), or none" },
	{ "--ip", "ADDR/PREFIX[,gw=GW][,dns=DNS]|dhcp", false, set_ip,
	  "guest address (user: 10.0.2.15/24,gw=10.0.2.2,dns=10.0.2.3; tap: dhcp)" },
	{ "--strace", NULL, false, set_strace,
	  "with PROGRAM: have the kernel trace system calls (strace on its command line)" },
};

void run_usage(FILE *out)
{
	fputs("usage: mote run [PROGRAM|IMAGE] [options] [-- args...]\n\n"
	      "Run the static x86-64 Linux PROGRAM, or the disk IMAGE `mote build` wrote,\n"
	      "in a VM: its stdout, stderr and exit\n"
	      "status become mote's, byte for byte; the kernel log is hidden unless\n"
	      "--verbose, --log or a fatal error. Without PROGRAM, boot the kernel alone\n"
	      "with its console on stdout. The exit status is the guest's, 2 for a usage\n"
	      "error, 124 on --timeout, 125 if QEMU or the kernel failed.\n\noptions:\n",
	      out);
	for (size_t i = 0; i < sizeof(run_options) / sizeof(run_options[0]); i++) {
		const struct run_option *o = &run_options[i];
		char head[48];
		snprintf(head, sizeof(head), "%s%s%s", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		if (strlen(head) > 20)
			fprintf(out, "  %s\n  %-20s %s\n", head, "", o->help);
		else
			fprintf(out, "  %-20s %s\n", head, o->help);
	}
	fputs("  -h, --help           print this help\n\n"
	      "Words after -- are PROGRAM's arguments; without PROGRAM they are appended\n"
	      "to the kernel command line after \" -- \".\n",
	      out);
}

/* ARG names an option exactly, or as "NAME=VALUE" (*val then points at VALUE). */
static const struct run_option *find_option(const char *arg, const char **val)
{
	for (size_t i = 0; i < sizeof(run_options) / sizeof(run_options[0]); i++) {
		const struct run_option *o = &run_options[i];
		size_t n = strlen(o->name);
		if (strncmp(arg, o->name, n) != 0)
			continue;
		if (arg[n] == '\0') {
			*val = NULL;
			return o;
		}
		if (arg[n] == '=') {
			*val = arg + n + 1;
			return o;
		}
	}
	return NULL;
}

static int parse_args(struct run_args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--") == 0) {
			a->app_argc = argc - i - 1;
			a->app_argv = argv + i + 1;
			break;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			run_usage(stdout);
			return 0;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			if (a->prog.path)
				return run_fail("unexpected argument '%s' (the program's arguments go "
					    "after --)", arg);
			a->prog.path = arg;
			continue;
		}
		const char *val;
		const struct run_option *o = find_option(arg, &val);
		if (!o)
			return run_fail("unknown option '%s' (see mote run --help)", arg);
		if (!o->metavar && val)
			return run_fail("option %s takes no value", o->name);
		if (o->metavar && !val) {
			if (i + 1 >= argc)
				return run_fail("option %s needs a value (%s)", o->name, o->metavar);
			val = argv[++i];
		}
		if (o->metavar && !*val && !o->may_be_empty)
			return run_fail("option %s needs a value (%s), got an empty one", o->name,
				    o->metavar);
		int st = o->set(a, o->name, val ? val : "");
		if (st)
			return st;
	}
	return RUN_GO;
}

/*
 * A file the VM needs: the option's value if given, else the environment
 * variable if set, else NAME beside the mote binary. The message says which
 * of the three it was, since "kernel.elf: No such file" alone would leave
 * the user guessing where mote looked.
 */
static int resolve_file(const char *given, const char *opt, const char *what,
			const char *env, const char *name, const char **out)
{
	const char *path = given, *from = NULL;
	if (!path && env && (path = getenv(env)) && *path)
		from = env;
	else if (!given) {
		const char *dir = path_self_dir();
		if (!dir)
			return run_fail("%s: cannot find mote's own directory through /proc/self/exe "
				    "(set %s)", what, env);
		path = path_join(dir, name);
		from = "the default";
	}
	int err = path_check_readable(path);
	if (err && from)
		return run_fail("%s %s (from %s): %s", what, path, from, strerror(-err));
	if (err)
		return run_fail("%s %s: %s", opt, path, strerror(-err));
	*out = path;
	return 0;
}

/* A guest smaller than the kernel image would crash before the kernel could report it. */
static int check_kernel_fits(const struct run_config *cfg)
{
	unsigned long long end;
	const char *why;

	if (elf_image_end(cfg->kernel, &end, &why))
		return run_fail("kernel %s: %s", cfg->kernel, why);
	if (cfg->mem_bytes < end)
		return run_fail("-m %lluK is too small: the kernel image alone reaches %lluK",
			    cfg->mem_bytes >> 10, (end + 1023) >> 10);
	return 0;
}

static int resolve_qemu(const struct run_args *a, struct run_config *cfg)
{
	const char *name = a->qemu, *from = "--qemu";
	if (!name && (name = getenv("MOTE_QEMU")) && *name)
		from = "MOTE_QEMU";
	else if (!a->qemu) {
		name = "qemu-system-x86_64";
		from = "the default";
	}
	int err;
	cfg->qemu = path_find_exec(name, &err);
	if (cfg->qemu)
		return 0;
	if (err == -ENOENT && !strchr(name, '/'))
		return run_fail("qemu '%s' (from %s) not found in PATH (install qemu-system-x86, "
			    "or pass --qemu)", name, from);
	return run_fail("qemu '%s' (from %s): %s", name, from,
		    err == -EACCES ? "not executable" : strerror(-err));
}

/*
 * The app's words join the command line after " -- ". Linux's convention
 * holds: words split at whitespace, and "..." keeps one with spaces whole, so
 * a word with spaces is quoted and one with a double quote cannot be passed.
 */
static int append_app_args(const char **cmdline, int argc, char **argv)
{
	size_t len = strlen(*cmdline) + 4;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 3;
	char *s = malloc(len + 1), *p = s;
	if (!s)
		abort();
	p = stpcpy(p, *cmdline);
	p = stpcpy(p, **cmdline ? " --" : "--");
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];
		if (strchr(w, '"')) {
			free(s);
			return run_fail("argument '%s' after -- contains a double quote, which the "
				    "kernel command line cannot carry", w);
		}
		bool quote = !*w || strpbrk(w, " \t\n");
		p += sprintf(p, quote ? " \"%s\"" : " %s", w);
	}
	*cmdline = s;
	return 0;
}

/* Usable means the device answers with the stable API version, not merely that it opens. */
/* From <linux/kvm.h>: _IO(KVMIO, 0x00) and the version every KVM since 2.6.22 reports. */
#define KVM_GET_API_VERSION    0xae00
#define KVM_STABLE_API_VERSION 12

static bool kvm_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_STABLE_API_VERSION;
	close(fd);
	return ok;
}

/* Whether the kernel command line sets key (a word "key=..." before any "--"). */
static bool cmdline_sets(const char *line, const char *key)
{
	size_t n = strlen(key);

	while (*line) {
		size_t len = strcspn(line, " \t\n");

		if (len == 2 && !strncmp(line, "--", 2))
			return false;
		if (len > n && !strncmp(line, key, n) && line[n] == '=')
			return true;
		line += len;
		line += strspn(line, " \t\n");
	}
	return false;
}

/*
 * Under TCG the guest's TSC is the host's (tools/mote/tsc.c): tell the
 * kernel its rate, unless the user did. The kernel would otherwise spend
 * half a millisecond or more of its boot calibrating against the PIT.
 * $MOTE_TSC_KHZ (when not empty) overrides the measured rate; 0 there
 * passes none.
 */
static int add_host_tsc_rate(struct run_args *a)
{
	const char *user = a->cmdline ? a->cmdline : "", *env = getenv("MOTE_TSC_KHZ");
	unsigned long khz;
	char *s, *end;

	if (cmdline_sets(user, "tsc_khz"))
		return 0;
	if (env && *env) {
		errno = 0;
		khz = strtoul(env, &end, 10);
		if (!isdigit((unsigned char)*env) || *end || errno ||
		    (khz && (khz < TSC_KHZ_MIN || khz > TSC_KHZ_MAX)))
			return run_fail("MOTE_TSC_KHZ=%s: want the TSC rate in kHz (%lu to %lu), "
					"or 0 to let the kernel calibrate", env, TSC_KHZ_MIN, TSC_KHZ_MAX);
	} else {
		khz = host_tsc_khz();
	}
	if (!khz)
		return 0;
	if (asprintf(&s, "%s%stsc_khz=%lu", user, *user ? " " : "", khz) < 0)
		abort();
	a->cmdline = s;
	return 0;
}

/*
 * The words `mote run PROGRAM` adds to the kernel command line: the framed
 * console, `strace`, and `quiet` when nobody will read the log (no --log,
 * no --verbose): the kernel then logs one banner line instead of the
 * memory map and devices, and every byte not sent is a port exit saved.
 */
static const char *program_cmdline(const struct run_args *a)
{
	const char *user = a->cmdline ? a->cmdline : "";
	bool quiet = !a->cfg.verbose && !a->cfg.log_path;
	char *s;

	if (asprintf(&s, "%s%sconsole=framed%s%s", user, *user ? " " : "", a->strace ? " strace" : "",
		     quiet ? " quiet" : "") < 0)
		abort();
	for (unsigned i = 0; i < a->nr_volumes; i++) {
		char *more;

		if (asprintf(&more, "%s volume=vol%u:%s%s", s, i, a->volumes[i].guest,
			     a->volumes[i].rw ? ":rw" : "") < 0)
			abort();
		free(s);
		s = more;
	}
	return s;
}

/*
 * `mote run IMAGE`: the image (a file starting with the image magic) is
 * checked whole through lib/image, so a bad one is exit 2 here, not a
 * failed boot, and becomes the VM's first disk, read-only, with the serial
 * "root": the kernel mounts the disk of that name as / and runs the
 * image's command. Words after -- replace the command's arguments (the
 * kernel reads them from its command line).
 */
static int use_image(struct run_args *a, struct run_config *cfg, const char *image)
{
	const char *why = NULL;

	if (image_check_file(image, &why))
		return run_fail("image %s: %s", image, why);
	if (cfg->nr_disks == RUN_MAX_DISKS)
		return run_fail("at most %d disks besides the image", RUN_MAX_DISKS - 1);
	memmove(&cfg->disks[1], &cfg->disks[0], cfg->nr_disks * sizeof(cfg->disks[0]));
	cfg->disks[0] = (struct disk_spec){ .path = image, .serial = "root", .read_only = true };
	cfg->nr_disks++;
	cfg->cmdline = program_cmdline(a);
	return a->app_argc ? append_app_args(&cfg->cmdline, a->app_argc, a->app_argv) : 0;
}

static int resolve_image(struct run_args *a, struct run_config *cfg)
{
	if (a->prog.files.n || a->prog.env.n)
		return run_fail("--file and -e cannot be used with an image (give them to mote build)");
	return use_image(a, cfg, a->prog.path);
}

/*
 * A dynamic program runs from its cached image (cache.c): program,
 * libraries, files, env. Its argv[0] is the name as given, as for a static
 * program (argv0= on the kernel command line), unless the command line
 * cannot carry it (a double quote): then the image's path.
 */
static int resolve_dynamic(struct run_args *a, struct run_config *cfg)
{
	const char *name = a->prog.path;
	char *image, *with_argv0;
	int st = image_cache_get(&a->prog, &image);

	if (st || (st = use_image(a, cfg, image)))
		return st;
	if (strchr(name, '"'))
		return 0;
	if (asprintf(&with_argv0, strpbrk(name, " \t\n") ? "argv0=\"%s\" %s" : "argv0=%s %s", name,
		     cfg->cmdline) < 0)
		abort();
	cfg->cmdline = with_argv0;
	return 0;
}

static int resolve_program(struct run_args *a, struct run_config *cfg)
{
	bool dynamic = false;
	int st;

	if (cfg->hv == MOTE_HV_FC_FIXTURE)
		return run_fail("a program cannot run with --hv fc-fixture (the fixture takes the "
			    "kernel as its initrd; use microvm or q35)");
	if (cfg->initrd)
		return run_fail("--initrd cannot be used with a program (mote builds the initrd "
			    "from it)");
	if (image_file_has_magic(a->prog.path)) {
		st = resolve_image(a, cfg);
	} else if ((st = program_check(a->prog.path, &dynamic)) == 0 && dynamic) {
		st = resolve_dynamic(a, cfg);
	} else if (!st) {
		a->prog.argc = a->app_argc;
		a->prog.argv = a->app_argv;
		a->prog.net = cfg->net.mode != MOTE_NET_NONE;
		st = program_bundle(&a->prog, cfg->dry_run, &cfg->initrd);
		cfg->bundle_path = cfg->initrd;
		cfg->cmdline = program_cmdline(a);
	}
	if (st)
		return st;
	cfg->program = a->prog.path;
	cfg->framed = true;
	cfg->forward_stdin = a->interactive || !isatty(STDIN_FILENO);
	return 0;
}

/* A disk must be readable, and writable unless ro; its blkdebug rules readable. */
static int check_disk(const struct disk_spec *d)
{
	if (access(d->path, d->read_only ? R_OK : R_OK | W_OK))
		return run_fail("--disk %s: %s", d->path, strerror(errno));
	int err = path_check_readable(d->path);
	if (err)
		return run_fail("--disk %s: %s", d->path, strerror(-err));
	if (d->blkdebug && (err = path_check_readable(d->blkdebug)))
		return run_fail("--disk %s: blkdebug=%s: %s", d->path, d->blkdebug, strerror(-err));
	return 0;
}

/* --log FILE is opened (and emptied) before anything starts, so a bad path costs nothing. */
static int check_log(const struct run_config *cfg)
{
	int fd;

	if (!cfg->log_path || cfg->dry_run)
		return 0;
	fd = open(cfg->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return run_fail("--log %s: %s", cfg->log_path, strerror(errno));
	close(fd);
	return 0;
}

static int resolve(struct run_args *a, struct run_config *cfg)
{
	if (a->nr_volumes && !a->prog.path)
		return run_fail("--file, -e and -v need a PROGRAM to run");
	if (a->nr_volumes && add_volume_disks(a))
		return MOTE_EXIT_USAGE;
	if (net_resolve(&a->cfg.net))
		return MOTE_EXIT_USAGE;
	if (a->cfg.net.mode != MOTE_NET_NONE) {
		/* First on the command line, so it is a kernel word whatever follows (" -- " app args). */
		char *with_ip;
		if (asprintf(&with_ip, "%s%s%s", a->cfg.net.ip_word, a->cmdline && *a->cmdline ? " " : "",
			     a->cmdline ? a->cmdline : "") < 0)
			abort();
		a->cmdline = with_ip;
	}
	*cfg = a->cfg;
	if (cfg->hv == MOTE_HV_FC_FIXTURE && a->initrd)
		return run_fail("--initrd cannot be used with --hv fc-fixture "
			    "(the fixture receives the kernel as its initrd)");
	int st = resolve_file(a->kernel, "--kernel", "kernel", "MOTE_KERNEL", "kernel.elf",
			      &cfg->kernel);
	if (!st)
		st = check_kernel_fits(cfg);
	if (!st && a->initrd)
		st = resolve_file(a->initrd, "--initrd", "initrd", NULL, NULL, &cfg->initrd);
	if (!st && cfg->hv == MOTE_HV_FC_FIXTURE)
		st = resolve_file(NULL, NULL, "fc-fixture", "MOTE_FCFIXTURE", "fcfixture.elf",
				  &cfg->fcfixture);
	for (unsigned i = 0; !st && i < cfg->nr_disks; i++)
		st = check_disk(&cfg->disks[i]);
	if (!st)
		st = resolve_qemu(a, cfg);
	if (!st)
		st = check_log(cfg);
	if (st)
		return st;

	if (!a->accel_set)
		cfg->accel = kvm_usable() ? MOTE_ACCEL_KVM : MOTE_ACCEL_TCG;
	if (cfg->accel == MOTE_ACCEL_TCG && (st = add_host_tsc_rate(a)))
		return st;
	cfg->tsc_rate_given = a->cmdline && cmdline_sets(a->cmdline, "tsc_khz");
	if (a->prog.path)
		return resolve_program(a, cfg);
	if (a->prog.files.n || a->prog.env.n || a->nr_volumes)
		return run_fail("--file, -e and -v need a PROGRAM to run");
	const char *cmdline = a->cmdline ? a->cmdline : "";
	if (a->app_argc > 0 && (st = append_app_args(&cmdline, a->app_argc, a->app_argv)))
		return st;
	cfg->cmdline = cmdline;
	return 0;
}

static void print_gdb_hint(const struct run_config *cfg)
{
	fputs("mote: QEMU is paused for a debugger; attach with: gdb ", stderr);
	qemu_fput_quoted(stderr, cfg->kernel);
	fputs(" -ex 'target remote :1234'\n", stderr);
}

int run_main(int argc, char **argv)
{
	struct run_args a = {
		.cfg = {
			.hv = MOTE_HV_MICROVM,
			.mem_bytes = 128ull << 20,
			.smp = 1,
			.exit_device = true,
		},
	};
	int st = parse_args(&a, argc, argv);
	if (st != RUN_GO)
		return st;
	struct run_config cfg;
	if ((st = resolve(&a, &cfg)))
		return st;

	char **qemu_argv = qemu_build_argv(&cfg);
	if (cfg.dry_run) {
		qemu_print_shell(stdout, qemu_argv);
		return fflush(stdout) == 0 ? 0 : MOTE_EXIT_USAGE;
	}
	if (cfg.gdb)
		print_gdb_hint(&cfg);
	return console_run(qemu_argv, &cfg);
}
