/*
 * lib/cmdline: the kernel command line, parsed once.
 *
 * Syntax, as Linux users expect: words separated by blanks; a word is a
 * flag (`quiet`, `--bootchart`) or `key=value`; double quotes group blanks
 * into a value or word (`key="a b"`, quotes removed); a lone `--` ends the
 * kernel's part, and every word after it belongs to the application.
 * Parsing is strict because the line comes from outside: an unterminated
 * quote, a control character, an empty key (`=x`) or more words than the
 * tables hold is an error with a position and a reason, never a guess.
 *
 * cmdline_parse() splits the buffer in place (it writes NULs into it), so
 * the caller keeps the buffer alive as long as the result.
 */
#ifndef LIB_CMDLINE_H
#define LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX_ARGS     128
#define CMDLINE_MAX_APP_ARGS 256

struct cmdline_arg {
	const char *key;
	const char *value;	/* NULL for a flag */
};

struct cmdline {
	unsigned nr_args;
	unsigned nr_app_args;
	bool has_separator;	/* a `--` was present */
	struct cmdline_arg args[CMDLINE_MAX_ARGS];
	const char *app_args[CMDLINE_MAX_APP_ARGS];
};

struct cmdline_error {
	size_t offset;		/* byte offset in the original line */
	const char *reason;
};

/* Parses buf (NUL-terminated, modified in place). Returns 0 or -EINVAL with *err set. */
int cmdline_parse(char *buf, struct cmdline *cl, struct cmdline_error *err);

/* The value of the last `key=value` for key, or NULL (also NULL for a bare flag). */
const char *cmdline_get(const struct cmdline *cl, const char *key);

/* True when key appears as a flag or with a value. */
bool cmdline_has(const struct cmdline *cl, const char *key);

#endif
