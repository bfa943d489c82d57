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
#include "x86.h"

#define CPUID1_ECX_HYPERVISOR              (1u << 31)
#define KVM_FEATURE_CLOCKSOURCE2           (1u << 3)	/* the *_NEW MSRs below */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (1u << 24)	/* PVCLOCK_TSC_STABLE_BIT may be set */
#define MSR_KVM_WALL_CLOCK_NEW             0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW            0x4b564d01
#define KVM_SYSTEM_TIME_ENABLE             1ULL

static bool is_kvm_signature(uint32_t base)
{
	struct cpuid r = cpuid(base, 0);

	/* "KVMKVMKVM\0\0\0" in ebx, ecx, edx. */
	return r.ebx == 0x4b4d564b && r.ecx == 0x564b4d56 && r.edx == 0x0000004d;
}

unsigned arch_pvclock_features(void)
{
	static int cached = -1;
	uint32_t features;

	if (cached >= 0)
		return (unsigned)cached;
	cached = 0;
	if (!(cpuid(1, 0).ecx & CPUID1_ECX_HYPERVISOR))
		return 0;
	for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
		if (!is_kvm_signature(base))
			continue;
		if (cpuid(base, 0).eax && cpuid(base, 0).eax < base + 1)
			break;	/* no feature leaf */
		features = cpuid(base + 1, 0).eax;
		if (features & KVM_FEATURE_CLOCKSOURCE2)
			cached = ARCH_PVCLOCK |
				 (features & KVM_FEATURE_CLOCKSOURCE_STABLE_BIT ? ARCH_PVCLOCK_STABLE : 0);
		break;
	}
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
