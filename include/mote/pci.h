/*
 * mote/pci: PCI configuration space and enumeration, for virtio-pci.
 *
 * Configuration space is reached through mechanism #1 (ports 0xcf8/0xcfc,
 * 256 bytes a function), which every PC-compatible machine mote runs on
 * has (QEMU pc/q35, cloud-hypervisor); one lock keeps the address/data
 * pair of one access together. Firmware (SeaBIOS) has assigned the BARs;
 * mote reads them and never moves them.
 *
 * Enumeration walks bus 0 and, behind every PCI-to-PCI bridge, its
 * secondary bus. A machine without PCI (microvm, Firecracker) is told by
 * the absent host bridge at 00:00.0: one configuration read, so a boot
 * without PCI pays nothing for the scan.
 *
 * Context: thread context at boot (the scan), any context for the
 * accessors.
 */
#ifndef MOTE_PCI_H
#define MOTE_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_CLASS_REVISION 0x08
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYSTEM_ID   0x2e
#define PCI_CAPABILITIES   0x34
#define PCI_SECONDARY_BUS  0x19

#define PCI_COMMAND_IO           0x0001
#define PCI_COMMAND_MEMORY       0x0002
#define PCI_COMMAND_MASTER       0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_CAP_LIST      0x0010

#define PCI_CAP_MSIX   0x11
#define PCI_CAP_VENDOR 0x09

struct pci_device {
	uint8_t bus, slot, fn;
	uint16_t vendor, device;
	uint8_t class_code, subclass;
};

uint8_t pci_read8(const struct pci_device *pd, unsigned offset);
uint16_t pci_read16(const struct pci_device *pd, unsigned offset);
uint32_t pci_read32(const struct pci_device *pd, unsigned offset);
void pci_write16(const struct pci_device *pd, unsigned offset, uint16_t v);
void pci_write32(const struct pci_device *pd, unsigned offset, uint32_t v);

/* Calls fn for every function found (bus 0 and behind bridges); returns how many. */
unsigned pci_scan(void (*fn)(const struct pci_device *pd, void *ctx), void *ctx);

/*
 * BAR `index` (0-5): its address and whether it is I/O space. 0, or
 * -ENODEV when it is unassigned (zero) or the index names the upper half
 * of a 64-bit BAR.
 */
int pci_bar(const struct pci_device *pd, unsigned index, uint64_t *addr, bool *io);

/* The offset of the first capability with id `id` after offset `after` (0: from the start), or 0. */
unsigned pci_find_cap(const struct pci_device *pd, uint8_t id, unsigned after);

/* Sets bits in the command register (decoding, bus mastering, INTx off). */
void pci_enable(const struct pci_device *pd, uint16_t bits);

#endif
