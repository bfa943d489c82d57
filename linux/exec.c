/*
 * The ELF loader: maps an x86-64 program (static, static-PIE, or dynamic
 * with its PT_INTERP interpreter) into an empty address space and builds
 * the initial stack the System V x86-64 ABI describes (argc, argv, envp,
 * the auxiliary vector, then the strings).
 *
 * Segments are mapped from the file, private, as Linux maps them: on the
 * image filesystem the pages of the program's text are the file's own
 * cache pages (fs/mmap.c), so nothing is copied. The part of the last
 * file page beyond p_filesz is zeroed (a private copy of that page) and
 * the rest of p_memsz is anonymous memory. A program whose segments cannot
 * be mapped page for page (a file offset not congruent to its address, or
 * two segments in one page) is copied instead, into anonymous memory; a
 * page two segments share then gets both segments' permissions, as the
 * union is what the program may do there.
 *
 * A dynamic program's interpreter (its own ld.so, from the program's
 * filesystem) is loaded the same way, wherever mmap puts it; the program
 * starts there, with AT_BASE naming the interpreter and AT_ENTRY the
 * program's entry point.
 */
#include <lib/elf.h>
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/uaccess.h>
#include <mote/vfs.h>
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

/* An open ELF file: the head read into memory, the rest mapped on demand. */
struct elf_file {
	struct file *f;
	uint64_t size;
	void *head;
	struct elf_info e;
};

#define HEAD_FIRST 4096			/* enough for nearly every program */
#define HEAD_MAX   (256 * 1024UL)	/* headers placed further in are refused */

static int read_head(struct elf_file *ef, size_t len)
{
	long n;

	mm_free(ef->head);
	ef->head = mm_malloc(len ? len : 1);
	if (!ef->head)
		return -ENOMEM;
	n = ef->f->ops->pread(ef->f, ef->head, len, 0);
	return n < 0 ? (int)n : (size_t)n == len ? 0 : -EIO;
}

static int elf_file_open(struct elf_file *ef, struct file *f, const char **why)
{
	struct kstat st;
	size_t len;
	int ret;

	ef->f = f;
	ef->head = NULL;
	if (!f->ops->pread || !f->ops->stat || (ret = f->ops->stat(f, &st)))
		return -EACCES;
	ef->size = (uint64_t)st.size;
	len = ef->size < HEAD_FIRST ? (size_t)ef->size : HEAD_FIRST;
	if ((ret = read_head(ef, len)))
		return ret;
	ret = elf_parse_head(ef->head, len, ef->size, &ef->e, why);
	if (ret == -ERANGE && len < ef->size) {
		len = ef->size < HEAD_MAX ? (size_t)ef->size : HEAD_MAX;
		if ((ret = read_head(ef, len)))
			return ret;
		ret = elf_parse_head(ef->head, len, ef->size, &ef->e, why);
	}
	return ret == -ERANGE ? -ENOEXEC : ret;
}

static void elf_file_close(struct elf_file *ef)
{
	mm_free(ef->head);
	ef->head = NULL;
}

static int do_mmap(struct linux_process *p, uintptr_t at, size_t len, unsigned prot,
		   unsigned flags, struct vm_file *file, uint64_t off, uintptr_t *got)
{
	int ret;

	mutex_lock(&p->vm_lock);
	ret = vm_mmap(&p->vm, at, len, prot,
		      VM_MAP_PRIVATE | flags | (file ? 0 : VM_MAP_ANONYMOUS), file, off, got);
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

/* Whether every PT_LOAD can be mapped from the file page for page. */
static bool mappable(const struct elf_info *e)
{
	for (unsigned i = 0; i < e->nr_loads; i++) {
		const struct elf_segment *s = &e->load[i];

		if ((s->vaddr - s->offset) & (VM_PAGE_SIZE - 1))
			return false;
		if (i > 0 && page_up(e->load[i - 1].vaddr + e->load[i - 1].memsz) > page_down(s->vaddr))
			return false;
	}
	return true;
}

/* One PT_LOAD mapped from the file at base, its bss zeroed and extended. */
static int map_segment(struct linux_process *p, struct vm_file *file,
		       const struct elf_segment *s, uintptr_t base)
{
	uintptr_t start = page_down(base + s->vaddr), file_end = base + s->vaddr + s->filesz;
	uintptr_t mem_end = page_up(base + s->vaddr + s->memsz), got;
	unsigned prot = seg_prot(s);
	bool zero_tail = s->memsz > s->filesz && (file_end & (VM_PAGE_SIZE - 1));
	int ret;

	if (s->filesz) {
		ret = do_mmap(p, start, page_up(file_end) - start, prot | (zero_tail ? VM_PROT_WRITE : 0),
			      VM_MAP_FIXED, file, page_down(s->offset), &got);
		if (ret)
			return ret;
		if (zero_tail) {
			if (clear_user((void *)file_end, page_up(file_end) - file_end))
				return -EFAULT;
			if (!(prot & VM_PROT_WRITE) &&
			    (ret = protect(p, page_down(file_end), page_up(file_end), prot)))
				return ret;
		}
		start = page_up(file_end);
	}
	if (start < mem_end)
		return do_mmap(p, start, mem_end - start, prot, VM_MAP_FIXED, NULL, 0, &got);
	return 0;
}

/* Copies len bytes at file offset off to user address to, through a bounce buffer. */
static int copy_from_file(struct file *f, uint64_t off, uintptr_t to, size_t len)
{
	size_t chunk = len < 65536 ? len : 65536;
	char *buf = mm_malloc(chunk ? chunk : 1);
	int ret = buf ? 0 : -ENOMEM;

	for (size_t done = 0; !ret && done < len; done += chunk) {
		size_t n = len - done < chunk ? len - done : chunk;
		long got = f->ops->pread(f, buf, n, off + done);

		if (got != (long)n)
			ret = got < 0 ? (int)got : -EIO;
		else if (copy_to_user((void *)(to + done), buf, n))
			ret = -EFAULT;
	}
	mm_free(buf);
	return ret;
}

/* The fallback: each PT_LOAD copied into anonymous memory, then its permissions set. */
static int copy_segments(struct linux_process *p, const struct elf_file *ef, uintptr_t base)
{
	const struct elf_info *e = &ef->e;
	int ret;

	for (unsigned i = 0; i < e->nr_loads; i++) {
		const struct elf_segment *s = &e->load[i];
		uintptr_t start = page_down(base + s->vaddr), end = page_up(base + s->vaddr + s->memsz);

		if ((ret = protect(p, start, end, VM_PROT_READ | VM_PROT_WRITE)) ||
		    (ret = copy_from_file(ef->f, s->offset, base + s->vaddr, s->filesz)))
			return ret;
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

/*
 * Reserves the program's whole span (at its fixed address, at `want` for a
 * PIE with a preferred base, anywhere for an interpreter: want 0), then
 * fills it; *base_out is the load bias. Parts between segments stay
 * reserved and inaccessible.
 */
static int load_elf(struct linux_process *p, struct elf_file *ef, uintptr_t want,
		    uintptr_t *base_out)
{
	const struct elf_info *e = &ef->e;
	size_t span = e->highest_vaddr - e->lowest_vaddr;
	unsigned flags = !e->is_pie || want ? VM_MAP_FIXED_NOREPLACE : 0;
	uintptr_t at = e->is_pie ? want : e->lowest_vaddr, got, base;
	struct vm_file file;
	int ret;

	if ((ret = do_mmap(p, at, span, VM_PROT_NONE, flags, NULL, 0, &got)))
		return ret;
	base = e->is_pie ? got - e->lowest_vaddr : 0;
	*base_out = base;
	if (!mappable(e))
		return copy_segments(p, ef, base);
	if ((ret = vfs_mmap_file(ef->f, false, 0, &file)))
		return ret;
	for (unsigned i = 0; !ret && i < e->nr_loads; i++)
		ret = map_segment(p, &file, &e->load[i], base);
	vfs_mmap_done(&file);
	return ret;
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
		       uintptr_t interp_base, const char *path, char *const argv[], char *const envp[], uintptr_t *sp_out)
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
		{ AT_BASE, interp_base }, { AT_FLAGS, 0 }, { AT_ENTRY, base + e->entry }, { AT_UID, 0 },
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
		       uintptr_t interp_base, const char *path, char *const argv[], char *const envp[], uintptr_t *sp)
{
	struct stack_builder b = { .lo = STACK_TOP - ARG_MAX_BYTES, .sp = STACK_TOP };
	uintptr_t got;
	int ret = do_mmap(p, STACK_TOP - STACK_INITIAL, STACK_INITIAL,
			  VM_PROT_READ | VM_PROT_WRITE | (e->stack_exec ? VM_PROT_EXEC : 0),
			  VM_MAP_FIXED_NOREPLACE | VM_MAP_GROWSDOWN, NULL, 0, &got);

	if (ret)
		return ret;
	p->vm.stack_start = STACK_TOP - STACK_INITIAL;
	b.buf = mm_malloc(ARG_MAX_BYTES);
	if (!b.buf)
		return -ENOMEM;
	ret = build_stack(&b, e, base, interp_base, path, argv, envp, sp);
	if (!ret && copy_to_user((void *)*sp, b.buf + (*sp - b.lo), STACK_TOP - *sp))
		ret = -EFAULT;
	mm_free(b.buf);
	return ret;
}

/* Opens and loads the interpreter a dynamic program names; its load bias in *base. */
static int load_interp(struct linux_process *p, const char *path, struct elf_file *interp,
		       uintptr_t *base, const char **why)
{
	struct file *f = vfs_open(p->cwd, path, VFS_O_RDONLY, 0);
	int ret;

	if (IS_ERR(f)) {
		fmt_snprintf(interp->e.why_buf, sizeof(interp->e.why_buf), "its interpreter %s %s",
			     path, PTR_ERR(f) == -ENOENT ? "does not exist" : "cannot be opened");
		*why = interp->e.why_buf;
		return (int)PTR_ERR(f);
	}
	ret = elf_file_open(interp, f, why);
	if (!ret && interp->e.has_interp) {
		*why = "its interpreter is itself dynamically linked";
		ret = -ENOEXEC;
	}
	if (!ret && (ret = load_elf(p, interp, 0, base)))
		*why = "its interpreter cannot be loaded";
	return ret;
}

int exec_load(struct linux_process *p, struct file *f, const char *path, char *const argv[],
	      char *const envp[], struct exec_result *out, const char **why)
{
	struct elf_file *prog = mm_calloc(2, sizeof(*prog)), *interp = prog + 1;
	uintptr_t base = 0, interp_base = 0;
	int ret;

	if (!prog)
		return -ENOMEM;
	ret = elf_file_open(prog, f, why);
	if (!ret && (ret = load_elf(p, prog, prog->e.is_pie ? PIE_BASE : 0, &base)))
		*why = "it cannot be loaded";
	if (!ret && prog->e.has_interp) {
		ret = load_interp(p, prog->e.interp, interp, &interp_base, why);
		if (interp->f)
			file_put(interp->f);
	}
	p->image_start = base + prog->e.lowest_vaddr;
	p->image_end = base + prog->e.highest_vaddr;
	if (!ret) {
		vdso_map(p);	/* without it (out of memory), libc makes the system calls */
		vm_brk_init(&p->vm, page_up(base + prog->e.highest_vaddr));
		ret = setup_stack(p, &prog->e, base, interp_base, path, argv, envp, &out->sp);
		if (ret)
			*why = ret == -E2BIG ? "arguments and environment too large" : "out of memory";
	}
	out->entry = interp_base ? interp_base + interp->e.entry : base + prog->e.entry;
	elf_file_close(prog);
	elf_file_close(interp);
	mm_free(prog);
	return ret;
}
