/*
 * deps: the files a dynamic program needs, found as ld.so will find them.
 *
 * The search is a breadth-first walk of DT_NEEDED from the program, which
 * is the order ld.so loads in, and it matters: which object loaded a
 * library first decides the DT_RPATH chain its own dependencies are
 * searched with. Each name is first matched against what is already
 * loaded (the names it was needed as, its DT_SONAME, its path), as ld.so
 * does before it searches; a file found again through another path is the
 * same object (same device and inode) and is not loaded twice, but the
 * path is recorded all the same since the guest's ld.so will open it.
 *
 * Every search directory is a pair (host, guest). They differ only below
 * a $ORIGIN of an object whose guest directory differs from its host one
 * (a program placed at --guest-program's path): ld.so in the guest expands
 * $ORIGIN to the guest directory, so a library found there on the host
 * belongs at the same place relative to it in the guest.
 *
 * A candidate file is read only through lib/elf (the parser the kernel's
 * loader uses) and deps_parse_dynamic(), which checks every offset, so an
 * arbitrary file in a search directory cannot crash the resolver. As
 * ld.so does, a file of another class or machine is skipped silently,
 * while any other bad file is an error: ld.so would stop there too.
 *
 * Memory: allocation failure aborts (a host tool with nothing to unwind,
 * as tools/mote/program.c); everything else is a negative errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps.h"
#include "xalloc.h"

#define DEPS_MAX_OBJECTS   4096     /* far beyond real programs (a few hundred) */
#define DEPS_MAX_SYMLINKS  40       /* as the kernel's ELOOP limit */
#define DEPS_MAX_INCLUDES  16       /* ld.so.conf include nesting */
#define DEPS_FILE_MAX      (4ULL << 30)

/* Dynamic tags and flags (System V gABI and the GNU extensions). */
#define DT_NULL         0
#define DT_NEEDED       1
#define DT_STRTAB       5
#define DT_STRSZ        10
#define DT_SONAME       14
#define DT_RPATH        15
#define DT_RUNPATH      29
#define DT_FLAGS_1      0x6ffffffb
#define DF_1_NODEFLIB   0x800
#define DYN_ENTRY_SIZE  16

static const char *const default_dirs[] = { DEPS_DEFAULT_DIRS };

/* ---- small helpers ---------------------------------------------------- */

/* "dir" + "/" + "name", with no doubled slash. */
static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	return xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* The directory part of an absolute path ("/" for a file at the root). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return xstrdup("/");
	return strndup(path, (size_t)(slash - path)) ?: (abort(), NULL);
}

/*
 * Lexical clean-up of an absolute path: "//" and "/./" go, and with
 * dotdot also "x/.." (only for guest paths, which exist nowhere yet; a
 * host path keeps its ".." for the symlink walk to resolve physically).
 */
static char *clean_path(const char *path, bool dotdot)
{
	size_t n = strlen(path), len = 0;
	char *out = xmalloc(n + 2);

	for (const char *p = path; *p;) {
		const char *end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);

		if ((clen == 1 && p[0] == '.') || clen == 0) {
			/* nothing */
		} else if (dotdot && clen == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[--len] != '/')
				;
		} else {
			out[len++] = '/';
			memcpy(out + len, p, clen);
			len += clen;
		}
		p = *end ? end + 1 : end;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = 0;
	return out;
}

/* ---- the resolver's state --------------------------------------------- */

/* What deps keeps of a loaded object beside its public deps_object. */
struct object {
	char **names;           /* the names it matches: needed as, soname, paths */
	size_t nr_names;
	dev_t dev;
	ino_t ino;
	char *origin_host;      /* $ORIGIN on each side */
	char *origin_guest;
	char *rpath;            /* NULL when absent or when DT_RUNPATH is present */
	char *runpath;
	char **needed;
	unsigned nr_needed;
	bool nodeflib;
};

struct resolver {
	struct deps_list *list;
	struct object *objs;
	const struct deps_options *opts;
	char **conf_dirs;
	size_t nr_conf_dirs;
	bool used_conf;
};

static int fail(struct resolver *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct resolver *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->list->error, sizeof(r->list->error), fmt, ap);
	va_end(ap);
	return err;
}

static void object_add_name(struct object *o, const char *name)
{
	for (size_t i = 0; i < o->nr_names; i++)
		if (!strcmp(o->names[i], name))
			return;
	o->names = xrealloc(o->names, (o->nr_names + 1) * sizeof(char *));
	o->names[o->nr_names++] = xstrdup(name);
}

/* ---- the image entries ------------------------------------------------- */

static struct deps_entry *find_entry(struct deps_list *l, const char *guest)
{
	for (size_t i = 0; i < l->nr_entries; i++)
		if (!strcmp(l->entries[i].guest, guest))
			return &l->entries[i];
	return NULL;
}

/* Adds an entry unless the same one is there; a different one at the same path is an error. */
static int add_entry(struct resolver *r, enum deps_kind kind, const char *guest,
		     const char *host, const char *target)
{
	struct deps_list *l = r->list;
	struct deps_entry *e = find_entry(l, guest);

	if (e) {
		if (e->kind == kind && (kind == DEPS_SYMLINK ? !strcmp(e->target, target)
				       : !strcmp(e->host, host)))
			return 0;
		return fail(r, -EEXIST, "%s: two different files would have this guest path", guest);
	}
	l->entries = xrealloc(l->entries, (l->nr_entries + 1) * sizeof(*l->entries));
	l->entries[l->nr_entries++] = (struct deps_entry){
		.kind = kind, .guest = xstrdup(guest), .host = xstrdup(host),
		.target = xstrdup(target),
	};
	return 0;
}

/*
 * A path walk as the kernel does it: `cur` is the resolved prefix (always
 * a real directory, "" for the root), `rest` what is left to walk.
 */
struct walk {
	char *cur;
	char *rest;
	int links;
};

/* Takes the next component off w->rest (NULL when none is left); *last if nothing follows it. */
static char *walk_next(struct walk *w, bool *last)
{
	char *p = w->rest + strspn(w->rest, "/");
	char *end = strchrnul(p, '/');
	char *comp, *rest;

	if (!*p)
		return NULL;
	*last = !end[strspn(end, "/")];
	comp = strndup(p, (size_t)(end - p));
	rest = xstrdup(end);
	if (!comp)
		abort();
	free(w->rest);
	w->rest = rest;
	return comp;
}

/* Records the link at `at` and splices its text in front of what is left. */
static int walk_link(struct resolver *r, struct walk *w, const char *at, const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlink(at, target, sizeof(target) - 1);
	char *rest;
	int err;

	if (n <= 0)
		return fail(r, -EIO, "%s: unreadable symbolic link %s", path, at);
	if (++w->links > DEPS_MAX_SYMLINKS)
		return fail(r, -ELOOP, "%s: %s", path, strerror(ELOOP));
	target[n] = 0;
	if ((err = add_entry(r, DEPS_SYMLINK, at, NULL, target)))
		return err;
	rest = xasprintf("%s%s%s", target, *w->rest ? "/" : "", w->rest);
	free(w->rest);
	w->rest = rest;
	if (target[0] == '/')
		w->cur[0] = 0;
	return 0;
}

/* One component: 1 to go on, 0 when the file at the end is recorded, or -errno. */
static int walk_step(struct resolver *r, struct walk *w, const char *comp, bool last,
		     const char *path)
{
	struct stat st;
	char *next;
	int err;

	if (!strcmp(comp, ".") || !strcmp(comp, "..")) {
		char *slash = comp[1] ? strrchr(w->cur, '/') : NULL;

		if (slash)
			*slash = 0;
		return last ? fail(r, -EISDIR, "%s: is a directory", path) : 1;
	}
	next = xasprintf("%s/%s", w->cur, comp);
	if (lstat(next, &st) < 0)
		err = fail(r, -errno, "%s: %s", path, strerror(errno));
	else if (S_ISLNK(st.st_mode))
		err = walk_link(r, w, next, path) ?: 1;
	else if (S_ISREG(st.st_mode) && last)
		err = add_entry(r, DEPS_FILE, next, next, NULL);
	else if (S_ISDIR(st.st_mode) && !last)
		err = 1;
	else
		err = fail(r, last ? -EINVAL : -ENOTDIR, "%s: %s", path,
			   last ? "not a regular file" : strerror(ENOTDIR));
	if (err == 1 && S_ISDIR(st.st_mode)) {
		free(w->cur);
		w->cur = next;
		return 1;
	}
	free(next);
	return err;
}

/*
 * Walks an absolute host path as the kernel would, one component at a
 * time, recording every symbolic link met (with its text) and the regular
 * file at the end at its canonical path. Since the walk only ever extends
 * a prefix that is a real directory, no recorded path passes through a
 * recorded link.
 */
static int record_chain(struct resolver *r, const char *path)
{
	struct walk w = { .cur = xstrdup(""), .rest = xstrdup(path) };
	int err = 1;
	bool last = false;
	char *comp;

	while (err > 0 && (comp = walk_next(&w, &last))) {
		err = walk_step(r, &w, comp, last, path);
		free(comp);
	}
	if (err > 0)
		err = fail(r, -EISDIR, "%s: is a directory", path);
	free(w.cur);
	free(w.rest);
	return err;
}

/* Where the guest will open `guest`, holding the host file `host`. */
static int record_object_path(struct resolver *r, const char *host, const char *guest)
{
	if (!strcmp(host, guest))
		return record_chain(r, host);

	char *real = realpath(host, NULL);
	int err;

	if (!real)
		return fail(r, -errno, "%s: %s", host, strerror(errno));
	err = add_entry(r, DEPS_FILE, guest, real, NULL);
	free(real);
	return err;
}

/* ---- reading an ELF file ------------------------------------------------ */

struct elf_file {
	void *map;
	size_t size;
	dev_t dev;
	ino_t ino;
	struct elf_info info;
	struct deps_dynamic dyn;
};

static void elf_file_close(struct elf_file *f)
{
	if (f->map && f->size)
		munmap(f->map, f->size);
	f->map = NULL;
}

/*
 * Maps a regular file: 0, or -errno (-EINVAL for not a regular file).
 * O_NONBLOCK: a FIFO planted in a search directory must not hang the build.
 */
static int map_file(const char *path, struct elf_file *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = (size_t)st.st_size;
	if ((unsigned long long)st.st_size > DEPS_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	f->map = f->size ? mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0) : (void *)"";
	close(fd);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return -errno;
	}
	return 0;
}

/*
 * Whether a library candidate is of this machine's kind. ld.so passes
 * over a 32-bit or foreign-machine file (multilib directories hold them
 * under the same names) but stops at anything else that is wrong.
 */
static bool other_class_or_machine(const struct elf_file *f)
{
	const unsigned char *p = f->map;

	if (f->size < ELF_EHDR_SIZE || memcmp(p, "\177ELF", 4))
		return false;
	/* Another byte order is not a multilib neighbour: lib/elf refuses it. */
	return p[4] != 2 || (p[5] == 1 && (p[18] | p[19] << 8) != ELF_EM_X86_64);
}

/* Parses headers and dynamic section; the caller reports with the path. */
static int parse_elf(struct elf_file *f, bool shared, const char **why)
{
	int err = shared ? elf_parse_shared(f->map, f->size, &f->info, why)
			 : elf_parse(f->map, f->size, &f->info, why);

	if (err)
		return err;
	return deps_parse_dynamic(f->map, f->size, &f->info, &f->dyn, why);
}

/* ---- the dynamic section ------------------------------------------------ */

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The file offset of a virtual address and how many file bytes follow it in its segment. */
static bool vaddr_to_offset(const struct elf_info *info, uint64_t vaddr, uint64_t *off,
			    uint64_t *avail)
{
	for (unsigned i = 0; i < info->nr_loads; i++) {
		const struct elf_segment *s = &info->load[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			*off = s->offset + (vaddr - s->vaddr);
			*avail = s->filesz - (vaddr - s->vaddr);
			return true;
		}
	}
	return false;
}

struct dyn_string_refs {
	uint64_t needed[DEPS_MAX_NEEDED];
	unsigned nr_needed;
	uint64_t soname, rpath, runpath;    /* UINT64_MAX: absent */
	uint64_t strtab, strsz;
	bool has_strtab, has_strsz;
};

static int collect_tags(const unsigned char *p, const struct elf_info *info,
			struct dyn_string_refs *refs, struct deps_dynamic *out, const char **why)
{
	uint64_t count = info->dynamic.filesz / DYN_ENTRY_SIZE;

	for (uint64_t i = 0; i < count; i++) {
		const unsigned char *e = p + info->dynamic.offset + i * DYN_ENTRY_SIZE;
		uint64_t tag = rd64(e), val = rd64(e + 8);

		switch (tag) {
		case DT_NULL:
			return 0;
		case DT_NEEDED:
			if (refs->nr_needed == DEPS_MAX_NEEDED)
				return *why = "more than 1024 DT_NEEDED entries", -ENOEXEC;
			refs->needed[refs->nr_needed++] = val;
			break;
		case DT_STRTAB:
			if (refs->has_strtab)
				return *why = "more than one DT_STRTAB", -ENOEXEC;
			refs->has_strtab = true;
			refs->strtab = val;
			break;
		case DT_STRSZ:
			refs->has_strsz = true;
			refs->strsz = val;
			break;
		case DT_SONAME:
			refs->soname = val;
			break;
		case DT_RPATH:
			refs->rpath = val;
			break;
		case DT_RUNPATH:
			refs->runpath = val;
			break;
		case DT_FLAGS_1:
			out->nodeflib = (val & DF_1_NODEFLIB) != 0;
			break;
		}
	}
	return 0;
}

/* A string of the table [tab, tab+len) at offset `at`: inside it and NUL-terminated there. */
static const char *table_string(const unsigned char *tab, uint64_t len, uint64_t at,
				const char *what, const char **why)
{
	static char buf[96];

	if (at >= len || !memchr(tab + at, 0, len - at)) {
		snprintf(buf, sizeof(buf), "%s string at %#llx is outside the string table",
			 what, (unsigned long long)at);
		*why = buf;
		return NULL;
	}
	return (const char *)tab + at;
}

int deps_parse_dynamic(const void *data, size_t size, const struct elf_info *info,
		       struct deps_dynamic *out, const char **why)
{
	static struct dyn_string_refs refs;
	const unsigned char *p = data;
	uint64_t off, avail;
	int err;

	memset(out, 0, sizeof(*out));
	memset(&refs, 0, sizeof(refs));
	refs.soname = refs.rpath = refs.runpath = UINT64_MAX;
	*why = NULL;
	if (!info->has_dynamic)
		return 0;
	if (info->dynamic.offset > size || info->dynamic.filesz > size - info->dynamic.offset)
		return *why = "dynamic section runs past the end of the file", -ENOEXEC;
	if ((err = collect_tags(p, info, &refs, out, why)))
		return err;
	if (!refs.nr_needed && refs.soname == UINT64_MAX && refs.rpath == UINT64_MAX &&
	    refs.runpath == UINT64_MAX)
		return 0;
	if (!refs.has_strtab)
		return *why = "dynamic section names strings but has no DT_STRTAB", -ENOEXEC;
	if (!vaddr_to_offset(info, refs.strtab, &off, &avail))
		return *why = "DT_STRTAB is outside the loaded file data", -ENOEXEC;
	if (refs.has_strsz && refs.strsz < avail)
		avail = refs.strsz;
	const unsigned char *tab = p + off;

	for (unsigned i = 0; i < refs.nr_needed; i++)
		if (!(out->needed[i] = table_string(tab, avail, refs.needed[i], "DT_NEEDED", why)))
			return -ENOEXEC;
	out->nr_needed = refs.nr_needed;
	if (refs.soname != UINT64_MAX &&
	    !(out->soname = table_string(tab, avail, refs.soname, "DT_SONAME", why)))
		return -ENOEXEC;
	if (refs.rpath != UINT64_MAX &&
	    !(out->rpath = table_string(tab, avail, refs.rpath, "DT_RPATH", why)))
		return -ENOEXEC;
	if (refs.runpath != UINT64_MAX &&
	    !(out->runpath = table_string(tab, avail, refs.runpath, "DT_RUNPATH", why)))
		return -ENOEXEC;
	return 0;
}

/* ---- dynamic string tokens ---------------------------------------------- */

/* The length of the token name at s ("ORIGIN" or "{ORIGIN}") if it is `name`, else 0. */
static size_t dst_match(const char *s, const char *name)
{
	size_t n = strlen(name);

	if (*s == '{')
		return !strncmp(s + 1, name, n) && s[n + 1] == '}' ? n + 2 : 0;
	if (strncmp(s, name, n))
		return 0;
	char c = s[n];
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' ? 0 : n;
}

/* s with $ORIGIN, $LIB, $PLATFORM (and ${...}) replaced; other '$' stay as they are. */
static char *expand_dst(const char *s, const char *origin)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out = xmalloc(cap);

	while (*s) {
		const char *value = NULL;
		char one[2] = { *s, 0 };
		size_t skip = 0;

		if (*s == '$') {
			if ((skip = dst_match(s + 1, "ORIGIN")))
				value = origin;
			else if ((skip = dst_match(s + 1, "LIB")))
				value = DEPS_DST_LIB;
			else if ((skip = dst_match(s + 1, "PLATFORM")))
				value = DEPS_DST_PLATFORM;
		}
		if (!value) {
			value = one;
			skip = 0;
		}
		size_t vlen = strlen(value);

		if (len + vlen + 1 > cap)
			out = xrealloc(out, cap = (len + vlen + 1) * 2);
		memcpy(out + len, value, vlen);
		len += vlen;
		s += skip + 1;
	}
	out[len] = 0;
	return out;
}

/* ---- ld.so.conf --------------------------------------------------------- */

static void add_conf_dir(struct resolver *r, const char *dir)
{
	char *clean = clean_path(dir, false);
	size_t n = strlen(clean);

	if (n > 1 && clean[n - 1] == '/')
		clean[n - 1] = 0;
	for (size_t i = 0; i < r->nr_conf_dirs; i++)
		if (!strcmp(r->conf_dirs[i], clean)) {
			free(clean);
			return;
		}
	r->conf_dirs = xrealloc(r->conf_dirs, (r->nr_conf_dirs + 1) * sizeof(char *));
	r->conf_dirs[r->nr_conf_dirs++] = clean;
}

static void read_conf(struct resolver *r, const char *path, int depth);

/* "dir1,dir2:dir3=libc6": each absolute directory, without a libc5-era "=TYPE". */
static void conf_words(struct resolver *r, char *words)
{
	char *save = NULL;

	for (char *w = strtok_r(words, ",:", &save); w; w = strtok_r(NULL, ",:", &save)) {
		w[strcspn(w, "=")] = 0;
		if (w[0] == '/')
			add_conf_dir(r, w);
	}
}

/* `include PATTERN`: a glob, relative to the including file's directory, files in sorted order. */
static void conf_include(struct resolver *r, const char *from, const char *pattern, int depth)
{
	char *dir = dir_of(from);
	char *full = pattern[0] == '/' ? xstrdup(pattern) : join(dir, pattern);
	glob_t g;

	if (glob(full, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			read_conf(r, g.gl_pathv[i], depth + 1);
		globfree(&g);
	}
	free(full);
	free(dir);
}

/*
 * One ld.so.conf file: a directory per line (ldconfig also accepts several
 * separated by blanks, commas or colons), '#' comments, `include` lines;
 * `hwcap` lines and libc5-era "=TYPE" suffixes are ignored, as are
 * relative names (ldconfig warns about those). Unreadable files are
 * skipped, as ldconfig does.
 */
static void read_conf(struct resolver *r, const char *path, int depth)
{
	FILE *fp = depth <= DEPS_MAX_INCLUDES ? fopen(path, "re") : NULL;
	char *line = NULL;
	size_t cap = 0;

	if (!fp)
		return;
	while (getline(&line, &cap, fp) >= 0) {
		char *save = NULL, *word;

		line[strcspn(line, "#\n")] = 0;
		word = strtok_r(line, " \t", &save);
		if (!word || !strcmp(word, "hwcap"))
			continue;
		if (!strcmp(word, "include")) {
			while ((word = strtok_r(NULL, " \t", &save)))
				conf_include(r, path, word, depth);
			continue;
		}
		for (; word; word = strtok_r(NULL, " \t", &save))
			conf_words(r, word);
	}
	free(line);
	fclose(fp);
}

static bool is_default_dir(const char *dir)
{
	for (size_t i = 0; i < sizeof(default_dirs) / sizeof(default_dirs[0]); i++)
		if (!strcmp(dir, default_dirs[i]))
			return true;
	return false;
}

/* ---- loading objects ---------------------------------------------------- */

static int object_index_by_file(struct resolver *r, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < r->list->nr_objects; i++)
		if (r->objs[i].dev == dev && r->objs[i].ino == ino)
			return (int)i;
	return -1;
}

static int object_index_by_name(struct resolver *r, const char *name)
{
	for (size_t i = 0; i < r->list->nr_objects; i++)
		for (size_t k = 0; k < r->objs[i].nr_names; k++)
			if (!strcmp(r->objs[i].names[k], name))
				return (int)i;
	return -1;
}

/* Appends a newly loaded object, taking what it needs from the parsed file. */
static int object_append(struct resolver *r, struct elf_file *f, const char *name,
			 const char *host, const char *guest, int needed_by, enum deps_via via,
			 const char *origin_host, const char *origin_guest)
{
	struct deps_list *l = r->list;

	if (l->nr_objects == DEPS_MAX_OBJECTS)
		return fail(r, -E2BIG, "more than %d shared objects", DEPS_MAX_OBJECTS);
	l->objects = xrealloc(l->objects, (l->nr_objects + 1) * sizeof(*l->objects));
	r->objs = xrealloc(r->objs, (l->nr_objects + 1) * sizeof(*r->objs));
	l->objects[l->nr_objects] = (struct deps_object){
		.name = xstrdup(name), .host = xstrdup(host), .guest = xstrdup(guest),
		.needed_by = needed_by, .via = via,
	};
	struct object *o = &r->objs[l->nr_objects++];

	*o = (struct object){
		.dev = f->dev, .ino = f->ino, .nodeflib = f->dyn.nodeflib,
		.origin_host = xstrdup(origin_host), .origin_guest = xstrdup(origin_guest),
		.runpath = xstrdup(f->dyn.runpath),
		.rpath = f->dyn.runpath ? NULL : xstrdup(f->dyn.rpath),
		.nr_needed = f->dyn.nr_needed,
		.needed = xmalloc(f->dyn.nr_needed * sizeof(char *)),
	};
	for (unsigned i = 0; i < f->dyn.nr_needed; i++)
		o->needed[i] = xstrdup(f->dyn.needed[i]);
	object_add_name(o, name);
	object_add_name(o, guest);
	if (f->dyn.soname)
		object_add_name(o, f->dyn.soname);
	return 0;
}

/*
 * One candidate path for a DT_NEEDED name: 1 when it is not there (or of
 * another class or machine: look further), 0 when loaded (or already
 * loaded as the same file), or a negative errno for a bad file.
 */
static int try_candidate(struct resolver *r, int loader, const char *name, const char *host,
			 const char *guest, enum deps_via via)
{
	struct elf_file f;
	const char *why = NULL;
	int err = map_file(host, &f), same;

	if (err)
		return err == -EFBIG ? fail(r, err, "%s: too large", host) : 1;
	if (other_class_or_machine(&f)) {
		elf_file_close(&f);
		return 1;
	}
	if ((err = parse_elf(&f, true, &why))) {
		elf_file_close(&f);
		return fail(r, err, "%s: %s (needed by %s)", host, why,
			    r->list->objects[loader].host);
	}
	if ((same = object_index_by_file(r, f.dev, f.ino)) >= 0) {
		object_add_name(&r->objs[same], name);
		object_add_name(&r->objs[same], guest);
	} else {
		char *oh = dir_of(host), *og = dir_of(guest);

		err = object_append(r, &f, name, host, guest, loader, via, oh, og);
		free(oh);
		free(og);
	}
	elf_file_close(&f);
	return err ? err : record_object_path(r, host, guest);
}

/* Tries name in one search directory (a host/guest pair). */
static int try_dir(struct resolver *r, int loader, const char *name, const char *dir_host,
		   const char *dir_guest, enum deps_via via)
{
	if (dir_host[0] != '/' || dir_guest[0] != '/')
		return 1;	/* relative: the guest's working directory decides; see docs/build.md */

	char *h = join(dir_host, name), *hc = clean_path(h, false);
	char *g = join(dir_guest, name), *gc = clean_path(g, strcmp(dir_host, dir_guest) != 0);
	int err = try_candidate(r, loader, name, hc, gc, via);

	free(h);
	free(g);
	free(hc);
	free(gc);
	return err;
}

/* Tries name in each directory of a colon-separated path list of object `owner`. */
static int try_path_list(struct resolver *r, int loader, const char *name, int owner,
			 const char *list, enum deps_via via)
{
	/* Loading appends objects and may move r->objs: nothing is held across a try. */
	char *copy = xstrdup(list), *save = NULL;
	int err = 1;

	for (char *d = strtok_r(copy, ":", &save); d && err > 0; d = strtok_r(NULL, ":", &save)) {
		char *h = expand_dst(d, r->objs[owner].origin_host);
		char *g = expand_dst(d, r->objs[owner].origin_guest);

		err = try_dir(r, loader, name, h, g, via);
		free(h);
		free(g);
	}
	free(copy);
	return err;
}

/* DT_RPATH of the loader and of each object that loaded it, in turn up to the program. */
static int try_rpath_chain(struct resolver *r, int loader, const char *name)
{
	bool saw_program = false;
	int err = 1;

	for (int l = loader; l >= 0 && err > 0; l = r->list->objects[l].needed_by) {
		saw_program |= l == 0;
		if (r->objs[l].rpath)
			err = try_path_list(r, loader, name, l, r->objs[l].rpath, DEPS_VIA_RPATH);
	}
	if (err > 0 && !saw_program && r->objs[0].rpath)
		err = try_path_list(r, loader, name, 0, r->objs[0].rpath, DEPS_VIA_RPATH);
	return err;
}

static int search(struct resolver *r, int loader, const char *name)
{
	/* Copies: loading appends objects and may move r->objs. */
	bool has_runpath = r->objs[loader].runpath != NULL;
	bool nodeflib = r->objs[loader].nodeflib;
	int err = 1;

	if (!has_runpath)
		err = try_rpath_chain(r, loader, name);
	if (err > 0 && has_runpath)
		err = try_path_list(r, loader, name, loader, r->objs[loader].runpath, DEPS_VIA_RUNPATH);
	for (size_t i = 0; err > 0 && !nodeflib && i < r->nr_conf_dirs; i++) {
		bool dflt = is_default_dir(r->conf_dirs[i]);

		err = try_dir(r, loader, name, r->conf_dirs[i], r->conf_dirs[i],
			      dflt ? DEPS_VIA_DEFAULT : DEPS_VIA_CONF);
		if (!err && !dflt)
			r->used_conf = true;
	}
	for (size_t i = 0; err > 0 && !nodeflib && i < sizeof(default_dirs) / sizeof(*default_dirs); i++)
		err = try_dir(r, loader, name, default_dirs[i], default_dirs[i], DEPS_VIA_DEFAULT);
	if (err > 0)
		return fail(r, -ENOENT, "%s: not found (needed by %s)", name,
			    r->list->objects[loader].host);
	return err;
}

/* One DT_NEEDED entry of object `loader`. */
static int load_needed(struct resolver *r, int loader, const char *name)
{
	if (!*name)
		return fail(r, -ENOEXEC, "%s: an empty DT_NEEDED name", r->list->objects[loader].host);
	if (object_index_by_name(r, name) >= 0)
		return 0;
	if (!strchr(name, '/'))
		return search(r, loader, name);

	/* A name with a slash is opened as it is, after token expansion. */
	const struct object *o = &r->objs[loader];
	char *h = expand_dst(name, o->origin_host), *g = expand_dst(name, o->origin_guest);
	char *hd = dir_of(h), *gd = dir_of(g);
	const char *base = strrchr(h, '/') + 1;
	int err = h[0] != '/' ? fail(r, -ENOENT, "%s: a relative path (needed by %s); "
				     "mote needs absolute paths or $ORIGIN", name,
				     r->list->objects[loader].host)
		  : try_dir(r, loader, base, hd, gd, DEPS_VIA_PATH);

	if (err > 0)
		err = fail(r, -ENOENT, "%s: not found (needed by %s)", name,
			   r->list->objects[loader].host);
	free(h);
	free(g);
	free(hd);
	free(gd);
	return err;
}

/* ---- the program and its interpreter -------------------------------- */

static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *joined, *clean;

	if (path[0] == '/')
		return clean_path(path, false);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	joined = join(cwd, path);
	clean = clean_path(joined, false);
	free(joined);
	return clean;
}

static int load_interp(struct resolver *r, const char *interp)
{
	struct elf_file f;
	const char *why = NULL;
	int err;

	if (interp[0] != '/')
		return fail(r, -ENOEXEC, "%s: the program interpreter %s is not an absolute path",
			    r->list->objects[0].host, interp);
	if ((err = map_file(interp, &f)))
		return fail(r, err, "%s: program interpreter of %s: %s", interp,
			    r->list->objects[0].host,
			    err == -EINVAL ? "not a regular file" : strerror(-err));
	if ((err = parse_elf(&f, true, &why))) {
		elf_file_close(&f);
		return fail(r, err, "%s: program interpreter of %s: %s", interp,
			    r->list->objects[0].host, why);
	}
	err = object_append(r, &f, interp, interp, interp, -1, DEPS_VIA_INTERP, "/", "/");
	elf_file_close(&f);
	return err ? err : record_chain(r, interp);
}

static int load_program(struct resolver *r, const char *program)
{
	const char *guest_opt = r->opts ? r->opts->guest_program : NULL;
	char *real = realpath(program, NULL);
	int real_errno = errno;
	char *host = real ? absolute(program) : NULL;
	struct elf_file f = { 0 };
	const char *why = NULL;
	int err = 0;

	if (!real || !host) {
		err = fail(r, -real_errno, "%s: %s", program, strerror(real_errno));
	} else if (guest_opt && (guest_opt[0] != '/' || guest_opt[strlen(guest_opt) - 1] == '/')) {
		err = fail(r, -EINVAL, "%s: the guest path must be an absolute file name", guest_opt);
	} else if ((err = map_file(host, &f))) {
		err = fail(r, err, "%s: %s", program,
			   err == -EINVAL ? "not a regular file" : strerror(-err));
	} else if ((err = parse_elf(&f, r->opts && r->opts->shared_object, &why))) {
		err = fail(r, err, "%s: %s", program, why);
	} else {
		char *guest = guest_opt ? clean_path(guest_opt, true) : xstrdup(host);
		/* The guest's /proc/self/exe names the program's canonical path. */
		char *oh = dir_of(real), *og = guest_opt ? dir_of(guest) : xstrdup(oh);

		r->list->is_static = !f.info.has_interp;
		err = object_append(r, &f, program, host, guest, -1, DEPS_VIA_PROGRAM, oh, og);
		if (!err)
			err = guest_opt ? add_entry(r, DEPS_FILE, guest, real, NULL)
					: record_chain(r, host);
		if (!err && f.info.has_interp)
			err = load_interp(r, f.info.interp);
		free(guest);
		free(oh);
		free(og);
	}
	elf_file_close(&f);
	free(host);
	free(real);
	return err;
}

/* ---- checks of the result ----------------------------------------------- */

/* The invariant deps.h promises: no entry lies below a symbolic-link entry. */
static int check_no_entry_below_link(struct resolver *r)
{
	const struct deps_list *l = r->list;

	for (size_t i = 0; i < l->nr_entries; i++) {
		const struct deps_entry *link = &l->entries[i];
		size_t n = strlen(link->guest);

		if (link->kind != DEPS_SYMLINK)
			continue;
		for (size_t k = 0; k < l->nr_entries; k++)
			if (!strncmp(l->entries[k].guest, link->guest, n) &&
			    l->entries[k].guest[n] == '/')
				return fail(r, -ELOOP, "%s: the guest path passes through the "
					    "symbolic link %s", l->entries[k].guest, link->guest);
	}
	return 0;
}

static int add_ld_so_cache(struct resolver *r)
{
	const char *cache = r->opts && r->opts->ld_so_cache ? r->opts->ld_so_cache
							     : "/etc/ld.so.cache";
	char *abs = absolute(cache);
	int err = abs && access(abs, R_OK) == 0 ? record_chain(r, abs) : 0;

	free(abs);
	return err;
}

/* ---- the interface ------------------------------------------------------ */

int deps_resolve(const char *program, const struct deps_options *opts, struct deps_list *list)
{
	struct resolver r = { .list = list, .opts = opts };
	const char *conf = opts && opts->ld_so_conf ? opts->ld_so_conf : "/etc/ld.so.conf";
	int err;

	memset(list, 0, sizeof(*list));
	if (*conf)
		read_conf(&r, conf, 0);
	err = load_program(&r, program);
	/* Breadth-first: objects appended while walking are walked in turn. */
	for (size_t i = 0; !err && i < list->nr_objects; i++) {
		if (list->objects[i].via == DEPS_VIA_INTERP)
			continue;	/* ld.so is self-contained; its own needs are met by itself */
		for (unsigned k = 0; !err && k < r.objs[i].nr_needed; k++)
			err = load_needed(&r, (int)i, r.objs[i].needed[k]);
	}
	if (!err && r.used_conf)
		err = add_ld_so_cache(&r);
	if (!err)
		err = check_no_entry_below_link(&r);

	for (size_t i = 0; i < list->nr_objects; i++) {
		struct object *o = &r.objs[i];

		for (size_t k = 0; k < o->nr_names; k++)
			free(o->names[k]);
		for (unsigned k = 0; k < o->nr_needed; k++)
			free(o->needed[k]);
		free(o->names);
		free(o->needed);
		free(o->origin_host);
		free(o->origin_guest);
		free(o->rpath);
		free(o->runpath);
	}
	free(r.objs);
	for (size_t i = 0; i < r.nr_conf_dirs; i++)
		free(r.conf_dirs[i]);
	free(r.conf_dirs);
	return err;
}

void deps_free(struct deps_list *list)
{
	for (size_t i = 0; i < list->nr_entries; i++) {
		free(list->entries[i].guest);
		free(list->entries[i].host);
		free(list->entries[i].target);
	}
	for (size_t i = 0; i < list->nr_objects; i++) {
		free(list->objects[i].name);
		free(list->objects[i].host);
		free(list->objects[i].guest);
	}
	free(list->entries);
	free(list->objects);
	memset(list, 0, sizeof(*list));
}

const char *deps_via_name(enum deps_via via)
{
	switch (via) {
	case DEPS_VIA_PROGRAM: return "program";
	case DEPS_VIA_INTERP: return "interpreter";
	case DEPS_VIA_PATH: return "path";
	case DEPS_VIA_RPATH: return "rpath";
	case DEPS_VIA_RUNPATH: return "runpath";
	case DEPS_VIA_CONF: return "ld.so.conf";
	case DEPS_VIA_DEFAULT: return "default";
	}
	return "?";
}

/* ---- /etc basics -------------------------------------------------------- */

/*
 * What a program asking "who am I" or "where is localhost" needs, nothing
 * more: uid and gid 0 (the kernel's getuid), the kernel's host name, and
 * nsswitch "files" (plus "dns" for hosts), which glibc serves from libc
 * itself since 2.34, so no libnss_* module has to be in the image. The
 * name servers are the kernel's, from `ip=` or DHCP: /proc/net/resolv.conf
 * (docs/net.md), linked from /etc/resolv.conf as /etc/mtab is to
 * /proc/self/mounts.
 */
static const struct deps_etc_file etc_basics[] = {
	{ "/etc/passwd",
	  "root:x:0:0:root:/root:/bin/sh\n"
	  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", NULL },
	{ "/etc/group",
	  "root:x:0:\n"
	  "nogroup:x:65534:\n", NULL },
	{ "/etc/hosts",
	  "127.0.0.1\tlocalhost\n"
	  "127.0.1.1\tmote\n"
	  "::1\tlocalhost ip6-localhost ip6-loopback\n", NULL },
	{ DEPS_RESOLV_CONF, NULL, DEPS_RESOLV_CONF_LINK },
	{ "/etc/nsswitch.conf",
	  "passwd: files\n"
	  "group: files\n"
	  "shadow: files\n"
	  "hosts: files dns\n"
	  "networks: files\n"
	  "protocols: files\n"
	  "services: files\n"
	  "ethers: files\n"
	  "rpc: files\n", NULL },
};

const struct deps_etc_file *deps_etc_basics(size_t *nr)
{
	*nr = sizeof(etc_basics) / sizeof(etc_basics[0]);
	return etc_basics;
}
