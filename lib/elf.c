/*
 * lib/elf: validates an ELF64 x86-64 file's header and program headers
 * before a loader relies on any of it. Fields are read byte by byte
 * (little-endian, any alignment), every range is checked against the
 * buffer with overflow-free arithmetic, and the first problem found is
 * the one reported. What is checked, and why: docs/elf.md.
 */
#include <lib/elf.h>
#include <lib/errno.h>
#include <lib/fmt.h>

/* Header offsets (System V gABI, ELF64). */
#define EI_CLASS        4
#define EI_DATA         5
#define EI_VERSION      6
#define E_TYPE          16
#define E_MACHINE       18
#define E_VERSION       20
#define E_ENTRY         24
#define E_PHOFF         32
#define E_PHENTSIZE     54
#define E_PHNUM         56

#define TLS_MAX_ALIGN   (1ULL << 20)
#define LOAD_MAX_ALIGN  (1ULL << 30)

static uint64_t rd(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

struct parser {
	const unsigned char *p;
	size_t head;		/* bytes of the file at p */
	uint64_t size;		/* bytes in the whole file */
	struct elf_info *out;
	const char **why;
	bool kernel;
	bool shared;            /* a shared library: ET_DYN, no entry point needed */
};

static int refuse(struct parser *ps, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct parser *ps, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(ps->out->why_buf, sizeof(ps->out->why_buf), fmt, ap);
	va_end(ap);
	*ps->why = ps->out->why_buf;
	return err;
}

/* [off, off+len) lies inside the file. */
static bool in_file(const struct parser *ps, uint64_t off, uint64_t len)
{
	return off <= ps->size && len <= ps->size - off;
}

/* [off, off+len) lies inside the bytes we were given (checked after in_file). */
static bool in_head(const struct parser *ps, uint64_t off, uint64_t len)
{
	return off + len <= ps->head;
}

static bool pow2_or_zero(uint64_t x)
{
	return (x & (x - 1)) == 0;
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case 2: return "SPARC";
	case 3: return "i386";
	case 8: return "MIPS";
	case 20: return "PowerPC";
	case 21: return "PowerPC64";
	case 22: return "s390";
	case 40: return "ARM";
	case 43: return "SPARC V9";
	case 50: return "IA-64";
	case 183: return "ARM aarch64";
	case 243: return "RISC-V";
	case 258: return "LoongArch";
	default: return NULL;
	}
}

static void read_phdr(const unsigned char *ph, uint32_t *type, struct elf_segment *s)
{
	*type = (uint32_t)rd(ph, 4);
	s->flags = (uint32_t)rd(ph + 4, 4);
	s->offset = rd(ph + 8, 8);
	s->vaddr = rd(ph + 16, 8);
	s->paddr = rd(ph + 24, 8);
	s->filesz = rd(ph + 32, 8);
	s->memsz = rd(ph + 40, 8);
	s->align = rd(ph + 48, 8);
}

static int check_header(struct parser *ps)
{
	const unsigned char *p = ps->p;
	struct elf_info *out = ps->out;
	unsigned machine, type;

	if (ps->head < 4 || p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F')
		return refuse(ps, -EINVAL, "not an ELF file");
	if (ps->head < ELF_EHDR_SIZE)
		return refuse(ps, -ENOEXEC, "truncated ELF header");
	if (p[EI_CLASS] != 2)
		return refuse(ps, -ENOEXEC, "not a 64-bit ELF file (class %u)", p[EI_CLASS]);
	if (p[EI_DATA] != 1)
		return refuse(ps, -ENOEXEC, "not a little-endian ELF file");
	machine = (unsigned)rd(p + E_MACHINE, 2);
	if (machine != ELF_EM_X86_64) {
		const char *name = machine_name(machine);

		if (name)
			return refuse(ps, -ENOEXEC, "wrong architecture (%s)", name);
		return refuse(ps, -ENOEXEC, "wrong architecture (machine %u)", machine);
	}
	if (p[EI_VERSION] != 1 || rd(p + E_VERSION, 4) != 1)
		return refuse(ps, -ENOEXEC, "unknown ELF version");
	type = (unsigned)rd(p + E_TYPE, 2);
	if (type == 1)
		return refuse(ps, -ENOEXEC, "a relocatable object, not an executable");
	if (type == 4)
		return refuse(ps, -ENOEXEC, "a core dump, not an executable");
	if (ps->shared && type != ELF_ET_DYN)
		return refuse(ps, -ENOEXEC, "not a shared object (type %u)", type);
	if (type != ELF_ET_EXEC && (type != ELF_ET_DYN || ps->kernel))
		return refuse(ps, -ENOEXEC, "not an executable ELF file (type %u)", type);
	out->type = (uint16_t)type;
	out->is_pie = type == ELF_ET_DYN;
	out->entry = rd(p + E_ENTRY, 8);
	out->phoff = rd(p + E_PHOFF, 8);
	out->phnum = (uint16_t)rd(p + E_PHNUM, 2);

	if (rd(p + E_PHENTSIZE, 2) != ELF_PHDR_SIZE)
		return refuse(ps, -ENOEXEC, "bad program header size %u",
			      (unsigned)rd(p + E_PHENTSIZE, 2));
	if (out->phnum == 0)
		return refuse(ps, -ENOEXEC, "no program headers");
	if (out->phnum > ELF_MAX_PHNUM)
		return refuse(ps, -ENOEXEC, "too many program headers (%u)", out->phnum);
	if (!in_file(ps, out->phoff, (uint64_t)out->phnum * ELF_PHDR_SIZE))
		return refuse(ps, -ENOEXEC, "truncated program headers");
	if (!in_head(ps, out->phoff, (uint64_t)out->phnum * ELF_PHDR_SIZE))
		return refuse(ps, -ERANGE, "program headers beyond the first %zu bytes", ps->head);
	return 0;
}

static int check_load(struct parser *ps, unsigned i, const struct elf_segment *s)
{
	struct elf_info *out = ps->out;
	uint64_t limit = ps->kernel ? UINT64_MAX - ELF_PAGE_SIZE : ELF_USER_LIMIT;

	if (!in_file(ps, s->offset, s->filesz))
		return refuse(ps, -ENOEXEC, "segment %u runs past the end of the file", i);
	if (s->filesz > s->memsz)
		return refuse(ps, -ENOEXEC, "segment %u: file size exceeds memory size", i);
	if (s->vaddr > limit || s->memsz > limit - s->vaddr)
		return refuse(ps, -ENOEXEC, ps->kernel ? "segment %u wraps around the address space"
				: "segment %u lies above the user address limit", i);
	if (s->paddr > UINT64_MAX - s->memsz)
		return refuse(ps, -ENOEXEC, "segment %u: physical address wraps", i);
	if (!pow2_or_zero(s->align) || s->align > LOAD_MAX_ALIGN)
		return refuse(ps, -ENOEXEC, "segment %u: bad alignment %#llx", i,
			      (unsigned long long)s->align);
	if (s->align >= ELF_PAGE_SIZE && s->offset % s->align != s->vaddr % s->align)
		return refuse(ps, -ENOEXEC, "segment %u: offset and address disagree modulo alignment", i);
	if (!ps->kernel && out->type == ELF_ET_EXEC && s->vaddr < 0x10000)
		return refuse(ps, -ENOEXEC, "segment %u maps the first 64 KiB", i);
	if (out->nr_loads) {
		const struct elf_segment *prev = &out->load[out->nr_loads - 1];

		if (s->vaddr < prev->vaddr)
			return refuse(ps, -ENOEXEC, "segment %u is out of order", i);
		if (s->vaddr < prev->vaddr + prev->memsz)
			return refuse(ps, -ENOEXEC, "segment %u overlaps the one before it", i);
	}
	if (out->nr_loads == ELF_MAX_LOADS)
		return refuse(ps, -ENOEXEC, "too many loadable segments");
	out->load[out->nr_loads++] = *s;
	if (s->paddr + s->memsz > out->phys_end)
		out->phys_end = s->paddr + s->memsz;
	return 0;
}

static int check_interp(struct parser *ps, const struct elf_segment *s)
{
	struct elf_info *out = ps->out;

	if (out->has_interp)
		return refuse(ps, -ENOEXEC, "more than one PT_INTERP");
	if (!in_file(ps, s->offset, s->filesz))
		return refuse(ps, -ENOEXEC, "interpreter path runs past the end of the file");
	if (s->filesz < 2 || s->filesz > ELF_MAX_INTERP)
		return refuse(ps, -ENOEXEC, "bad interpreter path length");
	if (!in_head(ps, s->offset, s->filesz))
		return refuse(ps, -ERANGE, "interpreter path beyond the first %zu bytes", ps->head);
	if (ps->p[s->offset + s->filesz - 1] != 0)
		return refuse(ps, -ENOEXEC, "interpreter path is not NUL-terminated");
	for (uint64_t k = 0; k < s->filesz - 1; k++)
		if (ps->p[s->offset + k] == 0)
			return refuse(ps, -ENOEXEC, "interpreter path has an embedded NUL");
	out->has_interp = true;
	out->interp = (const char *)ps->p + s->offset;
	return 0;
}

static int check_tls(struct parser *ps, const struct elf_segment *s)
{
	struct elf_info *out = ps->out;

	if (out->has_tls)
		return refuse(ps, -ENOEXEC, "more than one PT_TLS");
	if (!in_file(ps, s->offset, s->filesz))
		return refuse(ps, -ENOEXEC, "TLS image runs past the end of the file");
	if (s->filesz > s->memsz)
		return refuse(ps, -ENOEXEC, "TLS file size exceeds memory size");
	if (s->memsz > (ps->kernel ? UINT64_MAX : ELF_USER_LIMIT) - s->vaddr ||
	    (!ps->kernel && s->vaddr > ELF_USER_LIMIT))
		return refuse(ps, -ENOEXEC, "TLS segment lies outside the address space");
	if (!pow2_or_zero(s->align) || s->align > TLS_MAX_ALIGN)
		return refuse(ps, -ENOEXEC, "TLS segment: bad alignment %#llx",
			      (unsigned long long)s->align);
	out->has_tls = true;
	out->tls = *s;
	return 0;
}

/* The TLS initialisation image must be part of a loaded segment's file data. */
static bool tls_in_load(const struct elf_info *out)
{
	for (unsigned i = 0; i < out->nr_loads; i++) {
		const struct elf_segment *l = &out->load[i];

		if (out->tls.vaddr >= l->vaddr &&
		    out->tls.vaddr - l->vaddr <= l->filesz &&
		    out->tls.filesz <= l->filesz - (out->tls.vaddr - l->vaddr))
			return true;
	}
	return out->tls.filesz == 0;
}

static uint64_t find_phdr_vaddr(const struct elf_info *out)
{
	uint64_t len = (uint64_t)out->phnum * ELF_PHDR_SIZE;

	for (unsigned i = 0; i < out->nr_loads; i++) {
		const struct elf_segment *l = &out->load[i];

		if (out->phoff >= l->offset && out->phoff - l->offset <= l->filesz &&
		    len <= l->filesz - (out->phoff - l->offset))
			return l->vaddr + (out->phoff - l->offset);
	}
	return 0;
}

static int parse(struct parser *ps)
{
	struct elf_info *out = ps->out;
	bool have_phdr = false;
	int err;

	*ps->why = NULL;
	for (size_t k = 0; k < sizeof(*out); k++)
		((unsigned char *)out)[k] = 0;
	out->stack_exec = true; /* x86-64 Linux's default without PT_GNU_STACK */

	if ((err = check_header(ps)))
		return err;
	for (unsigned i = 0; i < out->phnum; i++) {
		struct elf_segment s;
		uint32_t type;

		read_phdr(ps->p + out->phoff + (uint64_t)i * ELF_PHDR_SIZE, &type, &s);
		switch (type) {
		case ELF_PT_LOAD:
			err = check_load(ps, i, &s);
			break;
		case ELF_PT_INTERP:
			err = check_interp(ps, &s);
			break;
		case ELF_PT_TLS:
			err = check_tls(ps, &s);
			break;
		case ELF_PT_DYNAMIC:
			if (out->has_dynamic)
				err = refuse(ps, -ENOEXEC, "more than one PT_DYNAMIC");
			else if (!in_file(ps, s.offset, s.filesz))
				err = refuse(ps, -ENOEXEC, "dynamic section runs past the end of the file");
			out->has_dynamic = true;
			out->dynamic = s;
			break;
		case ELF_PT_GNU_STACK:
			out->stack_exec = (s.flags & ELF_PF_X) != 0;
			break;
		case ELF_PT_PHDR:
			if (have_phdr)
				err = refuse(ps, -ENOEXEC, "more than one PT_PHDR");
			have_phdr = true;
			out->phdr_vaddr = s.vaddr;
			break;
		}
		if (err)
			return err;
	}
	if (!out->nr_loads)
		return refuse(ps, -ENOEXEC, "no loadable segments");
	if (out->has_tls && !tls_in_load(out))
		return refuse(ps, -ENOEXEC, "TLS image is not inside a loaded segment");

	/* A library's e_entry is usually 0: nothing jumps there. */
	bool entry_ok = ps->shared;
	for (unsigned i = 0; i < out->nr_loads; i++) {
		const struct elf_segment *l = &out->load[i];

		if ((l->flags & ELF_PF_X) && out->entry >= l->vaddr &&
		    out->entry - l->vaddr < l->memsz)
			entry_ok = true;
	}
	if (!entry_ok)
		return refuse(ps, -ENOEXEC, "entry point %#llx is outside executable code",
			      (unsigned long long)out->entry);

	const struct elf_segment *last = &out->load[out->nr_loads - 1];
	out->lowest_vaddr = out->load[0].vaddr & ~(ELF_PAGE_SIZE - 1);
	/* check_load keeps vaddr + memsz at least a page below 2^64 */
	out->highest_vaddr = (last->vaddr + last->memsz + ELF_PAGE_SIZE - 1) & ~(ELF_PAGE_SIZE - 1);
	if (!have_phdr)
		out->phdr_vaddr = find_phdr_vaddr(out);
	return 0;
}

int elf_parse(const void *data, size_t size, struct elf_info *out, const char **why)
{
	return elf_parse_head(data, size, size, out, why);
}

int elf_parse_head(const void *head, size_t head_len, uint64_t file_size, struct elf_info *out,
		   const char **why)
{
	struct parser ps = { head, head_len < file_size ? head_len : (size_t)file_size, file_size,
			     out, why, false, false };

	return parse(&ps);
}

int elf_parse_shared(const void *data, size_t size, struct elf_info *out, const char **why)
{
	struct parser ps = { data, size, size, out, why, false, true };

	return parse(&ps);
}

int elf_parse_kernel(const void *data, size_t size, struct elf_info *out, const char **why)
{
	struct parser ps = { data, size, size, out, why, true, false };

	return parse(&ps);
}
