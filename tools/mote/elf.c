/*
 * What mote needs to know of a kernel ELF before starting QEMU: that it is
 * a 64-bit x86-64 executable whose program headers make sense, and where
 * its loaded image ends in physical memory (a guest with less RAM than
 * that would crash before the kernel could say a word).
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mote.h"

static int read_at(FILE *f, long off, void *buf, size_t len)
{
	return fseek(f, off, SEEK_SET) == 0 && fread(buf, 1, len, f) == len ? 0 : -1;
}

static const char *check_header(const Elf64_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return "not an ELF file";
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return "not a 64-bit little-endian ELF file";
	if (eh->e_machine != EM_X86_64)
		return "not an x86-64 ELF file";
	if (eh->e_type != ET_EXEC)
		return "not an executable ELF file";
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64)
		return "ELF program headers are missing or malformed";
	return NULL;
}

int elf_image_end(const char *path, unsigned long long *end, const char **why)
{
	FILE *f = fopen(path, "rb");
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	*end = 0;
	if (!f) {
		*why = strerror(errno);
		return -1;
	}
	*why = read_at(f, 0, &eh, sizeof(eh)) ? "truncated ELF header" : check_header(&eh);
	for (unsigned i = 0; !*why && i < eh.e_phnum; i++) {
		if (read_at(f, (long)(eh.e_phoff + (unsigned long long)i * sizeof(ph)), &ph, sizeof(ph)))
			*why = "truncated ELF program headers";
		else if (ph.p_type == PT_LOAD && ph.p_paddr + ph.p_memsz > *end)
			*end = ph.p_paddr + ph.p_memsz;
	}
	fclose(f);
	return *why ? -1 : 0;
}
