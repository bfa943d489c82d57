/*
 * What mote needs to know of a kernel ELF before starting QEMU: that it is
 * a 64-bit x86-64 executable whose program headers make sense (lib/elf,
 * the parser the kernel's loader shares), and where its loaded image ends
 * in physical memory (a guest with less RAM than that would crash before
 * the kernel could say a word).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lib/elf.h>

#include "mote.h"

/* Far beyond any kernel; the file is mapped, and only its headers are read. */
#define ELF_FILE_MAX (64ULL << 20)

int elf_image_end(const char *path, unsigned long long *end, const char **why)
{
	static struct elf_info info; /* its why_buf outlives the call */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st = { 0 };
	void *map;
	int err;

	*end = 0;
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
		close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > ELF_FILE_MAX) {
		*why = "too large for a kernel ELF (over 64 MiB)";
		close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		close(fd);
		return elf_parse_kernel("", 0, &info, why) ? -1 : 0;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		*why = strerror(errno);
		return -1;
	}
	err = elf_parse_kernel(map, (size_t)st.st_size, &info, why);
	munmap(map, (size_t)st.st_size);
	if (err)
		return -1;
	*end = info.phys_end;
	return 0;
}
