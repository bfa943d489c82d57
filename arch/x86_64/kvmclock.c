/*
 * kvmclock, the KVM side of the pvclock ABI (mote/pvclock.h), as
 * Documentation/virt/kvm/x86/cpuid.rst and msr.rst describe it: KVM is
 * recognised by the signature "KVMKVMKVM\0\0\0" at a hypervisor CPUID base
 * (0x40000000, or a multiple of 0x100 above it when KVM also poses as
 * Hyper-V), its features are at base + 1, and the clock structures are
 * handed over by physical address through KVM's own MSRs. QEMU TCG offers
 * none of this: every function here then reports "absent".
 */
#include <mote/arch.h>
#include <mote/pvclock.h>
#include "kvm.h"
#include "x86.h"

#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_SYSTEM_TIME_ENABLE  1ULL

static struct cpuid cpuid_leaf(uint32_t leaf)
{
	return cpuid(leaf, 0);
}

unsigned arch_pvclock_features(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = (int)kvm_clock_features(cpuid_leaf);
	return (unsigned)cached;
}

static uint64_t phys_of(const void *va)
{
	uint64_t pa = 0;
	unsigned prot;

	arch_translate((uintptr_t)va, &pa, &prot);
	return pa;
}

void arch_pvclock_register(struct pvclock_vcpu_time_info *ti)
{
	if (arch_pvclock_features())
		wrmsr(MSR_KVM_SYSTEM_TIME_NEW, phys_of(ti) | KVM_SYSTEM_TIME_ENABLE);
}

void arch_pvclock_wall_clock(struct pvclock_wall_clock *wc)
{
	if (arch_pvclock_features())
		wrmsr(MSR_KVM_WALL_CLOCK_NEW, phys_of(wc));
}
