/* env_args: what the program was started with: argc and every argument but
 * argv[0] (whose text is the launcher's business), argv[argc] NULL, the
 * environment as given and sorted, getenv of present and absent names, and
 * setenv/unsetenv/putenv/clearenv changing what getenv and environ show. */
#include "compat.h"

extern char **environ;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_env(const char *title)
{
	int n = 0;

	while (environ && environ[n])
		n++;
	printf("%s: %d entries\n", title, n);
	for (int i = 0; i < n; i++)
		printf("  [%s]\n", environ[i]);
	char **sorted = malloc(sizeof(char *) * (size_t)(n + 1));
	CHECK(sorted != NULL);
	memcpy(sorted, environ, sizeof(char *) * (size_t)n);
	qsort(sorted, (size_t)n, sizeof(char *), cmp_str);
	printf("%s sorted:", title);
	for (int i = 0; i < n; i++)
		printf(" %.*s", (int)strcspn(sorted[i], "="), sorted[i]);
	printf("\n");
	free(sorted);
}

static void get(const char *name)
{
	const char *v = getenv(name);

	printf("getenv(%s) = %s%s%s\n", name, v ? "[" : "", v ? v : "NULL", v ? "]" : "");
}

int main(int argc, char **argv)
{
	printf("argc %d\n", argc);
	printf("argv[0] non-empty: %d\n", argv[0] && argv[0][0]);
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
	printf("argv[argc] is NULL: %d\n", argv[argc] == NULL);

	show_env("environ");
	get("COMPAT_A");
	get("COMPAT_EMPTY");
	get("COMPAT_MISSING");
	get("");

	printf("setenv new: %d\n", setenv("COMPAT_NEW", "fresh", 0));
	printf("setenv no overwrite: %d\n", setenv("COMPAT_NEW", "ignored", 0));
	get("COMPAT_NEW");
	printf("setenv overwrite: %d\n", setenv("COMPAT_NEW", "replaced", 1));
	get("COMPAT_NEW");
	errno = 0;
	int r = setenv("BAD=NAME", "x", 1);
	printf("setenv name with '=': %d %s\n", r, errname(errno));
	errno = 0;
	r = setenv("", "x", 1);
	printf("setenv empty name: %d %s\n", r, errname(errno));
	static char put[] = "COMPAT_PUT=via putenv";
	printf("putenv: %d\n", putenv(put));
	get("COMPAT_PUT");
	put[11] = 'V';
	printf("putenv shares the string: ");
	get("COMPAT_PUT");
	printf("unsetenv: %d\n", unsetenv("COMPAT_A"));
	get("COMPAT_A");
	printf("unsetenv missing: %d\n", unsetenv("COMPAT_MISSING"));
	show_env("after changes");
	printf("clearenv: %d\n", clearenv());
	get("COMPAT_NEW");
	printf("environ empty: %d\n", environ == NULL || environ[0] == NULL);
	setenv("ONLY", "one", 1);
	show_env("after clearenv and setenv");
	return 0;
}
