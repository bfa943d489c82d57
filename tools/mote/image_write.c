/*
 * Writing a mote disk image (include/abi/image.h) from a tree described in
 * memory: `mote build` adds files, directories and symlinks (imgw_add_*),
 * sets what to run (imgw_set_config), then imgw_write() lays it out.
 *
 * Reproducible by construction: directory entries are sorted by name,
 * inodes are numbered breadth-first in that order, data and strings are
 * written in inode order, and nothing of the build itself (time, user,
 * host paths) goes in. The same tree gives the same bytes.
 *
 * Layout (all written with pwrite, so a file whose LZ4 form saves nothing
 * can be rewritten raw in place): block 0 is the superblock, written last
 * once the CRCs are known; file data from block 1; the metadata at the
 * first block boundary after the data. Host files are read in 64 KiB
 * pieces at write time and must still have the size they had when added
 * (a file that changed is an error, not a torn image).
 *
 * Errors are negative errno values with a sentence in w->why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lib/image.h>
#include <lib/lz4.h>

#include "mote.h"

struct wnode {
	char *name;
	uint32_t mode;
	int64_t mtime;
	struct wnode *parent;
	/* DIR */
	struct wnode **kids;
	size_t nkids, cap;
	bool explicit_dir;		/* added as itself, not only as some path's parent */
	/* REG: from a host file, or bytes given */
	char *host;
	void *bytes;
	uint64_t size;
	/* LNK */
	char *target;
	const char *origin;		/* what added it, for clash messages */
	/* layout */
	uint32_t ino;
	struct image_inode out;
};

static int fail(struct imgw *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct imgw *w, int err, const char *fmt, ...)
{
	va_list ap;

	if (w->err)
		return w->err;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return w->err = err;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		abort();
	return p;
}

static struct wnode *node_new(const char *name, size_t len, uint32_t mode, int64_t mtime,
			      const char *origin)
{
	struct wnode *n = xcalloc(1, sizeof(*n));

	n->name = xstrndup(name, len);
	n->mode = mode;
	n->mtime = mtime;
	n->origin = origin;
	return n;
}

struct imgw *imgw_new(int64_t dir_mtime)
{
	struct imgw *w = xcalloc(1, sizeof(*w));

	w->root = node_new("", 0, IMAGE_S_IFDIR | 0755, dir_mtime, "the root");
	w->root->explicit_dir = true;
	w->dir_mtime = dir_mtime;
	return w;
}

static void node_free(struct wnode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n->host);
	free(n->bytes);
	free(n->target);
	free(n);
}

void imgw_free(struct imgw *w)
{
	node_free(w->root);
	free(w->dirents.p);
	free(w->blocks.p);
	free(w);
}

static struct wnode *child(struct wnode *dir, const char *name, size_t len)
{
	for (size_t i = 0; i < dir->nkids; i++)
		if (strlen(dir->kids[i]->name) == len && !memcmp(dir->kids[i]->name, name, len))
			return dir->kids[i];
	return NULL;
}

static void attach(struct wnode *dir, struct wnode *n)
{
	if (dir->nkids == dir->cap) {
		dir->cap = dir->cap ? 2 * dir->cap : 8;
		dir->kids = realloc(dir->kids, dir->cap * sizeof(*dir->kids));
		if (!dir->kids)
			abort();
	}
	dir->kids[dir->nkids++] = n;
	n->parent = dir;
}

static bool is_dir(const struct wnode *n)
{
	return (n->mode & IMAGE_S_IFMT) == IMAGE_S_IFDIR;
}

#define SYMLINK_HOPS 40	/* as the kernel: the 41st symlink in one walk is a loop */

/*
 * Walks the directories named by path[0, plen) from dir (from the root if
 * absolute), as the guest's kernel will: "." and ".." as usual, symlinks
 * already in the image followed (so a --file at /lib/x/libm.so.6 lands in
 * /usr/lib/x when /lib -> usr/lib), and missing directories made (0755).
 * NULL with w->err set on a component that is not a directory, or a loop.
 */
static struct wnode *walk_dirs(struct imgw *w, struct wnode *dir, const char *path, size_t plen,
			       const char *whole, int *hops)
{
	const char *p = path, *end = path + plen;

	if (plen && path[0] == '/')
		dir = w->root;
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
		struct wnode *next;

		if (n == 0 || (n == 1 && p[0] == '.')) {
			next = dir;
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			next = dir->parent ? dir->parent : dir;
		} else if (!(next = child(dir, p, n))) {
			next = node_new(p, n, IMAGE_S_IFDIR | 0755, w->dir_mtime, NULL);
			attach(dir, next);
		} else if ((next->mode & IMAGE_S_IFMT) == IMAGE_S_IFLNK) {
			if (++*hops > SYMLINK_HOPS) {
				fail(w, -ELOOP, "%s: too many symlinks in the image on the way", whole);
				return NULL;
			}
			next = walk_dirs(w, dir, next->target, strlen(next->target), whole, hops);
			if (!next)
				return NULL;
		} else if (!is_dir(next)) {
			fail(w, -ENOTDIR, "%s: %.*s is not a directory in the image (added by %s)", whole,
			     (int)(p + n - path), path, next->origin);
			return NULL;
		}
		dir = next;
		p += n + (slash != NULL);
	}
	return dir;
}

/*
 * The directory that will hold path's last component, making missing
 * parents (0755) and following symlinks on the way; *last and *len name
 * that component. NULL on a clash.
 */
static struct wnode *parent_of(struct imgw *w, const char *path, const char **last, size_t *len)
{
	size_t plen = strlen(path);
	int hops = 0;

	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	*last = path + plen;
	while (*last > path && (*last)[-1] != '/')
		(*last)--;
	*len = (size_t)(path + plen - *last);
	return walk_dirs(w, w->root, path, (size_t)(*last - path), path, &hops);
}

/* What is wrong with a guest path, or NULL. */
static const char *guest_path_problem(const char *path)
{
	size_t len = strlen(path);

	if (path[0] != '/')
		return "is not absolute";
	if (len >= IMAGE_PATH_MAX)
		return "is too long";
	for (const char *p = path + 1; *p;) {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return "has a '.' or '..' component";
		if (n > IMAGE_NAME_MAX)
			return "has a component longer than 255 bytes";
		p += n;
		p += strspn(p, "/");
	}
	return NULL;
}

/* Adds a new entry at path; a second one is a clash (a directory merges with a directory). */
static struct wnode *add_entry(struct imgw *w, const char *path, uint32_t mode, int64_t mtime,
			       const char *origin)
{
	const char *problem = guest_path_problem(path), *last;
	struct wnode *dir, *old, *n;
	size_t len;

	if (w->err)
		return NULL;
	if (problem) {
		fail(w, -EINVAL, "guest path %s %s", path, problem);
		return NULL;
	}
	if (!(dir = parent_of(w, path, &last, &len)))
		return NULL;
	if (!len) {		/* "/" itself */
		if ((mode & IMAGE_S_IFMT) != IMAGE_S_IFDIR) {
			fail(w, -EISDIR, "%s: the root is a directory", path);
			return NULL;
		}
		w->root->mode = mode;
		w->root->mtime = mtime;
		return w->root;
	}
	if ((old = child(dir, last, len))) {
		if (is_dir(old) && (mode & IMAGE_S_IFMT) == IMAGE_S_IFDIR && !old->explicit_dir) {
			old->mode = mode;
			old->mtime = mtime;
			old->origin = origin;
			old->explicit_dir = true;
			return old;
		}
		if (is_dir(old) && (mode & IMAGE_S_IFMT) == IMAGE_S_IFDIR)
			return old;	/* two --dir into one directory merge */
		fail(w, -EEXIST, "name clash: %s is added by %s and by %s", path,
		     old->origin ? old->origin : "an earlier path", origin);
		return NULL;
	}
	n = node_new(last, len, mode, mtime, origin);
	if ((mode & IMAGE_S_IFMT) == IMAGE_S_IFDIR)
		n->explicit_dir = true;
	attach(dir, n);
	return n;
}

/* The absolute path of n in the image, from its parents (malloc'ed). */
static char *path_of(const struct wnode *n)
{
	size_t len = 0;
	char *s, *p;

	for (const struct wnode *m = n; m->parent; m = m->parent)
		len += strlen(m->name) + 1;
	s = xcalloc(len + 2, 1);
	p = s + len;
	for (const struct wnode *m = n; m->parent; m = m->parent) {
		size_t k = strlen(m->name);

		p -= k;
		memcpy(p, m->name, k);
		*--p = '/';
	}
	if (!len)
		s[0] = '/';
	return s;
}

char *imgw_canonical(struct imgw *w, const char *path)
{
	const char *last;
	size_t len;
	struct wnode *dir = parent_of(w, path, &last, &len), *n;

	n = dir && len ? child(dir, last, len) : dir;
	return n ? path_of(n) : NULL;
}

bool imgw_exists(struct imgw *w, const char *path)
{
	struct wnode *n = w->root;

	for (const char *p = path; n && *p;) {
		size_t len;

		p += strspn(p, "/");
		if (!*p)
			break;
		len = strcspn(p, "/");
		n = is_dir(n) ? child(n, p, len) : NULL;
		p += len;
	}
	return n != NULL;
}

int imgw_add_dir(struct imgw *w, const char *path, uint32_t perm, int64_t mtime, const char *origin)
{
	add_entry(w, path, IMAGE_S_IFDIR | (perm & IMAGE_MODE_BITS), mtime, origin);
	return w->err;
}

int imgw_add_host_file(struct imgw *w, const char *path, uint32_t perm, int64_t mtime,
		       const char *host, uint64_t size, const char *origin)
{
	struct wnode *n = add_entry(w, path, IMAGE_S_IFREG | (perm & IMAGE_MODE_BITS), mtime, origin);

	if (n) {
		n->host = xstrndup(host, strlen(host));
		n->size = size;
	}
	return w->err;
}

int imgw_add_bytes(struct imgw *w, const char *path, uint32_t perm, int64_t mtime,
		   const void *data, size_t len, const char *origin)
{
	struct wnode *n = add_entry(w, path, IMAGE_S_IFREG | (perm & IMAGE_MODE_BITS), mtime, origin);

	if (n) {
		n->bytes = xcalloc(1, len);
		memcpy(n->bytes, data, len);
		n->size = len;
	}
	return w->err;
}

int imgw_add_symlink(struct imgw *w, const char *path, const char *target, int64_t mtime,
		     const char *origin)
{
	size_t len = strlen(target);
	struct wnode *n;

	if (!len || len >= IMAGE_PATH_MAX)
		return fail(w, -EINVAL, "symlink %s: target of %zu bytes (1 to %u allowed)", path, len,
			    IMAGE_PATH_MAX - 1);
	if ((n = add_entry(w, path, IMAGE_S_IFLNK | 0777, mtime, origin)))
		n->target = xstrndup(target, len);
	return w->err;
}

int imgw_set_config(struct imgw *w, char *const argv[], char *const envp[], const char *exec,
		    const char *cwd)
{
	const char *problem;

	if (!argv[0])
		return fail(w, -EINVAL, "the command is empty");
	if ((problem = guest_path_problem(exec)))
		return fail(w, -EINVAL, "the program path %s %s", exec, problem);
	if ((problem = guest_path_problem(cwd)))
		return fail(w, -EINVAL, "the working directory %s %s", cwd, problem);
	w->argv = argv;
	w->envp = envp;
	w->exec = exec;
	w->cwd = cwd;
	return 0;
}

/* ---- Layout ------------------------------------------------------------------------ */

static size_t buf_add(struct imgw_buf *b, const void *data, size_t len)
{
	size_t at = b->len;

	if (!len)
		return at;
	if (b->len + len > b->cap) {
		while (b->len + len > b->cap)
			b->cap = b->cap ? 2 * b->cap : 4096;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	memcpy(b->p + at, data, len);
	b->len += len;
	return at;
}

static int name_order(const void *a, const void *b)
{
	const struct wnode *x = *(struct wnode *const *)a, *y = *(struct wnode *const *)b;

	return strcmp(x->name, y->name);	/* names hold no NUL: strcmp is bytewise */
}

/* Sorts every directory and lists the nodes breadth-first: inode i is list[i]. */
static struct wnode **number_nodes(struct imgw *w, size_t *count)
{
	size_t n = 1, cap = 64, head = 0;
	struct wnode **list = xcalloc(cap, sizeof(*list));

	list[0] = w->root;
	while (head < n) {
		struct wnode *d = list[head++];

		if (!is_dir(d))
			continue;
		if (d->nkids)
			qsort(d->kids, d->nkids, sizeof(*d->kids), name_order);
		for (size_t i = 0; i < d->nkids; i++) {
			if (n == cap && !(list = realloc(list, (cap *= 2) * sizeof(*list))))
				abort();
			d->kids[i]->ino = (uint32_t)n;
			list[n++] = d->kids[i];
		}
	}
	*count = n;
	return list;
}

static int put_at(struct imgw *w, int fd, const void *data, size_t len, uint64_t off)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fail(w, n < 0 ? -errno : -EIO, "writing the image: %s",
				    strerror(n < 0 ? errno : EIO));
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t align_up(uint64_t v)
{
	return (v + IMAGE_BLOCK_SIZE - 1) / IMAGE_BLOCK_SIZE * IMAGE_BLOCK_SIZE;
}

/* Reads block `index` of a file's contents into buf: its length, or -errno. */
static long read_block(struct imgw *w, struct wnode *n, int src, uint64_t index, uint8_t *buf)
{
	uint64_t off = index * IMAGE_BLOCK_SIZE;
	size_t want = n->size - off < IMAGE_BLOCK_SIZE ? (size_t)(n->size - off) : IMAGE_BLOCK_SIZE;
	size_t got = 0;

	if (!n->host) {
		memcpy(buf, (uint8_t *)n->bytes + off, want);
		return (long)want;
	}
	while (got < want) {
		ssize_t r = pread(src, buf + got, want - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return fail(w, r < 0 ? -errno : -EIO, "%s: %s", n->host,
				    r < 0 ? strerror(errno) : "the file shrank while the image was written");
		got += (size_t)r;
	}
	return (long)want;
}

static void progress(struct imgw *w, uint64_t bytes)
{
	w->done += bytes;
	if (w->progress)
		w->progress(w->progress_ctx, w->done, w->total);
}

/* The file uncompressed at *pos (block-aligned), zero-padded to a block. */
static int write_raw(struct imgw *w, int fd, struct wnode *n, int src, uint64_t *pos)
{
	static uint8_t blk[IMAGE_BLOCK_SIZE];
	uint64_t nblocks = (n->size + IMAGE_BLOCK_SIZE - 1) / IMAGE_BLOCK_SIZE;

	n->out.data = n->size ? *pos : 0;
	for (uint64_t i = 0; i < nblocks; i++) {
		long len = read_block(w, n, src, i, blk);

		if (len < 0)
			return (int)len;
		memset(blk + len, 0, IMAGE_BLOCK_SIZE - (size_t)len);
		if (put_at(w, fd, blk, IMAGE_BLOCK_SIZE, *pos))
			return w->err;
		*pos += IMAGE_BLOCK_SIZE;
		progress(w, (uint64_t)len);
	}
	return 0;
}

/* The file as LZ4 blocks at *pos; false (nothing kept) if no block got smaller. */
static int write_lz4(struct imgw *w, int fd, struct wnode *n, int src, uint64_t *pos, bool *kept)
{
	static uint8_t blk[IMAGE_BLOCK_SIZE], packed[IMAGE_BLOCK_SIZE];
	uint64_t nblocks = (n->size + IMAGE_BLOCK_SIZE - 1) / IMAGE_BLOCK_SIZE, start = *pos;
	size_t first = w->blocks.len, saved = 0;

	for (uint64_t i = 0; i < nblocks; i++) {
		long len = read_block(w, n, src, i, blk);
		struct image_block b = { .offset = *pos };
		size_t clen;

		if (len < 0)
			return (int)len;
		clen = lz4_compress_block(blk, (size_t)len, packed, (size_t)len - 1);
		b.stored_len = clen ? (uint32_t)clen : (uint32_t)len;
		b.flags = clen ? IMAGE_BLOCK_LZ4 : 0;
		saved += clen ? (size_t)len - clen : 0;
		if (put_at(w, fd, clen ? packed : blk, b.stored_len, *pos))
			return w->err;
		*pos += b.stored_len;
		buf_add(&w->blocks, &b, sizeof(b));
		progress(w, (uint64_t)len);
	}
	/* Less than a block saved is not worth losing mmap without a copy. */
	*kept = saved >= IMAGE_BLOCK_SIZE;
	if (*kept) {
		n->out.flags = IMAGE_INODE_LZ4;
		n->out.data = first / sizeof(struct image_block);
	} else {
		w->blocks.len = first;
		*pos = start;
		w->done -= n->size;	/* counted again as it is rewritten raw */
	}
	return 0;
}

static int write_file(struct imgw *w, int fd, struct wnode *n, uint64_t *pos)
{
	int src = -1, ret;
	bool kept = false;

	if (n->host && (src = open(n->host, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(w, -errno, "%s: %s", n->host, strerror(errno));
	ret = 0;
	if (w->lz4 && n->size >= 2 * IMAGE_BLOCK_SIZE)
		ret = write_lz4(w, fd, n, src, pos, &kept);
	if (!ret && !kept) {
		*pos = align_up(*pos);
		ret = write_raw(w, fd, n, src, pos);
	}
	if (src >= 0)
		close(src);
	return ret;
}

static void fill_inode(struct imgw *w, struct wnode *n, struct imgw_buf *strings)
{
	struct image_inode *in = &n->out;

	in->mode = n->mode;
	in->nlink = 1;
	in->mtime_sec = n->mtime;
	switch (n->mode & IMAGE_S_IFMT) {
	case IMAGE_S_IFREG:
		in->size = n->size;
		break;
	case IMAGE_S_IFLNK:
		in->size = strlen(n->target);
		in->data = buf_add(strings, n->target, in->size);
		break;
	case IMAGE_S_IFDIR:
		in->size = n->nkids;
		in->data = w->dirents.len / sizeof(struct image_dirent);
		in->parent = n->parent ? n->parent->ino : 0;
		in->nlink = 2;
		for (size_t i = 0; i < n->nkids; i++) {
			struct wnode *k = n->kids[i];
			struct image_dirent e = {
				.ino = k->ino, .name_len = (uint16_t)strlen(k->name),
				.type = is_dir(k) ? IMAGE_DT_DIR
					: (k->mode & IMAGE_S_IFMT) == IMAGE_S_IFLNK ? IMAGE_DT_LNK
					: IMAGE_DT_REG,
			};
			e.name_off = (uint32_t)buf_add(strings, k->name, e.name_len);
			in->nlink += is_dir(k);
			buf_add(&w->dirents, &e, sizeof(e));
		}
		break;
	}
}

static void add_string_list(struct imgw_buf *strings, char *const *v, uint32_t *off, uint32_t *len,
			    uint32_t *count)
{
	size_t start = strings->len;

	*count = 0;
	for (; v && *v; v++, ++*count)
		buf_add(strings, *v, strlen(*v) + 1);
	*off = *count ? (uint32_t)start : 0;
	*len = (uint32_t)(strings->len - start);
}

static struct image_config make_config(struct imgw *w, struct imgw_buf *strings)
{
	struct image_config c = { 0 };

	add_string_list(strings, w->argv, &c.argv_off, &c.argv_len, &c.argc);
	add_string_list(strings, w->envp, &c.env_off, &c.env_len, &c.envc);
	c.exec_len = (uint32_t)strlen(w->exec);
	c.exec_off = (uint32_t)buf_add(strings, w->exec, c.exec_len);
	c.cwd_len = (uint32_t)strlen(w->cwd);
	c.cwd_off = (uint32_t)buf_add(strings, w->cwd, c.cwd_len);
	return c;
}

/* The metadata region, assembled in memory (sizes fixed by then). */
static int write_meta(struct imgw *w, int fd, struct wnode **list, size_t count,
		      struct image_super *sb)
{
	struct imgw_buf strings = { 0 }, meta = { 0 };
	struct image_config c;

	for (size_t i = 0; i < count; i++)
		fill_inode(w, list[i], &strings);
	c = make_config(w, &strings);
	if (strings.len > UINT32_MAX || count > IMAGE_MAX_INODES || w->dirents.len / 16 > UINT32_MAX)
		return fail(w, -EFBIG, "the image has too many files or names for the format");
	for (size_t i = 0; i < count; i++)
		buf_add(&meta, &list[i]->out, sizeof(list[i]->out));
	buf_add(&meta, w->dirents.p, w->dirents.len);
	buf_add(&meta, w->blocks.p, w->blocks.len);
	buf_add(&meta, &c, sizeof(c));
	buf_add(&meta, strings.p, strings.len);
	sb->nr_inodes = (uint32_t)count;
	sb->nr_dirents = (uint32_t)(w->dirents.len / sizeof(struct image_dirent));
	sb->nr_blocks = (uint32_t)(w->blocks.len / sizeof(struct image_block));
	sb->strings_size = (uint32_t)strings.len;
	sb->meta_size = meta.len;
	sb->meta_crc = image_crc32c(0, meta.p, meta.len);
	put_at(w, fd, meta.p, meta.len, sb->meta_offset);
	free(meta.p);
	free(strings.p);
	return w->err;
}

uint64_t imgw_data_bytes(struct imgw *w)
{
	size_t count;
	struct wnode **list = number_nodes(w, &count);
	uint64_t total = 0;

	for (size_t i = 0; i < count; i++)
		if ((list[i]->mode & IMAGE_S_IFMT) == IMAGE_S_IFREG)
			total += list[i]->size;
	free(list);
	return total;
}

int imgw_write(struct imgw *w, int fd)
{
	struct image_super sb = { .version = IMAGE_VERSION, .super_size = sizeof(sb) };
	static const uint8_t zero[IMAGE_BLOCK_SIZE];
	uint64_t pos = IMAGE_BLOCK_SIZE;
	struct wnode **list;
	size_t count;

	if (w->err)
		return w->err;
	if (!w->argv)
		return fail(w, -EINVAL, "no command set");
	list = number_nodes(w, &count);
	w->total = imgw_data_bytes(w);
	put_at(w, fd, zero, sizeof(zero), 0);
	for (size_t i = 0; i < count && !w->err; i++)
		if ((list[i]->mode & IMAGE_S_IFMT) == IMAGE_S_IFREG)
			write_file(w, fd, list[i], &pos);
	sb.meta_offset = align_up(pos);
	if (!w->err && !write_meta(w, fd, list, count, &sb)) {
		sb.image_size = align_up(sb.meta_offset + sb.meta_size);
		memcpy(sb.magic, IMAGE_MAGIC, sizeof(sb.magic));
		sb.super_crc = image_crc32c(0, &sb, sizeof(sb));
		if (ftruncate(fd, (off_t)sb.image_size))
			fail(w, -errno, "writing the image: %s", strerror(errno));
		put_at(w, fd, &sb, sizeof(sb), 0);
	}
	free(list);
	return w->err;
}
