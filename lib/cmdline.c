/*
 * Command-line tokenizer. One pass over the buffer: a read cursor finds
 * the next word while a write cursor compacts it in place (dropping the
 * quotes), so words need no storage of their own. See lib/cmdline.h for
 * the grammar.
 */
#include <lib/cmdline.h>
#include <lib/errno.h>
#include <lib/string.h>

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_control(char c)
{
	return ((unsigned char)c < 0x20 && !is_blank(c)) || c == 0x7f;
}

static int fail(struct cmdline_error *err, const char *base, const char *at, const char *why)
{
	err->offset = at - base;
	err->reason = why;
	return -EINVAL;
}

/*
 * Copies one word starting at *rd into *wr, removing quotes. On return *rd
 * points after the word and the word is NUL-terminated at its end; eq is
 * set to the first unquoted '=' (or NULL).
 */
static int scan_word(const char *base, char **rd, char **wr, char **eq,
		     struct cmdline_error *err)
{
	char *r = *rd, *w = *wr;
	const char *open_quote = NULL;

	*eq = NULL;
	for (; *r && (open_quote || !is_blank(*r)); r++) {
		if (is_control(*r))
			return fail(err, base, r, "control character");
		if (*r == '"') {
			open_quote = open_quote ? NULL : r;
			continue;
		}
		if (*r == '=' && !open_quote && !*eq)
			*eq = w;
		*w++ = *r;
	}
	if (open_quote)
		return fail(err, base, open_quote, "unterminated quote");
	/* The terminator may overwrite the blank that ended the word, never the next word. */
	*rd = *r ? r + 1 : r;
	*w = '\0';
	*wr = w + 1;
	return 0;
}

static int add_word(struct cmdline *cl, char *word, char *eq, bool app,
		    const char *base, const char *at, struct cmdline_error *err)
{
	if (app) {
		if (cl->nr_app_args == CMDLINE_MAX_APP_ARGS)
			return fail(err, base, at, "too many application arguments");
		cl->app_args[cl->nr_app_args++] = word;
		return 0;
	}
	if (eq == word)
		return fail(err, base, at, "empty key before '='");
	if (cl->nr_args == CMDLINE_MAX_ARGS)
		return fail(err, base, at, "too many arguments");
	if (eq)
		*eq = '\0';
	cl->args[cl->nr_args++] = (struct cmdline_arg){ word, eq ? eq + 1 : NULL };
	return 0;
}

int cmdline_parse(char *buf, struct cmdline *cl, struct cmdline_error *err)
{
	char *rd = buf, *wr = buf;
	const char *base = buf;
	bool app = false;

	cl->nr_args = cl->nr_app_args = 0;
	cl->has_separator = false;
	for (;;) {
		char *word, *eq, *start;
		int ret;

		while (is_blank(*rd))
			rd++;
		if (!*rd)
			return 0;
		/* Offsets in errors refer to the original text, which the write cursor trails. */
		start = rd;
		word = wr;
		ret = scan_word(base, &rd, &wr, &eq, err);
		if (ret)
			return ret;
		if (!app && !strcmp(word, "--")) {
			app = cl->has_separator = true;
			continue;
		}
		ret = add_word(cl, word, eq, app, base, start, err);
		if (ret)
			return ret;
	}
}

const char *cmdline_get(const struct cmdline *cl, const char *key)
{
	for (unsigned i = cl->nr_args; i-- > 0;)
		if (!strcmp(cl->args[i].key, key))
			return cl->args[i].value;
	return NULL;
}

bool cmdline_has(const struct cmdline *cl, const char *key)
{
	for (unsigned i = 0; i < cl->nr_args; i++)
		if (!strcmp(cl->args[i].key, key))
			return true;
	return false;
}
