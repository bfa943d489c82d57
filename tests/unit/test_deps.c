/*
 * tools/mote/deps: the shared-library resolver of `mote build`.
 *
 * Real Debian programs are resolved and the set of objects compared with
 * what glibc's `ldd` prints for them. Synthetic programs and libraries,
 * built here with gcc in a private directory, pin down each search rule
 * (DT_RPATH of the loader chain against DT_RUNPATH, $ORIGIN and $LIB,
 * ld.so.conf with include globs, libraries of another class or machine
 * skipped, DF_1_NODEFLIB), and are checked against `ldd` too where it can
 * say. Every result is also checked as the guest would see it: each
 * object's guest path, looked up through the entry list alone (following
 * its symbolic links), must reach the same file as on the host.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "deps.h"

static char tmp[PATH_MAX];      /* the private directory of the synthetic files */

/* ---- helpers ------------------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int st;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	st = system(cmd);
	if (st)
		fprintf(stderr, "  command failed (%d): %s\n", st, cmd);
	free(cmd);
	return st;
}

static char *tpath(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, PATH_MAX, "%s/%s", tmp, rel);
	return b;
}

/* "/a/./b//c" -> "/a/b/c": ldd prints $ORIGIN paths with a "./" inside. */
static void clean(char *p)
{
	char *r = p, *w = p;

	while (*r) {
		if (r[0] == '/' && r[1] == '.' && r[2] == '/')
			r += 2;
		else if (r[0] == '/' && r[1] == '/')
			r++;
		else
			*w++ = *r++;
	}
	*w = 0;
}

struct set {
	char *v[256];
	int n;
};

static void set_add(struct set *s, const char *str)
{
	if (s->n < 256) {
		s->v[s->n] = strdup(str);
		clean(s->v[s->n++]);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_free(struct set *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

/* Equal as sets; prints both when not. */
static int set_equal(struct set *a, struct set *b, const char *what)
{
	int ok = a->n == b->n;

	qsort(a->v, (size_t)a->n, sizeof(char *), cmp_str);
	qsort(b->v, (size_t)b->n, sizeof(char *), cmp_str);
	for (int i = 0; ok && i < a->n; i++)
		ok = !strcmp(a->v[i], b->v[i]);
	if (!ok) {
		fprintf(stderr, "  %s: deps and ldd disagree\n", what);
		for (int i = 0; i < a->n; i++)
			fprintf(stderr, "    deps %s\n", a->v[i]);
		for (int i = 0; i < b->n; i++)
			fprintf(stderr, "    ldd  %s\n", b->v[i]);
	}
	return ok;
}

/* What ldd says: the path of every object but the vDSO; "NOTFOUND name" for a missing one. */
static void ldd_set(const char *program, struct set *s)
{
	char cmd[PATH_MAX + 32], line[1024];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ldd '%s' 2>/dev/null", program);
	p = popen(cmd, "r");
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		char name[512], path[512];

		if (strstr(line, "linux-vdso") || strstr(line, "statically linked"))
			continue;
		if (sscanf(line, " %511s => not found", name) == 1 && strstr(line, "not found")) {
			char both[600];

			snprintf(both, sizeof(both), "NOTFOUND %s", name);
			set_add(s, both);
		} else if (sscanf(line, " %511s => %511s", name, path) == 2) {
			set_add(s, path);
		} else if (sscanf(line, " %511s (", path) == 1 && path[0] == '/') {
			set_add(s, path);
		}
	}
	pclose(p);
}

/* The objects deps found but the program itself, as ldd would name them. */
static void deps_set(const struct deps_list *l, struct set *s)
{
	for (size_t i = 1; i < l->nr_objects; i++)
		set_add(s, l->objects[i].host);
}

static const struct deps_entry *entry_at(const struct deps_list *l, const char *guest)
{
	for (size_t i = 0; i < l->nr_entries; i++)
		if (!strcmp(l->entries[i].guest, guest))
			return &l->entries[i];
	return NULL;
}

/*
 * Looks a guest path up through the entries alone, as the guest kernel
 * would in the image: a component that is a symbolic-link entry is
 * replaced by its text; any other prefix is a directory. Returns the
 * DEPS_FILE entry reached, or NULL.
 */
static const struct deps_entry *guest_lookup(const struct deps_list *l, const char *path)
{
	char cur[PATH_MAX] = "", rest[PATH_MAX];
	int links = 0;

	snprintf(rest, sizeof(rest), "%s", path);
	while (rest[0]) {
		char *p = rest + strspn(rest, "/"), comp[PATH_MAX], next[PATH_MAX * 2];
		size_t n = strcspn(p, "/");

		if (!*p)
			return NULL;
		memcpy(comp, p, n);
		comp[n] = 0;
		memmove(rest, p + n, strlen(p + n) + 1);
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(cur, '/');
			if (slash)
				*slash = 0;
			continue;
		}
		snprintf(next, sizeof(next), "%s/%s", cur, comp);
		const struct deps_entry *e = entry_at(l, next);
		if (e && e->kind == DEPS_SYMLINK) {
			char joined[PATH_MAX * 2];

			if (++links > 40)
				return NULL;
			snprintf(joined, sizeof(joined), "%s%s", e->target, rest);
			snprintf(rest, sizeof(rest), "%s", joined);
			if (e->target[0] == '/')
				cur[0] = 0;
			continue;
		}
		if (e && !rest[strspn(rest, "/")])
			return e;
		if (e)
			return NULL;	/* a file used as a directory */
		snprintf(cur, sizeof(cur), "%s", next);
	}
	return NULL;
}

/*
 * The checks every successful result must pass: each object reachable in
 * the guest at its guest path and the same file as on the host, every
 * file entry a regular host file, no entry below a symbolic link.
 */
static int list_consistent(const struct deps_list *l)
{
	int ok = 1;

	for (size_t i = 0; i < l->nr_objects; i++) {
		const struct deps_object *o = &l->objects[i];
		const struct deps_entry *e = guest_lookup(l, o->guest);
		char *want = realpath(o->host, NULL), *got = e ? realpath(e->host, NULL) : NULL;

		if (!e || !want || !got || strcmp(want, got)) {
			fprintf(stderr, "  %s (guest %s) reaches %s in the image\n", o->host, o->guest,
				e ? e->host : "nothing");
			ok = 0;
		}
		free(want);
		free(got);
	}
	for (size_t i = 0; i < l->nr_entries; i++) {
		const struct deps_entry *e = &l->entries[i];
		struct stat st;

		if (e->guest[0] != '/' || (e->kind == DEPS_FILE &&
		    (stat(e->host, &st) || !S_ISREG(st.st_mode)))) {
			fprintf(stderr, "  bad entry %s\n", e->guest);
			ok = 0;
		}
		for (size_t k = 0; k < l->nr_entries; k++) {
			size_t n = strlen(l->entries[k].guest);

			if (l->entries[k].kind == DEPS_SYMLINK && !strncmp(e->guest, l->entries[k].guest, n) &&
			    e->guest[n] == '/') {
				fprintf(stderr, "  %s lies below the link %s\n", e->guest, l->entries[k].guest);
				ok = 0;
			}
		}
	}
	return ok;
}

static const struct deps_object *object_named(const struct deps_list *l, const char *name)
{
	for (size_t i = 0; i < l->nr_objects; i++)
		if (!strcmp(l->objects[i].name, name))
			return &l->objects[i];
	return NULL;
}

static int count_named(const struct deps_list *l, const char *name)
{
	int n = 0;

	for (size_t i = 0; i < l->nr_objects; i++)
		n += !strcmp(l->objects[i].name, name);
	return n;
}

/* Resolves and compares with ldd (both must agree, failure or not), then checks consistency. */
static int resolve_like_ldd(const char *program, struct deps_list *l)
{
	struct set ours = { 0 }, theirs = { 0 };
	int err = deps_resolve(program, NULL, l), ok;

	ldd_set(program, &theirs);
	if (err) {
		/* ldd names the missing library; deps stops at the first one. */
		int named = 0;

		for (int i = 0; i < theirs.n; i++)
			named |= !strncmp(theirs.v[i], "NOTFOUND ", 9) &&
				 strstr(l->error, theirs.v[i] + 9) != NULL;
		ok = err == -ENOENT && named;
		if (!ok)
			fprintf(stderr, "  %s: %d %s\n", program, err, l->error);
	} else {
		deps_set(l, &ours);
		ok = set_equal(&ours, &theirs, program) && list_consistent(l);
	}
	set_free(&ours);
	set_free(&theirs);
	return ok;
}

/* ---- real Debian programs ----------------------------------------------- */

static void check_real(const char *program)
{
	struct deps_list l;

	if (!EXPECT(access(program, X_OK) == 0)) {
		fprintf(stderr, "  %s missing (tools/install-deps.sh installs it)\n", program);
		return;
	}
	EXPECT(resolve_like_ldd(program, &l));
	EXPECT(!l.is_static && l.nr_objects >= 3);
	EXPECT(l.objects[1].via == DEPS_VIA_INTERP);
	EXPECT(object_named(&l, "libc.so.6") != NULL);
	deps_free(&l);
}

static void test_real_ls(void) { check_real("/bin/ls"); }
static void test_real_python3(void) { check_real("/usr/bin/python3"); }
static void test_real_sqlite3(void) { check_real("/usr/bin/sqlite3"); }
static void test_real_lua(void) { check_real("/usr/bin/lua5.4"); }

/* The interpreter path is kept through Debian's merged-/usr links; libz's version link too. */
static void test_real_symlink_chains(void)
{
	struct deps_list l;
	const struct deps_entry *e;
	char *real_interp = realpath("/lib64/ld-linux-x86-64.so.2", NULL);

	EXPECT(deps_resolve("/usr/bin/python3", NULL, &l) == 0);
	EXPECT(object_named(&l, "/lib64/ld-linux-x86-64.so.2") != NULL);
	e = guest_lookup(&l, "/lib64/ld-linux-x86-64.so.2");
	EXPECT(e && real_interp && !strcmp(e->host, real_interp) && !strcmp(e->guest, real_interp));
	e = guest_lookup(&l, "/lib/x86_64-linux-gnu/libz.so.1");
	EXPECT(e && e->kind == DEPS_FILE && strstr(e->guest, "/libz.so.1.") != NULL);
	/* Debian 12 has /lib -> usr/lib: the directory link itself is an entry. */
	e = entry_at(&l, "/lib");
	struct stat st;
	if (!lstat("/lib", &st) && S_ISLNK(st.st_mode))
		EXPECT(e && e->kind == DEPS_SYMLINK && !strcmp(e->target, "usr/lib"));
	/* A libz symlink in its canonical directory. */
	e = entry_at(&l, "/usr/lib/x86_64-linux-gnu/libz.so.1");
	EXPECT(e && e->kind == DEPS_SYMLINK && !strncmp(e->target, "libz.so.1.", 10));
	free(real_interp);
	deps_free(&l);
}

static void test_static_program(void)
{
	struct deps_list l;
	char *real = realpath("/bin/busybox", NULL);

	EXPECT(real != NULL);
	EXPECT(deps_resolve("/bin/busybox", NULL, &l) == 0);
	EXPECT(l.is_static && l.nr_objects == 1);
	/* Just the program: its file, and /bin -> usr/bin where that is a link. */
	for (size_t i = 0; i < l.nr_entries; i++)
		EXPECT(l.entries[i].kind == DEPS_SYMLINK || (real && !strcmp(l.entries[i].host, real)));
	EXPECT(list_consistent(&l));
	deps_free(&l);
	free(real);
}

/* ---- synthetic programs ------------------------------------------------- */

static int built;

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Patches one byte of a copy of a file. */
static int patch_copy(const char *from, const char *to, long off, unsigned char byte)
{
	if (sh("cp '%s' '%s'", from, to))
		return -1;
	FILE *f = fopen(to, "r+b");
	if (!f)
		return -1;
	fseek(f, off, SEEK_SET);
	fputc(byte, f);
	return fclose(f);
}

#define CC "gcc -O1 -w -Wl,--no-as-needed"
#define SO CC " -shared -fPIC"
#define OLD "-Wl,--disable-new-dtags"
#define NEW "-Wl,--enable-new-dtags"

/*
 * The fixture. Directories: A and B each hold a libx.so; M0, M1, M2 hold a
 * libmid.so (needs libx) with no path, DT_RUNPATH=A, DT_RPATH=A. Programs
 * in P need libmid or libx with various paths.
 */
static int build_fixture(void)
{
	if (built)
		return built > 0;
	built = -1;
	if (sh("cd %s && mkdir -p A B M0 M1 M2 P/lib W W2 W3 N S C/conf.d CD lib/x86_64-linux-gnu Q", tmp) ||
	    write_file(tpath("x.c"), "int x(void) { return 1; }\n") ||
	    write_file(tpath("mid.c"), "int x(void); int mid(void) { return x(); }\n") ||
	    write_file(tpath("main_mid.c"), "int mid(void); int main(void) { return mid(); }\n") ||
	    write_file(tpath("main_x.c"), "int x(void); int main(void) { return x(); }\n"))
		return 0;
	if (sh("cd %s && " SO " -Wl,-soname,libx.so -o A/libx.so x.c && cp A/libx.so B/ && "
	       "cp A/libx.so P/lib/ && cp A/libx.so lib/x86_64-linux-gnu/ && "
	       SO " -o M0/libmid.so mid.c -LA -lx && "
	       SO " " NEW " -Wl,-rpath,%s/A -o M1/libmid.so mid.c -LA -lx && "
	       SO " " OLD " -Wl,-rpath,%s/A -o M2/libmid.so mid.c -LA -lx", tmp, tmp, tmp))
		return 0;
	/* The programs: RPATH vs RUNPATH on the program, $ORIGIN, $LIB. */
	if (sh("cd %s && " CC " " OLD " -Wl,-rpath,%s/M0:%s/B -o P/rpath main_mid.c -LM0 -lmid -LA -lx -Wl,--allow-shlib-undefined", tmp, tmp, tmp) ||
	    sh("cd %s && " CC " " NEW " -Wl,-rpath,%s/M0:%s/B -o P/runpath main_mid.c -LM0 -lmid -Wl,--allow-shlib-undefined", tmp, tmp, tmp) ||
	    sh("cd %s && " CC " " OLD " -Wl,-rpath,%s/M1:%s/B -o P/mixed main_mid.c -LM1 -lmid -Wl,--allow-shlib-undefined", tmp, tmp, tmp) ||
	    sh("cd %s && " CC " " OLD " -Wl,-rpath,%s/M2:%s/B -o P/chain main_mid.c -LM2 -lmid -Wl,--allow-shlib-undefined", tmp, tmp, tmp) ||
	    sh("cd %s && " CC " " NEW " -Wl,-rpath,'$ORIGIN/lib' -o P/origin main_x.c -LA -lx", tmp) ||
	    sh("cd %s && " CC " " NEW " -Wl,-rpath,'%s/$LIB' -o P/dstlib main_x.c -LA -lx", tmp, tmp))
		return 0;
	/* Another class (EI_CLASS 1) in W2, another machine (aarch64) in W, not ELF in N. */
	if (patch_copy(tpath("A/libx.so"), tpath("W2/libx.so"), EI_CLASS, ELFCLASS32) ||
	    patch_copy(tpath("A/libx.so"), tpath("W/libx.so"), 18, EM_AARCH64) ||
	    patch_copy(tpath("A/libx.so"), tpath("W3/libx.so"), EI_DATA, ELFDATA2MSB) ||
	    sh("cd %s && " CC " " NEW " -Wl,-rpath,%s/W3:%s/A -o P/bigendian main_x.c -LA -lx", tmp, tmp, tmp) ||
	    write_file(tpath("N/libx.so"), "/* GNU ld script */\nINPUT(libx.so.1)\n") ||
	    sh("cd %s && " CC " " NEW " -Wl,-rpath,%s/W2:%s/W:%s/A -o P/skip main_x.c -LA -lx", tmp, tmp, tmp, tmp) ||
	    sh("cd %s && " CC " " NEW " -Wl,-rpath,%s/N:%s/A -o P/notelf main_x.c -LA -lx", tmp, tmp, tmp))
		return 0;
	/* A missing library: built, linked against, removed. */
	if (sh("cd %s && " SO " -o Q/libnothere.so x.c && " CC " -o P/missing main_x.c -LQ -lnothere && rm Q/libnothere.so", tmp))
		return 0;
	/* Two libraries needing the same libx, through different directories' links. */
	if (sh("cd %s && " SO " " NEW " -Wl,-rpath,%s/A -o M0/liba.so mid.c -LA -lx && "
	       SO " " NEW " -Wl,-rpath,%s/A -o M0/libb.so x.c -LA -lx && "
	       CC " " NEW " -Wl,-rpath,%s/M0:%s/A -o P/dup main_x.c -LM0 -la -lb -LA -lx -Wl,--no-as-needed", tmp, tmp, tmp, tmp, tmp))
		return 0;
	/* A versioned library behind a soname link, reached through a directory link. */
	if (sh("cd %s && " SO " -Wl,-soname,libsym.so.1 -o S/libsym.so.1.0 x.c && "
	       "ln -s libsym.so.1.0 S/libsym.so.1 && ln -s libsym.so.1 S/libsym.so && ln -s S Slink && "
	       CC " " NEW " -Wl,-rpath,%s/Slink -o P/sym main_x.c -LS -lsym", tmp, tmp))
		return 0;
	/*
	 * DF_1_NODEFLIB on a library that needs libz: not found without a path.
	 * (binutils 2.40 ignores -z nodeflib: the test turns NODELETE into it.)
	 */
	if (sh("cd %s && " SO " -Wl,-z,nodelete -o M0/libnd.so x.c /lib/x86_64-linux-gnu/libz.so.1 && "
	       CC " " NEW " -Wl,-rpath,%s/M0 -o P/nodeflib main_x.c -LM0 -lnd", tmp, tmp))
		return 0;
	/* A library only an ld.so.conf directory holds. */
	if (sh("cd %s && " SO " -Wl,-soname,libcx.so -o CD/libcx.so x.c && "
	       CC " -o P/conf main_x.c -LCD -lcx", tmp))
		return 0;
	built = 1;
	return 1;
}

static void resolve_ok(const char *rel, struct deps_list *l)
{
	int err = deps_resolve(tpath(rel), NULL, l);

	if (err)
		fprintf(stderr, "  %s: %d %s\n", rel, err, l->error);
	EXPECT(err == 0);
}

static int found_in(const struct deps_list *l, const char *name, const char *dir_rel,
		    enum deps_via via)
{
	const struct deps_object *o = object_named(l, name);
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s/%s", tpath(dir_rel), name);
	if (!o || strcmp(o->host, want) || o->via != via) {
		fprintf(stderr, "  %s: found at %s via %s, wanted %s via %s\n", name,
			o ? o->host : "-", o ? deps_via_name(o->via) : "-", want, deps_via_name(via));
		return 0;
	}
	return 1;
}

/* The program's DT_RPATH serves its libraries' needs too (libx from B, through libmid). */
static void test_rpath_applies_to_children(void)
{
	struct deps_list l;

	if (!EXPECT(build_fixture()))
		return;
	resolve_ok("P/rpath", &l);
	EXPECT(found_in(&l, "libmid.so", "M0", DEPS_VIA_RPATH));
	EXPECT(found_in(&l, "libx.so", "B", DEPS_VIA_RPATH));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/rpath"), &l));
	deps_free(&l);
}

/* The program's DT_RUNPATH does not: libmid's libx is then not found. */
static void test_runpath_not_for_children(void)
{
	struct deps_list l;
	char want[PATH_MAX];

	if (!EXPECT(build_fixture()))
		return;
	EXPECT(deps_resolve(tpath("P/runpath"), NULL, &l) == -ENOENT);
	snprintf(want, sizeof(want), "libx.so: not found (needed by %s/M0/libmid.so)", tmp);
	EXPECT(!strcmp(l.error, want));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/runpath"), &l));
	deps_free(&l);
}

/* A library with DT_RUNPATH ignores the DT_RPATH of its loaders (A wins over the program's B). */
static void test_runpath_disables_rpath_chain(void)
{
	struct deps_list l;

	if (!EXPECT(build_fixture()))
		return;
	resolve_ok("P/mixed", &l);
	EXPECT(found_in(&l, "libmid.so", "M1", DEPS_VIA_RPATH));
	EXPECT(found_in(&l, "libx.so", "A", DEPS_VIA_RUNPATH));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/mixed"), &l));
	deps_free(&l);
}

/* The loader's own DT_RPATH comes before its loader's (A before the program's B). */
static void test_rpath_chain_order(void)
{
	struct deps_list l;

	if (!EXPECT(build_fixture()))
		return;
	resolve_ok("P/chain", &l);
	EXPECT(found_in(&l, "libx.so", "A", DEPS_VIA_RPATH));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/chain"), &l));
	deps_free(&l);
}

static void test_origin_and_lib(void)
{
	struct deps_list l;

	if (!EXPECT(build_fixture()))
		return;
	resolve_ok("P/origin", &l);
	EXPECT(found_in(&l, "libx.so", "P/lib", DEPS_VIA_RUNPATH));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/origin"), &l));
	deps_free(&l);
	/*
	 * Through a symbolic link, $ORIGIN is still the program's real directory
	 * (ld.so reads /proc/self/exe). Here ldd, which only sees the path it is
	 * given, would say "not found": the test follows what exec does.
	 */
	/* ".." in the program's path is walked physically, like any component. */
	resolve_ok("P/lib/../origin", &l);
	EXPECT(found_in(&l, "libx.so", "P/lib", DEPS_VIA_RUNPATH));
	EXPECT(list_consistent(&l));
	deps_free(&l);
	EXPECT(sh("mkdir -p %s/Z && ln -sf ../P/origin %s/Z/linked", tmp, tmp) == 0);
	resolve_ok("Z/linked", &l);
	EXPECT(found_in(&l, "libx.so", "P/lib", DEPS_VIA_RUNPATH));
	EXPECT(entry_at(&l, tpath("Z/linked")) && entry_at(&l, tpath("Z/linked"))->kind == DEPS_SYMLINK);
	EXPECT(list_consistent(&l));
	deps_free(&l);
	resolve_ok("P/dstlib", &l);
	EXPECT(found_in(&l, "libx.so", "lib/x86_64-linux-gnu", DEPS_VIA_RUNPATH));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/dstlib"), &l));
	deps_free(&l);
}

/* A program placed elsewhere in the guest takes its $ORIGIN libraries along. */
static void test_guest_program_path(void)
{
	struct deps_options opts = { .guest_program = "/app/origin" };
	struct deps_list l;
	const struct deps_entry *e;
	const struct deps_object *o;

	if (!EXPECT(build_fixture()))
		return;
	EXPECT(deps_resolve(tpath("P/origin"), &opts, &l) == 0);
	o = object_named(&l, "libx.so");
	EXPECT(o && !strcmp(o->guest, "/app/lib/libx.so") && !strcmp(o->host, tpath("P/lib/libx.so")));
	e = entry_at(&l, "/app/origin");
	EXPECT(e && e->kind == DEPS_FILE && !strcmp(e->host, tpath("P/origin")));
	e = entry_at(&l, "/app/lib/libx.so");
	EXPECT(e && e->kind == DEPS_FILE && !strcmp(e->host, tpath("P/lib/libx.so")));
	EXPECT(list_consistent(&l));
	deps_free(&l);
	opts.guest_program = "app/relative";
	EXPECT(deps_resolve(tpath("P/origin"), &opts, &l) == -EINVAL);
	deps_free(&l);
}

/* Another class and another machine are passed over; a file that is not ELF stops the search. */
static void test_wrong_class_skipped(void)
{
	struct deps_list l;

	if (!EXPECT(build_fixture()))
		return;
	resolve_ok("P/skip", &l);
	EXPECT(found_in(&l, "libx.so", "A", DEPS_VIA_RUNPATH));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/skip"), &l));
	deps_free(&l);
	EXPECT(deps_resolve(tpath("P/notelf"), NULL, &l) == -EINVAL);
	EXPECT(strstr(l.error, "N/libx.so: not an ELF file (needed by ") != NULL);
	deps_free(&l);
	EXPECT(deps_resolve(tpath("P/bigendian"), NULL, &l) == -ENOEXEC);
	EXPECT(strstr(l.error, "W3/libx.so: not a little-endian ELF file (needed by ") != NULL);
	deps_free(&l);
}

static void test_missing_library(void)
{
	struct deps_list l;
	char want[PATH_MAX];

	if (!EXPECT(build_fixture()))
		return;
	EXPECT(deps_resolve(tpath("P/missing"), NULL, &l) == -ENOENT);
	snprintf(want, sizeof(want), "libnothere.so: not found (needed by %s)", tpath("P/missing"));
	EXPECT(!strcmp(l.error, want));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/missing"), &l));
	deps_free(&l);
	EXPECT(deps_resolve(tpath("no/such/program"), NULL, &l) == -ENOENT);
	EXPECT(strstr(l.error, "no/such/program") != NULL);
	deps_free(&l);
	EXPECT(deps_resolve(tpath("x.c"), NULL, &l) == -EINVAL);
	EXPECT(strstr(l.error, "not an ELF file") != NULL);
	deps_free(&l);
	/* Neither a directory nor a FIFO (which must not block) is a program. */
	EXPECT(deps_resolve(tmp, NULL, &l) == -EINVAL);
	EXPECT(strstr(l.error, "not a regular file") != NULL);
	deps_free(&l);
	EXPECT(sh("mkfifo %s/fifo", tmp) == 0);
	EXPECT(deps_resolve(tpath("fifo"), NULL, &l) == -EINVAL);
	deps_free(&l);
}

/* libx is needed three times (program, liba, libb): one object, one file. */
static void test_duplicates_once(void)
{
	struct deps_list l;
	int files = 0;

	if (!EXPECT(build_fixture()))
		return;
	resolve_ok("P/dup", &l);
	EXPECT(count_named(&l, "libx.so") == 1);
	EXPECT(found_in(&l, "liba.so", "M0", DEPS_VIA_RUNPATH));
	for (size_t i = 0; i < l.nr_entries; i++)
		files += strstr(l.entries[i].guest, "/libx.so") != NULL;
	EXPECT(files == 1);
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/dup"), &l));
	deps_free(&l);
}

/* Slink -> S and libsym.so.1 -> libsym.so.1.0: both links and the file, as on the host. */
static void test_symlink_chain(void)
{
	struct deps_list l;
	const struct deps_entry *e;
	char path[PATH_MAX];

	if (!EXPECT(build_fixture()))
		return;
	resolve_ok("P/sym", &l);
	EXPECT(found_in(&l, "libsym.so.1", "Slink", DEPS_VIA_RUNPATH));
	e = entry_at(&l, tpath("Slink"));
	EXPECT(e && e->kind == DEPS_SYMLINK && !strcmp(e->target, "S"));
	e = entry_at(&l, tpath("S/libsym.so.1"));
	EXPECT(e && e->kind == DEPS_SYMLINK && !strcmp(e->target, "libsym.so.1.0"));
	e = entry_at(&l, tpath("S/libsym.so.1.0"));
	EXPECT(e && e->kind == DEPS_FILE && !strcmp(e->host, tpath("S/libsym.so.1.0")));
	snprintf(path, sizeof(path), "%s", tpath("Slink/libsym.so"));
	EXPECT(entry_at(&l, path) == NULL);	/* the unversioned link nobody opens */
	EXPECT(list_consistent(&l));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/sym"), &l));
	deps_free(&l);
}

/* ld.so.conf: comments, include globs relative to the file, nested; the cache is added. */
static void test_ld_so_conf(void)
{
	struct deps_options opts = { .ld_so_conf = tpath("C/ld.so.conf"), .ld_so_cache = tpath("C/cache") };
	struct deps_list l;
	char text[PATH_MAX * 2];

	if (!EXPECT(build_fixture()))
		return;
	EXPECT(write_file(tpath("C/ld.so.conf"), "# the top\ninclude conf.d/*.conf\n\n/nonexistent/dir\n") == 0);
	EXPECT(write_file(tpath("C/conf.d/a.conf"), "  # nothing here\nhwcap 0 nosegneg\ninclude ../more.txt\n") == 0);
	snprintf(text, sizeof(text), "/nowhere/a,%s/CD=libc6 /nowhere/b   # trailing comment\nrelative/dir\n", tmp);
	EXPECT(write_file(tpath("C/more.txt"), text) == 0);
	EXPECT(write_file(tpath("C/cache"), "a stand-in for ld.so.cache\n") == 0);
	EXPECT(deps_resolve(tpath("P/conf"), &opts, &l) == 0);
	EXPECT(found_in(&l, "libcx.so", "CD", DEPS_VIA_CONF));
	EXPECT(entry_at(&l, tpath("C/cache")) != NULL);
	EXPECT(object_named(&l, "libc.so.6") && object_named(&l, "libc.so.6")->via == DEPS_VIA_DEFAULT);
	EXPECT(list_consistent(&l));
	deps_free(&l);
	/* Without that configuration: not found; with the system's, libc needs no cache. */
	opts.ld_so_conf = "";
	EXPECT(deps_resolve(tpath("P/conf"), &opts, &l) == -ENOENT);
	deps_free(&l);
	EXPECT(deps_resolve("/bin/ls", &opts, &l) == 0);
	for (size_t i = 0; i < l.nr_entries; i++)
		EXPECT(!strstr(l.entries[i].guest, "ld.so.cache"));
	deps_free(&l);
}

/* ---- malformed dynamic sections ---------------------------------------- */

struct blob {
	unsigned char *p;
	size_t n;
};

static struct blob read_blob(const char *path)
{
	struct blob b = { 0 };
	FILE *f = fopen(path, "rb");

	if (!f)
		return b;
	fseek(f, 0, SEEK_END);
	b.n = (size_t)ftell(f);
	rewind(f);
	b.p = malloc(b.n);
	if (fread(b.p, 1, b.n, f) != b.n)
		b.n = 0;
	fclose(f);
	return b;
}

/* Parses a library image as the resolver does; 0 or the error. */
static int parse_lib(const unsigned char *p, size_t n, struct deps_dynamic *dyn, const char **why)
{
	static struct elf_info info;
	int err = elf_parse_shared(p, n, &info, why);

	return err ? err : deps_parse_dynamic(p, n, &info, dyn, why);
}

/* The file offset of the n-th dynamic entry with a tag, or 0. */
static size_t dyn_entry(const struct blob *b, int64_t tag, int nth)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b->p;

	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(b->p + eh->e_phoff) + i;

		if (ph->p_type != PT_DYNAMIC)
			continue;
		for (size_t off = ph->p_offset; off + 16 <= ph->p_offset + ph->p_filesz; off += 16)
			if (((Elf64_Dyn *)(b->p + off))->d_tag == tag && nth-- == 0)
				return off;
	}
	return 0;
}

static unsigned char *mutated(const struct blob *b, size_t off, uint64_t val)
{
	unsigned char *p = malloc(b->n);

	memcpy(p, b->p, b->n);
	memcpy(p + off + 8, &val, 8);
	return p;
}

static int refused_with(const struct blob *b, int64_t tag, uint64_t val, const char *want)
{
	struct deps_dynamic dyn;
	const char *why = NULL;
	size_t off = dyn_entry(b, tag, 0);
	unsigned char *p = off ? mutated(b, off, val) : NULL;
	int err = p ? parse_lib(p, b->n, &dyn, &why) : 0;

	free(p);
	if (err != -ENOEXEC || !why || !strstr(why, want)) {
		fprintf(stderr, "  tag %#llx = %#llx: got %d (%s), wanted %s\n", (unsigned long long)tag,
			(unsigned long long)val, err, why ? why : "-", want);
		return 0;
	}
	return 1;
}

static void test_malformed_dynamic(void)
{
	struct deps_dynamic dyn;
	const char *why;
	struct blob b;

	if (!EXPECT(build_fixture()))
		return;
	b = read_blob(tpath("M0/libmid.so"));
	if (!EXPECT(b.n > 0))
		return;
	EXPECT(parse_lib(b.p, b.n, &dyn, &why) == 0 && dyn.nr_needed >= 1);
	EXPECT(dyn.nr_needed >= 1 && !strcmp(dyn.needed[0], "libx.so"));
	EXPECT(refused_with(&b, DT_STRTAB, 0x7fffffff0000ULL, "DT_STRTAB is outside"));
	EXPECT(refused_with(&b, DT_NEEDED, 0xffffffffffffULL, "DT_NEEDED string"));
	EXPECT(refused_with(&b, DT_STRSZ, 1, "outside the string table"));
	/* DT_STRSZ ending just before the first needed name's NUL: unterminated. */
	{
		size_t noff = dyn_entry(&b, DT_NEEDED, 0);
		uint64_t at = noff ? ((Elf64_Dyn *)(b.p + noff))->d_un.d_val : 0;

		EXPECT(refused_with(&b, DT_STRSZ, at + strlen("libx.so"), "DT_NEEDED string"));
	}
	/* A second DT_STRTAB (the DT_NULL turned into one). */
	{
		size_t null = dyn_entry(&b, DT_NULL, 0);
		unsigned char *p = malloc(b.n);

		memcpy(p, b.p, b.n);
		if (EXPECT(null != 0)) {
			uint64_t tag = DT_STRTAB;
			memcpy(p + null, &tag, 8);
			EXPECT(parse_lib(p, b.n, &dyn, &why) == -ENOEXEC && strstr(why, "more than one"));
		}
		free(p);
	}
	/* Every byte of the file cut or flipped must be refused or parsed, never crash (ASan). */
	for (size_t n = 0; n < b.n; n += n < 4096 ? 1 : 61) {
		unsigned char *p = malloc(n ? n : 1);

		memcpy(p, b.p, n);
		parse_lib(p, n, &dyn, &why);
		free(p);
	}
	size_t dstart = dyn_entry(&b, DT_NEEDED, 0);
	for (size_t k = dstart; dstart && k < dstart + 512 && k < b.n; k++) {
		unsigned char *p = malloc(b.n);

		memcpy(p, b.p, b.n);
		p[k] ^= 0xff;
		if (parse_lib(p, b.n, &dyn, &why) == 0)
			for (unsigned i = 0; i < dyn.nr_needed; i++)
				EXPECT((const unsigned char *)dyn.needed[i] >= p &&
				       (const unsigned char *)dyn.needed[i] < p + b.n);
		free(p);
	}
	free(b.p);
}

/* A corrupt library found by the search is an error naming it and its loader. */
static void test_malformed_library_found(void)
{
	struct deps_list l;
	struct blob b;
	FILE *f;

	if (!EXPECT(build_fixture()))
		return;
	EXPECT(sh("mkdir -p %s/BAD && cp %s/P/origin %s/BAD/prog", tmp, tmp, tmp) == 0);
	b = read_blob(tpath("A/libx.so"));
	if (!EXPECT(b.n > 0))
		return;
	size_t off = dyn_entry(&b, DT_STRTAB, 0);
	unsigned char *p = off ? mutated(&b, off, 0x7fffffff0000ULL) : NULL;
	EXPECT(sh("mkdir -p %s/BAD/lib", tmp) == 0);
	if (p && (f = fopen(tpath("BAD/lib/libx.so"), "wb"))) {
		fwrite(p, 1, b.n, f);
		fclose(f);
	}
	EXPECT(deps_resolve(tpath("BAD/prog"), NULL, &l) == -ENOEXEC);
	EXPECT(strstr(l.error, "BAD/lib/libx.so: DT_STRTAB is outside") && strstr(l.error, "(needed by "));
	deps_free(&l);
	free(p);
	free(b.p);
}

static void test_nodeflib(void)
{
	struct deps_list l;
	struct blob b;
	size_t off;
	FILE *f;

	if (!EXPECT(build_fixture()))
		return;
	b = read_blob(tpath("M0/libnd.so"));
	off = b.n ? dyn_entry(&b, DT_FLAGS_1, 0) : 0;
	if (!EXPECT(off != 0))
		return;
	((Elf64_Dyn *)(b.p + off))->d_un.d_val = DF_1_NODEFLIB;
	if (EXPECT((f = fopen(tpath("M0/libnd.so"), "wb")) != NULL)) {
		EXPECT(fwrite(b.p, 1, b.n, f) == b.n);
		fclose(f);
	}
	free(b.p);
	EXPECT(deps_resolve(tpath("P/nodeflib"), NULL, &l) == -ENOENT);
	EXPECT(!strncmp(l.error, "libz.so.1: not found (needed by ", 32));
	deps_free(&l);
	EXPECT(resolve_like_ldd(tpath("P/nodeflib"), &l));
	deps_free(&l);
}

/* lib/elf's library mode: e_entry 0 is fine for a library, ET_EXEC is not one. */
static void test_elf_parse_shared(void)
{
	static struct elf_info info;
	struct blob lib, exe;
	const char *why;

	if (!EXPECT(build_fixture()))
		return;
	lib = read_blob(tpath("A/libx.so"));
	exe = read_blob("/bin/busybox");
	if (!EXPECT(lib.n > ELF_EHDR_SIZE && exe.n > ELF_EHDR_SIZE))
		return;
	EXPECT(((Elf64_Ehdr *)lib.p)->e_entry == 0);
	EXPECT(elf_parse_shared(lib.p, lib.n, &info, &why) == 0 && info.has_dynamic);
	EXPECT(info.dynamic.filesz > 0 && info.dynamic.offset + info.dynamic.filesz <= lib.n);
	EXPECT(elf_parse(lib.p, lib.n, &info, &why) == -ENOEXEC && strstr(why, "entry point"));
	if (((Elf64_Ehdr *)exe.p)->e_type == ET_EXEC)
		EXPECT(elf_parse_shared(exe.p, exe.n, &info, &why) == -ENOEXEC &&
		       strstr(why, "not a shared object"));
	free(lib.p);
	free(exe.p);
}

/* ---- /etc basics --------------------------------------------------------- */

static void test_etc_basics(void)
{
	static const char *const names[] = { "/etc/passwd", "/etc/group", "/etc/hosts",
					     "/etc/resolv.conf", "/etc/nsswitch.conf" };
	size_t n, n2;
	const struct deps_etc_file *e = deps_etc_basics(&n), *e2 = deps_etc_basics(&n2);

	EXPECT(n == 5 && e == e2 && n2 == n);
	for (size_t i = 0; i < n && i < 5; i++) {
		EXPECT(!strcmp(e[i].guest, names[i]));
		if (i == 3) {	/* resolv.conf: the kernel's name servers */
			EXPECT(!e[i].content && e[i].link && !strcmp(e[i].link, "/proc/net/resolv.conf"));
			continue;
		}
		EXPECT(!e[i].link && e[i].content && strlen(e[i].content) > 0 &&
		       e[i].content[strlen(e[i].content) - 1] == '\n');
	}
	EXPECT(!strncmp(e[0].content, "root:x:0:0:", 11));
	EXPECT(strstr(e[2].content, "127.0.0.1\tlocalhost\n") && strstr(e[2].content, "\tmote\n"));
	EXPECT(strstr(e[4].content, "hosts: files dns\n") && strstr(e[4].content, "passwd: files\n"));
}

int main(void)
{
	char tmpl[] = "/tmp/test-deps.XXXXXX";

	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s", tmpl);
	RUN(test_real_ls);
	RUN(test_real_python3);
	RUN(test_real_sqlite3);
	RUN(test_real_lua);
	RUN(test_real_symlink_chains);
	RUN(test_static_program);
	RUN(test_rpath_applies_to_children);
	RUN(test_runpath_not_for_children);
	RUN(test_runpath_disables_rpath_chain);
	RUN(test_rpath_chain_order);
	RUN(test_origin_and_lib);
	RUN(test_guest_program_path);
	RUN(test_wrong_class_skipped);
	RUN(test_missing_library);
	RUN(test_duplicates_once);
	RUN(test_symlink_chain);
	RUN(test_nodeflib);
	RUN(test_ld_so_conf);
	RUN(test_malformed_dynamic);
	RUN(test_malformed_library_found);
	RUN(test_elf_parse_shared);
	RUN(test_etc_basics);
	sh("rm -rf '%s'", tmp);
	return test_summary();
}
