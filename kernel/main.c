/*
 * kernel_main: from the entry stubs to the application.
 *
 * The order is what each step needs: the console first (so every later
 * failure can be reported), then the CPU tables (so a fault is reported
 * rather than a triple fault), then boot_info (everything else is
 * described by it), the command line, and the firmware tables. Each boot
 * input is checked as it is read; a bad one ends the boot with a message
 * and MOTE_STATUS_KERNEL_FAILURE, never a panic or a hang.
 *
 * Then the scheduler starts: the boot context becomes the boot CPU's idle
 * thread and the application runs in a thread of its own ("main"). Until
 * the Linux layer exists, the application is the banner: version, command
 * line, memory map, modules and CPUs (or the self-tests), then power-off.
 */
#include <abi/boot_info.h>
#include <lib/cmdline.h>
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/image.h>
#include <lib/parse.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/blkdev.h>
#include <mote/net.h>
#include <mote/bootchart.h>
#include <mote/clock.h>
#include <mote/console.h>
#include <mote/crash.h>
#include <mote/kbench.h>
#include <mote/ksyms.h>
#include <mote/ktest.h>
#include <mote/layout.h>
#include <mote/linux.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/mmboot.h>
#include <mote/percpu.h>
#include <mote/platform.h>
#include <mote/sched.h>
#include <mote/smp.h>
#include <mote/spinlock.h>
#include <mote/sync.h>
#include <mote/thread.h>
#include <mote/time.h>
#include <mote/timer.h>
#include <mote/virtio.h>
#include <mote/vmkernel.h>

void kernel_main(void);

/* Written by the entry stubs (arch/x86_64/boot.S). */
extern uint64_t boot_entry_tsc, boot_loader_info;
extern uint32_t boot_protocol;
extern const char _end[];

static struct boot_info boot_info;
static char cmdline_buf[BOOT_INFO_CMDLINE_MAX];
static struct cmdline cmdline;

__attribute__((noreturn)) static void boot_fail(const struct boot_error *err)
{
	console_fatal();
	printk("mote: boot failed: %s\n", err->message);
	platform_power_off(MOTE_STATUS_KERNEL_FAILURE);
}

static int read_boot_memory(void *ctx, uint64_t pa, void *dst, size_t len)
{
	(void)ctx;
	if (pa >= BOOT_DIRECT_MAP_SIZE || len > BOOT_DIRECT_MAP_SIZE - pa)
		return -EFAULT;
	memcpy(dst, phys_to_virt(pa), len);
	return 0;
}

static void load_boot_info(void)
{
	static const struct phys_reader reader = { read_boot_memory, 0 };
	struct boot_error err;
	int ret;

	boot_info.entry_tsc = boot_entry_tsc;
	switch (boot_protocol) {
	case BOOT_PROTO_PVH:
		ret = boot_info_from_pvh(&boot_info, boot_loader_info, &reader, &err);
		break;
	case BOOT_PROTO_LINUX:
		ret = boot_info_from_linux(&boot_info, boot_loader_info, &reader, &err);
		break;
	default:
		panic("entered with unknown boot protocol %u", boot_protocol);
	}
	if (ret || boot_info_check(&boot_info, KERNEL_PHYS, kernel_virt_to_phys(_end), &err))
		boot_fail(&err);
}

/*
 * QEMU microvm appends its virtio_mmio.device= entries to the end of the
 * line, after any `--`: the trailing run of them belongs to the kernel.
 */
static void reclaim_appended_devices(void)
{
	static const char prefix[] = "virtio_mmio.device=";
	unsigned first = cmdline.nr_app_args;
	struct boot_error err;

	while (first && !strncmp(cmdline.app_args[first - 1], prefix, sizeof(prefix) - 1))
		first--;
	for (unsigned i = first; i < cmdline.nr_app_args; i++)
		if (platform_record_mmio_device(cmdline.app_args[i] + sizeof(prefix) - 1, &err))
			boot_fail(&err);
	cmdline.nr_app_args = first;
}

static void apply_cmdline(void)
{
	struct cmdline_error cerr;
	struct boot_error err;
	const char *khz;
	uint64_t v;

	memcpy(cmdline_buf, boot_info.cmdline, sizeof(cmdline_buf));
	if (cmdline_parse(cmdline_buf, &cmdline, &cerr)) {
		fmt_snprintf(err.message, sizeof(err.message), "bad command line: %s at byte %zu",
			     cerr.reason, cerr.offset);
		boot_fail(&err);
	}
	console_init(cmdline_get(&cmdline, "console"));
	for (unsigned i = 0; i < cmdline.nr_args; i++)
		if (!strcmp(cmdline.args[i].key, "virtio_mmio.device") &&
		    platform_record_mmio_device(cmdline.args[i].value ? cmdline.args[i].value : "",
						&err))
			boot_fail(&err);
	reclaim_appended_devices();
	khz = cmdline_get(&cmdline, "tsc_khz");
	if (khz) {
		if (parse_u64(khz, 0, &v) || !v) {
			fmt_snprintf(err.message, sizeof(err.message), "bad tsc_khz=%s", khz);
			boot_fail(&err);
		}
		time_set_cycles_khz(v);
	}
}

/*
 * A disk image as the boot module: its superblock is checked here, the rest
 * when imgfs mounts it (linux_boot_image), which reports its own refusals.
 */
static void check_image_module(const void *data, uint64_t size, uint32_t index)
{
	struct boot_error err;
	struct image img;

	if (index > 0 || image_check_super(&img, data, size, size)) {
		fmt_snprintf(err.message, sizeof(err.message), "boot module %u: %s", index,
			     index > 0 ? "a disk image must be the only module" : img.why);
		boot_fail(&err);
	}
}

/* Each boot module is a bundle (include/abi/bundle.h) or a disk image (include/abi/image.h). */
static void check_modules(void)
{
	struct boot_error err;

	for (uint32_t i = 0; i < boot_info.nr_modules; i++) {
		const struct boot_module *m = &boot_info.modules[i];

		if (m->base + m->size > BOOT_DIRECT_MAP_SIZE) {
			fmt_snprintf(err.message, sizeof(err.message),
				     "boot module %u lies above 4 GiB, beyond the boot mapping", i);
			boot_fail(&err);
		}
		if (image_has_magic(phys_to_virt(m->base), m->size))
			check_image_module(phys_to_virt(m->base), m->size, i);
		else if (bundle_check(phys_to_virt(m->base), m->size, &err))
			boot_fail(&err);
	}
}

/*
 * After this the loader's memory is the allocators': boot_info holds all we keep of it.
 * A boot bundle (module 0, the one run_program() unpacks) ends up as its files' pages or
 * freed (linux_boot_bundle()); a disk image module stays, the root filesystem.
 */
static void start_memory(void)
{
	struct boot_error err;
	const char *debug = cmdline_get(&cmdline, "mm.debug");
	const struct boot_module *m = &boot_info.modules[0];
	uint32_t free_later = boot_info.nr_modules && !image_has_magic(phys_to_virt(m->base), m->size);

	if (mm_boot(&boot_info, KERNEL_PHYS, kernel_virt_to_phys(_end), free_later, &err))
		boot_fail(&err);
	if (debug && strcmp(debug, "0"))
		mm_debug_enable(true);
	arch_set_page_fault_handler(vm_kernel_fault);
}

/* Hex digits of the largest address in the map: the lines stay aligned, and short (serial bytes cost boot time). */
static int map_address_digits(void)
{
	uint64_t top = 0;
	int digits = 1;

	for (uint32_t i = 0; i < boot_info.nr_mem; i++)
		if (boot_info.mem[i].base + boot_info.mem[i].size - 1 > top)
			top = boot_info.mem[i].base + boot_info.mem[i].size - 1;
	while (top >>= 4)
		digits++;
	return digits;
}

static void print_memory_map(void)
{
	uint64_t usable = 0;
	int w = map_address_digits();

	printk("memory map:\n");
	for (uint32_t i = 0; i < boot_info.nr_mem; i++) {
		const struct boot_mem_region *r = &boot_info.mem[i];

		printk("  0x%0*lx-0x%0*lx %s\n", w, r->base, w, r->base + r->size - 1,
		       boot_mem_type_name(r->type));
		if (r->type == BOOT_MEM_USABLE)
			usable += r->size;
	}
	printk("memory: %lu KiB usable, %lu KiB free after boot\n", usable >> 10,
	       page_free_count() * (PAGE_SIZE / 1024));
}

static void print_devices(void)
{
	const struct mmio_device *dev;
	unsigned n = platform_mmio_devices(&dev);

	for (uint32_t i = 0; i < boot_info.nr_modules; i++)
		printk("module %u: %#lx, %lu bytes\n", i, boot_info.modules[i].base,
		       boot_info.modules[i].size);
	for (unsigned i = 0; i < n; i++)
		printk("virtio-mmio %u: %#lx, %#lx bytes, irq %u\n", dev[i].id, dev[i].base,
		       dev[i].size, dev[i].irq);
}

static void print_cpus(const struct cpu_list *cpus, unsigned online)
{
	static const char *const source[] = {
		[CPUS_DEFAULT] = "boot CPU only: no ACPI MADT or MP table",
		[CPUS_FROM_ACPI] = "ACPI MADT",
		[CPUS_FROM_MPTABLE] = "MP table",
	};

	printk("cpus: %u (%s), %u online, APIC ids", cpus->count, source[cpus->source], online);
	for (unsigned i = 0; i < cpus->count; i++)
		printk(" %u", cpus->apic_id[i]);
	printk("\n");
}

static void print_banner(const struct cpu_list *cpus, unsigned online)
{
	if (cmdline_has(&cmdline, "quiet")) {	/* one line: nobody reads the rest (mote run) */
		printk("mote %s (git %s), %u CPUs online, %lu KiB free\n", MOTE_VERSION, MOTE_GIT_REV,
		       online, page_free_count() * (PAGE_SIZE / 1024));
		return;
	}
	printk("mote %s (git %s), booted via %s\n", MOTE_VERSION, MOTE_GIT_REV,
	       boot_info.protocol == BOOT_PROTO_PVH ? "PVH" : "the Linux 64-bit boot protocol");
	printk("cmdline: %s\n", boot_info.cmdline);
	if (cmdline.has_separator) {
		printk("application arguments:");
		for (unsigned i = 0; i < cmdline.nr_app_args; i++)
			printk(" %s", cmdline.app_args[i]);
		printk("\n");
	}
	print_memory_map();
	print_devices();
	print_cpus(cpus, online);
}

static int run_selftests(void)
{
	const char *prefix = cmdline_get(&cmdline, "selftest");

	return ktest_run(prefix ? prefix : "") ? MOTE_STATUS_TESTS_FAILED : MOTE_STATUS_OK;
}

/*
 * The program the boot bundle or image module names, or else the image on
 * the disk named "root" (virtio-blk, serial "root"), if any: returns only
 * if it could not start.
 */
static void run_program(void)
{
	const struct boot_module *m = &boot_info.modules[0];
	const struct linux_image_args over = {
		.argv0 = cmdline_get(&cmdline, "argv0"),
		.args = cmdline.app_args,
		.nargs = cmdline.nr_app_args,
	};
	int status;

	linux_strace = cmdline_has(&cmdline, "strace");
	for (unsigned i = 0; i < cmdline.nr_args; i++)
		if (!strcmp(cmdline.args[i].key, "volume") &&
		    linux_add_volume(cmdline.args[i].value ? cmdline.args[i].value : "")) {
			printk("mote: bad volume=%s (want DISK:/path or DISK:/path:rw)\n",
			       cmdline.args[i].value ? cmdline.args[i].value : "");
			platform_power_off(MOTE_STATUS_KERNEL_FAILURE);
		}
	if (!boot_info.nr_modules)
		status = linux_boot_root_disk(&over);
	else if (image_has_magic(phys_to_virt(m->base), m->size))
		status = linux_boot_image(phys_to_virt(m->base), m->size, &over);
	else
		status = linux_boot_bundle(phys_to_virt(m->base), m->size);
	if (status >= 0) {
		/* It could not start: the host shows the log's tail, which says why. */
		console_fatal();
		platform_power_off(status);
	}
}

/* The application's thread. */
static void *app_main(void *arg)
{
	const struct cpu_list *cpus = arg;
	int status = MOTE_STATUS_OK;

	const char *bench = cmdline_get(&cmdline, "bench");

	virtio_init(!cmdline_has(&cmdline, "--nopci"));
	bootchart_mark("devices");
	if (net_init(&cmdline))
		printk("net: the network stack could not start\n");
	bootchart_mark("net");
	bootchart_mark("app");
	if (bench)
		platform_power_off(kbench_run(bench) ? MOTE_STATUS_TESTS_FAILED : MOTE_STATUS_OK);
	if (cmdline_has(&cmdline, "--bootchart"))
		bootchart_report();
	print_banner(cpus, smp_online_count());
	crash_on_request(cmdline_get(&cmdline, "debug.crash"));
	if (cmdline_has(&cmdline, "console.selftest"))
		platform_power_off(console_selftest(cmdline_get(&cmdline, "console.selftest")));
	if (boot_info.nr_modules || blkdev_find(LINUX_ROOT_DISK))
		run_program();
	if (cmdline_has(&cmdline, "--selftest") || cmdline_has(&cmdline, "selftest"))
		status = run_selftests();
	platform_power_off(status);
}

/* The boot context becomes the boot CPU's idle thread; APs join as they start. */
static void start_scheduler(void)
{
	const char *locks = cmdline_get(&cmdline, "debug.locks");

	if (locks && strcmp(locks, "0"))
		spin_debug_enable(true);
	thread_init();
}

static void start_app(struct cpu_list *cpus)
{
	static const struct thread_attr app_attr = { .name = "main" };
	struct thread *app = thread_create(app_main, cpus, &app_attr);

	if (IS_ERR(app))
		panic("cannot start the application thread: error %ld", PTR_ERR(app));
}

void kernel_main(void)
{
	static struct cpu_list cpus;

	bootchart_start(boot_entry_tsc);
	percpu_boot();
	bootchart_mark("main");
	arch_cpu_init();
	bootchart_mark("cpu");
	load_boot_info();
	bootchart_mark("boot_info");
	apply_cmdline();
	check_modules();
	bootchart_mark("cmdline");
	acpi_init(&boot_info);
	platform_cpus(&cpus);
	percpu_describe(&cpus);
	bootchart_mark("firmware");
	start_memory();
	bootchart_mark("memory");
	arch_irq_cpu_init();
	arch_irq_system_init();
	clock_init();
	timer_cpu_init();
	bootchart_mark("interrupts");
	start_scheduler();
	bootchart_mark("sched");
	smp_start_cpus();
	bootchart_mark("smp");
	start_app(&cpus);
	sched_idle();
}
