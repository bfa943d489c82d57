/*
 * Where things are. mote finds its kernel and the Firecracker fixture next to
 * its own binary (build/mote beside build/kernel.elf, or an installed
 * bin/mote beside bin/kernel.elf), so it works from any current directory.
 *
 * Functions returning int give 0 or a negative errno; strings returned are
 * never freed: mote run is a short-lived process that execs nothing after
 * QEMU exits, so tracking ownership would buy nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mote.h"

const char *path_self_dir(void)
{
	static char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	char *slash = strrchr(dir, '/');
	if (!slash)
		return NULL;
	/* The binary at the root of the filesystem keeps "/" as its directory. */
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	bool slash = dl > 0 && dir[dl - 1] != '/';
	char *p = malloc(dl + slash + nl + 1);
	if (!p)
		abort();
	memcpy(p, dir, dl);
	if (slash)
		p[dl] = '/';
	memcpy(p + dl + slash, name, nl + 1);
	return p;
}

/* open() succeeds on a directory, and QEMU would only fail later: check it. */
int path_check_readable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int err = fstat(fd, &st) < 0 ? -errno : 0;
	close(fd);
	if (!err && S_ISDIR(st.st_mode))
		err = -EISDIR;
	return err;
}

/* access(X_OK) alone says yes to directories, and to root for any file with
 * one x bit: stat first so a directory named like QEMU is not "executable". */
int path_check_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) < 0 ? -errno : 0;
}

/*
 * The path execv() will run for NAME, searched in PATH as execvp() would
 * (an empty PATH entry is the current directory). Resolving it here lets
 * validation report a missing QEMU before anything starts, and lets the
 * spawn skip the search. On failure returns NULL with *err a negative errno:
 * the first "exists but cannot run" error seen, else -ENOENT.
 */
const char *path_find_exec(const char *name, int *err)
{
	if (strchr(name, '/')) {
		*err = path_check_exec(name);
		return *err ? NULL : name;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	*err = -ENOENT;
	for (;;) {
		const char *end = strchrnul(path, ':');
		char *dir = strndup(path, (size_t)(end - path));
		if (!dir)
			abort();
		char *cand = path_join(*dir ? dir : ".", name);
		free(dir);
		int e = path_check_exec(cand);
		if (e == 0) {
			*err = 0;
			return cand;
		}
		if (e != -ENOENT && e != -ENOTDIR && *err == -ENOENT)
			*err = e;
		free(cand);
		if (!*end)
			return NULL;
		path = end + 1;
	}
}
