/*
 * The ELF loader: maps a static or static-PIE x86-64 program into an empty
 * address space and builds the initial stack the System V x86-64 ABI
 * describes (argc, argv, envp, the auxiliary vector, then the strings).
 *
 * Segments are copied, not mapped from a file (the program arrives in
 * memory; mapping file pages without a copy comes with the image
 * filesystem). Each PT_LOAD becomes anonymous memory with its final
 * permissions; a page two segments share gets both segments' permissions,
 * as the union is what the program may do there.
 */
#include <lib/elf.h>
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/uaccess.h>
#include "linux_internal.h"

#define PIE_BASE      0x555555554000UL	/* Linux's ELF_ET_DYN_BASE without randomisation */
#define STACK_TOP     0x7ffffffde000UL	/* a little below the end, as Linux's randomised top */
#define STACK_INITIAL (128 * 1024UL)
#define ARG_MAX_BYTES (STACK_INITIAL / 2)

/* Auxiliary vector tags (System V x86-64 ABI, Linux's additions). */
enum {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
	AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
	AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
	AT_HWCAP2 = 26, AT_EXECFN = 31, AT_SYSINFO_EHDR = 33, AT_MINSIGSTKSZ = 51,
};

static uintptr_t page_down(uintptr_t a)
{
	return a & ~(VM_PAGE_SIZE - 1);
}

static uintptr_t page_up(uintptr_t a)
{
	return (a + VM_PAGE_SIZE - 1) & ~(VM_PAGE_SIZE - 1);
}

static unsigned seg_prot(const struct elf_segment *s)
{
	return (s->flags & ELF_PF_R ? VM_PROT_READ : 0) | (s->flags & ELF_PF_W ? VM_PROT_WRITE : 0) |
	       (s->flags & ELF_PF_X ? VM_PROT_EXEC : 0);
}

static int map_fixed(struct linux_process *p, uintptr_t start, uintptr_t end, unsigned prot,
		     unsigned extra)
{
	uintptr_t got;
	int ret;

	mutex_lock(&p->vm_lock);
	ret = vm_mmap(&p->vm, start, end - start, prot,
		      VM_MAP_PRIVATE | VM_MAP_ANONYMOUS | VM_MAP_FIXED_NOREPLACE | extra, NULL, 0, &got);
	mutex_unlock(&p->vm_lock);
	return ret;
}

static int protect(struct linux_process *p, uintptr_t start, uintptr_t end, unsigned prot)
{
	int ret;

	mutex_lock(&p->vm_lock);
	ret = vm_mprotect(&p->vm, start, end - start, prot);
	mutex_unlock(&p->vm_lock);
	return ret;
}

/* Maps and fills every PT_LOAD at base, then sets the final permissions. */
static int load_segments(struct linux_process *p, const struct elf_info *e, const uint8_t *image,
			 uintptr_t base)
{
	uintptr_t mapped_end = 0;
	int ret;

	for (unsigned i = 0; i < e->nr_loads; i++) {
		const struct elf_segment *s = &e->load[i];
		uintptr_t start = page_down(base + s->vaddr), end = page_up(base + s->vaddr + s->memsz);

		if (start < mapped_end)
			start = mapped_end;	/* the page the previous segment ends in */
		if (start < end && (ret = map_fixed(p, start, end, VM_PROT_READ | VM_PROT_WRITE, 0)))
			return ret;
		if (end > mapped_end)
			mapped_end = end;
		if (copy_to_user((void *)(base + s->vaddr), image + s->offset, s->filesz))
			return -EFAULT;
	}
	for (unsigned i = 0; i < e->nr_loads; i++) {
		const struct elf_segment *s = &e->load[i];
		uintptr_t start = page_down(base + s->vaddr), end = page_up(base + s->vaddr + s->memsz);
		unsigned prot = seg_prot(s);

		if ((ret = protect(p, start, end, prot)))
			return ret;
		if (i > 0 && page_up(base + e->load[i - 1].vaddr + e->load[i - 1].memsz) > start &&
		    (ret = protect(p, start, start + VM_PAGE_SIZE, prot | seg_prot(&e->load[i - 1]))))
			return ret;
	}
	return 0;
}

/* The initial stack, built in a kernel buffer mirroring [lo, STACK_TOP) and copied out once. */
struct stack_builder {
	uint8_t *buf;
	uintptr_t lo;		/* user address of buf[0] */
	uintptr_t sp;		/* grows down from STACK_TOP */
};

static uintptr_t push_bytes(struct stack_builder *b, const void *data, size_t len)
{
	if (b->sp - b->lo < len)
		return 0;
	b->sp -= len;
	memcpy(b->buf + (b->sp - b->lo), data, len);
	return b->sp;
}

static uintptr_t push_string(struct stack_builder *b, const char *s)
{
	return push_bytes(b, s, strlen(s) + 1);
}

static size_t count(char *const v[])
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static int build_stack(struct stack_builder *b, const struct elf_info *e, uintptr_t base,
		       const char *path, char *const argv[], char *const envp[], uintptr_t *sp_out)
{
	size_t argc = count(argv), envc = count(envp);
	uintptr_t execfn, platform, rnd, *arg_ptrs, *env_ptrs;
	uint8_t random[16];
	uintptr_t phdr = e->phdr_vaddr ? base + e->phdr_vaddr : 0;
	size_t nwords, i = 0;
	uint64_t *words;

	arg_ptrs = mm_calloc(argc + envc + 1, sizeof(uintptr_t));
	if (!arg_ptrs)
		return -ENOMEM;
	env_ptrs = arg_ptrs + argc;
	execfn = push_string(b, path);
	for (size_t k = envc; k-- > 0;)
		env_ptrs[k] = push_string(b, envp[k]);
	for (size_t k = argc; k-- > 0;)
		arg_ptrs[k] = push_string(b, argv[k]);
	platform = push_string(b, arch_user_platform());
	random_bytes(random, sizeof(random));
	rnd = push_bytes(b, random, sizeof(random));
	if (!phdr && e->nr_loads && e->phoff >= e->load[0].offset &&
	    e->phoff < e->load[0].offset + e->load[0].filesz)
		phdr = base + e->load[0].vaddr + (e->phoff - e->load[0].offset);

	uint64_t aux[][2] = {
		{ AT_SYSINFO_EHDR, current_process()->vdso_base }, { AT_MINSIGSTKSZ, arch_signal_frame_size() },
		{ AT_HWCAP, arch_user_hwcap() }, { AT_PAGESZ, VM_PAGE_SIZE }, { AT_CLKTCK, 100 },
		{ AT_PHDR, phdr }, { AT_PHENT, ELF_PHDR_SIZE }, { AT_PHNUM, e->phnum },
		{ AT_BASE, 0 }, { AT_FLAGS, 0 }, { AT_ENTRY, base + e->entry }, { AT_UID, 0 },
		{ AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 }, { AT_SECURE, 0 }, { AT_RANDOM, rnd },
		{ AT_HWCAP2, arch_user_hwcap2() }, { AT_EXECFN, execfn }, { AT_PLATFORM, platform },
		{ AT_NULL, 0 },
	};
	unsigned skip = current_process()->vdso_base ? 0 : 1;	/* no vDSO: no AT_SYSINFO_EHDR */

	nwords = 1 + argc + 1 + envc + 1 + 2 * (sizeof(aux) / sizeof(aux[0]) - skip);
	if (!execfn || !platform || !rnd || (!arg_ptrs[0] && argc) ||
	    b->sp - b->lo < nwords * 8 + 16) {
		mm_free(arg_ptrs);
		return -E2BIG;
	}
	b->sp = (b->sp - nwords * 8) & ~15UL;	/* RSP at argc: 16-byte aligned */
	words = (uint64_t *)(b->buf + (b->sp - b->lo));
	words[i++] = argc;
	for (size_t k = 0; k < argc; k++)
		words[i++] = arg_ptrs[k];
	words[i++] = 0;
	for (size_t k = 0; k < envc; k++)
		words[i++] = env_ptrs[k];
	words[i++] = 0;
	for (size_t k = skip; k < sizeof(aux) / sizeof(aux[0]); k++) {
		words[i++] = aux[k][0];
		words[i++] = aux[k][1];
	}
	mm_free(arg_ptrs);
	*sp_out = b->sp;
	return 0;
}

static int setup_stack(struct linux_process *p, const struct elf_info *e, uintptr_t base,
		       const char *path, char *const argv[], char *const envp[], uintptr_t *sp)
{
	struct stack_builder b = { .lo = STACK_TOP - ARG_MAX_BYTES, .sp = STACK_TOP };
	int ret = map_fixed(p, STACK_TOP - STACK_INITIAL, STACK_TOP,
			    VM_PROT_READ | VM_PROT_WRITE | (e->stack_exec ? VM_PROT_EXEC : 0),
			    VM_MAP_GROWSDOWN);

	if (ret)
		return ret;
	p->vm.stack_start = STACK_TOP - STACK_INITIAL;
	b.buf = mm_malloc(ARG_MAX_BYTES);
	if (!b.buf)
		return -ENOMEM;
	ret = build_stack(&b, e, base, path, argv, envp, sp);
	if (!ret && copy_to_user((void *)*sp, b.buf + (*sp - b.lo), STACK_TOP - *sp))
		ret = -EFAULT;
	mm_free(b.buf);
	return ret;
}

int exec_load(struct linux_process *p, const void *image, size_t size, const char *path,
	      char *const argv[], char *const envp[], struct exec_result *out, const char **why)
{
	struct elf_info *e = mm_malloc(sizeof(*e));
	uintptr_t base;
	int ret;

	if (!e)
		return -ENOMEM;
	ret = elf_parse(image, size, e, why);
	if (!ret && e->has_interp) {
		*why = "dynamically linked (needs an ELF interpreter; not supported yet)";
		ret = -ENOEXEC;
	}
	if (ret) {
		mm_free(e);
		return ret;
	}
	base = e->is_pie ? PIE_BASE - e->lowest_vaddr : 0;
	ret = load_segments(p, e, image, base);
	p->image_start = base + e->lowest_vaddr;
	p->image_end = base + e->highest_vaddr;
	if (!ret) {
		vdso_map(p);	/* without it (out of memory), libc makes the system calls */
		vm_brk_init(&p->vm, page_up(base + e->highest_vaddr));
		ret = setup_stack(p, e, base, path, argv, envp, &out->sp);
	}
	out->entry = base + e->entry;
	if (ret)
		*why = ret == -E2BIG ? "arguments and environment too large" : "out of memory";
	mm_free(e);
	return ret;
}
