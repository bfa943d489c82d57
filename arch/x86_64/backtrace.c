/*
 * Stack walking by frame pointers (the kernel is built with
 * -fno-omit-frame-pointer): each frame holds the caller's frame pointer
 * and the return address. The walk trusts nothing: a frame pointer must be
 * aligned, on a kernel stack (inside the kernel image, where the boot and
 * interrupt stacks live, in the thread stack area, or in the direct map,
 * where the application processors' boot stacks are) and strictly moving
 * up the stack, or the walk stops.
 */
#include <mote/arch.h>
#include <mote/layout.h>
#include <stdint.h>

#define MAX_FRAMES 32

extern const char _text[], _end[];

static int on_kernel_stack(uint64_t fp)
{
	return (fp >= (uint64_t)_text && fp + 16 <= (uint64_t)_end) ||
	       (fp >= THREAD_STACK_BASE && fp + 16 <= THREAD_STACK_BASE + THREAD_STACK_AREA) ||
	       (fp >= DIRECT_MAP_BASE && fp + 16 <= DIRECT_MAP_BASE + (1UL << MM_AREA_SHIFT));
}

static int frame_plausible(uint64_t fp, uint64_t prev)
{
	return fp && !(fp & 7) && fp > prev && on_kernel_stack(fp);
}

void arch_backtrace_from(uint64_t pc, uint64_t fp, arch_frame_fn fn, void *ctx)
{
	uint64_t prev = 0;

	fn(ctx, pc);
	for (int i = 0; i < MAX_FRAMES && frame_plausible(fp, prev); i++) {
		const uint64_t *frame = (const uint64_t *)fp;

		if (!frame[1])
			break;
		/* A return address points after the call; -1 symbolizes the call itself. */
		fn(ctx, frame[1] - 1);
		prev = fp;
		fp = frame[0];
	}
}

__attribute__((noinline)) void arch_backtrace_here(arch_frame_fn fn, void *ctx)
{
	uint64_t fp = (uint64_t)__builtin_frame_address(0);

	arch_backtrace_from((uint64_t)__builtin_return_address(0) - 1,
			    ((const uint64_t *)fp)[0], fn, ctx);
}
