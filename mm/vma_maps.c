/*
 * mm/vma_maps.c: the space in /proc/self/maps format.
 *
 * Runtimes parse this file (glibc's pthread_getattr_np finds the stack in
 * it, Go and the JVM read it, sanitizers walk it), so it is byte for byte
 * what Linux prints:
 *
 *   start-end perms offset major:minor inode<pad>name
 *
 * with addresses and the offset in lowercase hex of at least 8 digits,
 * perms "rwx" and 's' or 'p', the device in two hex digits each, and, when
 * there is a name, the line padded with spaces to 73 columns before it (a
 * line without a name ends in "inode "). Anonymous areas are named
 * "[heap]" when they touch the brk range and "[stack]" when they hold the
 * initial stack pointer; a file names itself through its describe hook
 * (which is also how a vDSO would appear as "[vdso]").
 */
#include <lib/fmt.h>
#include <lib/string.h>
#include "vma_internal.h"

#define MAPS_NAME_COLUMN 72	/* Linux: 25 + 6 * sizeof(void *) - 1 */

/* Output that counts everything and stores what fits (snprintf-style). */
struct maps_out {
	char *buf;
	size_t size, len;
};

static void put(struct maps_out *o, const char *s, size_t n)
{
	if (o->len < o->size) {
		size_t room = o->size - 1 - o->len;

		memcpy(o->buf + o->len, s, n < room ? n : room);
	}
	o->len += n;
}

static void put_spaces(struct maps_out *o, size_t n)
{
	while (n--)
		put(o, " ", 1);
}

static const char *anon_name(const struct vm_space *s, const struct vma *v)
{
	if (s->brk_start && v->start <= s->brk && v->end >= s->brk_start)
		return "[heap]";
	if (s->stack_start && v->start <= s->stack_start && v->end >= s->stack_start)
		return "[stack]";
	return NULL;
}

static void put_area(struct maps_out *o, const struct vm_space *s, const struct vma *v)
{
	struct vm_file_info info = { 0 };
	char line[128];
	int n;

	if (v->file.ops && v->file.ops->describe)
		v->file.ops->describe(v->file.obj, &info);
	else if (!v->file.ops)
		info.path = anon_name(s, v);
	n = fmt_snprintf(line, sizeof(line), "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %llu ",
			 (unsigned long)v->start, (unsigned long)v->end,
			 (v->prot & VM_PROT_READ) ? 'r' : '-',
			 (v->prot & VM_PROT_WRITE) ? 'w' : '-',
			 (v->prot & VM_PROT_EXEC) ? 'x' : '-',
			 (v->flags & VMA_SHARED) ? 's' : 'p',
			 (unsigned long long)v->offset, info.dev_major, info.dev_minor,
			 (unsigned long long)info.ino);
	put(o, line, (size_t)n);
	if (info.path) {
		put_spaces(o, (size_t)n < MAPS_NAME_COLUMN ? MAPS_NAME_COLUMN - (size_t)n : 0);
		put(o, " ", 1);
		put(o, info.path, strlen(info.path));
		if (info.deleted)
			put(o, VM_DELETED_SUFFIX, sizeof(VM_DELETED_SUFFIX) - 1);
	}
	put(o, "\n", 1);
}

size_t vm_format_maps(const struct vm_space *s, char *buf, size_t size)
{
	struct maps_out o = { .buf = buf, .size = size, .len = 0 };

	for (struct rb_node *r = rb_first(&s->vmas); r; r = rb_next(r))
		put_area(&o, s, rb_entry(r, struct vma, node));
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}
