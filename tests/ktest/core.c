/*
 * Self-tests of the boot-time core, run inside the kernel with --selftest:
 * the pieces whose host tests cannot prove they work in the kernel's own
 * environment (freestanding string functions, the embedded symbol table,
 * frame-pointer backtraces, the cycle counter).
 */
#include <lib/fmt.h>
#include <lib/string.h>
#include <mote/arch.h>
#include <mote/ksyms.h>
#include <mote/ktest.h>
#include <mote/time.h>

KTEST(string_functions)
{
	char a[64], b[64];

	memset(a, 'x', sizeof(a));
	KT_EXPECT(a[0] == 'x' && a[63] == 'x');
	for (int i = 0; i < 64; i++)
		b[i] = (char)i;
	memcpy(a + 3, b, 37);
	KT_EXPECT(!memcmp(a + 3, b, 37) && a[2] == 'x' && a[40] == 'x');
	memmove(b + 1, b, 40);	/* overlapping, forwards */
	KT_EXPECT(b[1] == 0 && b[40] == 39);
	memmove(b, b + 1, 40);	/* overlapping, backwards */
	KT_EXPECT(b[0] == 0 && b[39] == 39);
	KT_EXPECT(strlen("mote") == 4 && strnlen("mote", 2) == 2);
	KT_EXPECT(strcmp("a", "b") < 0 && strncmp("abc", "abd", 2) == 0);
	KT_EXPECT(strchr("hello", 'l') && *strchr("hello", 'l') == 'l' && !strchr("hi", 'z'));
}

KTEST(format_in_kernel)
{
	char buf[64];

	fmt_snprintf(buf, sizeof(buf), "%s=%d %#lx %-3c|", "k", -12, 0xffffffff80000000UL, 'z');
	KT_EXPECT(!strcmp(buf, "k=-12 0xffffffff80000000 z  |"));
}

KTEST(symbol_lookup)
{
	uint64_t off = 1;
	const char *name = ksym_lookup((uint64_t)ksym_lookup + 5, &off);

	KT_ASSERT(name != 0);
	KT_EXPECT(!strcmp(name, "ksym_lookup") && off == 5);
	KT_EXPECT(ksym_lookup(0x1234, &off) == 0);
}

struct frames {
	unsigned count;
	bool saw_test;
};

static void note_frame(void *ctx, uint64_t pc)
{
	struct frames *f = ctx;
	uint64_t off;
	const char *name = ksym_lookup(pc, &off);

	f->count++;
	if (name && !strcmp(name, "ktest_fn_backtrace_walks_callers"))
		f->saw_test = true;
}

static __attribute__((noinline)) void walk_from_here(struct frames *f)
{
	arch_backtrace_here(note_frame, f);
	asm volatile("" ::: "memory");	/* keep this a real frame, not a tail call */
}

KTEST(backtrace_walks_callers)
{
	struct frames f = { 0, false };

	walk_from_here(&f);
	KT_EXPECT(f.count >= 3);
	KT_EXPECT(f.saw_test);
}

KTEST(cycle_counter)
{
	uint64_t a = arch_cycles(), b = arch_cycles();

	KT_EXPECT(b > a);
	KT_EXPECT(time_cycles_khz() > 100000);	/* any CPU mote runs on is faster than 100 MHz */
}
