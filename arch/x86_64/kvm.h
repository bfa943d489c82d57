/*
 * Recognising KVM and its clock features from CPUID (Linux's
 * Documentation/virt/kvm/x86/cpuid.rst). Header-inline over a CPUID
 * function so tests/unit/test_kvm_cpuid.c can feed it made-up leaves:
 * the real thing cannot run under QEMU TCG.
 */
#ifndef ARCH_X86_64_KVM_H
#define ARCH_X86_64_KVM_H

#include <mote/arch.h>
#include <stdint.h>
#include "x86.h"

#define CPUID1_ECX_HYPERVISOR              (1u << 31)
#define KVM_CPUID_BASE_FIRST               0x40000000u
#define KVM_CPUID_BASE_LAST                0x4000ff00u	/* bases step by 0x100 */
#define KVM_FEATURE_CLOCKSOURCE2           (1u << 3)	/* MSR_KVM_*_NEW */
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (1u << 24)	/* PVCLOCK_TSC_STABLE_BIT may be set */

/* The clock features as ARCH_PVCLOCK* bits (mote/arch.h); `leaf` answers CPUID (subleaf 0). */
static inline unsigned kvm_clock_features(struct cpuid (*leaf)(uint32_t))
{
	if (!(leaf(1).ecx & CPUID1_ECX_HYPERVISOR))
		return 0;
	/* KVM moves its leaves up by 0x100 steps when it also poses as another hypervisor. */
	for (uint32_t base = KVM_CPUID_BASE_FIRST; base <= KVM_CPUID_BASE_LAST; base += 0x100) {
		struct cpuid sig = leaf(base);
		uint32_t features;

		/* "KVMKVMKVM\0\0\0" in ebx, ecx, edx. */
		if (sig.ebx != 0x4b4d564b || sig.ecx != 0x564b4d56 || sig.edx != 0x0000004d)
			continue;
		/* eax: the highest KVM leaf; 0 from old KVMs means base + 1. */
		if (sig.eax && sig.eax < base + 1)
			return 0;
		features = leaf(base + 1).eax;
		if (!(features & KVM_FEATURE_CLOCKSOURCE2))
			return 0;
		return ARCH_PVCLOCK |
		       (features & KVM_FEATURE_CLOCKSOURCE_STABLE_BIT ? ARCH_PVCLOCK_STABLE : 0);
	}
	return 0;
}

#endif
