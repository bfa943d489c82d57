/*
 * tests/unit/vm/fake.h: a host stand-in for the kernel's side of mote/vm.
 *
 * The fake backend keeps "page tables" in a red-black tree of translations
 * (va -> frame, prot) and "physical memory" as an array of frames, each
 * with a reference count and a 64-bit tag standing for its contents. It
 * checks the contract of struct vm_backend as it goes (move only into a
 * reserved, empty range; frames never freed twice) and can fail the Nth
 * call of each fallible operation, which is how the tests prove that every
 * vm operation is atomic under allocation failure.
 *
 * Fake files have a cache frame per page (tag = file id and page) and
 * implement vm_file_ops the way the VFS will: the shared frame with a
 * reference, or a private copy.
 *
 * user_read/user_write/user_exec behave like a CPU: they succeed when the
 * translation allows the access and call vm_fault otherwise, then retry.
 */
#ifndef TESTS_UNIT_VM_FAKE_H
#define TESTS_UNIT_VM_FAKE_H

#include <lib/rbtree.h>
#include <mote/vm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P VM_PAGE_SIZE

struct fake_frame {
	int refs;		/* 0: free */
	uint64_t tag;		/* the "contents" */
};

/* Which call fails: the Nth (1-based) from now; 0 never. */
struct fake_fail {
	long calls, at;
};

struct fake {
	struct rb_tree ptes;
	size_t nr_ptes;
	struct fake_frame *frames;
	size_t nr_frames, cap_frames, used_frames;
	size_t max_frames;			/* frame_alloc fails beyond this */
	uintptr_t res_lo, res_hi;		/* the last reserve() */
	struct fake_fail alloc, frame, map, reserve;
	long live_vmas;				/* struct vma allocated, not freed */
	struct fake_file *files[16];		/* live files, for fake_check */
	int nr_files;
	const char *error;			/* first contract violation seen */
};

extern const struct vm_backend fake_backend;

void fake_init(struct fake *fk);
void fake_fini(struct fake *fk);

/* A space over the fake, with the given shape (min, end, mmap_base). */
void fake_space(struct vm_space *s, struct fake *fk, uintptr_t min, uintptr_t end,
		uintptr_t mmap_base);

/* Arms one fallible operation to fail on its nth call from now (0: never). */
void fake_fail_nth(struct fake_fail *f, long n);

/* Frame tags: the contents of memory. */
uint64_t fake_frame_tag(const struct fake *fk, vm_frame_t frame);
int fake_frame_refs(const struct fake *fk, vm_frame_t frame);

/* The translation at va, or false. */
bool fake_query(const struct fake *fk, uintptr_t va, vm_frame_t *frame, unsigned *prot);

/* CPU-like accesses through the fake MMU: 0 or vm_fault's error. */
int user_read(struct vm_space *s, uintptr_t va, uint64_t *tag);
int user_write(struct vm_space *s, uintptr_t va, uint64_t tag);
int user_exec(struct vm_space *s, uintptr_t va);

/* What a read would see without faulting: the frame's tag if mapped. */
bool fake_peek(const struct fake *fk, uintptr_t va, uint64_t *tag);

/*
 * Every translation lies in an area with the area's protection, COW only
 * under a private file area, every used frame's count matches the
 * translations and files holding it. NULL or what is wrong.
 */
const char *fake_check(const struct fake *fk, const struct vm_space *s);

/* A full description of space and fake, to compare before and after. */
char *fake_snapshot(const struct fake *fk, const struct vm_space *s);

/* Files. */
struct fake_file {
	struct fake *fk;
	int id, refs;
	size_t npages;
	vm_frame_t *cache;
	const char *path;
	struct vm_file vf;	/* what vm_mmap is given */
};

extern const struct vm_file_ops fake_file_ops;

struct fake_file *fake_file_new(struct fake *fk, int id, size_t npages, unsigned max_prot,
				const char *path);
void fake_file_free(struct fake_file *f);
uint64_t fake_file_tag(const struct fake_file *f, size_t page);

/* The tag a fresh cache page of file id holds. */
static inline uint64_t file_page_tag(int id, size_t page)
{
	return ((uint64_t)id << 32) | (page + 1);
}

#endif
