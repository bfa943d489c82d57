# fs/: the VFS, ramfs, open files and descriptor tables (include/mote/vfs.h,
# file.h, fdtable.h; docs/fs.md). Portable: the same sources build the
# kernel and the host tests in tests/unit/fs (with a mutex shim).
fs-srcs := fs/vnode.c fs/mount.c fs/namei.c fs/namespace.c fs/open.c fs/vnode_file.c \
	fs/getpath.c fs/populate.c fs/chrdev.c fs/file.c fs/fdtable.c fs/ramfs.c fs/ramfs_data.c
# The file kinds that need no filesystem, imgfs (it needs a block device), and devfs,
# procfs, sysfs: kernel only
# (tested in tests/ktest).
kernel-srcs += $(fs-srcs) fs/mmap.c fs/imgfs.c fs/volume.c fs/pseudofs.c fs/devfs.c fs/procfs.c fs/sysfs.c fs/poll.c fs/pipe.c fs/eventfd.c fs/timerfd.c fs/epoll.c
# Size over speed for the generated filesystems: nothing there is hot, and
# every byte of the kernel image is RAM.
$(addprefix $(BUILD)/k/fs/,pseudofs.o devfs.o procfs.o sysfs.o volume.o): KCFLAGS += -Os
