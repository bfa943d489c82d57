/*
 * Multiprocessing: starting the CPUs percpu_describe() recorded.
 * smp_start_cpus() runs on the boot CPU once its own interrupts, clock and
 * timers are up; it returns how many CPUs are online (at least 1). A CPU
 * that fails to start is reported and stays offline.
 */
#ifndef MOTE_SMP_H
#define MOTE_SMP_H

unsigned smp_start_cpus(void);
unsigned smp_online_count(void);

/* What an AP runs once online: its idle thread (kernel/sched.c). */
void smp_ap_idle(void);

#endif
