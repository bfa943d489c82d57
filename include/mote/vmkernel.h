/*
 * The kernel's side of the VM layer: the backend that puts application
 * mappings on the kernel's page tables, and the address space the page-fault
 * handler resolves lower-half faults in (one application per VM, so one
 * current space).
 */
#ifndef MOTE_VMKERNEL_H
#define MOTE_VMKERNEL_H

#include <mote/vm.h>

extern const struct vm_backend vm_kernel_backend;

void vm_kernel_set_current(struct vm_space *s);
struct vm_space *vm_kernel_current(void);

/* Resolves a fault in the current space (see arch_set_page_fault_handler). */
int vm_kernel_fault(uintptr_t addr, unsigned access, bool user);

#endif
