/*
 * Command dispatch. Commands are a table so that `mote help` and the
 * dispatcher can never disagree about what exists.
 */
#include <stdio.h>
#include <string.h>

#include "mote.h"

struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static int version_main(int argc, char **argv);
static int help_main(int argc, char **argv);

static const struct command commands[] = {
	{ .name = "run", .main = run_main, .summary = "boot the kernel, a program or an image under QEMU" },
	{ .name = "build", .main = build_main, .summary = "write a bootable disk image of a program" },
	{ .name = "inspect", .main = inspect_main, .summary = "list a disk image's command and files" },
	{ .name = "version", .main = version_main, .summary = "print the version" },
	{ .name = "help", .main = help_main, .summary = "print this help" },
};

static void mote_usage(FILE *out)
{
	fputs("usage: mote <command> [options]\n\ncommands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\n`mote run --help` describes the options of run; docs/cli.md has the full reference.\n",
	      out);
}

static int version_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("mote %s (%s)\n", MOTE_VERSION, MOTE_GIT_REV);
	return 0;
}

static int help_main(int argc, char **argv)
{
	(void)argv;
	/* `mote help run` is what people type after reading the list above. */
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		run_usage(stdout);
	else if (argc > 1 && strcmp(argv[1], "build") == 0)
		build_usage(stdout);
	else
		mote_usage(stdout);
	return 0;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		mote_usage(stderr);
		return MOTE_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	else if (strcmp(name, "--version") == 0)
		name = "version";

	const struct command *cmd = find_command(name);
	if (!cmd) {
		fprintf(stderr, "mote: unknown command '%s' (see mote help)\n", argv[1]);
		return MOTE_EXIT_USAGE;
	}
	mote_command = cmd->name;
	return cmd->main(argc - 1, argv + 1);
}
