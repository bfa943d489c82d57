/*
 * `mote build -o OUT.img PROGRAM [options] [-- ARGS]`: one bootable disk
 * image (include/abi/image.h) holding the program, the files asked for,
 * a few /etc basics and what to run. docs/cli.md is the reference.
 *
 * Decode, then invoke: every option and manifest line is read, every host
 * file is opened and checked, and the whole tree is assembled in memory
 * (image_write.c) before a byte is written; a missing or unreadable file,
 * a name clash, a bad manifest line is one sentence and exit status 2
 * with nothing written. The image is written to a temporary file beside
 * OUT, read back through lib/image (the kernel's own reader), and renamed
 * over OUT only then, so OUT is never a partial image.
 *
 * Placement: the program goes to /app/<basename>, unless its path (made
 * absolute) lies under /usr, /bin, /sbin, /lib or /opt: then it keeps that
 * path, so programs that find their files relative to themselves (python3
 * and its /usr/lib/python3.x) work. The default command is that path plus
 * the words after --.
 *
 * Times: files keep their host mtimes; directories made as parents and the
 * generated files get 0. With SOURCE_DATE_EPOCH set, that is their time,
 * and every later mtime is clamped to it (reproducible-builds.org's rule).
 * Owners are root (uid and gid 0); modes are the host's permission bits.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/image.h>

#include "deps.h"
#include "mote.h"
#include "xalloc.h"

/* One thing to put in the image, from the command line or a manifest, in order. */
enum action_kind { ACT_FILE, ACT_DIR, ACT_SYMLINK, ACT_MKDIR };

struct action {
	enum action_kind kind;
	char *src;		/* host path (symlink: the target) */
	char *dst;		/* guest path */
	char *origin;		/* "--file a:b", "manifest m:3" */
};

struct build_args {
	const char *out;
	const char *program;
	struct action *acts;
	int nacts;
	struct word_list env;
	char **cmd;		/* --cmd / manifest cmd: the whole command; NULL: the default */
	const char *cwd;
	int argc;		/* words after -- */
	char **argv;
	bool lz4;
	bool quiet;
};

static int64_t epoch = -1;	/* SOURCE_DATE_EPOCH, -1 if unset */

static void add_action(struct build_args *a, enum action_kind kind, const char *src,
		       const char *dst, char *origin)
{
	a->acts = realloc(a->acts, (size_t)(a->nacts + 1) * sizeof(*a->acts));
	if (!a->acts)
		abort();
	a->acts[a->nacts++] = (struct action){ kind, xstrdup(src), xstrdup(dst), origin };
}

static void add_env_word(struct build_args *a, const char *w)
{
	a->env.v = realloc(a->env.v, (size_t)(a->env.n + 1) * sizeof(char *));
	if (!a->env.v)
		abort();
	a->env.v[a->env.n++] = w;
}

/* ---- Words: --cmd and manifest lines ------------------------------------------------ */

/*
 * Splits text into words at blank space; '...' keeps everything literally,
 * "..." keeps spaces and takes \" and \\, a backslash outside quotes takes
 * the next character. NULL-terminated vector, or NULL with *why.
 */
static char **split_words(const char *s, const char **why)
{
	size_t n = 0, len = strlen(s);
	char **v = calloc(len / 2 + 2, sizeof(char *));
	char *word = malloc(len + 1);

	if (!v || !word)
		abort();
	for (;;) {
		size_t w = 0;
		bool any = false;

		s += strspn(s, " \t\r\n");
		if (!*s)
			break;
		while (*s && !strchr(" \t\r\n", *s)) {
			char q = *s;

			any = true;
			if (q == '\'' || q == '"') {
				s++;
				while (*s && *s != q) {
					if (q == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
						s++;
					word[w++] = *s++;
				}
				if (!*s) {
					*why = "an unterminated quote";
					free(word);
					free(v);
					return NULL;
				}
				s++;
			} else {
				if (q == '\\' && s[1])
					s++;
				word[w++] = *s++;
			}
		}
		if (any)
			v[n++] = strndup(word, w);
	}
	free(word);
	v[n] = NULL;
	return v;
}

/* ---- Manifest ----------------------------------------------------------------------- */

/* A manifest's host path: relative ones are relative to the manifest's directory. */
static char *manifest_path(const char *manifest, const char *p)
{
	char *copy, *dir, *out;

	if (p[0] == '/')
		return xstrdup(p);
	copy = xstrdup(manifest);
	dir = dirname(copy);
	out = xasprintf("%s/%s", dir, p);
	free(copy);
	return out;
}

static int manifest_line(struct build_args *a, const char *file, int lineno, char **w)
{
	int n = 0;
	char *where = xasprintf("manifest %s:%d", file, lineno);

	while (w[n])
		n++;
	if (!strcmp(w[0], "file") || !strcmp(w[0], "dir")) {
		if (n != 3)
			return run_fail("%s: '%s' takes a host path and a guest path", where, w[0]);
		char *host = manifest_path(file, w[1]);
		add_action(a, w[0][0] == 'f' ? ACT_FILE : ACT_DIR, host, w[2], where);
		free(host);
	} else if (!strcmp(w[0], "symlink")) {
		if (n != 3)
			return run_fail("%s: 'symlink' takes a target and a guest path", where);
		add_action(a, ACT_SYMLINK, w[1], w[2], where);
	} else if (!strcmp(w[0], "mkdir")) {
		if (n != 2)
			return run_fail("%s: 'mkdir' takes one guest path", where);
		add_action(a, ACT_MKDIR, "", w[1], where);
	} else if (!strcmp(w[0], "env")) {
		for (int i = 1; i < n; i++)
			add_env_word(a, w[i]);
	} else if (!strcmp(w[0], "cmd")) {
		if (n < 2)
			return run_fail("%s: 'cmd' needs the program and its arguments", where);
		a->cmd = w + 1;
	} else if (!strcmp(w[0], "cwd")) {
		if (n != 2)
			return run_fail("%s: 'cwd' takes one absolute guest path", where);
		a->cwd = w[1];
	} else {
		return run_fail("%s: unknown directive '%s' (file, dir, symlink, mkdir, env, cmd, cwd)",
				where, w[0]);
	}
	return 0;
}

static int read_manifest(struct build_args *a, const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, st = 0;

	if (!f)
		return run_fail("--manifest %s: %s", file, strerror(errno));
	while (!st && getline(&line, &cap, f) >= 0) {
		const char *why = NULL;
		char **w;

		lineno++;
		if (line[strspn(line, " \t")] == '#')
			continue;
		if (!(w = split_words(line, &why)))
			st = run_fail("manifest %s:%d: %s", file, lineno, why);
		else if (w[0])
			st = manifest_line(a, file, lineno, w);
	}
	if (!st && ferror(f))
		st = run_fail("--manifest %s: %s", file, strerror(errno));
	free(line);
	fclose(f);
	return st;
}

/* ---- Options ------------------------------------------------------------------------ */

/* HOST:GUEST, both non-empty (the guest path is checked when added). */
static int split_pair(const char *opt, const char *val, char **host, char **guest)
{
	const char *colon = strchr(val, ':');

	if (!colon || colon == val || !colon[1])
		return run_fail("%s %s: want HOST:GUEST (a host path and an absolute guest path)",
				opt, val);
	*host = strndup(val, (size_t)(colon - val));
	*guest = xstrdup(colon + 1);
	return 0;
}

void build_usage(FILE *out)
{
	fputs("usage: mote build -o OUT.img PROGRAM [options] [-- ARGS...]\n\n"
	      "Write one bootable disk image holding the x86-64 PROGRAM (at\n"
	      "/app/<name>, or at its own path if under /usr /bin /sbin /lib /opt),\n"
	      "its interpreter and libraries if it is dynamic, the files asked for\n"
	      "and /etc basics; `mote run OUT.img` boots it.\n"
	      "The default command is the program with ARGS.\n\noptions:\n"
	      "  -o FILE               the image to write (required)\n"
	      "  --file HOST:GUEST     add host file HOST at GUEST (repeatable)\n"
	      "  --dir HOSTDIR:GUESTDIR  add a host directory tree (repeatable)\n"
	      "  --mkdir DIR           an empty directory (a volume's mount point)\n"
	      "  --manifest FILE       read more of the above from FILE (docs/cli.md)\n"
	      "  -e KEY=VALUE          set an environment variable; -e KEY copies mote's\n"
	      "  --cmd 'WORDS'         the command to run instead (argv[0] first)\n"
	      "  --cwd DIR             the working directory (default /)\n"
	      "  --lz4                 compress files with LZ4 where it saves space\n"
	      "  --quiet               no progress bar\n"
	      "  -h, --help            print this help\n\n"
	      "Exit status: 0, or 2 with one line saying what is wrong (nothing is written).\n",
	      out);
}

/* ARG names an option that takes a value, exactly or as "NAME=VALUE" (*val then set). */
static const char *valued_option(const char *arg, const char **val)
{
	static const char *const names[] = { "-o", "--file", "--dir", "--manifest", "-e", "--cmd",
					     "--cwd", "--mkdir" };

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t n = strlen(names[k]);

		if (!strncmp(arg, names[k], n) && (!arg[n] || arg[n] == '=')) {
			*val = arg[n] ? arg + n + 1 : NULL;
			return names[k];
		}
	}
	return NULL;
}

static int apply_option(struct build_args *a, const char *opt, const char *val)
{
	char *host = NULL, *guest = NULL;
	const char *why = NULL;
	int st;

	if (!strcmp(opt, "-o")) {
		a->out = val;
	} else if (!strcmp(opt, "--file") || !strcmp(opt, "--dir")) {
		if ((st = split_pair(opt, val, &host, &guest)))
			return st;
		add_action(a, opt[2] == 'f' ? ACT_FILE : ACT_DIR, host, guest,
			   xasprintf("%s %s", opt, val));
		free(host);
		free(guest);
	} else if (!strcmp(opt, "--mkdir")) {
		add_action(a, ACT_MKDIR, "", val, xasprintf("--mkdir %s", val));
	} else if (!strcmp(opt, "--manifest")) {
		return read_manifest(a, val);
	} else if (!strcmp(opt, "-e")) {
		add_env_word(a, val);
	} else if (!strcmp(opt, "--cmd")) {
		if (!(a->cmd = split_words(val, &why)))
			return run_fail("--cmd: %s", why);
		if (!a->cmd[0])
			return run_fail("--cmd: the command is empty");
	} else {
		a->cwd = val;
	}
	return 0;
}

/* Decodes argv; returns -1 to go on, else an exit status. */
static int parse_build_args(struct build_args *a, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *opt;
		int st;

		if (!strcmp(arg, "--")) {
			a->argc = argc - i - 1;
			a->argv = argv + i + 1;
			break;
		}
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			build_usage(stdout);
			return 0;
		}
		if (!strcmp(arg, "--lz4")) {
			a->lz4 = true;
			continue;
		}
		if (!strcmp(arg, "--quiet")) {
			a->quiet = true;
			continue;
		}
		if (arg[0] != '-') {
			if (a->program)
				return run_fail("unexpected argument '%s' (the program's arguments go "
						"after --)", arg);
			a->program = arg;
			continue;
		}
		if (!(opt = valued_option(arg, &val)))
			return run_fail("unknown option '%s' (see mote build --help)", arg);
		if (!val && (val = argv[++i]) == NULL)
			return run_fail("option %s needs a value", opt);
		if (!*val)
			return run_fail("option %s needs a value, got an empty one", opt);
		if ((st = apply_option(a, opt, val)))
			return st;
	}
	if (!a->program)
		return run_fail("which program? (usage: mote build -o OUT.img PROGRAM)");
	if (!a->out)
		return run_fail("where to? -o OUT.img is required");
	return -1;
}

/* ---- Host files --------------------------------------------------------------------- */

static int64_t clamp_time(int64_t t)
{
	return epoch >= 0 && t > epoch ? epoch : t;
}

/* A readable regular file (opened to prove it), or exit 2 naming it. */
static int check_host_file(const char *path, const char *origin, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return run_fail("%s: %s: %s", origin, path, strerror(errno));
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return run_fail("%s: %s: %s", origin, path,
				S_ISDIR(st->st_mode) ? "is a directory (use --dir)" : "not a regular file");
	}
	close(fd);
	return 0;
}

/*
 * Shared objects the user's files bring (a --dir of Python's modules):
 * what a dlopen() of them in the guest will need is added too, after
 * everything else (add_module_deps).
 */
static struct host_pair {
	char *host, *guest;
} *modules;
static size_t nr_modules;

static bool is_shared_object(const char *host)
{
	unsigned char h[18];
	int fd = open(host, O_RDONLY | O_CLOEXEC);
	bool yes = fd >= 0 && read(fd, h, sizeof(h)) == (ssize_t)sizeof(h) &&
		   !memcmp(h, "\177ELF", 4) && h[16] == 3 && h[17] == 0;	/* ET_DYN */

	if (fd >= 0)
		close(fd);
	return yes;
}

static void note_module(const char *host, const char *guest)
{
	modules = xrealloc(modules, (nr_modules + 1) * sizeof(*modules));
	modules[nr_modules++] = (struct host_pair){ xstrdup(host), xstrdup(guest) };
}

static int add_file(struct imgw *w, const char *host, const char *guest, const char *origin)
{
	struct stat st;
	int ret;

	if ((ret = check_host_file(host, origin, &st)))
		return ret;
	if (imgw_add_host_file(w, guest, st.st_mode & 07777, clamp_time(st.st_mtim.tv_sec), host,
			       (uint64_t)st.st_size, origin))
		return run_fail("%s: %s", origin, w->why);
	if (strcmp(origin, "the program") && strcmp(origin, "the program's libraries") &&
	    is_shared_object(host)) {
		char *real = imgw_canonical(w, guest);	/* its $ORIGIN is where it really is */

		note_module(host, real ? real : guest);
		free(real);
	}
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in a directory, sorted (so the walk and its errors are the same every time). */
static char **list_dir(const char *path, const char *origin, size_t *count, int *st)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		*st = run_fail("%s: %s: %s", origin, path, strerror(errno));
		return NULL;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!(names = realloc(names, (n + 1) * sizeof(char *))))
			abort();
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), name_cmp);
	*count = n;
	*st = 0;
	return names;
}

static int add_tree(struct imgw *w, const char *host, const char *guest, const char *origin)
{
	struct stat st;
	char **names;
	size_t n;
	int ret;

	if (lstat(host, &st))
		return run_fail("%s: %s: %s", origin, host, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		char target[IMAGE_PATH_MAX];
		ssize_t len = readlink(host, target, sizeof(target) - 1);
		if (len < 0)
			return run_fail("%s: %s: %s", origin, host, strerror(errno));
		target[len] = 0;
		if (imgw_add_symlink(w, guest, target, clamp_time(st.st_mtim.tv_sec), origin))
			return run_fail("%s: %s", origin, w->why);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return add_file(w, host, guest, origin);
	if (!S_ISDIR(st.st_mode))
		return run_fail("%s: %s: not a regular file, directory or symlink", origin, host);
	if (imgw_add_dir(w, guest, st.st_mode & 07777, clamp_time(st.st_mtim.tv_sec), origin))
		return run_fail("%s: %s", origin, w->why);
	if (!(names = list_dir(host, origin, &n, &ret)))
		return ret;
	for (size_t i = 0; i < n && !ret; i++) {
		char *h = xasprintf("%s/%s", host, names[i]);
		char *g = xasprintf("%s%s%s", guest, guest[strlen(guest) - 1] == '/' ? "" : "/",
				    names[i]);
		ret = add_tree(w, h, g, origin);
		free(h);
		free(g);
	}
	return ret;
}

/* ---- What the builder adds itself -------------------------------------------------- */

static int add_generated(struct imgw *w)
{
	/* Mount points: the root is read-only, so the kernel cannot make them at boot. */
	static const struct { const char *path; uint32_t mode; } dirs[] = {
		{ "/tmp", 01777 }, { "/proc", 0555 }, { "/sys", 0555 }, { "/dev", 0755 },
	};
	int64_t t = epoch >= 0 ? epoch : 0;
	size_t netc;
	const struct deps_etc_file *etc = deps_etc_basics(&netc);

	for (size_t i = 0; i < netc; i++) {
		const char *why = "mote build's /etc defaults";

		if (imgw_exists(w, etc[i].guest))
			continue;
		if (etc[i].link ? imgw_add_symlink(w, etc[i].guest, etc[i].link, t, why)
				: imgw_add_bytes(w, etc[i].guest, 0644, t, etc[i].content,
						 strlen(etc[i].content), why))
			return run_fail("%s", w->why);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!imgw_exists(w, dirs[i].path) &&
		    imgw_add_dir(w, dirs[i].path, dirs[i].mode, t, "mote build's mount points"))
			return run_fail("%s", w->why);
	return 0;
}

/*
 * Where the program goes in the guest (placement rule at the top). The
 * result is malloc'ed.
 */
/* path made absolute and lexically clean ("." and empty components dropped, ".." applied). */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX], *joined, *out;
	size_t n = 0;

	joined = path[0] == '/' ? xstrdup(path)
				: xasprintf("%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : "", path);
	out = calloc(strlen(joined) + 2, 1);
	if (!out)
		abort();
	for (char *p = joined, *end; *p; p = end) {
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		end = p + len;
		if (!len || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n && out[--n] != '/')
				;
			continue;
		}
		out[n++] = '/';
		memcpy(out + n, p, len);
		n += len;
	}
	out[n] = 0;
	free(joined);
	return out;
}

static char *program_guest_path(const char *program)
{
	static const char *const keep[] = { "/usr/", "/bin/", "/sbin/", "/lib/", "/opt/" };
	const char *base = strrchr(program, '/');
	char *abs = absolute_path(program);

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (!strncmp(abs, keep[i], strlen(keep[i])))
			return abs;
	free(abs);
	return xasprintf("%s/%s", PROGRAM_GUEST_DIR, base ? base + 1 : program);
}

/*
 * The program and, for a dynamic one, its ELF interpreter and shared
 * libraries with the symbolic links on their paths, where the guest's
 * ld.so will look (tools/mote/deps.h, docs/build.md). This is the one
 * place they enter the image. An entry already there (the user's own
 * --file or --dir) is kept: the user's choice wins.
 */
static int add_dep(struct imgw *w, const struct deps_entry *e)
{
	if (imgw_exists(w, e->guest))
		return 0;
	if (e->kind == DEPS_FILE)
		return add_file(w, e->host, e->guest, "the program's libraries");
	if (imgw_add_symlink(w, e->guest, e->target, 0, "the program's libraries"))
		return run_fail("the program's libraries: %s", w->why);
	return 0;
}

/*
 * The libraries of the shared objects noted by add_file. One that cannot
 * be resolved (a module whose own library is not installed here either)
 * is a warning: it would fail to load on this host too, and the rest of
 * the image is still right.
 */
static int add_module_deps(struct imgw *w)
{
	int st = 0;

	for (size_t i = 0; i < nr_modules && !st; i++) {
		struct deps_options opts = { .guest_program = modules[i].guest, .shared_object = true };
		struct deps_list list;

		if (deps_resolve(modules[i].host, &opts, &list))
			fprintf(stderr, "mote build: warning: %s\n", list.error);
		else
			for (size_t k = 0; !st && k < list.nr_entries; k++)
				st = add_dep(w, &list.entries[k]);
		deps_free(&list);
	}
	return st;
}

/*
 * glibc dlopen()s libgcc_s.so.1 to unwind a thread that calls pthread_exit
 * or is cancelled, and aborts without it; no DT_NEEDED names it. It goes
 * beside libc.so.6 when the host has it there (Debian's libgcc-s1, a
 * required package), with whatever it needs (add_file notes it as a module).
 */
static int add_glibc_runtime(struct imgw *w, const struct deps_entry *libc)
{
	char *host_dir = xstrdup(libc->host), *guest_dir = xstrdup(libc->guest);
	char *host = xasprintf("%s/libgcc_s.so.1", dirname(host_dir));
	char *guest = xasprintf("%s/libgcc_s.so.1", dirname(guest_dir));
	int st = 0;

	if (access(host, R_OK) == 0 && !imgw_exists(w, guest))
		st = add_file(w, host, guest, "glibc's libgcc_s");	/* a module: its needs follow */
	free(host_dir);
	free(guest_dir);
	free(host);
	free(guest);
	return st;
}

static bool is_libc(const struct deps_entry *e)
{
	const char *slash = strrchr(e->guest, '/');

	return e->kind == DEPS_FILE && slash && !strcmp(slash + 1, "libc.so.6");
}

static int add_program(struct imgw *w, const char *program, const char *guest)
{
	struct deps_options opts = { .guest_program = guest };
	struct deps_list list;
	bool dynamic;
	int st;

	if ((st = program_check(program, &dynamic)) || (st = add_file(w, program, guest, "the program")))
		return st;
	if (!dynamic)
		return 0;
	if (deps_resolve(program, &opts, &list)) {
		st = run_fail("%s", list.error);
	} else {
		for (size_t i = 0; !st && i < list.nr_entries; i++)
			if (!(st = add_dep(w, &list.entries[i])) && is_libc(&list.entries[i]))
				st = add_glibc_runtime(w, &list.entries[i]);
	}
	deps_free(&list);
	return st;
}

/* The path of argv[0] in the image: as given if absolute, else the first PATH hit. */
static char *find_exec(struct imgw *w, const char *name, const char *const *env)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

	if (strchr(name, '/'))
		return name[0] == '/' && imgw_exists(w, name) ? xstrdup(name) : NULL;
	for (; *env; env++)
		if (!strncmp(*env, "PATH=", 5))
			path = *env + 5;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		char *cand = xasprintf("%.*s/%s", (int)n, p, name);

		if (n && p[0] == '/' && imgw_exists(w, cand))
			return cand;
		free(cand);
		p += n + (p[n] == ':');
	}
	return NULL;
}

static int set_command(struct imgw *w, struct build_args *a, const char *guest)
{
	const char **env;
	char **argv = a->cmd, *exec;
	int st;

	if ((st = program_env(&a->env, &env)))
		return st;
	if (!argv) {
		argv = calloc((size_t)a->argc + 2, sizeof(char *));
		if (!argv)
			abort();
		argv[0] = (char *)guest;
		memcpy(argv + 1, a->argv, (size_t)a->argc * sizeof(char *));
	} else if (a->argc) {
		return run_fail("arguments after -- cannot be combined with --cmd (put them in it)");
	}
	if (!(exec = find_exec(w, argv[0], env)))
		return run_fail("command %s: not in the image%s", argv[0],
				strchr(argv[0], '/') ? "" : " (searched its PATH)");
	if (imgw_set_config(w, argv, (char *const *)env, exec, a->cwd ? a->cwd : "/"))
		return run_fail("%s", w->why);
	return 0;
}

/* ---- Writing ------------------------------------------------------------------------- */

struct bar {
	int last;	/* percent shown, -1 none */
};

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct bar *b = ctx;
	int pct = total ? (int)(done * 100 / total) : 100, fill = pct * 30 / 100;

	if (pct == b->last)
		return;
	b->last = pct;
	fprintf(stderr, "\rmote build: [%.*s%*s] %3d%% %llu/%llu MiB", fill,
		"##############################", 30 - fill, "", pct,
		(unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
}

/* Reads the image back through lib/image: what the kernel will accept. */
static int verify(int fd, const char *tmp)
{
	struct stat st;
	struct image img;
	void *map;
	int ret;

	if (fstat(fd, &st))
		return run_fail("%s: %s", tmp, strerror(errno));
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return run_fail("%s: %s", tmp, strerror(errno));
	ret = image_open(&img, map, (uint64_t)st.st_size);
	munmap(map, (size_t)st.st_size);
	if (ret)
		return run_fail("internal error: the image written does not read back: %s", img.why);
	return 0;
}

#define PROGRESS_MIN_BYTES (32ull << 20)

static int write_image(struct imgw *w, const struct build_args *a)
{
	char *copy = xstrdup(a->out), *tmp;
	struct bar bar = { .last = -1 };
	mode_t mask = umask(0);
	int fd, st = 0;

	umask(mask);
	tmp = xasprintf("%s/.%s.XXXXXX", dirname(copy), basename((char *)a->out));
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return run_fail("-o %s: cannot create a file beside it: %s", a->out, strerror(errno));
	w->lz4 = a->lz4;
	if (!a->quiet && isatty(STDERR_FILENO) && imgw_data_bytes(w) >= PROGRESS_MIN_BYTES) {
		w->progress = show_progress;
		w->progress_ctx = &bar;
	}
	if (imgw_write(w, fd))
		st = run_fail("%s", w->why);
	if (bar.last >= 0)
		fputc('\n', stderr);
	if (!st)
		st = verify(fd, tmp);
	if (!st && fchmod(fd, 0666 & ~mask))
		st = run_fail("%s: %s", tmp, strerror(errno));
	if (close(fd) && !st)
		st = run_fail("%s: %s", tmp, strerror(errno));
	if (!st && rename(tmp, a->out))
		st = run_fail("-o %s: %s", a->out, strerror(errno));
	if (st)
		unlink(tmp);
	free(tmp);
	free(copy);
	return st;
}

int build_main(int argc, char **argv)
{
	struct build_args a = { 0 };
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct imgw *w;
	char *guest;
	int st;

	if ((st = parse_build_args(&a, argc, argv)) >= 0)
		return st;
	if (sde && *sde)
		epoch = strtoll(sde, NULL, 10);
	w = imgw_new(epoch >= 0 ? epoch : 0);
	guest = program_guest_path(a.program);
	if ((st = add_program(w, a.program, guest)))
		return st;
	for (int i = 0; i < a.nacts; i++) {
		const struct action *act = &a.acts[i];

		if (act->kind == ACT_FILE)
			st = add_file(w, act->src, act->dst, act->origin);
		else if (act->kind == ACT_DIR)
			st = add_tree(w, act->src, act->dst, act->origin);
		else if (act->kind == ACT_MKDIR)
			st = imgw_exists(w, act->dst) ? 0 :
			     imgw_add_dir(w, act->dst, 0755, epoch >= 0 ? epoch : 0, act->origin) ?
			     run_fail("%s: %s", act->origin, w->why) : 0;
		else if (imgw_add_symlink(w, act->dst, act->src, epoch >= 0 ? epoch : 0, act->origin))
			st = run_fail("%s: %s", act->origin, w->why);
		if (st)
			return st;
	}
	if ((st = add_module_deps(w)) || (st = add_generated(w)) || (st = set_command(w, &a, guest)))
		return st;
	return write_image(w, &a);
}
