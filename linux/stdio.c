/*
 * The program's standard streams: descriptors 0, 1 and 2 are files on the
 * console (mote/console.h). stdin reads the console's input stream,
 * stdout and stderr write their own output streams, so `mote run` can
 * hand each to the matching host stream byte for byte.
 *
 * They present themselves as pipes (S_IFIFO; isatty() is false), which is
 * what a program run by `docker run` without -t, or with its output
 * piped, sees; block size 4096 like a pipe, so stdio buffers as natively.
 * /dev/console is the same two streams in one file (stdio_console_open).
 */
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/console.h>
#include <mote/fdtable.h>
#include <mote/file.h>
#include <mote/linux.h>
#include <mote/vfs.h>
#include "linux_internal.h"

static struct poll_head stdin_head;

static void stdin_arrived(void)
{
	poll_notify(&stdin_head, POLLIN | POLLRDNORM);
}

static long stdin_read(struct file *f, void *buf, size_t len)
{
	return console_stdin_read(buf, len, f->flags & FILE_NONBLOCK);
}

static unsigned stdin_poll(struct file *f, struct poll_watch *w)
{
	(void)f;
	if (w)
		poll_watch_add(&stdin_head, w);
	return console_stdin_poll() ? POLLIN | POLLRDNORM : 0;
}

static long out_write(struct file *f, const void *buf, size_t len)
{
	console_app_write((enum console_stream)(uintptr_t)f->priv, buf, len);
	return (long)len;
}

static unsigned out_poll(struct file *f, struct poll_watch *w)
{
	(void)f;
	(void)w;
	return POLLOUT | POLLWRNORM;
}

static int stream_stat(struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = 0xc;			/* pipefs-like: a device of its own */
	st->ino = 1 + (uintptr_t)f->priv;
	st->mode = VFS_S_IFIFO | 0600;
	st->nlink = 1;
	st->blksize = 4096;
	return 0;
}

static const struct file_ops stdin_ops = {
	.read = stdin_read, .poll = stdin_poll, .stat = stream_stat,
};

static const struct file_ops out_ops = {
	.write = out_write, .poll = out_poll, .stat = stream_stat,
};

/*
 * /dev/console (linux/devices.c opens it through here): reads stdin and
 * writes stdout, with stdin's wake-ups; stat shows the device node.
 */
static unsigned console_poll(struct file *f, struct poll_watch *w)
{
	return stdin_poll(f, w) | POLLOUT | POLLWRNORM;
}

static int console_stat(struct file *f, struct kstat *st)
{
	return vfs_stat(f->vnode, st);
}

static void console_release(struct file *f)
{
	vnode_put(f->vnode);
}

static const struct file_ops console_ops = {
	.read = stdin_read, .write = out_write, .poll = console_poll, .stat = console_stat,
	.release = console_release,
};

struct file *stdio_console_open(struct vnode *node, unsigned oflags)
{
	struct file *f = file_alloc(&console_ops, oflags, (void *)(uintptr_t)CONSOLE_STDOUT);

	if (!IS_ERR(f)) {
		vnode_get(node);
		f->vnode = node;
	}
	return f;
}

/* Installs 0, 1 and 2 in t. */
int stdio_install(struct fdtable *t)
{
	struct file *f[3];

	poll_head_init(&stdin_head);
	console_stdin_set_notify(stdin_arrived);
	f[0] = file_alloc(&stdin_ops, 0, (void *)(uintptr_t)CONSOLE_STDIN);
	f[1] = file_alloc(&out_ops, 1, (void *)(uintptr_t)CONSOLE_STDOUT);
	f[2] = file_alloc(&out_ops, 1, (void *)(uintptr_t)CONSOLE_STDERR);
	for (int i = 0; i < 3; i++) {
		if (IS_ERR(f[i]))
			return PTR_ERR(f[i]);
		int fd = fd_install(t, f[i], (unsigned)i, false);	/* takes the reference */

		if (fd < 0) {
			file_put(f[i]);
			return fd;
		}
	}
	return 0;
}
