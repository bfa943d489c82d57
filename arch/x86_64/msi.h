/*
 * The x86 MSI message (Intel SDM vol. 3, "Message Signalled Interrupts"):
 * the address selects the destination local APIC, the data the vector and
 * how it is delivered. Header-inline so tests/unit/test_msi.c checks the
 * encoding on the host; irq_msi_compose() (mote/irq.h) is the kernel's use.
 *
 * address: 0xfee00000 | destination APIC id << 12, destination mode
 *          physical (bit 2 clear), no redirection hint (bit 3 clear).
 * data:    the vector in bits 0-7, delivery mode fixed (bits 8-10 zero),
 *          edge triggered (bit 15 clear; bit 14, the level, unused then).
 *
 * The destination field has 8 bits: APIC ids above 255 (x2APIC) would
 * need interrupt remapping or KVM's extended destination id, which mote
 * does not use; they are refused.
 */
#ifndef ARCH_X86_64_MSI_H
#define ARCH_X86_64_MSI_H

#include <lib/errno.h>
#include <stdint.h>

#define MSI_ADDRESS_BASE      0xfee00000u
#define MSI_ADDRESS_DEST_SHIFT 12
#define MSI_DATA_TRIGGER_LEVEL (1u << 15)
#define MSI_DATA_DELIVERY_MASK (7u << 8)

static inline int x86_msi_compose(unsigned vector, uint32_t apic_id, uint64_t *address,
				  uint32_t *data)
{
	if (vector < 32 || vector > 0xfe)
		return -EINVAL;		/* exceptions, or the spurious vector */
	if (apic_id > 0xff)
		return -ERANGE;
	*address = MSI_ADDRESS_BASE | (uint64_t)apic_id << MSI_ADDRESS_DEST_SHIFT;
	*data = vector;			/* fixed delivery, edge: all other bits zero */
	return 0;
}

#endif
