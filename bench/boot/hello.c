/*
 * hello: the smallest real application bench/boot times, `mote run` of a
 * static musl program that prints one line and exits 0.
 */
#include <stdio.h>

int main(void)
{
	puts("hello");
	return 0;
}
