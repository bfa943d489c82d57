/*
 * mote's cache: what later runs reuse.
 *
 * The image cache behind `mote run PROGRAM` for dynamic programs: the
 * program, its interpreter and libraries (tools/mote/deps.h), its --file
 * words and its -e words go into an image `mote build` writes once and
 * later runs reuse.
 *
 * The key is a 64-bit FNV-1a hash of everything the image is made of:
 * mote's version, its own executable and the image format version, the -e words as the guest
 * will see them (KEY alone takes the host's value), the volumes' mount
 * points (made as directories in the image), and for the program,
 * every library and every --file: the path, size, modification time,
 * inode and device of the host file. Upgrading a library, editing the
 * program or touching a --file therefore builds a new image; nothing is
 * ever served stale. The hash is not cryptographic: the cache is the
 * user's own directory, and a collision costs a wrong program only if two
 * different inputs hash alike (1 in 2^64).
 *
 * The host's TSC rate (tsc.c), for a guest under TCG: measuring takes 10
 * ms, more than a boot, so it is measured once per host boot and kept in
 * tsc-khz as "BOOT_ID KHZ" (BOOT_ID from /proc/sys/kernel/random/boot_id:
 * the rate cannot change while the host runs, and a rebooted or different
 * host has another ID). Only a host whose TSC runs at a constant rate
 * (constant_tsc in /proc/cpuinfo) is measured; anything unreadable or
 * malformed is measured again, and any failure just leaves the kernel to
 * calibrate against its PIT.
 *
 * Where: $MOTE_CACHE_DIR, else $XDG_CACHE_HOME/mote, else ~/.cache/mote;
 * images/<key>.img and tsc-khz. Files are written to a temporary name and
 * renamed (`mote build` too), so two runs writing the same file at once
 * both leave a whole one. Nothing is evicted: removing the directory is
 * always safe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <abi/image.h>

#include "deps.h"
#include "mote.h"
#include "xalloc.h"

struct key {
	uint64_t h;
};

static void key_bytes(struct key *k, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		k->h = (k->h ^ p[i]) * 0x100000001b3ull;
}

static void key_str(struct key *k, const char *s)
{
	key_bytes(k, s, strlen(s) + 1);
}

/* A host file as the image would copy it: its path and identity. */
static int key_file(struct key *k, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	key_str(k, path);
	key_bytes(k, &st.st_size, sizeof(st.st_size));
	key_bytes(k, &st.st_mtim, sizeof(st.st_mtim));
	key_bytes(k, &st.st_ino, sizeof(st.st_ino));
	key_bytes(k, &st.st_dev, sizeof(st.st_dev));
	return 0;
}

static int key_program(struct key *k, const struct program_spec *spec)
{
	struct deps_list list;
	int err = deps_resolve(spec->path, NULL, &list);

	if (err) {
		err = run_fail("%s", list.error);
	} else {
		for (size_t i = 0; !err && i < list.nr_entries; i++) {
			const struct deps_entry *e = &list.entries[i];

			key_str(k, e->guest);
			if (e->kind == DEPS_FILE && key_file(k, e->host))
				err = run_fail("program %s: %s: %s", spec->path, e->host, strerror(errno));
			else if (e->kind == DEPS_SYMLINK)
				key_str(k, e->target);
		}
	}
	deps_free(&list);
	return err;
}

static int compute_key(const struct program_spec *spec, struct key *k)
{
	const char **env;
	int err;

	k->h = 0xcbf29ce484222325ull;
	key_str(k, MOTE_VERSION);
	key_file(k, "/proc/self/exe");	/* a rebuilt mote may build images differently */
	key_bytes(k, &(uint32_t){ IMAGE_VERSION }, sizeof(uint32_t));
	if ((err = key_program(k, spec)) || (err = program_env(&spec->env, &env)))
		return err;
	for (const char **e = env; *e; e++)
		key_str(k, *e);
	free(env);
	for (int i = 0; i < spec->mounts.n; i++)
		key_str(k, spec->mounts.v[i]);
	for (int i = 0; i < spec->files.n; i++) {
		const char *w = spec->files.v[i], *colon = strchr(w, ':');
		char *host = strndup(w, colon ? (size_t)(colon - w) : strlen(w));

		key_str(k, w);
		if (!host)
			abort();
		key_file(k, host);	/* a missing one is mote build's error to report */
		free(host);
	}
	return 0;
}

/*
 * The cache directory's subdirectory sub ("" for the top one), made if
 * missing: 0 with *out malloc'ed, else an errno value with *out the path
 * that failed (malloc'ed) or NULL when no directory is configured.
 */
static int cache_dir(const char *sub, char **out)
{
	const char *base = getenv("MOTE_CACHE_DIR"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *dir;

	if (base && *base)
		dir = xasprintf("%s/%s", base, sub);
	else if (xdg && *xdg)
		dir = xasprintf("%s/mote/%s", xdg, sub);
	else if (home && *home)
		dir = xasprintf("%s/.cache/mote/%s", home, sub);
	else {
		*out = NULL;
		return ENOENT;
	}
	*out = dir;
	for (char *p = dir + 1; *p; p++) {	/* mkdir -p */
		if (*p != '/' || !p[1])
			continue;
		*p = 0;
		if (mkdir(dir, 0755) && errno != EEXIST)
			return errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return errno;
	return 0;
}

/* Runs `mote build -o path --quiet PROGRAM --file ... -e ...`. */
static int build_into(const struct program_spec *spec, const char *path)
{
	int n = 0, st;
	char **argv = calloc(6 + 2 * (size_t)(spec->files.n + spec->env.n + spec->mounts.n),
			     sizeof(char *));

	if (!argv)
		abort();
	argv[n++] = "build";
	argv[n++] = "-o";
	argv[n++] = (char *)path;
	argv[n++] = "--quiet";
	for (int i = 0; i < spec->files.n; i++) {
		argv[n++] = "--file";
		argv[n++] = (char *)spec->files.v[i];
	}
	for (int i = 0; i < spec->env.n; i++) {
		argv[n++] = "-e";
		argv[n++] = (char *)spec->env.v[i];
	}
	for (int i = 0; i < spec->mounts.n; i++) {
		argv[n++] = "--mkdir";
		argv[n++] = (char *)spec->mounts.v[i];
	}
	argv[n++] = (char *)spec->path;
	st = build_main(n, argv);
	free(argv);
	return st;
}

int image_cache_get(const struct program_spec *spec, char **path)
{
	const char *why;
	struct key k;
	char *dir;
	int st, err;

	if ((st = compute_key(spec, &k)))
		return st;
	if ((err = cache_dir("images", &dir))) {
		st = dir ? run_fail("image cache %s: %s", dir, strerror(err)) :
			   run_fail("no cache directory for the program's image (set MOTE_CACHE_DIR)");
		free(dir);
		return st;
	}
	*path = xasprintf("%s/%016llx.img", dir, (unsigned long long)k.h);
	free(dir);
	if (access(*path, R_OK) == 0 && image_check_file(*path, &why) == 0)
		return 0;
	return build_into(spec, *path);
}

/* The first line of a small file, newline dropped; false if unreadable or empty. */
static bool read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)size, f);

	if (f)
		fclose(f);
	if (!ok)
		return false;
	buf[strcspn(buf, "\n")] = 0;
	return *buf;
}

/* Whether /proc/cpuinfo lists constant_tsc: only then is one measurement good for the boot. */
static bool host_tsc_constant(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && getline(&line, &cap, f) > 0)
		found = !strncmp(line, "flags", 5) && strstr(line, " constant_tsc");
	free(line);
	fclose(f);
	return found;
}

/* The cached rate when its boot ID is this boot's, else 0. */
static unsigned long cached_tsc_khz(const char *path, const char *boot_id)
{
	char line[128], id[64];
	unsigned long khz;
	char end;

	if (!read_line(path, line, sizeof(line)) ||
	    sscanf(line, "%63s %lu%c", id, &khz, &end) != 2 || strcmp(id, boot_id))
		return 0;
	return khz;
}

static void store_tsc_khz(const char *path, const char *boot_id, unsigned long khz)
{
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "we");

	if (f) {
		bool written = fprintf(f, "%s %lu\n", boot_id, khz) > 0;

		if (fclose(f) == 0 && written)
			rename(tmp, path);
		unlink(tmp);	/* only left if it was not renamed */
	}
	free(tmp);
}

#define TSC_WINDOWS   5
#define TSC_WINDOW_NS 2e6	/* 10 ms in all, once per host boot */

unsigned long host_tsc_khz(void)
{
	char boot_id[64], *dir, *path;
	unsigned long khz;

	if (!read_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id)))
		return 0;
	if (cache_dir("", &dir)) {
		free(dir);
		return 0;
	}
	path = xasprintf("%stsc-khz", dir);
	free(dir);
	khz = cached_tsc_khz(path, boot_id);
	if (khz < TSC_KHZ_MIN || khz > TSC_KHZ_MAX) {
		khz = host_tsc_constant() ? (unsigned long)tsc_measure_khz(TSC_WINDOWS, TSC_WINDOW_NS) : 0;
		if (khz >= TSC_KHZ_MIN && khz <= TSC_KHZ_MAX)
			store_tsc_khz(path, boot_id, khz);
		else
			khz = 0;
	}
	free(path);
	return khz;
}
