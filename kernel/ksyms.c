/* Address-to-name lookup over the table tools/ksyms.sh embeds (sorted by address). */
#include <mote/ksyms.h>

extern const uint64_t ksyms_count;
extern const uint32_t ksyms_addrs[];	/* low halves: text is in _text's 4 GiB window */
extern const uint32_t ksyms_name_offsets[];
extern const char ksyms_names[];
extern const char _text[], _etext[];

const char *ksym_lookup(uint64_t pc, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksyms_count;
	uint32_t low = (uint32_t)pc;

	if (pc < (uint64_t)_text || pc >= (uint64_t)_etext || !hi || low < ksyms_addrs[0])
		return 0;
	/* Find the last symbol at or below pc. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksyms_addrs[mid] <= low)
			lo = mid;
		else
			hi = mid;
	}
	*offset = low - ksyms_addrs[lo];
	return ksyms_names + ksyms_name_offsets[lo];
}
