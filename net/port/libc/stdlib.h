/* lwIP includes <stdlib.h> for atoi (netif_find); the port provides it. */
#ifndef MOTE_LWIP_LIBC_STDLIB_H
#define MOTE_LWIP_LIBC_STDLIB_H
int atoi(const char *s);
#endif
