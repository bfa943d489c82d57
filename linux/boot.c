/*
 * From the boot bundle to the running program: the root filesystem (a
 * ramfs, with another on /tmp, and /dev, /proc, /sys: kernelfs.c), the
 * bundle's files unpacked into it, and then the program
 * named by the bundle's EXEC entry with its ARGV, ENV and CWD.
 *
 * From a disk image the same, except that the root is imgfs on the disk
 * named "root" (read-only: a ramfs on /tmp, and /dev, /proc, /sys, on the
 * directories `mote build` puts in every image) and the program, argv,
 * environment and working directory come from the image's config record.
 *
 * What cannot be run is reported the way a shell reports it: status 127
 * when the program does not exist, 126 when it exists but cannot be
 * executed (not executable, not a valid x86-64 ELF, dynamically linked).
 */
#include <abi/bundle.h>
#include <lib/bundle.h>
#include <lib/err.h>
#include <lib/errno.h>
#include <lib/fmt.h>
#include <lib/string.h>
#include <lib/image.h>
#include <mote/blkdev.h>
#include <mote/clock.h>
#include <mote/fdtable.h>
#include <mote/layout.h>
#include <mote/linux.h>
#include <mote/log.h>
#include <mote/mm.h>
#include <mote/pseudofs.h>
#include <mote/vfs.h>
#include "linux_internal.h"

#define MAX_STRINGS 4096

struct run_spec {
	char path[BUNDLE_PATH_MAX];
	char cwd[BUNDLE_PATH_MAX];
	char **argv, **envp;
};

/*
 * A NULL-terminated vector of the NUL-separated strings in it, copied with
 * it into one allocation: the bundle's memory is freed before the program
 * starts.
 */
static char **string_vector(const struct bundle_item *it)
{
	uint64_t n = bundle_count_strings(it);
	size_t vec = (n + 1) * sizeof(char *);
	char **v, *s;

	if (n > MAX_STRINGS || !(v = mm_calloc(1, vec + it->data_len)))
		return NULL;
	s = memcpy((char *)v + vec, it->data, it->data_len);
	for (uint64_t i = 0; i < n; i++) {
		v[i] = s;
		s += strlen(s) + 1;
	}
	return v;
}

static void item_path(const struct bundle_item *it, char *out)
{
	memcpy(out, it->path, it->path_len);
	out[it->path_len] = 0;
}

/* A page of the bundle for a file to keep: out of the module's memory, the rest of which is freed after. */
static void *take_bundle_page(const void *page)
{
	return mm_later_take_page(kernel_direct_to_phys(page));
}

/* A file's data on pages of their own (bundle version 3) becomes its data as it is. */
static int unpack_file(const struct bundle_item *it, const char *path)
{
	uint32_t mode = it->mode & VFS_PERM_MASK;

	if (it->paged && !((uintptr_t)it->data % BUNDLE_PAGE))
		return vfs_create_file_pages(path, mode, it->data, it->data_len, take_bundle_page);
	return vfs_create_file(path, mode, it->data, it->data_len);
}

static int unpack_item(const struct bundle_item *it, struct run_spec *spec)
{
	char path[BUNDLE_PATH_MAX];
	char target[BUNDLE_PATH_MAX];
	int ret = 0;

	item_path(it, path);
	switch (it->type) {
	case BUNDLE_FILE:
		ret = unpack_file(it, path);
		break;
	case BUNDLE_DIR:
		ret = vfs_mkdir_p(path, it->mode & VFS_PERM_MASK);
		break;
	case BUNDLE_SYMLINK:
		if (it->data_len >= sizeof(target)) {
			ret = -ENAMETOOLONG;
			break;
		}
		memcpy(target, it->data, it->data_len);
		target[it->data_len] = 0;
		ret = vfs_create_symlink(path, target);
		break;
	case BUNDLE_ARGV:
		ret = (spec->argv = string_vector(it)) ? 0 : -ENOMEM;
		break;
	case BUNDLE_ENV:
		ret = (spec->envp = string_vector(it)) ? 0 : -ENOMEM;
		break;
	case BUNDLE_EXEC:
		memcpy(spec->path, path, sizeof(path));
		break;
	case BUNDLE_CWD:
		memcpy(spec->cwd, path, sizeof(path));
		break;
	}
	if (ret)	/* from path: the entry's own bytes may be free by now (take_bundle_page) */
		printk("mote: cannot unpack %s (bundle entry %u): error %d\n", path, it->index, ret);
	return ret;
}

/* ---- Volumes ------------------------------------------------------------------------ */

struct volume_spec {
	char disk[BLKDEV_NAME_MAX];
	char path[VFS_PATH_MAX];
	bool writable;
};

static struct volume_spec *volume_specs;
static unsigned nr_volume_specs;

int linux_add_volume(const char *spec)
{
	const char *colon = strchr(spec, ':'), *path, *end;
	struct volume_spec *v;

	if (!colon || colon == spec || (size_t)(colon - spec) >= BLKDEV_NAME_MAX || colon[1] != '/')
		return -EINVAL;
	path = colon + 1;
	end = strchr(path, ':');
	if (end && strcmp(end, ":rw") && strcmp(end, ":ro"))
		return -EINVAL;
	if (!end)
		end = path + strlen(path);
	if ((size_t)(end - path) >= VFS_PATH_MAX)
		return -EINVAL;
	if (nr_volume_specs == BLKDEV_MAX)
		return -ENOSPC;
	if (!volume_specs && !(volume_specs = mm_calloc(BLKDEV_MAX, sizeof(*volume_specs))))
		return -ENOMEM;
	v = &volume_specs[nr_volume_specs++];
	memcpy(v->disk, spec, (size_t)(colon - spec));
	memcpy(v->path, path, (size_t)(end - path));
	v->writable = *end && !strcmp(end, ":rw");
	return 0;
}

static int mount_volumes(void)
{
	char why[160];

	for (unsigned i = 0; i < nr_volume_specs; i++) {
		const struct volume_spec *v = &volume_specs[i];
		struct blkdev *bd = blkdev_find(v->disk);
		int ret;

		if (!bd) {
			printk("mote: volume %s on %s: no disk of that name\n", v->disk, v->path);
			return -ENODEV;
		}
		ret = vfs_mkdir_p(v->path, 0755);
		if (ret && ret != -EROFS) {	/* -EROFS: a read-only root, where it must exist */
			printk("mote: volume %s on %s: cannot make the mount point (error %d)\n",
			       v->disk, v->path, ret);
			return ret;
		}
		if ((ret = volume_mount(bd, v->path, v->writable, why, sizeof(why)))) {
			printk("mote: volume %s on %s: %s%s\n", v->disk, v->path, why,
			       ret == -ENOENT ? " (a read-only image needs the directory: mote build "
						"--mkdir)" : "");
			return ret;
		}
	}
	return 0;
}

/* A ramfs on /tmp (which must exist), world-writable and sticky as a tmpfs there is. */
static int mount_tmp(void)
{
	struct vfs_fs *tmp = ramfs_create(0);
	int ret;

	if (IS_ERR(tmp))
		return (int)PTR_ERR(tmp);
	if ((ret = vfs_mount("/tmp", tmp)) || (ret = vfs_chmod(tmp->root, 01777)))
		return ret;
	procfs_note_mount("tmpfs", "/tmp", "tmpfs", "rw,nosuid,nodev");
	return 0;
}

static int mount_filesystems(void)
{
	struct vfs_fs *root = ramfs_create(0);
	int ret;

	if (IS_ERR(root))
		return -ENOMEM;
	vfs_set_clock(clock_realtime_ns);
	if ((ret = vfs_mount_root(root)) || (ret = vfs_mkdir_p("/tmp", 01777)) || (ret = mount_tmp()))
		return ret;
	procfs_note_mount("rootfs", "/", "rootfs", "rw");
	return linux_mount_kernel_filesystems();
}

static int unpack(const void *data, uint64_t size, struct run_spec *spec)
{
	struct bundle_reader r;
	struct bundle_item it;
	int ret;

	if (bundle_open(&r, data, size)) {
		printk("mote: bad boot bundle: %s\n", r.why);
		return -EINVAL;
	}
	while ((ret = bundle_next(&r, &it)) > 0)
		if ((ret = unpack_item(&it, spec)))
			return ret;
	if (ret < 0)
		printk("mote: bad boot bundle: %s\n", r.why);
	return ret;
}

/* Runs spec's program (its argv defaulting to the path alone); returns only on failure. */
static int start_program(struct run_spec *spec)
{
	static char *no_env[] = { NULL };

	if (!spec->argv) {
		static char *argv0[2];

		argv0[0] = spec->path;
		spec->argv = argv0;
	}
	return linux_run_program(spec->path, spec->argv, spec->envp ? spec->envp : no_env, spec->cwd);
}

int linux_boot_bundle(const void *data, uint64_t size)
{
	struct run_spec *spec = mm_calloc(1, sizeof(*spec));	/* kept: argv may point into it */
	int ret;

	if (!spec)
		return MOTE_STATUS_KERNEL_FAILURE;
	if ((ret = mount_filesystems())) {
		printk("mote: cannot mount the root filesystem: error %d\n", ret);
		return MOTE_STATUS_KERNEL_FAILURE;
	}
	memcpy(spec->cwd, "/", 2);
	if (unpack(data, size, spec))
		return MOTE_STATUS_KERNEL_FAILURE;
	/* Its files have their pages or copies now: the rest is free, as Linux frees its initrd. */
	mm_free_later(kernel_direct_to_phys(data), size);
	if (mount_volumes())
		return MOTE_STATUS_KERNEL_FAILURE;
	if (!spec->path[0])
		return -1;	/* nothing to run: the caller carries on without a program */
	return start_program(spec);
}

/* ---- Disk images ---------------------------------------------------------------------- */

static int mount_image_root(struct blkdev *bd)
{
	char why[IMAGE_WHY_MAX];
	uint64_t start = clock_monotonic_ns();
	struct vfs_fs *root = imgfs_mount(bd, why, sizeof(why));
	const struct image *img;
	int ret;

	if (IS_ERR(root)) {
		printk("mote: root image on disk %s: %s\n", bd->name, why);
		return (int)PTR_ERR(root);
	}
	img = imgfs_image(root);
	printk("imgfs: root on disk %s: %u inodes, %lu KiB of metadata checked in %lu us\n", bd->name,
	       img->sb.nr_inodes, (unsigned long)(img->sb.meta_size >> 10),
	       (unsigned long)((clock_monotonic_ns() - start) / 1000));
	vfs_set_clock(clock_realtime_ns);
	if ((ret = vfs_mount_root(root)))
		return ret;
	procfs_note_mount(bd->name, "/", "imgfs", "ro");
	if ((ret = mount_tmp()) == -ENOENT) {
		printk("mote: the image has no /tmp directory; nothing mounted there\n");
		ret = 0;
	}
	if (ret || (ret = linux_mount_kernel_filesystems()))
		printk("mote: cannot mount the filesystems: error %d\n", ret);
	return ret;
}

/* NUL-terminated strings of the config, as a NULL-terminated vector (they stay in the image). */
static char **config_vector(const struct image *img, uint32_t off, uint32_t len, uint32_t count)
{
	char **v = mm_calloc(count + 1, sizeof(char *));
	const char *s = image_string(img, off);

	if (!v)
		return NULL;
	for (uint32_t i = 0, at = 0; i < count && at < len; i++) {
		v[i] = (char *)s + at;
		at += (uint32_t)strlen(s + at) + 1;
	}
	return v;
}

static int spec_from_image(const struct image *img, struct run_spec *spec,
			   const struct linux_image_args *over)
{
	unsigned nargs = over->nargs;

	const struct image_config *c = &img->config;

	memcpy(spec->path, image_string(img, c->exec_off), c->exec_len);
	memcpy(spec->cwd, image_string(img, c->cwd_off), c->cwd_len);
	spec->argv = config_vector(img, c->argv_off, c->argv_len, nargs ? 1 : c->argc);
	spec->envp = config_vector(img, c->env_off, c->env_len, c->envc);
	if (!spec->argv || !spec->envp)
		return -ENOMEM;
	if (nargs) {
		char **argv = mm_calloc(nargs + 2, sizeof(char *));

		if (!argv)
			return -ENOMEM;
		argv[0] = spec->argv[0];
		memcpy(argv + 1, over->args, nargs * sizeof(char *));
		mm_free(spec->argv);
		spec->argv = argv;
	}
	if (over->argv0)
		spec->argv[0] = (char *)over->argv0;
	return 0;
}

int linux_boot_root_disk(const struct linux_image_args *over)
{
	struct run_spec *spec = mm_calloc(1, sizeof(*spec));
	struct blkdev *bd = blkdev_find(LINUX_ROOT_DISK);

	if (!spec)
		return MOTE_STATUS_KERNEL_FAILURE;
	if (!bd) {
		printk("mote: no disk named \"%s\" to boot from\n", LINUX_ROOT_DISK);
		return MOTE_STATUS_KERNEL_FAILURE;
	}
	if (mount_image_root(bd) || mount_volumes())
		return MOTE_STATUS_KERNEL_FAILURE;
	if (spec_from_image(imgfs_image(vfs_root()->fs), spec, over))
		return MOTE_STATUS_KERNEL_FAILURE;
	return start_program(spec);
}

int linux_boot_image(void *data, uint64_t size, const struct linux_image_args *over)
{
	int ret = blkdev_ramdisk_create(LINUX_ROOT_DISK, data, size / BLKDEV_SECTOR_SIZE * BLKDEV_SECTOR_SIZE,
					true);

	if (ret) {
		printk("mote: cannot make the boot image a disk: error %d\n", ret);
		return MOTE_STATUS_KERNEL_FAILURE;
	}
	return linux_boot_root_disk(over);
}
