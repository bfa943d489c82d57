/*
 * user_dlopen: a dynamic program (built non-PIE) that loads a library
 * named on its command line with dlopen(), looks a function up with dlsym()
 * and calls it: the guest's ld.so finding a library no DT_NEEDED names.
 * Usage: user_dlopen LIBRARY FUNCTION (a double(double) function, called on 0.0).
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *lib;
	double (*fn)(double);

	if (argc != 3) {
		fprintf(stderr, "usage: user_dlopen LIBRARY FUNCTION\n");
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW);
	if (!lib) {
		printf("dlopen %s: %s\n", argv[1], dlerror());
		return 1;
	}
	*(void **)&fn = dlsym(lib, argv[2]);
	if (!fn) {
		printf("dlsym %s: %s\n", argv[2], dlerror());
		return 1;
	}
	printf("%s(0) = %.3f from %s\n", argv[2], fn(0.0), argv[1]);
	return dlclose(lib) ? 1 : 0;
}
