/* Recognising KVM's clock from CPUID (arch/x86_64/kvm.h), over made-up CPUID tables. */
#include <mote/arch.h>
#include "../../arch/x86_64/kvm.h"
#include "check.h"

static struct {
	bool hypervisor;
	uint32_t base, max_leaf, features;
	const char *sig;
} fake;

static struct cpuid fake_leaf(uint32_t leaf)
{
	struct cpuid r = { 0, 0, 0, 0 };

	if (leaf == 1)
		r.ecx = fake.hypervisor ? CPUID1_ECX_HYPERVISOR : 0;
	else if (leaf == fake.base && fake.sig) {
		r.eax = fake.max_leaf;
		__builtin_memcpy(&r.ebx, fake.sig, 4);
		__builtin_memcpy(&r.ecx, fake.sig + 4, 4);
		__builtin_memcpy(&r.edx, fake.sig + 8, 4);
	} else if (leaf == fake.base + 1)
		r.eax = fake.features;
	return r;
}

static void set(bool hv, uint32_t base, uint32_t max, uint32_t features, const char *sig)
{
	fake.hypervisor = hv;
	fake.base = base;
	fake.max_leaf = max;
	fake.features = features;
	fake.sig = sig;
}

static const char kvm_sig[12] = "KVMKVMKVM\0\0";

static void kvm_with_stable_clock(void)
{
	set(true, 0x40000000, 0x40000001, KVM_FEATURE_CLOCKSOURCE2 | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT,
	    kvm_sig);
	EXPECT(kvm_clock_features(fake_leaf) == (ARCH_PVCLOCK | ARCH_PVCLOCK_STABLE));
	set(true, 0x40000000, 0x40000001, KVM_FEATURE_CLOCKSOURCE2, kvm_sig);
	EXPECT(kvm_clock_features(fake_leaf) == ARCH_PVCLOCK);
	/* Old KVMs leave eax 0. */
	set(true, 0x40000000, 0, KVM_FEATURE_CLOCKSOURCE2, kvm_sig);
	EXPECT(kvm_clock_features(fake_leaf) == ARCH_PVCLOCK);
}

static void kvm_behind_another_signature(void)
{
	/* With Hyper-V enlightenments KVM answers at 0x40000100. */
	set(true, 0x40000100, 0x40000101, KVM_FEATURE_CLOCKSOURCE2, kvm_sig);
	EXPECT(kvm_clock_features(fake_leaf) == ARCH_PVCLOCK);
}

static void no_kvm_clock(void)
{
	/* No hypervisor bit (bare metal, QEMU TCG without it). */
	set(false, 0x40000000, 0x40000001, KVM_FEATURE_CLOCKSOURCE2, kvm_sig);
	EXPECT(kvm_clock_features(fake_leaf) == 0);
	/* Another hypervisor (QEMU TCG's own signature). */
	set(true, 0x40000000, 0x40000001, KVM_FEATURE_CLOCKSOURCE2, "TCGTCGTCGTCG");
	EXPECT(kvm_clock_features(fake_leaf) == 0);
	/* KVM without the *_NEW MSRs (only the deprecated ones mote does not use). */
	set(true, 0x40000000, 0x40000001, 1u << 0 | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT, kvm_sig);
	EXPECT(kvm_clock_features(fake_leaf) == 0);
	/* A signature with no feature leaf. */
	set(true, 0x40000000, 0x40000000, KVM_FEATURE_CLOCKSOURCE2, kvm_sig);
	EXPECT(kvm_clock_features(fake_leaf) == 0);
}

int main(void)
{
	RUN(kvm_with_stable_clock);
	RUN(kvm_behind_another_signature);
	RUN(no_kvm_clock);
	return test_summary();
}
