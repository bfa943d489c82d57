# arch/x86_64: the only CPU-specific code.
kernel-srcs += arch/x86_64/boot.S arch/x86_64/vectors.S arch/x86_64/cpu.c \
	arch/x86_64/trap.c arch/x86_64/backtrace.c arch/x86_64/paging.c arch/x86_64/apic.c arch/x86_64/irq.c \
	arch/x86_64/smp.c arch/x86_64/trampoline.S arch/x86_64/switch.S arch/x86_64/kvmclock.c arch/x86_64/user.c \
	arch/x86_64/cpuinfo.c
$(BUILD)/k/arch/x86_64/cpuinfo.o: KCFLAGS += -Os
