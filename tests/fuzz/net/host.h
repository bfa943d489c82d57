/*
 * The host side of lwIP's system interface for the fuzz-net target
 * (tests/fuzz/fuzz_net.c): the same contract net/port/sys_arch.c fulfils in
 * the kernel (sys_now, lwip_port_* of net/port/arch/cc.h, which is used
 * unchanged), but with a clock that only moves when the harness says so and
 * a random generator the harness reseeds, so that one input always runs the
 * same way. An lwIP assertion aborts: the fuzzer reports it with the input.
 */
#ifndef FUZZ_NET_HOST_H
#define FUZZ_NET_HOST_H

#include <stdint.h>

/* Moves the clock sys_now() reads forward by ms milliseconds. */
void host_clock_advance(uint32_t ms);

/* Restarts LWIP_RAND()'s sequence (deterministic, never 0). */
void host_rand_seed(uint32_t seed);

#endif
