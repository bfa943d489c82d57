/*
 * `mote run PROGRAM`: what goes into the VM, and the checks before it.
 *
 * The program must be an x86-64 ELF program: lib/elf, the parser the
 * kernel's loader uses, reads it first, so a bad one is refused here, where
 * the message is clearest, rather than in the guest. A static program
 * (static-PIE included) travels in a boot bundle, below; a dynamic one
 * needs its interpreter and libraries, which `mote run` puts in a cached
 * disk image instead (run.c, build.c).
 *
 * The bundle (include/abi/bundle.h), in this order:
 *   FILE  /app/<basename of PROGRAM>, the program, with its host mode bits
 *   FILE  GUEST for each --file HOST:GUEST (HOST's mode bits)
 *   SYMLINK /etc/resolv.conf -> /proc/net/resolv.conf, with a NIC and no
 *         --file there: the kernel's name servers, as `mote build` links them
 *   ARGV  PROGRAM as given, then the words after --
 *   ENV   PATH, HOSTNAME=mote, HOME=/ (as docker's minimal set), then -e
 *         KEY=VALUE in order (a KEY already there is replaced) and -e KEY
 *         (the host's value, skipped when unset)
 *   EXEC  /app/<basename>
 *   CWD   /
 * It is written to a private file (mkstemp in $TMPDIR, else /tmp) that
 * mote removes when it exits, or keeps for --dry-run so the printed QEMU
 * command works when pasted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/bundle.h>
#include <lib/elf.h>

#include "deps.h"
#include "mote.h"

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOSTNAME=mote",
	"HOME=/",
};

static char *bundle_file;	/* removed at exit unless kept */


/* Opens a regular file to read; -errno (-EISDIR for a directory, -EINVAL for anything else). */
static int open_regular(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		int err = S_ISDIR(st->st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return err;
	}
	return fd;
}

static const char *open_error(int err)
{
	return err == -EINVAL ? "not a regular file" : strerror(-err);
}

int program_check(const char *path, bool *dynamic)
{
	static struct elf_info info;
	struct stat st = { 0 };
	const char *why = NULL;
	int fd = open_regular(path, &st), err;
	void *map;

	if (fd < 0)
		return run_fail("program %s: %s", path, open_error(fd));
	if (st.st_size == 0) {
		close(fd);
		return run_fail("program %s: empty file, not an ELF program", path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return run_fail("program %s: %s", path, strerror(errno));
	err = elf_parse(map, (size_t)st.st_size, &info, &why);
	if (!err && info.has_interp && !dynamic)
		err = run_fail("program %s: dynamically linked (needs %s); only static programs "
			   "travel in a bundle", path, info.interp);
	else if (!err)
		*dynamic = info.has_interp;
	else
		err = run_fail("program %s: %s", path, why);
	munmap(map, (size_t)st.st_size);
	return err;
}

static void remove_at_exit(void)
{
	program_remove_bundle();
}

void program_remove_bundle(void)
{
	if (bundle_file) {
		unlink(bundle_file);
		bundle_file = NULL;
	}
}

/* A list of NUL-terminated strings, grown as words are added. */
struct strings {
	char *buf;
	size_t len;
};

static void strings_add(struct strings *s, const char *w)
{
	size_t n = strlen(w) + 1;
	s->buf = realloc(s->buf, s->len + n);
	if (!s->buf)
		abort();
	memcpy(s->buf + s->len, w, n);
	s->len += n;
}

int program_env(const struct word_list *words, const char ***out)
{
	int max = (int)(sizeof(default_env) / sizeof(default_env[0])) + words->n, n = 0;
	const char **env = calloc((size_t)max + 1, sizeof(char *));

	if (!env)
		abort();
	for (size_t i = 0; i < sizeof(default_env) / sizeof(default_env[0]); i++)
		env[n++] = default_env[i];
	for (int i = 0; i < words->n; i++) {
		const char *w = words->v[i], *eq = strchr(w, '=');
		size_t klen = eq ? (size_t)(eq - w) : strlen(w);
		if (klen == 0)
			return run_fail("-e %s: the variable needs a name (KEY=VALUE)", w);
		if (!eq) {
			const char *v = getenv(w);
			if (!v)
				continue;	/* as docker: an unset host variable is left out */
			char *kv = malloc(klen + strlen(v) + 2);
			if (!kv)
				abort();
			sprintf(kv, "%s=%s", w, v);
			w = kv;
		}
		int j = 0;
		while (j < n && !(strncmp(env[j], w, klen) == 0 && env[j][klen] == '='))
			j++;
		env[j] = w;
		n += j == n;
	}
	*out = env;
	return 0;
}

/* The environment as the bundle's NUL-separated strings. */
static int build_env(const struct word_list *words, struct strings *out)
{
	const char **env;
	int st = program_env(words, &env);

	if (st)
		return st;
	for (int i = 0; env[i]; i++)
		strings_add(out, env[i]);
	free(env);
	return 0;
}

/* Which of the n guest paths already in the bundle is guest (0: the program), or -1. */
static int taken_at(const char **taken, int n, const char *guest)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(taken[i], guest))
			return i;
	return -1;
}

/* One --file HOST:GUEST: HOST a readable regular file, GUEST a valid new path. */
static int add_file(struct bundle_writer *w, const char *word, const char **taken, int ntaken)
{
	const char *colon = strchr(word, ':');
	const char *problem;
	struct stat st;

	if (!colon || colon == word || !colon[1])
		return run_fail("--file %s: want HOST:GUEST (a host file and an absolute guest path)",
			    word);
	char *host = strndup(word, (size_t)(colon - word));
	const char *guest = colon + 1;
	if (!host)
		abort();
	if ((problem = bundle_path_problem(guest, strlen(guest))) ||
	    (!strcmp(guest, "/") && (problem = "is the root directory")))
		return run_fail("--file %s: guest path %s %s", word, guest, problem);
	int at = taken_at(taken, ntaken, guest);
	if (at >= 0)
		return run_fail("--file %s: guest path %s is already taken%s", word, guest,
			    at == 0 ? " by the program" : "");
	int fd = open_regular(host, &st);
	if (fd < 0)
		return run_fail("--file %s: host file %s: %s", word, host, open_error(fd));
	int err = bundle_add_file(w, guest, st.st_mode & 07777, fd, (uint64_t)st.st_size);
	close(fd);
	free(host);
	return err ? run_fail("--file %s: %s", word, strerror(-err)) : 0;
}

static int make_temp(char **path)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	*path = path_join(dir, "mote-bundle.XXXXXX");
	int fd = mkostemp(*path, O_CLOEXEC);
	if (fd < 0)
		run_fail("cannot create the bundle in %s: %s (set TMPDIR)", dir, strerror(errno));
	return fd;
}

static int write_entries(struct bundle_writer *w, const struct program_spec *spec,
			 const char *exec)
{
	struct strings argv = { 0 }, env = { 0 };
	const char **taken = calloc((size_t)spec->files.n + 1, sizeof(char *));
	struct stat st;
	int fd, st_ = 0;

	if (!taken)
		abort();
	taken[0] = exec;
	if ((fd = open_regular(spec->path, &st)) < 0)
		return run_fail("program %s: %s", spec->path, open_error(fd));
	int err = bundle_add_file(w, exec, st.st_mode & 07777, fd, (uint64_t)st.st_size);
	close(fd);
	if (err)
		return run_fail("program %s: %s", spec->path, strerror(-err));
	for (int i = 0; i < spec->files.n && !st_; i++)
		if (!(st_ = add_file(w, spec->files.v[i], taken, i + 1)))
			taken[i + 1] = strchr(spec->files.v[i], ':') + 1;
	if (st_ || (st_ = build_env(&spec->env, &env)))
		return st_;
	if (spec->net && taken_at(taken, spec->files.n + 1, DEPS_RESOLV_CONF) < 0)
		bundle_add(w, BUNDLE_SYMLINK, 0, DEPS_RESOLV_CONF, DEPS_RESOLV_CONF_LINK,
			   strlen(DEPS_RESOLV_CONF_LINK));
	strings_add(&argv, spec->path);
	for (int i = 0; i < spec->argc; i++)
		strings_add(&argv, spec->argv[i]);
	bundle_add(w, BUNDLE_ARGV, 0, NULL, argv.buf, argv.len);
	bundle_add(w, BUNDLE_ENV, 0, NULL, env.buf, env.len);
	bundle_add(w, BUNDLE_EXEC, 0, exec, NULL, 0);
	bundle_add(w, BUNDLE_CWD, 0, "/", NULL, 0);
	free(argv.buf);
	free(env.buf);
	free(taken);
	return 0;
}

int program_bundle(const struct program_spec *spec, bool keep, const char **path)
{
	const char *base = strrchr(spec->path, '/');
	struct bundle_writer w;
	char *exec, *tmp;
	int fd, st;

	base = base ? base + 1 : spec->path;
	exec = path_join(PROGRAM_GUEST_DIR, base);
	if (bundle_path_problem(exec, strlen(exec)))
		return run_fail("program %s: its name cannot be a guest path", spec->path);
	if ((fd = make_temp(&tmp)) < 0)
		return MOTE_EXIT_USAGE;
	bundle_file = tmp;
	if (!keep)
		atexit(remove_at_exit);
	bundle_begin(&w, fd);
	st = write_entries(&w, spec, exec);
	if (!st && bundle_finish(&w))
		st = run_fail("writing the bundle %s: %s", tmp, strerror(-w.err));
	close(fd);
	free(exec);
	if (st) {
		program_remove_bundle();
		return st;
	}
	if (keep)
		bundle_file = NULL;
	*path = tmp;
	return 0;
}
