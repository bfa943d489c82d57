# tests/unit/fs: the VFS, ramfs, open files and descriptor tables on the
# host, under ASan and UBSan (LeakSanitizer catches reference-count leaks).
# One binary per concern, each printing PASS/FAIL lines (fs_test.h):
#   fs-test-paths    path resolution and namespace operations, every errno
#   fs-test-data     ramfs contents: holes, truncate, O(1) appends, limits
#   fs-test-fdtable  descriptor numbers, dup family, close-on-exec, limits
#   fs-test-linux    random operation sequences against the host kernel
# fs/ compiles unchanged; sync_host.c stands in for the kernel's mutexes.

fs-unit-names := paths data fdtable linux
fs-unit-bins := $(patsubst %,$(BUILD)/host/fs-test-%,$(fs-unit-names))
fs-unit-srcs := $(fs-srcs) lib/rbtree.c tests/unit/fs/sync_host.c
fs-unit-hdrs := $(wildcard fs/*.h) include/mote/vfs.h include/mote/file.h include/mote/vm.h \
	include/mote/fdtable.h tests/unit/fs/fs_test.h

$(BUILD)/host/fs-test-%: tests/unit/fs/test_%.c $(fs-unit-srcs) $(fs-unit-hdrs)
	@mkdir -p $(dir $@)
	@echo "  HOSTCC  $@"
	$(Q)$(HOSTCC) $(HOSTCFLAGS) $(SANFLAGS) -Ifs -o $@ $< $(fs-unit-srcs) -lpthread

unit-tests += $(fs-unit-bins)
