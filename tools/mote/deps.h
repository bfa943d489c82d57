/*
 * deps: what an image must hold for a dynamic program to start, found the
 * way ld.so will look for it in the guest (the rules: docs/build.md).
 *
 * Given the host path of an ELF program, deps_resolve() walks the program's
 * PT_INTERP and DT_NEEDED entries breadth-first, searching each library as
 * glibc's ld.so does (DT_RPATH of the loader chain unless the loader has
 * DT_RUNPATH, then the loader's DT_RUNPATH, then the ld.so.conf directories,
 * then the defaults; $ORIGIN, $LIB and $PLATFORM expanded; files of another
 * class or machine skipped). The answer is a list of entries, each a
 * regular file or a symbolic link at a guest path:
 *
 *   - A library's guest path is the path ld.so opens on the host, so the
 *     guest's ld.so finds it in the same directory without an ld.so.cache.
 *     The path is then walked component by component as the kernel would:
 *     every symbolic link met on the way (a directory like /lib -> usr/lib
 *     or a file like libz.so.1 -> libz.so.1.2.13) becomes a DEPS_SYMLINK
 *     entry with the host's link text, and the regular file at the end a
 *     DEPS_FILE entry at its canonical path. Directories are implicit.
 *   - Hence the invariant the image writer may rely on: no entry's guest
 *     path has a DEPS_SYMLINK entry as a proper prefix, so creating every
 *     missing parent directory of every entry is always right.
 *   - The program goes to opts->guest_program when given (its $ORIGIN then
 *     names the guest directory: a library found through it keeps its path
 *     relative to the program, as one regular file), else to its own path.
 *   - The interpreter's path is kept exactly (it is what the kernel opens).
 *
 * Entries are unique by guest path; an object reached twice (by name,
 * soname or the same file through another path) is listed once.
 *
 * Errors: deps_resolve() returns 0, or a negative errno with a one-line
 * message in list->error naming the file and who needed it: -ENOENT for a
 * library not found ("libfoo.so.1: not found (needed by /usr/bin/foo)"),
 * -ENOEXEC for a malformed ELF, another errno for an unreadable file. The
 * CLI prints it and exits 2. Nothing is printed here.
 *
 * Not thread-safe (one resolution at a time is all the CLI does); every
 * string in a deps_list belongs to it and lives until deps_free().
 */
#ifndef MOTE_TOOLS_DEPS_H
#define MOTE_TOOLS_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include <lib/elf.h>

enum deps_kind {
	DEPS_FILE,              /* host's regular file `host` at `guest` */
	DEPS_SYMLINK,           /* a symbolic link at `guest` whose text is `target` */
};

struct deps_entry {
	enum deps_kind kind;
	char *guest;            /* absolute guest path */
	char *host;             /* DEPS_FILE: the canonical host file to copy; else NULL */
	char *target;           /* DEPS_SYMLINK: the link text, as on the host; else NULL */
};

/* How an object was found (the step of the search that found it). */
enum deps_via {
	DEPS_VIA_PROGRAM,       /* the program itself */
	DEPS_VIA_INTERP,        /* its PT_INTERP */
	DEPS_VIA_PATH,          /* a DT_NEEDED name with a slash: opened as given */
	DEPS_VIA_RPATH,         /* DT_RPATH of the loader or of one of its loaders */
	DEPS_VIA_RUNPATH,       /* DT_RUNPATH of the loader */
	DEPS_VIA_CONF,          /* a directory named only by ld.so.conf */
	DEPS_VIA_DEFAULT,       /* a default directory (DEPS_DEFAULT_DIRS) */
};

/* One loaded ELF object, in ld.so's load order (program, interpreter, libraries). */
struct deps_object {
	char *name;             /* the DT_NEEDED string (the path for program and interpreter) */
	char *host;             /* where it was found on the host, as `ldd` prints it */
	char *guest;            /* where the guest's ld.so will open it */
	int needed_by;          /* index of the object that first needed it, -1 for none */
	enum deps_via via;
};

struct deps_list {
	struct deps_entry *entries;
	size_t nr_entries;
	struct deps_object *objects;
	size_t nr_objects;
	bool is_static;         /* no PT_INTERP: the program is the only entry */
	char error[512];        /* deps_resolve's message when it failed */
};

struct deps_options {
	const char *guest_program;  /* NULL: the program's own (absolute) path */
	bool shared_object;         /* the root is a shared library (a dlopen()ed module) */
	const char *ld_so_conf;     /* NULL: /etc/ld.so.conf; "": no ld.so.conf */
	const char *ld_so_cache;    /* NULL: /etc/ld.so.cache (see DEPS_VIA_CONF) */
};

/* ld.so's defaults for x86-64 on Debian, searched after the ld.so.conf directories. */
#define DEPS_DEFAULT_DIRS \
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/lib"

/* What $LIB and $PLATFORM expand to (Debian's multiarch glibc on x86-64). */
#define DEPS_DST_LIB      "lib/x86_64-linux-gnu"
#define DEPS_DST_PLATFORM "x86_64"

/*
 * Resolves `program` (a host path) into *list (which it first clears).
 * opts may be NULL for all defaults. When a library was found only through
 * an ld.so.conf directory the guest's default search would not try, the
 * host's ld.so.cache is added as an entry too (its paths are guest paths;
 * ld.so falls back to the defaults for any it cannot open). Returns 0 or a
 * negative errno (see above); *list must be freed with deps_free() either way.
 */
int deps_resolve(const char *program, const struct deps_options *opts, struct deps_list *list);
void deps_free(struct deps_list *list);

const char *deps_via_name(enum deps_via via);

/*
 * The dynamic section of an ELF file lib/elf accepted (info describes data),
 * read with every offset checked: the string-table entries point into data,
 * NUL-terminated within DT_STRSZ. Exposed for the unit tests and the fuzz
 * target (tests/fuzz/fuzz_deps.c). Returns 0, or -ENOEXEC with *why.
 */
#define DEPS_MAX_NEEDED 1024
struct deps_dynamic {
	const char *needed[DEPS_MAX_NEEDED];
	unsigned nr_needed;
	const char *soname;     /* NULL when absent, likewise for the paths */
	const char *rpath;
	const char *runpath;
	bool nodeflib;          /* DF_1_NODEFLIB: no ld.so.conf or default directories */
};
int deps_parse_dynamic(const void *data, size_t size, const struct elf_info *info,
		       struct deps_dynamic *out, const char **why);

/*
 * The /etc basics an image gets for the files the user did not supply:
 * minimal, deterministic, matching what the kernel reports (uid 0, host
 * name "mote"). deps_etc_basics() returns the table and its length.
 */
/* The name servers' file: the kernel's list (ip= or DHCP), linked from /etc. */
#define DEPS_RESOLV_CONF      "/etc/resolv.conf"
#define DEPS_RESOLV_CONF_LINK "/proc/net/resolv.conf"

struct deps_etc_file {
	const char *guest;      /* e.g. "/etc/passwd" */
	const char *content;    /* a file with this text, or */
	const char *link;       /* a symlink to this target */
};
const struct deps_etc_file *deps_etc_basics(size_t *nr);

#endif
