/*
 * mm/ranges.c: lists of physical ranges, as the boot code builds them.
 *
 * Firmware maps come with any alignment, overlaps and holes; the kernel
 * must also cut out its own image, boot_info and modules before handing
 * the rest to mm. Doing that arithmetic here, on plain arrays, keeps it
 * out of the allocators (which then see only sorted, disjoint,
 * page-aligned ranges) and lets the host tests exercise it. Arrays are at
 * most MM_MAX_RANGES long, so insertion sort is the right tool.
 */
#include "internal.h"

static void sort_by_base(struct mm_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct mm_range x = r[i];
		size_t j = i;

		for (; j > 0 && r[j - 1].base > x.base; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
}

/* Shrinks every range inward to whole pages; drops the empty ones. */
static size_t shrink_to_pages(struct mm_range *r, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t end = r[i].base + r[i].size;
		uint64_t b = align_up(r[i].base, MM_PAGE_SIZE);
		uint64_t e = align_down(end, MM_PAGE_SIZE);

		if (end < r[i].base)		/* wraps: clamp to the top page */
			e = align_down(UINT64_MAX, MM_PAGE_SIZE);
		if (b < r[i].base || e <= b)	/* rounding wrapped, or nothing left */
			continue;
		r[out++] = (struct mm_range){ b, e - b };
	}
	return out;
}

size_t mm_ranges_normalize(struct mm_range *r, size_t n)
{
	size_t out = 0;

	n = shrink_to_pages(r, n);
	sort_by_base(r, n);
	for (size_t i = 0; i < n; i++) {
		struct mm_range *last = out ? &r[out - 1] : NULL;

		if (last && r[i].base <= last->base + last->size) {
			uint64_t end = r[i].base + r[i].size;

			if (end > last->base + last->size)
				last->size = end - last->base;
		} else {
			r[out++] = r[i];
		}
	}
	return out;
}

long mm_ranges_remove(struct mm_range *r, size_t n, size_t max, uint64_t base, uint64_t size)
{
	uint64_t hole_end = base + size < base ? UINT64_MAX : base + size;

	for (size_t i = 0; i < n; i++) {
		uint64_t b = r[i].base, e = b + r[i].size;

		if (hole_end <= b || base >= e)
			continue;
		if (base > b && hole_end < e) {		/* the hole splits the range */
			if (n == max)
				return -MM_ENOMEM;
			for (size_t j = n; j > i + 1; j--)
				r[j] = r[j - 1];
			r[i + 1] = (struct mm_range){ hole_end, e - hole_end };
			r[i].size = base - b;
			n++;
			i++;
		} else if (base > b) {
			r[i].size = base - b;
		} else if (hole_end < e) {
			r[i] = (struct mm_range){ hole_end, e - hole_end };
		} else {
			for (size_t j = i; j + 1 < n; j++)
				r[j] = r[j + 1];
			n--;
			i--;
		}
	}
	return (long)n;
}
