/*
 * Writing a boot bundle (include/abi/bundle.h) for `mote run PROGRAM`.
 *
 * The bundle is streamed into a file descriptor: a placeholder header, then
 * each entry as it is added (file contents copied by the host kernel, or in
 * 64 KiB chunks, never held whole in memory), then the real header written over the
 * placeholder once the count and total size are known. The writer checks
 * paths with the parser's own rule (bundle_path_problem), so what it
 * writes is what lib/bundle accepts; the unit test reads every written
 * bundle back through lib/bundle.
 *
 * Errors are negative errno values; the first one sticks, so a caller may
 * add everything and look once at bundle_finish().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <lib/bundle.h>

#include "mote.h"

static void put(struct bundle_writer *w, const void *buf, size_t len)
{
	const char *p = buf;

	while (!w->err && len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = n < 0 ? -errno : -EIO;
			return;
		}
		p += n;
		len -= (size_t)n;
		w->size += (uint64_t)n;
	}
}

/* Zeroes after len bytes up to a multiple of align (at most BUNDLE_PAGE). */
static void pad(struct bundle_writer *w, uint64_t len, uint64_t align)
{
	static const char zero[BUNDLE_PAGE];

	put(w, zero, (align - len % align) % align);
}

int bundle_begin(struct bundle_writer *w, int fd)
{
	struct bundle_header h = { 0 };

	*w = (struct bundle_writer){ .fd = fd };
	put(w, &h, sizeof(h));
	return w->err;
}

static void entry_head(struct bundle_writer *w, uint32_t type, uint32_t mode, const char *path,
		       uint64_t data_len)
{
	size_t plen = path ? strlen(path) : 0;
	struct bundle_entry e = {
		.type = type, .mode = mode, .name_len = (uint32_t)plen, .data_len = data_len,
	};

	if (plen && bundle_path_problem(path, plen) && !w->err)
		w->err = -EINVAL;
	put(w, &e, sizeof(e));
	put(w, path, plen);
	pad(w, plen, BUNDLE_ALIGN);
	w->nr++;
}

/* Version 3 puts a FILE's data on pages of its own, which the kernel keeps without a copy. */
static uint64_t data_align(uint32_t type, uint64_t len)
{
	return type == BUNDLE_FILE && len ? BUNDLE_PAGE : BUNDLE_ALIGN;
}

int bundle_add(struct bundle_writer *w, uint32_t type, uint32_t mode, const char *path,
	       const void *data, uint64_t len)
{
	entry_head(w, type, mode, path, len);
	pad(w, w->size, data_align(type, len));
	put(w, data, len);
	pad(w, len, data_align(type, len));
	return w->err;
}

/*
 * Up to left bytes of src straight into the bundle by sendfile(), which
 * copies inside the host kernel (a large program is tens of MB): the
 * bytes it moved, 0 at src's end, or -1 with errno (EINVAL or ENOSYS where
 * the files do not allow it: the caller copies through a buffer).
 */
static ssize_t send_some(struct bundle_writer *w, int src, uint64_t left)
{
	ssize_t n = sendfile(w->fd, src, NULL, left < (1u << 30) ? left : (1u << 30));

	if (n > 0)
		w->size += (uint64_t)n;
	return n;
}

int bundle_add_file(struct bundle_writer *w, const char *path, uint32_t mode, int src,
		    uint64_t len)
{
	static char buf[65536];
	uint64_t left = len;
	bool send = true;

	entry_head(w, BUNDLE_FILE, mode, path, len);
	pad(w, w->size, data_align(BUNDLE_FILE, len));
	while (!w->err && left) {
		ssize_t n = send ? send_some(w, src, left)
				 : read(src, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && send && (errno == EINVAL || errno == ENOSYS)) {
			send = false;
			continue;
		}
		if (n <= 0) {
			w->err = n < 0 ? -errno : -EIO;	/* the file shrank under us */
			break;
		}
		if (!send)
			put(w, buf, (size_t)n);
		left -= (uint64_t)n;
	}
	pad(w, len, data_align(BUNDLE_FILE, len));
	return w->err;
}

int bundle_finish(struct bundle_writer *w)
{
	struct bundle_header h = {
		.version = BUNDLE_VERSION, .header_size = sizeof(h), .total_size = w->size,
		.nr_entries = w->nr,
	};

	memcpy(h.magic, BUNDLE_MAGIC, sizeof(h.magic));
	if (!w->err && pwrite(w->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		w->err = -EIO;
	return w->err;
}
