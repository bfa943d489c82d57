/*
 * mote: the host command-line tool.
 *
 * The CLI is a thin launcher: it decodes and validates every option first
 * ("decode, then invoke"), turns the result into one QEMU argv, then spawns
 * QEMU directly and pumps its console until it exits. Nothing in between
 * sleeps or polls, because the project measures the wall time `mote run`
 * adds on top of QEMU and wants it well under a millisecond.
 *
 * One file per concern:
 *   main.c     command dispatch (run, build, inspect, version, help)
 *   run.c      `mote run`: option parsing, defaults, validation
 *   paths.c    where things are: mote's own directory, PATH lookup, file checks
 *   qemu.c     the QEMU argv for each hypervisor, and its shell-quoted form
 *   net.c      -p, --net and --ip: the NIC, port forwards, the guest's ip= word
 *   program.c  `mote run PROGRAM`: checking the program, building its bundle
 *   bundle.c   writing a boot bundle (include/abi/bundle.h)
 *   build.c    `mote build`: options, manifest, host files, placement, /etc
 *   image_write.c  laying out and writing a disk image (include/abi/image.h)
 *   inspect.c  `mote inspect`: listing an image through lib/image
 *   console.c  spawning QEMU, the serial pump and demultiplexer, the exit-status rules
 *   cache.c    mote's cache: dynamic programs' images, the host's TSC rate
 *   tsc.c      measuring the host's TSC rate
 *
 * Errors: functions that can fail for a user-visible reason print one line
 * `mote run: <problem>` to stderr themselves and return a nonzero status, so
 * the message is written where the problem is best known.
 */
#ifndef MOTE_TOOLS_MOTE_H
#define MOTE_TOOLS_MOTE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of `mote run` that do not come from the guest. */
enum {
	MOTE_EXIT_USAGE = 2,      /* bad option, missing file: nothing started */
	MOTE_EXIT_TIMEOUT = 124,  /* --timeout expired (as timeout(1)) */
	MOTE_EXIT_QEMU = 125,     /* QEMU itself failed */
};

/*
 * Prints "mote <command>: <message>" on stderr and returns MOTE_EXIT_USAGE
 * (run.c); mote_command is the command being run ("run", "build", ...).
 */
extern const char *mote_command;
int run_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

enum mote_hv {
	MOTE_HV_MICROVM,
	MOTE_HV_Q35,
	MOTE_HV_FC_FIXTURE,
};

enum mote_accel {
	MOTE_ACCEL_KVM,
	MOTE_ACCEL_TCG,
};

/* Which virtio devices QEMU gives the guest (--virtio). */
enum mote_virtio {
	MOTE_VIRTIO_MODERN,        /* virtio 1.x only: mmio version 2, PCI disable-legacy */
	MOTE_VIRTIO_LEGACY,        /* 0.9.5 only: mmio version 1, PCI disable-modern */
	MOTE_VIRTIO_TRANSITIONAL,  /* QEMU's default: mmio version 1, PCI both */
};

/* A --disk FILE[,ro][,serial=NAME][,blkdebug=CONF]. */
#define RUN_MAX_DISKS 16
struct disk_spec {
	const char *path;
	const char *serial;       /* NULL: none (the guest names it vdN) */
	const char *blkdebug;     /* NULL: none; else QEMU blkdebug rules (error injection) */
	bool read_only;
};

/*
 * net.c: the one NIC (-p, --net, --ip; docs/cli.md "Networking"). None
 * unless asked for: -p implies user networking.
 */
enum mote_net {
	MOTE_NET_NONE,
	MOTE_NET_USER,            /* QEMU's user networking (slirp), with -p forwards */
	MOTE_NET_TAP,             /* a host tap interface */
};
#define NET_MAX_PORTS 16
struct port_fwd {
	char addr[16];            /* host IPv4 address, 127.0.0.1 unless given */
	unsigned host_port, guest_port;
	bool udp;
};
struct net_config {
	enum mote_net mode;
	bool mode_set;            /* --net given (else -p decides) */
	const char *ifname;       /* tap only */
	struct port_fwd ports[NET_MAX_PORTS];
	unsigned nr_ports;
	const char *ip_word;      /* the kernel's ip=... word; NULL: no NIC */
	char mac[18];
};
/* Each returns 0 or 2 after a `mote run: ...` line. */
int net_add_publish(struct net_config *n, const char *opt, const char *val);
int net_set_mode(struct net_config *n, const char *opt, const char *val);
int net_set_ip(struct net_config *n, const char *opt, const char *val);
/* Defaults, MAC and ip= word; checks every published host port can be bound. */
int net_resolve(struct net_config *n);
/* The value of QEMU's -netdev (malloc'ed). */
char *net_netdev_arg(const struct net_config *n);

/*
 * The fd QEMU inherits for the framed console's virtio console: one end of
 * a stream socket pair (`-chardev socket,fd=3`), both directions.
 * --dry-run's command line names it: run by hand, it needs that fd open.
 */
#define MOTE_CONSOLE_FD 3

/* A fully decoded and validated `mote run` request. */
struct run_config {
	enum mote_hv hv;
	enum mote_accel accel;
	unsigned long long mem_bytes;
	unsigned smp;
	unsigned timeout_s;       /* 0: no timeout */
	bool gdb;
	bool dry_run;
	bool exit_device;
	const char *qemu;         /* resolved path, executed without a PATH search */
	const char *kernel;       /* the mote kernel */
	const char *initrd;       /* NULL: none */
	const char *fcfixture;    /* only for MOTE_HV_FC_FIXTURE */
	const char *cmdline;      /* full kernel command line, app args included */
	bool tsc_rate_given;      /* it says tsc_khz=: the kernel needs no PIT to calibrate */
	struct disk_spec disks[RUN_MAX_DISKS];
	unsigned nr_disks;
	enum mote_virtio virtio;
	bool rng;                 /* a virtio-rng device */
	struct net_config net;    /* the NIC, if mode != MOTE_NET_NONE */

	/* With a program (`mote run PROGRAM`): the framed console. */
	const char *program;      /* NULL: none, the plain console of the kernel alone */
	bool framed;              /* console=framed: demultiplex the guest's streams */
	bool serial_console;      /* --console serial: no virtio console, all output on the UART */
	bool forward_stdin;       /* send mote's stdin (else an immediate EOF) */
	bool verbose;             /* the kernel log on stderr too */
	const char *log_path;     /* --log FILE, NULL: none */
	const char *bundle_path;  /* the temporary bundle (-initrd), removed at exit */
};

/* A --file HOST:GUEST or -e KEY=VALUE list, in command-line order. */
struct word_list {
	const char **v;
	int n;
};

/* program.c: what `mote run PROGRAM` puts in the VM. */
struct program_spec {
	const char *path;         /* as given: the host path, and argv[0] */
	int argc;                 /* arguments after -- */
	char **argv;
	struct word_list files;   /* HOST:GUEST */
	struct word_list env;     /* KEY=VALUE or KEY */
	struct word_list mounts;  /* guest paths volumes mount on (-v): made in an image */
	bool net;                 /* a NIC: the bundle links /etc/resolv.conf unless given one */
};

/*
 * tsc.c: the host's TSC rate in kHz, the median of `windows` busy-waits of
 * window_ns each (at most TSC_MAX_WINDOWS); 0 when no more than half the
 * windows agree with the median to 0.1%, or the host has no TSC.
 */
#define TSC_MAX_WINDOWS 16
double tsc_measure_khz(unsigned windows, double window_ns);
/* That judgement on n measured rates (sorted in place): the median, or 0. */
double tsc_agreed_khz(double *khz, unsigned n);

/*
 * cache.c: the host TSC rate a TCG guest should be told (tsc_khz=), from
 * the cache when it was measured since the host booted; 0 when unknown
 * (no constant TSC, a disturbed measurement, no cache directory).
 */
unsigned long host_tsc_khz(void);
#define TSC_KHZ_MIN 1000ul		/* 1 MHz to 100 GHz: outside is a broken measurement */
#define TSC_KHZ_MAX 100000000ul

/* run.c: `mote run ARGS...`; returns the process exit status. */
int run_main(int argc, char **argv);
void run_usage(FILE *out);

/* build.c: `mote build`; inspect.c: `mote inspect`. Each returns the exit status. */
int build_main(int argc, char **argv);
/*
 * cache.c: the cached image of a dynamic program for `mote run PROGRAM`
 * (the program, its libraries, its --file and -e words), built by `mote
 * build` when missing or out of date; its path (malloc'ed) in *path. 0, or
 * 2 after a message.
 */
int image_cache_get(const struct program_spec *spec, char **path);
void build_usage(FILE *out);
int inspect_main(int argc, char **argv);
/* inspect.c: whether path starts with the image magic; whether lib/image accepts it (-1 with *why). */
bool image_file_has_magic(const char *path);
int image_check_file(const char *path, const char **why);

/* paths.c */
const char *path_self_dir(void);
char *path_join(const char *dir, const char *name);
const char *path_find_exec(const char *name, int *err);
int path_check_readable(const char *path);
int path_check_exec(const char *path);

/* qemu.c */
char **qemu_build_argv(const struct run_config *cfg);
/* Whether the VM gets the virtio console (a program's framed console, unless --console serial). */
bool qemu_virtio_console(const struct run_config *cfg);
void qemu_print_shell(FILE *out, char *const argv[]);
void qemu_fput_quoted(FILE *out, const char *word);

/* console.c: runs argv[0] with argv as cfg says; returns mote's exit status. */
int console_run(char *const argv[], const struct run_config *cfg);

/*
 * program.c: program_check() refuses anything but an x86-64 ELF program
 * (exit status 2 after one line) and says in *dynamic whether it needs an
 * ELF interpreter (NULL: refuse those too); program_bundle() checks the
 * --file and -e words and writes the bundle to a new private file,
 * returning its path in *path. Both print `mote run: <problem>` and return
 * 2 on failure.
 */
int program_check(const char *path, bool *dynamic);
int program_bundle(const struct program_spec *spec, bool keep, const char **path);
void program_remove_bundle(void);
/*
 * The guest environment: PATH, HOSTNAME=mote, HOME=/, then the -e words in
 * order (KEY=VALUE, or KEY for the host's value; a later KEY replaces an
 * earlier one), as a NULL-terminated vector in *out. 0, or 2 after a message.
 */
int program_env(const struct word_list *words, const char ***out);
#define PROGRAM_GUEST_DIR "/app"

/* elf.c: the end of a kernel ELF's loaded image in physical memory; -1 with *why if unusable. */
int elf_image_end(const char *path, unsigned long long *end, const char **why);

/*
 * bundle.c: streams a bundle into fd. bundle_begin() writes a placeholder
 * header, bundle_add*() append entries (path NULL for ARGV/ENV), and
 * bundle_finish() writes the real header. Each returns 0 or the first
 * negative errno met (-EINVAL for a path lib/bundle would refuse).
 */
struct bundle_writer {
	int fd;
	int err;
	uint32_t nr;
	uint64_t size;
};
int bundle_begin(struct bundle_writer *w, int fd);
int bundle_add(struct bundle_writer *w, uint32_t type, uint32_t mode, const char *path,
	       const void *data, uint64_t len);
int bundle_add_file(struct bundle_writer *w, const char *path, uint32_t mode, int src,
		    uint64_t len);
int bundle_finish(struct bundle_writer *w);

/*
 * image_write.c: a disk image (include/abi/image.h) from a tree built in
 * memory. imgw_add_*() add entries at absolute guest paths (missing
 * parents become 0755 directories; a second entry at a path is a name
 * clash, -EEXIST, except that directories merge); imgw_set_config() says
 * what to run (the vectors and strings must outlive the writer);
 * imgw_write() writes the image into fd from offset 0. Each returns 0 or
 * the first negative errno met, with a sentence in w->why. `origin` says
 * what added an entry (for clash messages) and must outlive the writer.
 */
struct wnode;
struct imgw_buf {
	uint8_t *p;
	size_t len, cap;
};
struct imgw {
	struct wnode *root;
	int64_t dir_mtime;		/* of directories made as parents */
	bool lz4;			/* compress files where it saves a block or more */
	char *const *argv, *const *envp;
	const char *exec, *cwd;
	void (*progress)(void *ctx, uint64_t done, uint64_t total);	/* NULL: none */
	void *progress_ctx;
	/* while writing */
	struct imgw_buf dirents, blocks;
	uint64_t done, total;
	int err;
	char why[512];
};
struct imgw *imgw_new(int64_t dir_mtime);
int imgw_add_dir(struct imgw *w, const char *path, uint32_t perm, int64_t mtime, const char *origin);
int imgw_add_host_file(struct imgw *w, const char *path, uint32_t perm, int64_t mtime,
		       const char *host, uint64_t size, const char *origin);
int imgw_add_bytes(struct imgw *w, const char *path, uint32_t perm, int64_t mtime,
		   const void *data, size_t len, const char *origin);
int imgw_add_symlink(struct imgw *w, const char *path, const char *target, int64_t mtime,
		     const char *origin);
bool imgw_exists(struct imgw *w, const char *path);
/* Where path's entry really is, its parents' symlinks followed (malloc'ed); NULL if absent. */
char *imgw_canonical(struct imgw *w, const char *path);
int imgw_set_config(struct imgw *w, char *const argv[], char *const envp[], const char *exec,
		    const char *cwd);
uint64_t imgw_data_bytes(struct imgw *w);	/* file bytes the image will hold */
int imgw_write(struct imgw *w, int fd);
void imgw_free(struct imgw *w);

#endif
