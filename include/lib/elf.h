/*
 * lib/elf: a strict ELF64 x86-64 program-header parser, shared by the
 * kernel's loader and the host's `mote run`, and fuzzed on the host
 * (tests/fuzz/fuzz_elf.c). It never trusts the input: every offset, size
 * and count is checked against the buffer before it is read. See docs/elf.md.
 *
 * Own definitions of the few ELF constants used (no <elf.h>: the kernel
 * has no libc); the values are the System V gABI's.
 */
#ifndef LIB_ELF_H
#define LIB_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_EHDR_SIZE   64      /* sizeof(Elf64_Ehdr) */
#define ELF_PHDR_SIZE   56      /* sizeof(Elf64_Phdr) */

#define ELF_ET_EXEC     2
#define ELF_ET_DYN      3
#define ELF_EM_X86_64   62

#define ELF_PT_LOAD     1
#define ELF_PT_DYNAMIC  2
#define ELF_PT_INTERP   3
#define ELF_PT_PHDR     6
#define ELF_PT_TLS      7
#define ELF_PT_GNU_STACK 0x6474e551

#define ELF_PF_X        1
#define ELF_PF_W        2
#define ELF_PF_R        4

/* Programs live below the canonical hole; kernels may load anywhere. */
#define ELF_USER_LIMIT  0x0000800000000000ULL
#define ELF_PAGE_SIZE   4096ULL
#define ELF_MAX_LOADS   16      /* PT_LOADs kept; more is refused */
#define ELF_MAX_PHNUM   256     /* program headers accepted at all */
#define ELF_MAX_INTERP  4096    /* PATH_MAX for PT_INTERP */

struct elf_segment {
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
	uint32_t flags;         /* ELF_PF_* */
};

struct elf_info {
	uint16_t type;          /* ELF_ET_EXEC or ELF_ET_DYN */
	uint64_t entry;         /* e_entry, unrelocated */
	uint64_t phoff;         /* program headers: file offset, count */
	uint16_t phnum;
	unsigned nr_loads;      /* PT_LOADs, sorted by vaddr, not overlapping */
	struct elf_segment load[ELF_MAX_LOADS];
	bool is_pie;            /* ET_DYN: loaded at a chosen base */
	bool has_interp;        /* PT_INTERP: needs a dynamic loader */
	const char *interp;     /* its NUL-terminated path, inside the buffer */
	bool has_dynamic;       /* PT_DYNAMIC (static-PIE has one, no interp) */
	struct elf_segment dynamic; /* PT_DYNAMIC, inside the file, when has_dynamic */
	bool has_tls;
	struct elf_segment tls; /* PT_TLS: the initialisation image */
	bool stack_exec;        /* no PT_GNU_STACK, or one with PF_X */
	uint64_t phdr_vaddr;    /* where the program headers are mapped (AT_PHDR), 0 if not */
	uint64_t lowest_vaddr;  /* page-aligned span of all PT_LOADs */
	uint64_t highest_vaddr; /* exclusive end, page-rounded */
	uint64_t phys_end;      /* max p_paddr + p_memsz (ET_EXEC kernels) */
	char why_buf[80];       /* a refusal's reason, when it names a number */
};

/*
 * Validates an ELF64 x86-64 program (ET_EXEC, or ET_DYN for PIE and
 * static-PIE) for loading below ELF_USER_LIMIT and fills *out. Returns 0,
 * -EINVAL if data is not ELF at all, or -ENOEXEC for any malformed or
 * unsupported ELF; *why then names the problem (it may point into out).
 */
int elf_parse(const void *data, size_t size, struct elf_info *out, const char **why);

/*
 * elf_parse for a file of file_size bytes of which only the first head_len
 * are at head (a loader reads the start and maps the rest): the same
 * checks, and -ERANGE when the program headers or the interpreter path lie
 * beyond head_len (read more and try again).
 */
int elf_parse_head(const void *head, size_t head_len, uint64_t file_size, struct elf_info *out,
		   const char **why);

/*
 * The same checks for a shared library (what `mote build` collects): ET_DYN
 * only, and no entry point required (a library's e_entry is usually 0).
 */
int elf_parse_shared(const void *data, size_t size, struct elf_info *out, const char **why);

/* The same checks for a kernel image: ET_EXEC only, any virtual address. */
int elf_parse_kernel(const void *data, size_t size, struct elf_info *out, const char **why);

#endif
