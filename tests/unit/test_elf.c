/*
 * lib/elf against real binaries (built by tests/unit/build.mk: glibc static,
 * static-PIE and dynamic, musl static, and build/kernel.elf), then every
 * refusal made by mutating a valid file. Expected values are worked out
 * independently with the host's <elf.h>.
 */
#include <elf.h>
#include <lib/elf.h>
#include <lib/errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

struct file {
	unsigned char *data;
	size_t size;
};

static struct file st, spie, dyn, musl, kern;

static struct file load(const char *path)
{
	struct file f = { 0 };
	FILE *fp = fopen(path, "rb");

	if (!fp) {
		fprintf(stderr, "cannot open %s\n", path);
		exit(2);
	}
	fseek(fp, 0, SEEK_END);
	f.size = (size_t)ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f.data = malloc(f.size);
	if (!f.data || fread(f.data, 1, f.size, fp) != f.size)
		exit(2);
	fclose(fp);
	return f;
}

/* A private copy to mutate; exactly size bytes so ASan catches overreads. */
static unsigned char *copy(const struct file *f, size_t size)
{
	unsigned char *p = malloc(size ? size : 1);

	memcpy(p, f->data, size < f->size ? size : f->size);
	return p;
}

static Elf64_Ehdr *eh(unsigned char *p) { return (Elf64_Ehdr *)p; }
static Elf64_Phdr *ph(unsigned char *p, unsigned i)
{
	return (Elf64_Phdr *)(p + eh(p)->e_phoff) + i;
}

/* Index of the n-th program header of a type, or -1. */
static int find(unsigned char *p, uint32_t type, int n)
{
	for (unsigned i = 0; i < eh(p)->e_phnum; i++)
		if (ph(p, i)->p_type == type && n-- == 0)
			return (int)i;
	return -1;
}

static struct elf_info info;
static const char *why;

/* Parses, and checks that it was refused with err and a reason containing want. */
static int refused(const unsigned char *p, size_t size, int err, const char *want, int kernel)
{
	int r = kernel ? elf_parse_kernel(p, size, &info, &why) : elf_parse(p, size, &info, &why);

	if (r != err || !why || !strstr(why, want)) {
		fprintf(stderr, "  got %d (%s), wanted %d (%s)\n", r, why ? why : "-", err, want);
		return 0;
	}
	return 1;
}

static int mutated(const struct file *f, void (*mutate)(unsigned char *), const char *want)
{
	unsigned char *p = copy(f, f->size);
	int ok;

	mutate(p);
	ok = refused(p, f->size, -ENOEXEC, want, 0);
	free(p);
	return ok;
}

/* ---------------------------------------------------------------- valid */

static void check_common(const struct file *f)
{
	unsigned char *p = f->data;
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned loads = 0;

	EXPECT(info.entry == eh(p)->e_entry);
	EXPECT(info.phnum == eh(p)->e_phnum && info.phoff == eh(p)->e_phoff);
	for (unsigned i = 0; i < eh(p)->e_phnum; i++) {
		Elf64_Phdr *h = ph(p, i);

		if (h->p_type != PT_LOAD)
			continue;
		EXPECT(info.load[loads].vaddr == h->p_vaddr && info.load[loads].filesz == h->p_filesz);
		loads++;
		lo = h->p_vaddr < lo ? h->p_vaddr : lo;
		hi = h->p_vaddr + h->p_memsz > hi ? h->p_vaddr + h->p_memsz : hi;
	}
	EXPECT(info.nr_loads == loads);
	EXPECT(info.lowest_vaddr == (lo & ~0xfffULL));
	EXPECT(info.highest_vaddr == ((hi + 0xfff) & ~0xfffULL));
	EXPECT(info.has_tls == (find(p, PT_TLS, 0) >= 0));
	EXPECT(info.has_dynamic == (find(p, PT_DYNAMIC, 0) >= 0));
	EXPECT(!info.stack_exec);
	EXPECT(info.phdr_vaddr != 0);
}

static void valid_glibc_static(void)
{
	EXPECT(elf_parse(st.data, st.size, &info, &why) == 0 && why == NULL);
	EXPECT(info.type == ELF_ET_EXEC && !info.is_pie && !info.has_interp && !info.interp);
	EXPECT(info.has_tls && info.tls.memsz >= sizeof(int));
	check_common(&st);
}

static void valid_glibc_static_pie(void)
{
	EXPECT(elf_parse(spie.data, spie.size, &info, &why) == 0);
	EXPECT(info.type == ELF_ET_DYN && info.is_pie && !info.has_interp && info.has_dynamic);
	EXPECT(info.lowest_vaddr == 0);
	check_common(&spie);
}

static void valid_glibc_dynamic(void)
{
	EXPECT(elf_parse(dyn.data, dyn.size, &info, &why) == 0);
	EXPECT(info.has_interp && info.interp && !strcmp(info.interp, "/lib64/ld-linux-x86-64.so.2"));
	EXPECT(info.has_dynamic);
	check_common(&dyn);
}

/* A loader that read only the start of the file: the same answer, or -ERANGE to read more. */
static void parse_head(void)
{
	EXPECT(elf_parse_head(dyn.data, 4096, dyn.size, &info, &why) == 0);
	EXPECT(info.has_interp && !strcmp(info.interp, "/lib64/ld-linux-x86-64.so.2"));
	EXPECT(elf_parse_head(dyn.data, 128, dyn.size, &info, &why) == -ERANGE);
	EXPECT(why && strstr(why, "program headers beyond the first 128 bytes"));
	EXPECT(elf_parse_head(dyn.data, dyn.size + 100, dyn.size, &info, &why) == 0);
	EXPECT(elf_parse_head(dyn.data, 40, dyn.size, &info, &why) == -ENOEXEC);
}

static void valid_musl_static(void)
{
	EXPECT(elf_parse(musl.data, musl.size, &info, &why) == 0);
	EXPECT(!info.has_interp && info.has_tls);
	check_common(&musl);
}

static void valid_kernel(void)
{
	unsigned char *p = kern.data;
	uint64_t end = 0;

	EXPECT(elf_parse_kernel(p, kern.size, &info, &why) == 0);
	for (unsigned i = 0; i < eh(p)->e_phnum; i++)
		if (ph(p, i)->p_type == PT_LOAD && ph(p, i)->p_paddr + ph(p, i)->p_memsz > end)
			end = ph(p, i)->p_paddr + ph(p, i)->p_memsz;
	EXPECT(end != 0 && info.phys_end == end);
	EXPECT(info.type == ELF_ET_EXEC && info.entry == eh(p)->e_entry);
	/* An upper-half kernel is no user program. */
	EXPECT(refused(p, kern.size, -ENOEXEC, "above the user address limit", 0));
	/* And a kernel is never position-independent. */
	EXPECT(refused(spie.data, spie.size, -ENOEXEC, "not an executable ELF file (type 3)", 1));
}

/* ---------------------------------------------------------------- truncation */

static void truncated_header(void)
{
	static const size_t sizes[] = { 0, 1, 3 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = copy(&st, sizes[i]);
		EXPECT(refused(p, sizes[i], -EINVAL, "not an ELF file", 0));
		free(p);
	}
	for (size_t n = 4; n < sizeof(Elf64_Ehdr); n++) {
		unsigned char *p = copy(&st, n);
		EXPECT(refused(p, n, -ENOEXEC, "truncated ELF header", 0));
		free(p);
	}
}

static void truncated_program_headers(void)
{
	const struct file *files[] = { &st, &spie, &dyn, &musl };

	for (unsigned k = 0; k < 4; k++) {
		unsigned char *d = files[k]->data;
		size_t end = eh(d)->e_phoff + (size_t)eh(d)->e_phnum * sizeof(Elf64_Phdr);

		for (size_t n = sizeof(Elf64_Ehdr); n < end; n++) {
			unsigned char *p = copy(files[k], n);
			EXPECT(refused(p, n, -ENOEXEC, "truncated program headers", 0));
			free(p);
		}
	}
}

static void truncated_segments(void)
{
	const struct file *files[] = { &st, &spie, &dyn, &musl };

	for (unsigned k = 0; k < 4; k++) {
		unsigned char *d = files[k]->data;

		for (unsigned i = 0; i < eh(d)->e_phnum; i++) {
			Elf64_Phdr *h = ph(d, i);
			size_t n = h->p_offset + h->p_filesz - 1;

			if (h->p_type != PT_LOAD || !h->p_filesz)
				continue;
			unsigned char *p = copy(files[k], n);
			char want[64];
			size_t phend = eh(d)->e_phoff + (size_t)eh(d)->e_phnum * sizeof(Elf64_Phdr);
			if (n < phend)
				snprintf(want, sizeof(want), "truncated program headers");
			else
				snprintf(want, sizeof(want), "segment %u runs past the end of the file", i);
			EXPECT(refused(p, n, -ENOEXEC, want, 0));
			free(p);
		}
	}
}

/* ---------------------------------------------------------------- the header */

static void m_class32(unsigned char *p) { p[EI_CLASS] = ELFCLASS32; }
static void m_class0(unsigned char *p) { p[EI_CLASS] = 0; }
static void m_bigendian(unsigned char *p) { p[EI_DATA] = ELFDATA2MSB; }
static void m_aarch64(unsigned char *p) { eh(p)->e_machine = EM_AARCH64; }
static void m_i386(unsigned char *p) { eh(p)->e_machine = EM_386; }
static void m_machine_odd(unsigned char *p) { eh(p)->e_machine = 9999; }
static void m_version(unsigned char *p) { p[EI_VERSION] = 0; }
static void m_eversion(unsigned char *p) { eh(p)->e_version = 2; }
static void m_rel(unsigned char *p) { eh(p)->e_type = ET_REL; }
static void m_core(unsigned char *p) { eh(p)->e_type = ET_CORE; }
static void m_type_odd(unsigned char *p) { eh(p)->e_type = 0xfe00; }

static void bad_ident(void)
{
	unsigned char *p = copy(&st, st.size);

	p[1] = 'e';
	EXPECT(refused(p, st.size, -EINVAL, "not an ELF file", 0));
	free(p);
	EXPECT(mutated(&st, m_class32, "not a 64-bit ELF file (class 1)"));
	EXPECT(mutated(&st, m_class0, "not a 64-bit ELF file (class 0)"));
	EXPECT(mutated(&st, m_bigendian, "not a little-endian ELF file"));
	EXPECT(mutated(&st, m_version, "unknown ELF version"));
	EXPECT(mutated(&st, m_eversion, "unknown ELF version"));
}

static void wrong_architecture(void)
{
	EXPECT(mutated(&st, m_aarch64, "wrong architecture (ARM aarch64)"));
	EXPECT(mutated(&st, m_i386, "wrong architecture (i386)"));
	EXPECT(mutated(&st, m_machine_odd, "wrong architecture (machine 9999)"));
}

static void wrong_type(void)
{
	EXPECT(mutated(&st, m_rel, "a relocatable object"));
	EXPECT(mutated(&st, m_core, "a core dump"));
	EXPECT(mutated(&st, m_type_odd, "not an executable ELF file (type 65024)"));
}

static void m_phentsize(unsigned char *p) { eh(p)->e_phentsize = 32; }
static void m_phnum0(unsigned char *p) { eh(p)->e_phnum = 0; }
static void m_phnum_xnum(unsigned char *p) { eh(p)->e_phnum = 0xffff; }
static void m_phoff_near_end(unsigned char *p) { eh(p)->e_phoff = st.size - 100; }
static void m_phoff_eof(unsigned char *p) { eh(p)->e_phoff = st.size; }
static void m_phoff_wrap(unsigned char *p) { eh(p)->e_phoff = UINT64_MAX - 8; }
static void m_phoff_huge(unsigned char *p) { eh(p)->e_phoff = 1ULL << 62; }

static void bad_program_header_table(void)
{
	EXPECT(mutated(&st, m_phentsize, "bad program header size 32"));
	EXPECT(mutated(&st, m_phnum0, "no program headers"));
	EXPECT(mutated(&st, m_phnum_xnum, "too many program headers (65535)"));
	EXPECT(mutated(&st, m_phoff_near_end, "truncated program headers"));
	EXPECT(mutated(&st, m_phoff_eof, "truncated program headers"));
	EXPECT(mutated(&st, m_phoff_wrap, "truncated program headers"));
	EXPECT(mutated(&st, m_phoff_huge, "truncated program headers"));
}

/* ---------------------------------------------------------------- segments */

static int load_n(unsigned char *p, int n) { return find(p, PT_LOAD, n); }
static int exec_load(unsigned char *p)
{
	for (int n = 0, i; (i = load_n(p, n)) >= 0; n++)
		if (ph(p, (unsigned)i)->p_flags & PF_X)
			return i;
	return -1;
}
static int data_load(unsigned char *p)
{
	for (int n = 0, i; (i = load_n(p, n)) >= 0; n++)
		if ((ph(p, (unsigned)i)->p_flags & (PF_X | PF_W)) == PF_W)
			return i;
	return -1;
}

static void m_offset_eof(unsigned char *p) { ph(p, load_n(p, 1))->p_offset = st.size; }
static void m_filesz_huge(unsigned char *p) { ph(p, load_n(p, 1))->p_filesz = UINT64_MAX; }
static void m_offset_wrap(unsigned char *p)
{
	ph(p, load_n(p, 1))->p_offset = UINT64_MAX - 4;
	ph(p, load_n(p, 1))->p_align = 0;
}
static void m_filesz_memsz(unsigned char *p)
{
	Elf64_Phdr *h = ph(p, data_load(p));
	h->p_memsz = h->p_filesz - 1;
}
static void m_memsz_huge(unsigned char *p) { ph(p, data_load(p))->p_memsz = UINT64_MAX - 0x100; }
static void m_above_user(unsigned char *p)
{
	Elf64_Phdr *h = ph(p, data_load(p));
	h->p_memsz = ELF_USER_LIMIT - h->p_vaddr + 1;
}
static void m_vaddr_top(unsigned char *p)
{
	Elf64_Phdr *h = ph(p, data_load(p));
	h->p_vaddr = UINT64_MAX - 0xfff + (h->p_vaddr & 0xfff);
}
static void m_align3(unsigned char *p) { ph(p, load_n(p, 0))->p_align = 3; }
static void m_align_huge(unsigned char *p) { ph(p, load_n(p, 0))->p_align = 1ULL << 40; }
static void m_congruence(unsigned char *p) { ph(p, data_load(p))->p_vaddr += 8; }
static void m_overlap(unsigned char *p)
{
	Elf64_Phdr *a = ph(p, load_n(p, 0)), *b = ph(p, load_n(p, 1));
	b->p_vaddr = a->p_vaddr + 8;
	b->p_align = 0;
}
static void m_order(unsigned char *p)
{
	Elf64_Phdr t = *ph(p, load_n(p, 0));
	int a = load_n(p, 0), b = load_n(p, 1);
	*ph(p, a) = *ph(p, b);
	*ph(p, b) = t;
}
static void m_page_zero(unsigned char *p)
{
	Elf64_Phdr *h = ph(p, load_n(p, 0));
	h->p_vaddr = h->p_paddr = h->p_offset & 0xfff;
}
static void m_no_loads(unsigned char *p)
{
	for (unsigned i = 0; i < eh(p)->e_phnum; i++)
		if (ph(p, i)->p_type == PT_LOAD)
			ph(p, i)->p_type = PT_NULL;
}
static void m_entry_zero(unsigned char *p) { eh(p)->e_entry = 0; }
static void m_entry_data(unsigned char *p) { eh(p)->e_entry = ph(p, data_load(p))->p_vaddr; }
static void m_entry_past(unsigned char *p)
{
	Elf64_Phdr *h = ph(p, exec_load(p));
	eh(p)->e_entry = h->p_vaddr + h->p_memsz;
}

static void bad_segment_bounds(void)
{
	EXPECT(mutated(&st, m_offset_eof, "runs past the end of the file"));
	EXPECT(mutated(&st, m_filesz_huge, "runs past the end of the file"));
	EXPECT(mutated(&st, m_offset_wrap, "runs past the end of the file"));
	EXPECT(mutated(&st, m_filesz_memsz, "file size exceeds memory size"));
}

static void bad_segment_addresses(void)
{
	EXPECT(mutated(&st, m_memsz_huge, "above the user address limit"));
	EXPECT(mutated(&st, m_above_user, "above the user address limit"));
	EXPECT(mutated(&st, m_vaddr_top, "above the user address limit"));
	EXPECT(mutated(&st, m_page_zero, "maps the first 64 KiB"));
}

static void bad_segment_alignment(void)
{
	EXPECT(mutated(&st, m_align3, "bad alignment 0x3"));
	EXPECT(mutated(&st, m_align_huge, "bad alignment"));
	EXPECT(mutated(&st, m_congruence, "disagree modulo alignment"));
}

static void bad_segment_layout(void)
{
	EXPECT(mutated(&st, m_overlap, "overlaps the one before it"));
	EXPECT(mutated(&st, m_order, "is out of order"));
	EXPECT(mutated(&st, m_no_loads, "no loadable segments"));
}

static void bad_entry(void)
{
	EXPECT(mutated(&st, m_entry_zero, "entry point 0 is outside executable code"));
	EXPECT(mutated(&st, m_entry_data, "is outside executable code"));
	EXPECT(mutated(&st, m_entry_past, "is outside executable code"));
	EXPECT(mutated(&spie, m_entry_past, "is outside executable code"));
}

/* ---------------------------------------------------------------- other headers */

static void m_interp_nonul(unsigned char *p)
{
	Elf64_Phdr *h = ph(p, find(p, PT_INTERP, 0));
	p[h->p_offset + h->p_filesz - 1] = 'x';
}
static void m_interp_embedded(unsigned char *p) { p[ph(p, find(p, PT_INTERP, 0))->p_offset + 3] = 0; }
static void m_interp_eof(unsigned char *p) { ph(p, find(p, PT_INTERP, 0))->p_offset = dyn.size - 4; }
static void m_interp_huge(unsigned char *p) { ph(p, find(p, PT_INTERP, 0))->p_filesz = UINT64_MAX; }
static void m_interp_empty(unsigned char *p) { ph(p, find(p, PT_INTERP, 0))->p_filesz = 0; }
static void m_interp_twice(unsigned char *p) { *ph(p, find(p, PT_NOTE, 0)) = *ph(p, find(p, PT_INTERP, 0)); }
static void m_dynamic_eof(unsigned char *p) { ph(p, find(p, PT_DYNAMIC, 0))->p_filesz = dyn.size; }
static void m_tls_filesz(unsigned char *p)
{
	Elf64_Phdr *h = ph(p, find(p, PT_TLS, 0));
	h->p_memsz = h->p_filesz - 1;
}
static void m_tls_eof(unsigned char *p) { ph(p, find(p, PT_TLS, 0))->p_offset = st.size; }
static void m_tls_align(unsigned char *p) { ph(p, find(p, PT_TLS, 0))->p_align = 24; }
static void m_tls_outside(unsigned char *p) { ph(p, find(p, PT_TLS, 0))->p_vaddr = 0x10000; }
static void m_tls_twice(unsigned char *p) { *ph(p, find(p, PT_NOTE, 0)) = *ph(p, find(p, PT_TLS, 0)); }
static void m_stack_exec(unsigned char *p) { ph(p, find(p, PT_GNU_STACK, 0))->p_flags |= PF_X; }

static void bad_interp(void)
{
	EXPECT(mutated(&dyn, m_interp_nonul, "interpreter path is not NUL-terminated"));
	EXPECT(mutated(&dyn, m_interp_embedded, "embedded NUL"));
	EXPECT(mutated(&dyn, m_interp_eof, "interpreter path runs past the end of the file"));
	EXPECT(mutated(&dyn, m_interp_huge, "interpreter path runs past the end of the file"));
	EXPECT(mutated(&dyn, m_interp_empty, "bad interpreter path length"));
	EXPECT(mutated(&dyn, m_interp_twice, "more than one PT_INTERP"));
	EXPECT(mutated(&dyn, m_dynamic_eof, "dynamic section runs past the end of the file"));
}

static void bad_tls(void)
{
	EXPECT(find(st.data, PT_TLS, 0) >= 0 && find(st.data, PT_NOTE, 0) >= 0);
	if (ph(st.data, find(st.data, PT_TLS, 0))->p_filesz)
		EXPECT(mutated(&st, m_tls_filesz, "TLS file size exceeds memory size"));
	EXPECT(mutated(&st, m_tls_eof, "TLS image runs past the end of the file"));
	EXPECT(mutated(&st, m_tls_align, "TLS segment: bad alignment"));
	if (ph(st.data, find(st.data, PT_TLS, 0))->p_filesz)
		EXPECT(mutated(&st, m_tls_outside, "TLS image is not inside a loaded segment"));
	EXPECT(mutated(&st, m_tls_twice, "more than one PT_TLS"));
}

static void gnu_stack(void)
{
	unsigned char *p = copy(&st, st.size);

	m_stack_exec(p);
	EXPECT(elf_parse(p, st.size, &info, &why) == 0 && info.stack_exec);
	free(p);
}

/* Every single-byte corruption of the headers: a clean answer, never a crash. */
static void corrupt_every_header_byte(void)
{
	const struct file *files[] = { &st, &spie, &dyn, &musl, &kern };
	static const unsigned char xors[] = { 0x01, 0x80, 0xff };

	for (unsigned k = 0; k < 5; k++) {
		const struct file *f = files[k];
		size_t end = eh(f->data)->e_phoff + (size_t)eh(f->data)->e_phnum * sizeof(Elf64_Phdr);
		unsigned char *p = copy(f, f->size);

		for (size_t i = 0; i < end; i++)
			for (unsigned x = 0; x < sizeof(xors); x++) {
				p[i] ^= xors[x];
				int r = k == 4 ? elf_parse_kernel(p, f->size, &info, &why)
					       : elf_parse(p, f->size, &info, &why);
				EXPECT(r == 0 ? why == NULL : (r == -ENOEXEC || r == -EINVAL) && why && *why);
				p[i] ^= xors[x];
			}
		free(p);
	}
}

int main(void)
{
	st = load(ELF_SAMPLES "/static");
	spie = load(ELF_SAMPLES "/static-pie");
	dyn = load(ELF_SAMPLES "/dynamic");
	musl = load(ELF_SAMPLES "/musl-static");
	kern = load(KERNEL_ELF);

	RUN(valid_glibc_static);
	RUN(valid_glibc_static_pie);
	RUN(valid_glibc_dynamic);
	RUN(valid_musl_static);
	RUN(parse_head);
	RUN(valid_kernel);
	RUN(truncated_header);
	RUN(truncated_program_headers);
	RUN(truncated_segments);
	RUN(bad_ident);
	RUN(wrong_architecture);
	RUN(wrong_type);
	RUN(bad_program_header_table);
	RUN(bad_segment_bounds);
	RUN(bad_segment_addresses);
	RUN(bad_segment_alignment);
	RUN(bad_segment_layout);
	RUN(bad_entry);
	RUN(bad_interp);
	RUN(bad_tls);
	RUN(gnu_stack);
	RUN(corrupt_every_header_byte);
	return test_summary();
}
