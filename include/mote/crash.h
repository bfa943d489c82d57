/*
 * Deliberate crashes for testing the kernel's reports. kind names one:
 * panic; the CPU exceptions ud, pf, gp, de, bp; heap errors overflow and
 * uaf (caught when mm.debug=1); stack (a thread overruns its stack guard);
 * mutex (a mutex locked twice) and lockorder (two spinlocks against their
 * ranks, caught when debug.locks=1). NULL does nothing; an unknown kind is
 * reported and ignored. Returns only when the bug went unnoticed.
 */
#ifndef MOTE_CRASH_H
#define MOTE_CRASH_H

void crash_on_request(const char *kind);

#endif
