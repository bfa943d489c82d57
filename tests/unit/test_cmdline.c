/* lib/cmdline and lib/parse: the grammar in lib/cmdline.h, and strict numbers. */
#include <lib/cmdline.h>
#include <lib/errno.h>
#include <lib/parse.h>
#include <mote/platform.h>
#include <string.h>
#include "check.h"

static struct cmdline cl;

static int parse(const char *text, struct cmdline_error *err)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf), "%s", text);
	return cmdline_parse(buf, &cl, err);
}

static void flags_and_values(void)
{
	struct cmdline_error err;

	EXPECT(parse("  quiet --bootchart a=1 b= c=x=y  ", &err) == 0);
	EXPECT(cl.nr_args == 5 && cl.nr_app_args == 0 && !cl.has_separator);
	EXPECT(!strcmp(cl.args[0].key, "quiet") && cl.args[0].value == NULL);
	EXPECT(cmdline_has(&cl, "--bootchart") && cmdline_get(&cl, "--bootchart") == NULL);
	EXPECT(!strcmp(cmdline_get(&cl, "a"), "1"));
	EXPECT(!strcmp(cmdline_get(&cl, "b"), ""));
	EXPECT(!strcmp(cmdline_get(&cl, "c"), "x=y"));
	EXPECT(!cmdline_has(&cl, "missing") && cmdline_get(&cl, "missing") == NULL);
}

static void last_value_wins(void)
{
	struct cmdline_error err;

	EXPECT(parse("k=1 k=2", &err) == 0);
	EXPECT(!strcmp(cmdline_get(&cl, "k"), "2"));
}

static void quotes(void)
{
	struct cmdline_error err;

	EXPECT(parse("msg=\"hello world\" \"a b\"=c x", &err) == 0);
	EXPECT(cl.nr_args == 3);
	EXPECT(!strcmp(cmdline_get(&cl, "msg"), "hello world"));
	EXPECT(!strcmp(cl.args[1].key, "a b") && !strcmp(cl.args[1].value, "c"));
	EXPECT(!strcmp(cl.args[2].key, "x"));
}

static void app_arguments(void)
{
	struct cmdline_error err;

	EXPECT(parse("a=1 -- prog --flag \"two words\" --", &err) == 0);
	EXPECT(cl.has_separator && cl.nr_args == 1 && cl.nr_app_args == 4);
	EXPECT(!strcmp(cl.app_args[0], "prog") && !strcmp(cl.app_args[1], "--flag"));
	EXPECT(!strcmp(cl.app_args[2], "two words") && !strcmp(cl.app_args[3], "--"));
	EXPECT(parse("--", &err) == 0 && cl.has_separator && cl.nr_app_args == 0);
	EXPECT(parse("", &err) == 0 && cl.nr_args == 0);
}

static void malformed(void)
{
	struct cmdline_error err;
	char many[CMDLINE_MAX_ARGS * 2 + 8] = "";

	EXPECT(parse("a=1 b=\"open", &err) == -EINVAL && err.offset == 6 &&
	       !strcmp(err.reason, "unterminated quote"));
	EXPECT(parse("ok =value", &err) == -EINVAL && err.offset == 3 &&
	       !strcmp(err.reason, "empty key before '='"));
	EXPECT(parse("bad\x01thing", &err) == -EINVAL && err.offset == 3 &&
	       !strcmp(err.reason, "control character"));
	EXPECT(parse("del\x7f", &err) == -EINVAL);
	for (int i = 0; i <= CMDLINE_MAX_ARGS; i++)
		strcat(many, "x ");
	EXPECT(parse(many, &err) == -EINVAL && !strcmp(err.reason, "too many arguments"));
}

static void numbers(void)
{
	uint64_t v;
	const char *end;

	EXPECT(parse_u64("0", NULL, &v) == 0 && v == 0);
	EXPECT(parse_u64("18446744073709551615", NULL, &v) == 0 && v == UINT64_MAX);
	EXPECT(parse_u64("18446744073709551616", NULL, &v) == -ERANGE);
	EXPECT(parse_u64("0xfeb00e00", NULL, &v) == 0 && v == 0xfeb00e00);
	EXPECT(parse_u64("0x", NULL, &v) == -EINVAL);
	EXPECT(parse_u64("", NULL, &v) == -EINVAL);
	EXPECT(parse_u64("12ab", NULL, &v) == -EINVAL);
	EXPECT(parse_u64("12ab", &end, &v) == 0 && v == 12 && !strcmp(end, "ab"));
	EXPECT(parse_u64("-1", NULL, &v) == -EINVAL);
	EXPECT(parse_size("512", NULL, &v) == 0 && v == 512);
	EXPECT(parse_size("4k", NULL, &v) == 0 && v == 4096);
	EXPECT(parse_size("2M", NULL, &v) == 0 && v == 2 << 20);
	EXPECT(parse_size("3G", NULL, &v) == 0 && v == 3ULL << 30);
	EXPECT(parse_size("17179869184G", NULL, &v) == -ERANGE);
	EXPECT(parse_size("1T", NULL, &v) == -EINVAL);
}

static void virtio_mmio_specs(void)
{
	struct mmio_device d;

	EXPECT(mmio_device_parse("512@0xfeb00e00:12", &d) == 0 && d.size == 512 &&
	       d.base == 0xfeb00e00 && d.irq == 12 && d.id == UINT32_MAX);
	EXPECT(mmio_device_parse("4K@0xd0000000:5:3", &d) == 0 && d.size == 4096 && d.id == 3);
	EXPECT(mmio_device_parse("", &d) == -EINVAL);
	EXPECT(mmio_device_parse("512@0xfeb00e00", &d) == -EINVAL);
	EXPECT(mmio_device_parse("512@0xfeb00e00:", &d) == -EINVAL);
	EXPECT(mmio_device_parse("512@0xfeb00e00:12:", &d) == -EINVAL);
	EXPECT(mmio_device_parse("512@0xfeb00e00:300", &d) == -EINVAL);
	EXPECT(mmio_device_parse("0@0x1000:1", &d) == -EINVAL);
	EXPECT(mmio_device_parse("0x1000@0xfffffffffffff800:1", &d) == -EINVAL);
	EXPECT(mmio_device_parse("512@0xfeb00e00:12x", &d) == -EINVAL);
}

int main(void)
{
	RUN(flags_and_values);
	RUN(last_value_wins);
	RUN(quotes);
	RUN(app_arguments);
	RUN(malformed);
	RUN(numbers);
	RUN(virtio_mmio_specs);
	return test_summary();
}
