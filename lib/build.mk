# lib/: freestanding utilities, built into the kernel and into host tests.
lib-portable := lib/fmt.c lib/cmdline.c lib/parse.c lib/pheap.c lib/elf.c lib/bundle.c lib/frame.c \
	lib/chacha20.c lib/image.c lib/lz4.c lib/sort.c
kernel-srcs += lib/string.c lib/rbtree.c $(lib-portable)
host-lib-srcs += $(lib-portable)
