/*
 * The vDSO image (build/vdso.so) as libc meets it, on the host: loaded the
 * way the kernel maps it (the file as the memory image, a data page below),
 * its symbols found by walking PT_DYNAMIC with DT_HASH plus the version
 * tables (as musl does) and with DT_GNU_HASH (as glibc does), then called:
 *   - with the TSC mode published, the clocks follow the formula of
 *     include/abi/vdso.h exactly (bracketed by the TSC read before and
 *     after), realtime adds the offset, gettimeofday/time agree;
 *   - without (mode SYSCALL, realtime not ready, CPU-time or bad clocks),
 *     they pass the call to the host kernel and return what it returns;
 *   - a reader that meets an odd sequence count waits for the writer;
 *   - getcpu through the data page's mode matches the host's answer.
 * The build-time checks (linux/vdso/check.sh) cover the image's shape.
 */
#define _GNU_SOURCE
#include <abi/vdso.h>
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

#define PAGE 4096UL
#define NS   1000000000LL

static uint8_t *base;			/* the image (AT_SYSINFO_EHDR) */
static struct vdso_data *vvar;		/* the page below it */
static const Elf64_Sym *symtab;
static const char *strtab;
static const uint32_t *sysv_hash, *gnu_hash;
static const uint16_t *versym;
static const Elf64_Verdef *verdef;

typedef long (*cgt_fn)(long, struct timespec *);
typedef long (*gtod_fn)(struct timeval *, void *);
typedef long (*time_fn)(int64_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);
static cgt_fn vdso_clock_gettime, vdso_clock_getres;
static gtod_fn vdso_gettimeofday;
static time_fn vdso_time;
static getcpu_fn vdso_getcpu;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

static void load(void)
{
	FILE *f = fopen(VDSO_SO, "rb");
	uint8_t *area;
	long size;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
		printf("FAIL load: cannot read %s\n", VDSO_SO);
		exit(1);
	}
	area = mmap(NULL, PAGE + (size_t)size + PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || fread(area + PAGE, 1, (size_t)size, f) != (size_t)size) {
		printf("FAIL load: out of memory or short read\n");
		exit(1);
	}
	fclose(f);
	vvar = (struct vdso_data *)area;
	base = area + PAGE;
	mprotect(base, ((size_t)size + PAGE - 1) & ~(PAGE - 1), PROT_READ | PROT_EXEC);
}

/* Finds the dynamic tables the way musl's vdsosym does: from the program headers. */
static void parse(void)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;

	for (unsigned i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
	for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
		const void *p = base + dyn->d_un.d_ptr;	/* linked at 0: addresses are offsets */

		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = p; break;
		case DT_STRTAB: strtab = p; break;
		case DT_HASH: sysv_hash = p; break;
		case DT_GNU_HASH: gnu_hash = p; break;
		case DT_VERSYM: versym = p; break;
		case DT_VERDEF: verdef = p; break;
		}
	}
}

static int version_matches(uint32_t sym, const char *want)
{
	uint16_t v = versym[sym] & 0x7fff;

	for (const Elf64_Verdef *d = verdef;; d = (const void *)((const char *)d + d->vd_next)) {
		const Elf64_Verdaux *aux = (const void *)((const char *)d + d->vd_aux);

		if (!(d->vd_flags & VER_FLG_BASE) && d->vd_ndx == v)
			return !strcmp(strtab + aux->vda_name, want);
		if (!d->vd_next)
			return 0;
	}
}

static int usable(uint32_t i, const char *name, const char *version)
{
	const Elf64_Sym *s = &symtab[i];

	return ELF64_ST_TYPE(s->st_info) == STT_FUNC && s->st_shndx != SHN_UNDEF &&
	       (ELF64_ST_BIND(s->st_info) == STB_GLOBAL || ELF64_ST_BIND(s->st_info) == STB_WEAK) &&
	       !strcmp(strtab + s->st_name, name) && version_matches(i, version);
}

static uint32_t sysv_hash_of(const char *s)
{
	uint32_t h = 0;

	for (; *s; s++) {
		h = (h << 4) + (uint8_t)*s;
		h ^= (h >> 24) & 0xf0;
	}
	return h & 0x0fffffff;
}

/* DT_HASH: nbucket, nchain, buckets, chains (the System V ABI's hash table). */
static void *lookup_sysv(const char *name, const char *version)
{
	uint32_t nbucket = sysv_hash[0];
	const uint32_t *bucket = sysv_hash + 2, *chain = bucket + nbucket;

	for (uint32_t i = bucket[sysv_hash_of(name) % nbucket]; i; i = chain[i])
		if (usable(i, name, version))
			return base + symtab[i].st_value;
	return NULL;
}

/* DT_GNU_HASH: nbuckets, symoffset, bloom size and shift, bloom words, buckets, chain. */
static void *lookup_gnu(const char *name, const char *version)
{
	uint32_t nbuckets = gnu_hash[0], symoffset = gnu_hash[1], bloom_size = gnu_hash[2];
	uint32_t shift = gnu_hash[3], h = 5381;
	const uint64_t *bloom = (const uint64_t *)(gnu_hash + 4);
	const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	uint64_t word;

	for (const char *s = name; *s; s++)
		h = h * 33 + (uint8_t)*s;
	word = bloom[(h / 64) % bloom_size];
	if (!((word >> (h % 64)) & (word >> ((h >> shift) % 64)) & 1))
		return NULL;
	for (uint32_t i = buckets[h % nbuckets]; i >= symoffset; i++) {
		if ((chain[i - symoffset] | 1) == (h | 1) && usable(i, name, version))
			return base + symtab[i].st_value;
		if (chain[i - symoffset] & 1)
			break;
	}
	return NULL;
}

static void symbols_found_both_ways(void)
{
	static const char *names[] = { "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time",
				       "__vdso_clock_getres", "__vdso_getcpu", "clock_gettime" };

	EXPECT(symtab && strtab && sysv_hash && gnu_hash && versym && verdef);
	if (!symtab || !strtab || !sysv_hash || !gnu_hash || !versym || !verdef)
		return;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *a = lookup_sysv(names[i], "LINUX_2.6"), *b = lookup_gnu(names[i], "LINUX_2.6");

		EXPECT(a != NULL && a == b);
	}
	EXPECT(lookup_sysv("__vdso_clock_gettime", "LINUX_2.5") == NULL);
	EXPECT(lookup_gnu("__vdso_nonesuch", "LINUX_2.6") == NULL);
	EXPECT(lookup_sysv("clock_ns", "LINUX_2.6") == NULL);	/* internal: not exported */
	vdso_clock_gettime = (cgt_fn)lookup_sysv("__vdso_clock_gettime", "LINUX_2.6");
	vdso_clock_getres = (cgt_fn)lookup_gnu("__vdso_clock_getres", "LINUX_2.6");
	vdso_gettimeofday = (gtod_fn)lookup_gnu("__vdso_gettimeofday", "LINUX_2.6");
	vdso_time = (time_fn)lookup_sysv("__vdso_time", "LINUX_2.6");
	vdso_getcpu = (getcpu_fn)lookup_gnu("__vdso_getcpu", "LINUX_2.6");
}

static void publish(uint32_t clock_mode, uint32_t cpu_mode, uint64_t cycles_at_boot,
		    uint64_t mult, uint64_t offset, uint32_t ready)
{
	__atomic_store_n(&vvar->seq, vvar->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vvar->version = VDSO_DATA_VERSION;
	vvar->clock_mode = clock_mode;
	vvar->cpu_mode = cpu_mode;
	vvar->cycles_at_boot = cycles_at_boot;
	vvar->ns_per_cycle_32 = mult;
	vvar->realtime_offset = offset;
	vvar->realtime_ready = ready;
	__atomic_store_n(&vvar->seq, vvar->seq + 1, __ATOMIC_RELEASE);
}

static uint64_t formula(uint64_t tsc, uint64_t at_boot, uint64_t mult)
{
	return (uint64_t)(((unsigned __int128)(tsc - at_boot) * mult) >> 32);
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NS + ts->tv_nsec;
}

static void tsc_mode_follows_the_formula(void)
{
	/* An odd rate (about 2.7 GHz) and a boot long ago, so the product needs 128 bits. */
	uint64_t mult = (1000000ULL << 32) / 2712345, at_boot = rdtsc() - (1ULL << 44);
	uint64_t offset = 1700000000ULL * NS;
	struct timespec ts;

	if (!vdso_clock_gettime)
		return;
	publish(VDSO_CLOCK_TSC, VDSO_CPU_SYSCALL, at_boot, mult, offset, 1);
	for (int i = 0; i < 1000; i++) {
		static const long clocks[] = { CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
					       CLOCK_MONOTONIC_COARSE, CLOCK_REALTIME,
					       CLOCK_REALTIME_COARSE };
		long c = clocks[i % 6];
		uint64_t extra = c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE ? offset : 0;
		uint64_t lo = formula(rdtsc(), at_boot, mult) + extra;
		long r = vdso_clock_gettime(c, &ts);
		uint64_t hi = formula(rdtsc(), at_boot, mult) + extra;

		EXPECT(r == 0 && (uint64_t)ts_ns(&ts) >= lo && (uint64_t)ts_ns(&ts) <= hi);
		EXPECT(ts.tv_nsec >= 0 && ts.tv_nsec < NS);
	}
}

static void gettimeofday_and_time_agree(void)
{
	struct timespec ts;
	struct timeval tv = { 0, 0 };
	struct { int32_t west, dst; } tz = { 5, 5 };
	int64_t t = 0, t2;

	if (!vdso_gettimeofday || !vdso_time)
		return;
	publish(VDSO_CLOCK_TSC, VDSO_CPU_SYSCALL, rdtsc(), 1ULL << 32, 1234567890123456789ULL, 1);
	vdso_clock_gettime(CLOCK_REALTIME, &ts);
	EXPECT(vdso_gettimeofday(&tv, &tz) == 0 && tz.west == 0 && tz.dst == 0);
	EXPECT(tv.tv_sec == ts.tv_sec && tv.tv_usec >= ts.tv_nsec / 1000 && tv.tv_usec < 1000000);
	EXPECT(vdso_gettimeofday(NULL, NULL) == 0);
	t2 = vdso_time(&t);
	EXPECT(t2 == t && t == 1234567890);
	EXPECT(vdso_time(NULL) == 1234567890);
}

static void without_fast_path_the_kernel_answers(void)
{
	struct timespec a, b, v;
	struct timeval tv;
	int64_t t, r;

	if (!vdso_clock_gettime)
		return;
	/* No fast path: the host's own clock comes back. */
	publish(VDSO_CLOCK_SYSCALL, VDSO_CPU_SYSCALL, 0, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	EXPECT(vdso_clock_gettime(CLOCK_MONOTONIC, &v) == 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	EXPECT(ts_ns(&a) <= ts_ns(&v) && ts_ns(&v) <= ts_ns(&b));
	/* TSC mode but the wall clock not read yet: realtime from the kernel, monotonic not. */
	publish(VDSO_CLOCK_TSC, VDSO_CPU_SYSCALL, rdtsc(), 0, 0, 0);
	clock_gettime(CLOCK_REALTIME, &a);
	EXPECT(vdso_clock_gettime(CLOCK_REALTIME, &v) == 0);
	clock_gettime(CLOCK_REALTIME, &b);
	EXPECT(ts_ns(&a) <= ts_ns(&v) && ts_ns(&v) <= ts_ns(&b));
	EXPECT(vdso_clock_gettime(CLOCK_MONOTONIC, &v) == 0 && ts_ns(&v) == 0);	/* mult 0 */
	EXPECT(vdso_gettimeofday(&tv, NULL) == 0 && tv.tv_sec >= a.tv_sec);
	r = vdso_time(&t);
	/* Linux's time(2) reads the tick-updated coarse clock: just past a second
	 * boundary it may still say the second before clock_gettime's. */
	EXPECT(r == t && t >= a.tv_sec - 1);
	/* Clocks the vDSO never answers. */
	EXPECT(vdso_clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &v) == 0 && ts_ns(&v) > 0);
	EXPECT(vdso_clock_gettime(CLOCK_THREAD_CPUTIME_ID, &v) == 0 && ts_ns(&v) > 0);
	EXPECT(vdso_clock_gettime(12345, &v) == -EINVAL);
	EXPECT(vdso_clock_gettime(CLOCK_REALTIME, (struct timespec *)8) == -EFAULT);
}

static void clock_getres_matches_the_kernel(void)
{
	struct timespec r, h;
	static const long clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
				       CLOCK_PROCESS_CPUTIME_ID };

	if (!vdso_clock_getres)
		return;
	publish(VDSO_CLOCK_TSC, VDSO_CPU_SYSCALL, rdtsc(), 1ULL << 32, 0, 1);
	for (unsigned i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		EXPECT(vdso_clock_getres(clocks[i], &r) == 0 && clock_getres((clockid_t)clocks[i], &h) == 0);
		EXPECT(r.tv_sec == h.tv_sec && r.tv_nsec == h.tv_nsec);
	}
	EXPECT(vdso_clock_getres(CLOCK_MONOTONIC, NULL) == 0);
	EXPECT(vdso_clock_getres(-99, &r) == -EINVAL);
}

static void *finish_update(void *arg)
{
	(void)arg;
	usleep(20000);
	__atomic_store_n(&vvar->seq, vvar->seq + 1, __ATOMIC_RELEASE);
	return NULL;
}

static void reader_waits_for_the_writer(void)
{
	struct timespec ts;
	pthread_t t;
	uint64_t at_boot = rdtsc();

	if (!vdso_clock_gettime)
		return;
	publish(VDSO_CLOCK_SYSCALL, VDSO_CPU_SYSCALL, 0, 0, 0, 0);
	/* An update half done: odd count, the new values in place (TSC mode, 1 ns/cycle). */
	__atomic_store_n(&vvar->seq, vvar->seq + 1, __ATOMIC_RELAXED);
	vvar->clock_mode = VDSO_CLOCK_TSC;
	vvar->cycles_at_boot = at_boot;
	vvar->ns_per_cycle_32 = 1ULL << 32;
	pthread_create(&t, NULL, finish_update, NULL);
	EXPECT(vdso_clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	pthread_join(t, NULL);
	/* It waited the writer's 20 ms: the value is from the new parameters, not the host's clock. */
	EXPECT((vvar->seq & 1) == 0);
	EXPECT((uint64_t)ts_ns(&ts) <= rdtsc() - at_boot && ts_ns(&ts) > 0);
}

static void getcpu_through_each_mode(void)
{
	unsigned cpu = 1000, node = 1000, want_cpu, want_node;
	cpu_set_t one;
	uint32_t ecx7, edx81;

	if (!vdso_getcpu)
		return;
	CPU_ZERO(&one);
	CPU_SET((unsigned)sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);	/* no migration between the answers */
	EXPECT(syscall(SYS_getcpu, &want_cpu, &want_node, NULL) == 0);
	publish(VDSO_CLOCK_TSC, VDSO_CPU_SYSCALL, 0, 1, 0, 0);
	EXPECT(vdso_getcpu(&cpu, &node, NULL) == 0 && cpu == want_cpu && node == want_node);
	EXPECT(vdso_getcpu(NULL, NULL, NULL) == 0);
	/* The host's Linux keeps IA32_TSC_AUX as this vDSO expects it. */
	asm("cpuid" : "=c"(ecx7) : "a"(7), "c"(0) : "ebx", "edx");
	asm("cpuid" : "=d"(edx81) : "a"(0x80000001), "c"(0) : "ebx");
	if (ecx7 & (1u << 22)) {
		publish(VDSO_CLOCK_TSC, VDSO_CPU_RDPID, 0, 1, 0, 0);
		cpu = node = 1000;
		EXPECT(vdso_getcpu(&cpu, &node, NULL) == 0 && cpu == want_cpu && node == want_node);
	}
	if (edx81 & (1u << 27)) {
		publish(VDSO_CLOCK_TSC, VDSO_CPU_RDTSCP, 0, 1, 0, 0);
		cpu = node = 1000;
		EXPECT(vdso_getcpu(&cpu, &node, NULL) == 0 && cpu == want_cpu && node == want_node);
	}
}

int main(void)
{
	load();
	parse();
	RUN(symbols_found_both_ways);
	RUN(tsc_mode_follows_the_formula);
	RUN(gettimeofday_and_time_agree);
	RUN(without_fast_path_the_kernel_answers);
	RUN(clock_getres_matches_the_kernel);
	RUN(reader_waits_for_the_writer);
	RUN(getcpu_through_each_mode);
	return test_summary();
}
