/*
 * Internal to linux/: the handler signature, the handlers' declarations
 * (from syscalls.def), and helpers shared by the handlers.
 */
#ifndef LINUX_SYSCALL_H
#define LINUX_SYSCALL_H

#include <mote/linux.h>
#include <stdint.h>

typedef long (*syscall_fn)(unsigned long a0, unsigned long a1, unsigned long a2,
			   unsigned long a3, unsigned long a4, unsigned long a5);

/* Defines sys_<name>; the body uses a0..a5 as it needs (the rest are unused). */
#define SYSCALL(name)								\
	long sys_##name(unsigned long a0 __attribute__((unused)),		\
			unsigned long a1 __attribute__((unused)),		\
			unsigned long a2 __attribute__((unused)),		\
			unsigned long a3 __attribute__((unused)),		\
			unsigned long a4 __attribute__((unused)),		\
			unsigned long a5 __attribute__((unused)))

#define SC(nr, name, args, ret) SYSCALL(name);
#define NO(nr, name)
#include "syscalls.def"
#undef SC
#undef NO

/* A handler that has replaced the whole user frame returns this (rt_sigreturn). */
#define SYSCALL_NO_RETURN_VALUE USERMODE_FRAME_REPLACED

/* The traced call's line (strace.c). */
void strace_enter(unsigned long nr, const char *name, const char *args, const unsigned long a[6]);
void strace_exit(unsigned long nr, const char *name, const char *args, char ret_kind,
		 const unsigned long a[6], long ret);
const char *syscall_name(unsigned long nr);

#endif
