/*
 * /proc/cpuinfo's block for one processor, in the x86 layout programs
 * parse (field names padded with tabs to the colon, as Linux prints them):
 * the vendor, family, model and name from CPUID, the topology, and the
 * feature flags under Linux's names. Flags are listed for the CPUID bits
 * programs look for (sse4_2, avx2, aes, rdrand ...), in Linux's order.
 * Every CPU of a VM is the same model, so the boot CPU's CPUID serves all.
 */
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <stdarg.h>
#include "x86.h"

static void put_text(fmt_sink sink, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put_text(fmt_sink sink, void *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vformat(sink, ctx, fmt, ap);
	va_end(ap);
}

enum { R_EAX, R_EBX, R_ECX, R_EDX };

struct flag {
	uint32_t leaf;
	uint8_t reg, bit;
	const char *name;
};

/* In Linux's order: leaf 1 EDX, 0x80000001 EDX, leaf 1 ECX, 0x80000001 ECX, leaf 7. */
static const struct flag flags[] = {
	{ 1, R_EDX, 0, "fpu" }, { 1, R_EDX, 1, "vme" }, { 1, R_EDX, 2, "de" }, { 1, R_EDX, 3, "pse" },
	{ 1, R_EDX, 4, "tsc" }, { 1, R_EDX, 5, "msr" }, { 1, R_EDX, 6, "pae" }, { 1, R_EDX, 7, "mce" },
	{ 1, R_EDX, 8, "cx8" }, { 1, R_EDX, 9, "apic" }, { 1, R_EDX, 11, "sep" }, { 1, R_EDX, 12, "mtrr" },
	{ 1, R_EDX, 13, "pge" }, { 1, R_EDX, 14, "mca" }, { 1, R_EDX, 15, "cmov" }, { 1, R_EDX, 16, "pat" },
	{ 1, R_EDX, 17, "pse36" }, { 1, R_EDX, 19, "clflush" }, { 1, R_EDX, 23, "mmx" },
	{ 1, R_EDX, 24, "fxsr" }, { 1, R_EDX, 25, "sse" }, { 1, R_EDX, 26, "sse2" }, { 1, R_EDX, 27, "ss" },
	{ 1, R_EDX, 28, "ht" },
	{ 0x80000001, R_EDX, 11, "syscall" }, { 0x80000001, R_EDX, 20, "nx" },
	{ 0x80000001, R_EDX, 26, "pdpe1gb" }, { 0x80000001, R_EDX, 27, "rdtscp" },
	{ 0x80000001, R_EDX, 29, "lm" },
	{ 1, R_ECX, 0, "pni" }, { 1, R_ECX, 1, "pclmulqdq" }, { 1, R_ECX, 9, "ssse3" }, { 1, R_ECX, 12, "fma" },
	{ 1, R_ECX, 13, "cx16" }, { 1, R_ECX, 19, "sse4_1" }, { 1, R_ECX, 20, "sse4_2" },
	{ 1, R_ECX, 21, "x2apic" }, { 1, R_ECX, 22, "movbe" }, { 1, R_ECX, 23, "popcnt" },
	{ 1, R_ECX, 24, "tsc_deadline_timer" }, { 1, R_ECX, 25, "aes" }, { 1, R_ECX, 26, "xsave" },
	{ 1, R_ECX, 28, "avx" }, { 1, R_ECX, 29, "f16c" }, { 1, R_ECX, 30, "rdrand" },
	{ 1, R_ECX, 31, "hypervisor" },
	{ 0x80000001, R_ECX, 0, "lahf_lm" }, { 0x80000001, R_ECX, 5, "abm" },
	{ 0x80000001, R_ECX, 8, "3dnowprefetch" },
	{ 7, R_EBX, 0, "fsgsbase" }, { 7, R_EBX, 3, "bmi1" }, { 7, R_EBX, 5, "avx2" }, { 7, R_EBX, 7, "smep" },
	{ 7, R_EBX, 8, "bmi2" }, { 7, R_EBX, 9, "erms" }, { 7, R_EBX, 10, "invpcid" },
	{ 7, R_EBX, 16, "avx512f" }, { 7, R_EBX, 17, "avx512dq" }, { 7, R_EBX, 18, "rdseed" },
	{ 7, R_EBX, 19, "adx" }, { 7, R_EBX, 20, "smap" }, { 7, R_EBX, 23, "clflushopt" },
	{ 7, R_EBX, 28, "avx512cd" }, { 7, R_EBX, 29, "sha_ni" }, { 7, R_EBX, 30, "avx512bw" },
	{ 7, R_EBX, 31, "avx512vl" }, { 7, R_ECX, 0, "avx512vbmi" }, { 7, R_ECX, 2, "umip" },
	{ 7, R_ECX, 4, "pku" }, { 7, R_ECX, 9, "vaes" }, { 7, R_ECX, 10, "vpclmulqdq" },
	{ 7, R_ECX, 22, "rdpid" }, { 7, R_EDX, 4, "fsrm" },
};

static uint32_t reg_of(struct cpuid r, unsigned reg)
{
	return reg == R_EAX ? r.eax : reg == R_EBX ? r.ebx : reg == R_ECX ? r.ecx : r.edx;
}

static bool has_leaf(uint32_t leaf)
{
	uint32_t base = leaf & 0x80000000u;

	return cpuid(base, 0).eax >= leaf;
}

static void put_flags(fmt_sink sink, void *ctx)
{
	uint32_t last_leaf = ~0u;
	struct cpuid r = { 0 };

	put_text(sink, ctx, "flags\t\t:");
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (flags[i].leaf != last_leaf) {
			last_leaf = flags[i].leaf;
			r = has_leaf(last_leaf) ? cpuid(last_leaf, 0) : (struct cpuid){ 0 };
		}
		if (reg_of(r, flags[i].reg) >> flags[i].bit & 1)
			put_text(sink, ctx, " %s", flags[i].name);
	}
	put_text(sink, ctx, "\n");
}

/* The brand string (leaves 0x80000002-4) without its leading blanks. */
static void brand(char out[49])
{
	uint32_t *w = (uint32_t *)out;
	char *p = out;

	memset(out, 0, 49);
	if (has_leaf(0x80000004)) {
		for (uint32_t i = 0; i < 3; i++) {
			struct cpuid r = cpuid(0x80000002 + i, 0);

			w[i * 4] = r.eax, w[i * 4 + 1] = r.ebx, w[i * 4 + 2] = r.ecx, w[i * 4 + 3] = r.edx;
		}
	}
	while (*p == ' ')
		p++;
	memmove(out, p, strlen(p) + 1);
}

void arch_cpuinfo(unsigned cpu, unsigned ncpus, uint32_t apic_id, uint64_t khz,
		  void (*sink)(void *ctx, const char *s, size_t n), void *ctx)
{
	struct cpuid v = cpuid(0, 0), id = cpuid(1, 0);
	unsigned family = (id.eax >> 8) & 0xf, model = (id.eax >> 4) & 0xf;
	char vendor[13], name[49];
	struct cpuid addr = has_leaf(0x80000008) ? cpuid(0x80000008, 0) : (struct cpuid){ .eax = 0x3028 };

	memcpy(vendor, &v.ebx, 4);
	memcpy(vendor + 4, &v.edx, 4);
	memcpy(vendor + 8, &v.ecx, 4);
	vendor[12] = 0;
	if (family == 0xf)
		family += (id.eax >> 20) & 0xff;
	if (family >= 6)
		model += ((id.eax >> 16) & 0xf) << 4;
	brand(name);
	put_text(sink, ctx,
		   "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
		   "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %llu.%03llu\n"
		   "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\n"
		   "apicid\t\t: %u\ninitial apicid\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\n"
		   "cpuid level\t: %u\nwp\t\t: yes\n",
		   cpu, vendor, family, model, name[0] ? name : "unknown", id.eax & 0xf,
		   (unsigned long long)(khz / 1000), (unsigned long long)(khz % 1000), ncpus, cpu, ncpus,
		   apic_id, apic_id, v.eax);
	put_flags(sink, ctx);
	put_text(sink, ctx,
		   "bugs\t\t:\nbogomips\t: %llu.%02llu\nclflush size\t: %u\ncache_alignment\t: %u\n"
		   "address sizes\t: %u bits physical, %u bits virtual\npower management:\n\n",
		   (unsigned long long)(khz * 2 / 1000), (unsigned long long)(khz * 2 / 10 % 100),
		   ((id.ebx >> 8) & 0xff) * 8, ((id.ebx >> 8) & 0xff) * 8, addr.eax & 0xff, (addr.eax >> 8) & 0xff);
}
