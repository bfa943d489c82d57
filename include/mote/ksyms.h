/*
 * The kernel's own symbol table, embedded at link time (tools/ksyms.sh
 * writes it from the first link; see the Makefile), for backtraces.
 */
#ifndef MOTE_KSYMS_H
#define MOTE_KSYMS_H

#include <stdint.h>

/* The function containing pc, and pc's offset in it; NULL if pc is not kernel text. */
const char *ksym_lookup(uint64_t pc, uint64_t *offset);

#endif
