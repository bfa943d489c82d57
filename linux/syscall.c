/*
 * System-call dispatch: the table from syscalls.def, the -ENOSYS warning
 * for calls mote does not implement, and --strace.
 */
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/linux.h>
#include <mote/log.h>
#include <mote/uaccess.h>
#include "linux_internal.h"
#include "syscall.h"


struct syscall_entry {
	syscall_fn fn;
	const char *name;
	const char *args;	/* argument kinds (syscalls.def) */
	char ret;		/* 'd' or 'x' */
};

#define SC(nr, name, args, ret) [nr] = { sys_##name, #name, args, ret[0] },
#define NO(nr, name) [nr] = { 0, #name, "", 'd' },
static const struct syscall_entry table[] = {
#include "syscalls.def"
};
#undef SC
#undef NO

#define NR_SYSCALLS (sizeof(table) / sizeof(table[0]))

bool linux_strace;
static uint8_t warned[(NR_SYSCALLS + 7) / 8];

static long unimplemented(unsigned long nr)
{
	if (nr >= NR_SYSCALLS) {
		printk("mote: warning: unknown system call %lu (-ENOSYS)\n", nr);
		return -ENOSYS;
	}
	uint8_t bit = 1u << (nr % 8);

	if (!(__atomic_fetch_or(&warned[nr / 8], bit, __ATOMIC_RELAXED) & bit))
		printk("mote: warning: system call %s (%lu) is not implemented (-ENOSYS)\n",
		       table[nr].name ? table[nr].name : "?", nr);
	return -ENOSYS;
}

/*
 * Calls Linux never restarts after a handler ran, whatever SA_RESTART says
 * (signal(7)); they are still restarted when no handler runs.
 */
bool syscall_restarts_with_handler(unsigned long nr)
{
	static const char *const never[] = {
		"nanosleep", "clock_nanosleep", "poll", "ppoll", "select", "pselect6",
		"epoll_wait", "epoll_pwait", "rt_sigsuspend", "pause", "rt_sigtimedwait",
	};
	const char *name = nr < NR_SYSCALLS ? table[nr].name : NULL;

	for (unsigned i = 0; name && i < sizeof(never) / sizeof(never[0]); i++)
		if (!strcmp(name, never[i]))
			return false;
	return true;
}

/* A call ended by a signal: linux_return_to_user decides whether it restarts. */
static void note_interrupted(unsigned long nr)
{
	struct task *k = current_task();

	k->syscall_nr = nr;
	k->restartable = true;
}

long linux_syscall(unsigned long nr, const unsigned long a[6])
{
	const struct syscall_entry *e = nr < NR_SYSCALLS ? &table[nr] : NULL;
	long ret;

	if (__builtin_expect(linux_strace, 0))
		strace_enter(nr, e ? e->name : NULL, e ? e->args : "", a);
	if (e && e->fn)
		ret = e->fn(a[0], a[1], a[2], a[3], a[4], a[5]);
	else
		ret = unimplemented(nr);
	if (ret == SYSCALL_NO_RETURN_VALUE)	/* rt_sigreturn: the frame is the result */
		return ret;
	if (ret == -EINTR)
		note_interrupted(nr);
	if (__builtin_expect(linux_strace, 0))
		strace_exit(nr, e ? e->name : NULL, e ? e->args : "", e ? e->ret : 'd', a, ret);
	return ret;
}

const char *syscall_name(unsigned long nr)
{
	return nr < NR_SYSCALLS ? table[nr].name : NULL;
}
