# tests/: host unit tests, the Firecracker fixture, and (run by tests/run.sh) boot tests.
unit-tests :=
include tests/unit/build.mk
-include tests/unit/mm/build.mk
-include tests/unit/vm/build.mk
-include tests/unit/fs/build.mk
include tests/boot/fcfixture/build.mk
include tests/boot/build.mk
include tests/fuzz/build.mk
include tests/compat/build.mk

.PHONY: unit-tests
unit-tests: $(unit-tests)
