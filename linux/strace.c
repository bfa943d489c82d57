/*
 * --strace: every system call as strace prints it, `name(args) = result`,
 * on the application's stderr stream (where strace's own output would go),
 * with arguments decoded by the kinds syscalls.def gives: strings and
 * buffers quoted (the first 32 bytes), -1 ERRNO for failures.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/console.h>
#include <mote/linux.h>
#include <mote/uaccess.h>
#include "syscall.h"

#define SHOW_BYTES 32
#define AT_FDCWD  (-100)

static const char *const errno_names[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR",
	[EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
	[EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
	[EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EROFS] = "EROFS",
	[EPIPE] = "EPIPE", [ERANGE] = "ERANGE", [EDEADLK] = "EDEADLK",
	[ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY",
	[ELOOP] = "ELOOP", [ETIMEDOUT] = "ETIMEDOUT", [EOPNOTSUPP] = "EOPNOTSUPP",
};

struct line {
	char buf[512];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	l->len += (size_t)n < sizeof(l->buf) - l->len ? (size_t)n : sizeof(l->buf) - l->len - 1;
}

/* Bytes of user memory as a C string literal, like strace: "ab\n"... */
static void add_bytes(struct line *l, unsigned long addr, size_t len, bool stop_at_nul)
{
	unsigned char b[SHOW_BYTES];
	size_t n = len < SHOW_BYTES ? len : SHOW_BYTES;

	if (!addr) {
		add(l, "NULL");
		return;
	}
	if (copy_from_user(b, (void *)addr, n)) {
		/* A string may end before an unmapped page: fall back to the string copier. */
		long s = stop_at_nul ? strncpy_from_user((char *)b, (void *)addr, n) : -EFAULT;

		if (s < 0) {
			add(l, "%#lx", addr);
			return;
		}
		n = (size_t)s;
	}
	add(l, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];

		if (stop_at_nul && !c) {
			add(l, "\"");
			return;
		}
		if (c == '"' || c == '\\')
			add(l, "\\%c", c);
		else if (c == '\n')
			add(l, "\\n");
		else if (c == '\t')
			add(l, "\\t");
		else if (c >= 32 && c < 127)
			add(l, "%c", c);
		else
			add(l, "\\%o", c);
	}
	add(l, "\"%s", len > n || stop_at_nul ? "..." : "");
}

static void add_arg(struct line *l, char kind, unsigned long v, unsigned long next, long ret,
		    bool done)
{
	switch (kind) {
	case 'i': add(l, "%d", (int)v); break;
	case 'u': add(l, "%lu", v); break;
	case 'o': add(l, "0%lo", v); break;
	case 'f':
		if ((int)v == AT_FDCWD)
			add(l, "AT_FDCWD");
		else
			add(l, "%d", (int)v);
		break;
	case 's': add_bytes(l, v, 4096, true); break;
	case 'B': add_bytes(l, v, next, false); break;
	case 'b':
		if (done && ret >= 0)
			add_bytes(l, v, (size_t)ret, false);
		else
			add(l, "%#lx", v);
		break;
	case 'p': if (v) add(l, "%#lx", v); else add(l, "NULL"); break;
	default: add(l, "%#lx", v); break;
	}
}

static void emit(struct line *l)
{
	console_app_write(CONSOLE_STDERR, l->buf, l->len);
}

static void format_call(struct line *l, const char *name, const char *args,
			const unsigned long a[6], long ret, bool done)
{
	add(l, "[pid %d] %s(", current_task() ? current_task()->tid : 0, name);
	for (unsigned i = 0; args[i] && i < 6; i++) {
		if (i)
			add(l, ", ");
		add_arg(l, args[i], a[i], i < 5 ? a[i + 1] : 0, ret, done);
	}
	add(l, ")");
}

void strace_enter(unsigned long nr, const char *name, const char *args, const unsigned long a[6])
{
	struct line l = { .len = 0 };

	(void)nr;
	if (!name || (strcmp(name, "exit") && strcmp(name, "exit_group")))
		return;		/* the rest print one line when they return */
	format_call(&l, name, args, a, 0, false);
	add(&l, " = ?\n");
	emit(&l);
}

void strace_exit(unsigned long nr, const char *name, const char *args, char ret_kind,
		 const unsigned long a[6], long ret)
{
	struct line l = { .len = 0 };

	if (!name)
		add(&l, "[pid %d] syscall_%lu(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx)",
		    current_task() ? current_task()->tid : 0, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	else
		format_call(&l, name, args, a, ret, true);
	if (ret < 0 && ret >= -4095) {
		long e = -ret;
		const char *en = e < (long)(sizeof(errno_names) / sizeof(errno_names[0])) ?
				 errno_names[e] : NULL;

		if (en)
			add(&l, " = -1 %s\n", en);
		else
			add(&l, " = -1 errno %ld\n", e);
	} else if (ret_kind == 'x') {
		add(&l, " = %#lx\n", (unsigned long)ret);
	} else {
		add(&l, " = %ld\n", ret);
	}
	emit(&l);
}
