/*
 * deps-list PROGRAM [GUEST-PATH]: prints what `mote build` would put in an
 * image for PROGRAM (tools/mote/deps.h), for people and for the tests:
 *
 *   object NAME HOST GUEST via HOW [needed by HOST]   one per loaded object, in load order
 *   file GUEST HOST                                   a regular file to copy
 *   link GUEST -> TARGET                              a symbolic link
 *
 * On failure it prints `deps-list: <the resolver's message>` and exits 2.
 */
#include <stdio.h>

#include "deps.h"

int main(int argc, char **argv)
{
	struct deps_options opts = { .guest_program = argc > 2 ? argv[2] : NULL };
	struct deps_list list;
	int err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: deps-list PROGRAM [GUEST-PATH]\n");
		return 2;
	}
	err = deps_resolve(argv[1], &opts, &list);
	if (err) {
		fprintf(stderr, "deps-list: %s\n", list.error);
		deps_free(&list);
		return 2;
	}
	for (size_t i = 0; i < list.nr_objects; i++) {
		const struct deps_object *o = &list.objects[i];

		printf("object %s %s %s via %s", o->name, o->host, o->guest, deps_via_name(o->via));
		if (o->needed_by >= 0)
			printf(" needed by %s", list.objects[o->needed_by].host);
		printf("\n");
	}
	for (size_t i = 0; i < list.nr_entries; i++) {
		const struct deps_entry *e = &list.entries[i];

		if (e->kind == DEPS_FILE)
			printf("file %s %s\n", e->guest, e->host);
		else
			printf("link %s -> %s\n", e->guest, e->target);
	}
	deps_free(&list);
	return 0;
}
