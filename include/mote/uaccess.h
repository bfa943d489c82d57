/*
 * mote/uaccess: copying between the kernel and application memory.
 *
 * Every syscall handler copies user memory in and out through these and
 * nothing else. Each checks that the whole range lies in the lower half
 * (the application's) and copies with page faults handled: a page that is
 * not yet there is faulted in as the application's own access would be; an
 * address nothing is mapped at (or that the area's protection forbids)
 * makes the copy return -EFAULT instead of faulting the kernel. Thread
 * context only (a copy may sleep on a page fault); never called with a
 * spinlock held or with the address space's lock held.
 */
#ifndef MOTE_UACCESS_H
#define MOTE_UACCESS_H

#include <stddef.h>
#include <stdint.h>

/* 0, or -EFAULT if any byte could not be read / written (some may have been). */
int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);
int clear_user(void *udst, size_t n);

/*
 * Copies a NUL-terminated string of at most max-1 bytes (plus NUL) into dst.
 * Returns its length, -EFAULT, or -ENAMETOOLONG when no NUL came within max bytes.
 */
long strncpy_from_user(char *dst, const char *usrc, size_t max);

/*
 * Atomically replaces the aligned application word *uaddr with new if it
 * holds *expected (futex words: FUTEX_WAKE_OP, robust lists). 0 when
 * swapped; 1 when not, with *expected set to what the word held; -EFAULT
 * when the word cannot be written (unmapped, read-only) or is not aligned.
 */
int cmpxchg_user_u32(uint32_t *uaddr, uint32_t *expected, uint32_t new);

/* Whether [uaddr, uaddr+n) lies wholly in the application's half. */
int user_range_ok(const void *uaddr, size_t n);

#endif
