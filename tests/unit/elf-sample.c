/* A small program built four ways (tests/unit/build.mk) for test_elf and the fuzz seeds. */
#include <stdio.h>

static __thread int counter = 3;

int main(int argc, char **argv)
{
	counter += argc;
	printf("%s %d\n", argv[0], counter);
	return 0;
}
