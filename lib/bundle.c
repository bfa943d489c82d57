/*
 * lib/bundle: walks a boot bundle, refusing anything the format does not
 * allow (see include/lib/bundle.h for the list and include/abi/bundle.h
 * for the layout). Fields are copied out with memcpy (the buffer may sit
 * at any alignment) and little-endian is the host's order on x86-64, the
 * only target. Offsets are u64 and every comparison is written as
 * "length <= what is left", which cannot wrap.
 */
#include <lib/bundle.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <stdbool.h>

#define BUNDLE_V1_HEADER 24u
#define MODE_BITS        07777u

static int refuse(struct bundle_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(struct bundle_reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *bundle_type_name(uint32_t type)
{
	static const char *const names[] = {
		[BUNDLE_FILE] = "FILE", [BUNDLE_DIR] = "DIR", [BUNDLE_SYMLINK] = "SYMLINK",
		[BUNDLE_ARGV] = "ARGV", [BUNDLE_ENV] = "ENV", [BUNDLE_EXEC] = "EXEC",
		[BUNDLE_CWD] = "CWD",
	};

	return type && type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

int bundle_open(struct bundle_reader *r, const void *data, uint64_t size)
{
	struct bundle_header h = { 0 };

	memset(r, 0, sizeof(*r));
	r->data = data;
	if (size < BUNDLE_V1_HEADER)
		return refuse(r, "boot module is %lu bytes, too short for a bundle header",
			      (unsigned long)size);
	memcpy(&h, data, BUNDLE_V1_HEADER);
	if (memcmp(h.magic, BUNDLE_MAGIC, sizeof(h.magic)))
		return refuse(r, "boot module is not a mote bundle (bad magic)");
	if (!((h.version == 1 && h.header_size == BUNDLE_V1_HEADER) ||
	      (h.version >= 2 && h.version <= BUNDLE_VERSION && h.header_size == sizeof(h))))
		return refuse(r, "bundle version %u (header %u bytes) is not supported",
			      h.version, h.header_size);
	if (h.total_size > size)
		return refuse(r, "bundle truncated: header says %lu bytes, module has %lu",
			      (unsigned long)h.total_size, (unsigned long)size);
	if (h.total_size < h.header_size)
		return refuse(r, "bundle total size %lu is smaller than its header",
			      (unsigned long)h.total_size);
	if (h.version == 1) {
		r->total = r->pos = h.total_size;	/* an empty bundle; v1 allowed padding */
		return 0;
	}
	memcpy(&h, data, sizeof(h));
	if (h.flags)
		return refuse(r, "bundle flags %#x are not supported", h.flags);
	r->total = h.total_size;
	r->pos = sizeof(h);
	r->nr_entries = h.nr_entries;
	r->version = h.version;
	return 0;
}

const char *bundle_path_problem(const char *path, uint64_t len)
{
	uint64_t start;

	if (len == 0)
		return "is empty";
	if (len >= BUNDLE_PATH_MAX)
		return "is too long";
	if (path[0] != '/')
		return "is not absolute";
	if (memchr(path, 0, len))
		return "holds a NUL byte";
	if (len == 1)
		return 0;
	for (start = 1; start <= len; start++) {
		uint64_t end = start;

		while (end < len && path[end] != '/')
			end++;
		if (end == start)
			return "has an empty component";
		if ((end - start == 1 && path[start] == '.') ||
		    (end - start == 2 && path[start] == '.' && path[start + 1] == '.'))
			return "has a '.' or '..' component";
		start = end;
	}
	return 0;
}

/* Zeroes after n bytes up to a multiple of align. */
static uint64_t pad(uint64_t n, uint64_t align)
{
	return (align - n % align) % align;
}

static bool zeroes(const uint8_t *p, uint64_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* What each type allows: a path, data, mode bits; whether it may appear once only. */
struct type_rule {
	bool path, data, mode, once;
};

static const struct type_rule rules[] = {
	[BUNDLE_FILE] = { .path = true, .data = true, .mode = true },
	[BUNDLE_DIR] = { .path = true, .mode = true },
	[BUNDLE_SYMLINK] = { .path = true, .data = true },
	[BUNDLE_ARGV] = { .data = true, .once = true },
	[BUNDLE_ENV] = { .data = true, .once = true },
	[BUNDLE_EXEC] = { .path = true, .once = true },
	[BUNDLE_CWD] = { .path = true, .once = true },
};

static int check_item(struct bundle_reader *r, const struct bundle_item *it)
{
	const struct type_rule *rule = &rules[it->type];
	const char *name = bundle_type_name(it->type), *problem;
	unsigned i = it->index;

	if (rule->once && (r->seen & (1u << it->type)))
		return refuse(r, "bundle entry %u: a second %s entry", i, name);
	r->seen |= 1u << it->type;
	if (!rule->mode && it->mode)
		return refuse(r, "bundle entry %u: %s with mode %#o (only FILE and DIR have one)",
			      i, name, it->mode);
	if (it->mode & ~MODE_BITS)
		return refuse(r, "bundle entry %u: mode %#o has bits outside 07777", i, it->mode);
	if (!rule->path && it->path_len)
		return refuse(r, "bundle entry %u: %s has a path (it takes none)", i, name);
	if (rule->path && (problem = bundle_path_problem(it->path, it->path_len)))
		return refuse(r, "bundle entry %u: %s path %s", i, name, problem);
	if ((it->type == BUNDLE_FILE || it->type == BUNDLE_SYMLINK) && it->path_len == 1)
		return refuse(r, "bundle entry %u: %s cannot replace the root directory", i, name);
	if (!rule->data && it->data_len)
		return refuse(r, "bundle entry %u: %s has %lu bytes of data (it takes none)", i,
			      name, (unsigned long)it->data_len);
	if ((it->type == BUNDLE_ARGV || it->type == BUNDLE_ENV) && it->data_len &&
	    it->data[it->data_len - 1])
		return refuse(r, "bundle entry %u: %s strings do not end in a NUL", i, name);
	if (it->type == BUNDLE_SYMLINK &&
	    (!it->data_len || it->data_len >= BUNDLE_PATH_MAX ||
	     memchr(it->data, 0, it->data_len)))
		return refuse(r, "bundle entry %u: SYMLINK target is empty, too long or holds a NUL",
			      i);
	return 0;
}

int bundle_next(struct bundle_reader *r, struct bundle_item *it)
{
	struct bundle_entry e;
	uint64_t left = r->total - r->pos, name_room, gap = 0, data_room, align = BUNDLE_ALIGN;
	unsigned i = r->index;
	bool paged;

	if (r->index == r->nr_entries) {
		if (left)
			return refuse(r, "bundle has %lu bytes after its last entry",
				      (unsigned long)left);
		return 0;
	}
	if (left < sizeof(e))
		return refuse(r, "bundle entry %u of %u lies beyond the bundle's end", i,
			      r->nr_entries);
	memcpy(&e, r->data + r->pos, sizeof(e));
	left -= sizeof(e);
	if (e.type < BUNDLE_FILE || e.type > BUNDLE_CWD)
		return refuse(r, "bundle entry %u: unknown type %u (a newer mote?)", i, e.type);
	if (e.reserved)
		return refuse(r, "bundle entry %u: reserved field is not zero", i);
	if (e.name_len >= BUNDLE_PATH_MAX)
		return refuse(r, "bundle entry %u: path of %u bytes is too long", i, e.name_len);
	name_room = e.name_len + pad(e.name_len, BUNDLE_ALIGN);
	if (name_room > left)
		return refuse(r, "bundle entry %u: path runs past the bundle's end", i);
	left -= name_room;
	paged = r->version >= 3 && e.type == BUNDLE_FILE && e.data_len;
	if (paged) {
		align = BUNDLE_PAGE;
		gap = pad(r->pos + sizeof(e) + name_room, BUNDLE_PAGE);
		if (gap > left)
			return refuse(r, "bundle entry %u: data runs past the bundle's end", i);
		left -= gap;
	}
	if (e.data_len > left || e.data_len + pad(e.data_len, align) > left)
		return refuse(r, "bundle entry %u: %lu bytes of data run past the bundle's end", i,
			      (unsigned long)e.data_len);
	data_room = e.data_len + pad(e.data_len, align);

	const uint8_t *name = r->data + r->pos + sizeof(e);
	const uint8_t *data = name + name_room + gap;
	if (!zeroes(name + e.name_len, pad(e.name_len, BUNDLE_ALIGN) + gap) ||
	    !zeroes(data + e.data_len, pad(e.data_len, align)))
		return refuse(r, "bundle entry %u: padding is not zero", i);
	*it = (struct bundle_item){
		.type = e.type, .mode = e.mode, .index = i, .path = (const char *)name,
		.path_len = e.name_len, .data = data, .data_len = e.data_len, .paged = paged,
	};
	if (check_item(r, it))
		return -EINVAL;
	r->pos += sizeof(e) + name_room + gap + data_room;
	r->index++;
	return 1;
}

int bundle_validate(struct bundle_reader *r, const void *data, uint64_t size)
{
	struct bundle_item it;
	int ret = bundle_open(r, data, size);

	while (!ret && (ret = bundle_next(r, &it)) > 0)
		ret = 0;
	return ret;
}

uint64_t bundle_count_strings(const struct bundle_item *it)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < it->data_len; i++)
		n += it->data[i] == 0;
	return n;
}
