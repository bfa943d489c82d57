/* The x86 MSI address/data encoding (arch/x86_64/msi.h) behind irq_msi_compose(). */
#include <stdint.h>
#include "../../arch/x86_64/msi.h"
#include "check.h"

static void encodes_destination_and_vector(void)
{
	uint64_t addr = 0;
	uint32_t data = 0;

	EXPECT(x86_msi_compose(0x41, 0, &addr, &data) == 0);
	EXPECT(addr == 0xfee00000u && data == 0x41);
	EXPECT(x86_msi_compose(0x20, 3, &addr, &data) == 0);
	EXPECT(addr == 0xfee03000u && data == 0x20);
	EXPECT(x86_msi_compose(0xef, 0xff, &addr, &data) == 0);
	EXPECT(addr == 0xfeeff000u && data == 0xef);
	/* Physical destination mode, no redirection hint, nothing above bit 31. */
	EXPECT((addr & 0xc) == 0 && addr >> 32 == 0);
	/* Fixed delivery, edge triggered. */
	EXPECT((data & MSI_DATA_DELIVERY_MASK) == 0 && !(data & MSI_DATA_TRIGGER_LEVEL));
}

static void refuses_what_it_cannot_encode(void)
{
	uint64_t addr = 1;
	uint32_t data = 2;

	EXPECT(x86_msi_compose(31, 0, &addr, &data) == -EINVAL);
	EXPECT(x86_msi_compose(0xff, 0, &addr, &data) == -EINVAL);
	EXPECT(x86_msi_compose(0x40, 256, &addr, &data) == -ERANGE);
	EXPECT(addr == 1 && data == 2);	/* untouched on failure */
}

int main(void)
{
	RUN(encodes_destination_and_vector);
	RUN(refuses_what_it_cannot_encode);
	return test_summary();
}
