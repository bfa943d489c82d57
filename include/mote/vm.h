/*
 * mote/vm: address spaces, the bookkeeping under mmap and the page-fault path.
 *
 * A `struct vm_space` describes the lower half of one address space: a set
 * of disjoint virtual memory areas (`struct vma`), each a page-aligned
 * range with one protection, one set of flags and one backing (anonymous
 * memory, or a file through an ops table the VFS will provide). mote runs
 * one application per VM, but nothing here assumes a single space.
 *
 * What this layer decides, and what it leaves to others:
 *
 *   - It owns the *meaning* of the address space: which ranges exist, what
 *     an access may do, what mmap/munmap/mprotect/mremap/madvise/brk do to
 *     the set, with Linux's semantics and Linux's negative errno values
 *     (see docs/vm.md for the few deliberate differences).
 *   - The *hardware* side is a backend (struct vm_backend): page tables in
 *     the kernel, a fake in the host unit tests. The backend maps one page,
 *     removes or re-protects a range, moves a range, and hands out zeroed
 *     frames. This file never touches page contents.
 *   - File contents come through a hook per mapping (struct vm_file): the
 *     fault callback returns a frame with the data at a file offset.
 *
 * The areas live in a red-black tree (lib/rbtree) ordered by address.
 * Invariants, checked by vm_check() after every operation in the tests:
 * areas are non-empty, page-aligned, sorted and disjoint; two touching
 * areas are never mergeable (same protection, flags and backing, with
 * contiguous file offsets): every operation re-merges what it split, so
 * the tree is the unique shortest description of the address space.
 *
 * Failure atomicity ("decode, then invoke"): every operation first
 * validates its arguments against the current tree without changing it,
 * then obtains everything that can fail (struct vma memory from the
 * space's allocator, page-table memory from backend->reserve), and only
 * then changes the tree and calls the infallible backend operations. So an
 * operation either succeeds or returns an error with the space exactly as
 * it was. (Two Linux calls, mprotect and madvise, are not atomic in Linux;
 * mprotect here is, madvise follows Linux: see those functions.)
 *
 * Context and locking: none of these functions lock. Each space needs one
 * lock that its users hold around every call (the syscall layer for the
 * system calls, the page-fault handler for vm_fault); a sleeping lock is
 * fine, as nothing here sleeps except what the backend or a file hook
 * does. Nothing here panics on anything an application can cause.
 */
#ifndef MOTE_VM_H
#define MOTE_VM_H

#include <lib/rbtree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_PAGE_SIZE 4096UL
/* After the name of a file whose last link is gone, as Linux's /proc shows it. */
#define VM_DELETED_SUFFIX " (deleted)"

/* Protection: the values of Linux's PROT_* (so syscall arguments pass through). */
#define VM_PROT_NONE      0x0
#define VM_PROT_READ      0x1
#define VM_PROT_WRITE     0x2
#define VM_PROT_EXEC      0x4
#define VM_PROT_SEM       0x8		/* accepted, no effect (as on x86-64) */
#define VM_PROT_RWX       0x7
#define VM_PROT_GROWSDOWN 0x01000000	/* mprotect: extend down to the area's start */
#define VM_PROT_GROWSUP   0x02000000	/* mprotect: no area grows up on x86-64: EINVAL */

/*
 * Passed to and returned by the backend together with the protection: the
 * frame is shared with a file's cache under a private mapping, so the
 * translation must never be writable; a write faults and vm_fault gives
 * the page a private copy. The backend strips VM_PROT_WRITE from the
 * hardware protection of such a translation in map() and in protect()
 * (a write-only one stays readable: on x86-64 present means readable).
 */
#define VM_PTE_COW        0x100

/* mmap flags: the values of Linux's MAP_* on x86-64. */
#define VM_MAP_SHARED          0x01
#define VM_MAP_PRIVATE         0x02
#define VM_MAP_SHARED_VALIDATE 0x03	/* shared, and reject unknown flags */
#define VM_MAP_DROPPABLE       0x08	/* anonymous only; behaves as private */
#define VM_MAP_TYPE            0x0f
#define VM_MAP_FIXED           0x10
#define VM_MAP_ANONYMOUS       0x20
#define VM_MAP_32BIT           0x40	/* place in [1 GiB, 2 GiB) */
#define VM_MAP_GROWSDOWN       0x0100
#define VM_MAP_DENYWRITE       0x0800
#define VM_MAP_EXECUTABLE      0x1000
#define VM_MAP_LOCKED          0x2000	/* accepted: populates, nothing is ever paged out */
#define VM_MAP_NORESERVE       0x4000
#define VM_MAP_POPULATE        0x8000
#define VM_MAP_NONBLOCK        0x10000
#define VM_MAP_STACK           0x20000
#define VM_MAP_HUGETLB         0x40000	/* no huge page pool: ENOMEM, as Linux without one */
#define VM_MAP_SYNC            0x80000
#define VM_MAP_FIXED_NOREPLACE 0x100000
#define VM_MAP_UNINITIALIZED   0x4000000

/* mremap flags (Linux's MREMAP_*). */
#define VM_MREMAP_MAYMOVE   1
#define VM_MREMAP_FIXED     2
#define VM_MREMAP_DONTUNMAP 4

/* madvise advice (Linux's MADV_*); everything Linux 6.x accepts is accepted. */
enum vm_advice {
	VM_MADV_NORMAL = 0, VM_MADV_RANDOM = 1, VM_MADV_SEQUENTIAL = 2,
	VM_MADV_WILLNEED = 3, VM_MADV_DONTNEED = 4, VM_MADV_FREE = 8,
	VM_MADV_REMOVE = 9, VM_MADV_DONTFORK = 10, VM_MADV_DOFORK = 11,
	VM_MADV_MERGEABLE = 12, VM_MADV_UNMERGEABLE = 13, VM_MADV_HUGEPAGE = 14,
	VM_MADV_NOHUGEPAGE = 15, VM_MADV_DONTDUMP = 16, VM_MADV_DODUMP = 17,
	VM_MADV_WIPEONFORK = 18, VM_MADV_KEEPONFORK = 19, VM_MADV_COLD = 20,
	VM_MADV_PAGEOUT = 21, VM_MADV_POPULATE_READ = 22, VM_MADV_POPULATE_WRITE = 23,
	VM_MADV_DONTNEED_LOCKED = 24, VM_MADV_COLLAPSE = 25,
};

/* A physical frame address, as the backend and file hooks understand it. */
typedef uint64_t vm_frame_t;

/*
 * What a file-backed mapping needs from the VFS. `obj` is opaque here (a
 * vnode or an open file); the space holds one reference per area, taken
 * with ref() and dropped with unref(), so a file outlives its mappings.
 */
struct vm_file_info {
	uint32_t dev_major, dev_minor;	/* for /proc/self/maps */
	uint64_t ino;
	const char *path;		/* NULL: no name column */
	bool deleted;			/* VM_DELETED_SUFFIX after path: unlinked since it was mapped */
};

struct vm_file_ops {
	/*
	 * Provides the page at byte offset `offset` (page-aligned). copy false:
	 * the file's own frame (its cache page), with one reference taken for
	 * the translation that is about to map it; writes through a shared
	 * mapping land in it. copy true: a new private frame holding a copy of
	 * the data, for a private mapping that is being written. Returns 0,
	 * -ENOMEM, or another negative errno for "no data here" (beyond the
	 * end of the file): vm_fault reports that as -EIO, SIGBUS for the app.
	 */
	int (*fault)(void *obj, uint64_t offset, bool copy, vm_frame_t *frame);
	void (*ref)(void *obj);
	void (*unref)(void *obj);
	/* Optional: fills in what /proc/self/maps shows. */
	void (*describe)(void *obj, struct vm_file_info *info);
};

struct vm_file {
	const struct vm_file_ops *ops;	/* NULL: anonymous */
	void *obj;
	/*
	 * What the open file allows, as VM_PROT_* bits: READ if it was opened
	 * for reading, WRITE if for writing (and not append-only), EXEC unless
	 * its filesystem is mounted noexec. vm_mmap turns a refusal into
	 * EACCES (EPERM for EXEC), as Linux does.
	 */
	unsigned max_prot;
};

/*
 * The hardware side of one address space. `ctx` (from the space) is passed
 * to every call. Every frame mapped by map() carries one reference owned by
 * its translation: frame_alloc's frame starts with that reference, a file
 * hook's frame comes with one; unmap(), and map() over an existing
 * translation, drop it (freeing an anonymous frame, releasing a cache page).
 */
struct vm_backend {
	/* Maps the page at va (page-aligned) to frame with prot (VM_PROT_RWX
	 * bits, plus VM_PTE_COW), replacing any translation there. 0 or -ENOMEM
	 * (page-table memory); on failure nothing changed. */
	int (*map)(void *ctx, uintptr_t va, vm_frame_t frame, unsigned prot);
	/* Removes every translation in [start, end), dropping their frames. */
	void (*unmap)(void *ctx, uintptr_t start, uintptr_t end);
	/* Sets prot on every translation in [start, end) (COW ones stay read-only). */
	void (*protect)(void *ctx, uintptr_t start, uintptr_t end, unsigned prot);
	/* Makes a later move() into [start, end) unable to fail: pre-allocates
	 * page tables. 0 or -ENOMEM, with no visible effect either way. */
	int (*reserve)(void *ctx, uintptr_t start, uintptr_t end);
	/* Moves the translations of [from, from+len) to [to, to+len), which holds
	 * none and was reserved. Frames and their contents move with them. */
	void (*move)(void *ctx, uintptr_t from, uintptr_t to, size_t len);
	/* Whether va has a translation; if so its prot (with VM_PTE_COW). */
	bool (*query)(void *ctx, uintptr_t va, unsigned *prot);
	/* A zeroed frame, or -ENOMEM. */
	int (*frame_alloc)(void *ctx, vm_frame_t *frame);
	/* Releases a frame from frame_alloc that was never mapped. */
	void (*frame_free)(void *ctx, vm_frame_t frame);
	/* Memory for struct vma (the kernel passes malloc/free). NULL on failure. */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
};

/* The shape of the space; vm_limits_default() gives Linux's x86-64 defaults. */
struct vm_limits {
	uintptr_t min_addr;	/* lowest mappable address (vm.mmap_min_addr) */
	uintptr_t end;		/* one past the highest user address (TASK_SIZE) */
	uintptr_t mmap_base;	/* top-down placement starts below this */
	size_t guard_gap;	/* kept free below a growsdown area (stack_guard_gap) */
	size_t stack_max;	/* largest a growsdown area may grow (RLIMIT_STACK) */
	size_t max_vmas;	/* most areas a space may hold (vm.max_map_count) */
};

/* Area flags. */
#define VMA_SHARED    0x1	/* MAP_SHARED: writes reach the file, no COW */
#define VMA_GROWSDOWN 0x2	/* MAP_GROWSDOWN: faults just below extend it */

struct vma {
	struct rb_node node;	/* in vm_space.vmas, by address */
	uintptr_t start, end;	/* [start, end), page-aligned, start < end */
	unsigned prot;		/* VM_PROT_RWX bits */
	unsigned max_prot;	/* what mprotect may grant (from the file's max_prot) */
	unsigned flags;		/* VMA_* */
	struct vm_file file;	/* file.ops == NULL: anonymous */
	uint64_t offset;	/* file offset of start (0 for anonymous) */
};

struct vm_space {
	struct rb_tree vmas;
	size_t nr_vmas;
	struct vm_limits limits;
	const struct vm_backend *backend;
	void *ctx;
	uintptr_t brk_start, brk;	/* the heap: [brk_start, brk) */
	uintptr_t stack_start;		/* the initial stack, for "[stack]" in maps */
};

/* Linux x86-64 defaults: min 64 KiB, end 0x7ffffffff000, gap 1 MiB,
 * stack 8 MiB, 65530 areas; mmap_base 1 GiB below end. */
void vm_limits_default(struct vm_limits *limits);

/* An empty space. limits must be page-aligned with min_addr < end. */
void vm_space_init(struct vm_space *s, const struct vm_backend *backend, void *ctx,
		   const struct vm_limits *limits);

/* Unmaps everything and frees every area; the space is empty afterwards. */
void vm_space_destroy(struct vm_space *s);

/*
 * mmap(2). addr is a hint unless VM_MAP_FIXED or VM_MAP_FIXED_NOREPLACE;
 * file is ignored for VM_MAP_ANONYMOUS and required otherwise (-EBADF).
 * On success stores the mapping's address in *result and returns 0.
 * Errors as Linux: EINVAL (len 0, unaligned offset or fixed address, no
 * or bad mapping type, growsdown on a shared or file mapping), ENOMEM (len
 * overflows, no room, beyond the address space, too many areas), EEXIST
 * (FIXED_NOREPLACE over a mapping), EPERM (fixed below min_addr, or EXEC
 * on a noexec file), EACCES (file not readable, or shared and writable
 * from a read-only file), EOPNOTSUPP (SHARED_VALIDATE with unknown flags
 * or MAP_SYNC), EOVERFLOW (file offset + len beyond the largest file).
 */
int vm_mmap(struct vm_space *s, uintptr_t addr, size_t len, unsigned prot, unsigned flags,
	    const struct vm_file *file, uint64_t offset, uintptr_t *result);

/* munmap(2): EINVAL for an unaligned addr, len 0, or a range past the end;
 * ENOMEM if splitting an area would exceed max_vmas. Holes are fine. */
int vm_munmap(struct vm_space *s, uintptr_t addr, size_t len);

/*
 * mprotect(2), with VM_PROT_GROWSDOWN. EINVAL (unaligned, unknown bits,
 * both GROWS bits, GROWSDOWN on an area that does not grow), ENOMEM (a
 * hole in the range, or too many areas), EACCES (beyond an area's
 * max_prot). Unlike Linux, nothing changes when it fails.
 */
int vm_mprotect(struct vm_space *s, uintptr_t addr, size_t len, unsigned prot);

/*
 * mremap(2): shrink in place, grow in place when the pages above are free,
 * otherwise move (with VM_MREMAP_MAYMOVE), to new_addr with
 * VM_MREMAP_FIXED, keeping the old area (emptied) with
 * VM_MREMAP_DONTUNMAP. Pages and their contents move with the mapping.
 * old_len 0 duplicates a shared file mapping. EINVAL/EFAULT/ENOMEM as
 * Linux 6.x.
 */
int vm_mremap(struct vm_space *s, uintptr_t old_addr, size_t old_len, size_t new_len,
	      unsigned flags, uintptr_t new_addr, uintptr_t *result);

/*
 * madvise(2). DONTNEED/DONTNEED_LOCKED/FREE drop the pages of private and
 * file mappings, so the next touch sees zeroes (anonymous) or the file
 * again; shared anonymous memory keeps its data, as in Linux. REMOVE punches
 * shared anonymous memory. POPULATE_READ/WRITE fault pages in. The rest are
 * hints. Like Linux, applies to the mapped parts and then returns ENOMEM
 * if the range had holes.
 */
int vm_madvise(struct vm_space *s, uintptr_t addr, size_t len, int advice);

/* Sets the start of the heap (the loader: page after the data segment). */
void vm_brk_init(struct vm_space *s, uintptr_t start);

/*
 * brk(2): moves the end of the heap to `want` and returns the new break,
 * or returns the unchanged break if it cannot (below the start, into
 * another mapping, out of memory). brk(0) reads the break.
 */
uintptr_t vm_brk(struct vm_space *s, uintptr_t want);

/* The area containing addr, or NULL. */
struct vma *vm_find(const struct vm_space *s, uintptr_t addr);

/* The first area ending above addr (the one containing it, or the next), or NULL. */
struct vma *vm_find_next(const struct vm_space *s, uintptr_t addr);

/* Next and previous areas in address order, or NULL. */
struct vma *vm_next(const struct vma *v);
struct vma *vm_prev(const struct vma *v);

/*
 * The page-fault decision for an access (VM_PROT_READ, _WRITE or _EXEC) at
 * addr. Returns 0 when the access may now be retried (the page was
 * populated: a zeroed frame for anonymous memory, the file's page or a
 * private copy of it; or it was already fine), -EFAULT when nothing is
 * mapped there (SIGSEGV, SEGV_MAPERR), -EACCES when the area forbids the
 * access (SIGSEGV, SEGV_ACCERR), -ENOMEM when out of memory, -EIO when a
 * file has no data there (SIGBUS). A fault below a growsdown area extends
 * it (down to a page boundary) if it stays within stack_max and guard_gap
 * above the previous accessible area; that growth stays even if the page
 * then cannot be had (-ENOMEM), as in Linux. Reads are allowed by any of
 * R, W, X (x86-64 page tables cannot express write-only or execute-only).
 */
int vm_fault(struct vm_space *s, uintptr_t addr, unsigned access);

/*
 * Writes the space as /proc/self/maps does into buf (at most size bytes
 * including a NUL, like snprintf) and returns the full length.
 */
size_t vm_format_maps(const struct vm_space *s, char *buf, size_t size);

/* Checks the invariants above; NULL if they hold, else what is wrong. */
const char *vm_check(const struct vm_space *s);

#endif
