/*
 * mote/vfs: the virtual filesystem. Vnodes, mounts, path resolution, the
 * namespace operations behind the Linux file system calls, and open files
 * on filesystem objects (docs/fs.md tells the whole design).
 *
 * Vnodes. A `struct vnode` is one filesystem object (regular file,
 * directory, symlink): its attributes live here, in the VFS, so chmod,
 * utimensat, stat and access need nothing from the filesystem; its
 * contents and its directory entries belong to the filesystem behind
 * vn->ops. Vnodes are reference counted (vnode_get/vnode_put, atomic).
 * Every directory entry naming a vnode holds a reference, and so does
 * every open file, every working directory, and every subdirectory (on its
 * parent). When the last reference goes the filesystem's evict op frees
 * it, so a file unlinked while open lives until its last close.
 *
 * Mounts. Each filesystem instance (`struct vfs_fs`) is mounted once: the
 * first becomes the root, later ones cover a directory. Path walks step
 * from a covered directory into the mount's root, and ".." from a mount's
 * root back to the covered directory's parent. Mounts are for boot time
 * and are never removed (no umount).
 *
 * Paths. A path is resolved from a starting directory the caller gives
 * (its cwd, or a dirfd's vnode: AT_FDCWD is the caller's business);
 * absolute paths and absolute symlink targets start again at the root.
 * "." and ".." and runs of slashes work as in Linux; a trailing slash means
 * "must be a directory". Symlinks are followed in the middle of a path,
 * and on the last component unless the call says not to; the 41st symlink
 * in one resolution is -ELOOP. A component longer than 255 bytes or a path
 * of 4096 bytes or more is -ENAMETOOLONG; "" is -ENOENT.
 *
 * Permissions. Applications run as root, so there are no permission
 * checks, with root's exceptions: exec needs some x bit (vfs_check_exec),
 * writes to a read-only filesystem are -EROFS.
 *
 * Errors are negated Linux errno values, chosen as Linux chooses them
 * (docs/fs.md lists them; tests/unit/fs compares with the host kernel).
 *
 * Locking (deadlock-free by construction):
 *   - each filesystem instance has one namespace mutex (fs->ns_lock)
 *     guarding all its directories, names, parent links and link counts;
 *   - each vnode has a mutex (vn->lock) guarding its contents and
 *     attributes (size, times, mode, owner);
 *   - order: ns_lock, then at most one vn->lock. Operations that involve
 *     two filesystems (rename, link) fail with -EXDEV before locking, so
 *     no thread ever holds two ns_locks; a path walk takes one ns_lock per
 *     step and drops it before the next. Rename is one ns_lock too, so it
 *     cannot deadlock against anything.
 *   - reference counts are atomic and need no lock; vnode_put() must not
 *     be called with an ns_lock held when it may drop the last reference
 *     (the filesystem's evict may lock).
 * Every function here is for thread context (they sleep on mutexes).
 *
 * Time stamps come from a clock hook (vfs_set_clock): the kernel passes
 * clock_realtime_ns, host tests a fake. atime is set at creation and by
 * utimensat only (as a noatime mount: reads never write metadata).
 */
#ifndef MOTE_VFS_H
#define MOTE_VFS_H

#include <mote/file.h>
#include <mote/sync.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Constants: Linux's values, so the syscall layer passes them through ---- */

#define VFS_NAME_MAX 255	/* bytes in one path component */
#define VFS_PATH_MAX 4096	/* bytes in a path, NUL included */
#define VFS_SYMLOOP_MAX 40	/* symlinks one resolution may follow */

#define VFS_S_IFMT   0170000
#define VFS_S_IFSOCK 0140000
#define VFS_S_IFLNK  0120000
#define VFS_S_IFREG  0100000
#define VFS_S_IFBLK  0060000
#define VFS_S_IFDIR  0040000
#define VFS_S_IFCHR  0020000
#define VFS_S_IFIFO  0010000
#define VFS_S_ISUID  04000
#define VFS_S_ISGID  02000
#define VFS_S_ISVTX  01000
#define VFS_PERM_MASK 07777

#define VFS_ISREG(m) (((m) & VFS_S_IFMT) == VFS_S_IFREG)
#define VFS_ISDIR(m) (((m) & VFS_S_IFMT) == VFS_S_IFDIR)
#define VFS_ISLNK(m) (((m) & VFS_S_IFMT) == VFS_S_IFLNK)
#define VFS_ISCHR(m) (((m) & VFS_S_IFMT) == VFS_S_IFCHR)

/* A device number as Linux encodes it in st_rdev (12-bit major, 20-bit minor). */
#define VFS_MKDEV(major, minor)							\
	((((uint64_t)(major) & 0xfff) << 8) | ((uint64_t)(minor) & 0xff) |		\
	 (((uint64_t)(minor) & ~0xffull) << 12) | (((uint64_t)(major) & ~0xfffull) << 32))

/* open(2) flags (x86-64 values). FILE_* in mote/file.h are the same bits. */
#define VFS_O_ACCMODE   03
#define VFS_O_RDONLY    00
#define VFS_O_WRONLY    01
#define VFS_O_RDWR      02
#define VFS_O_CREAT     0100
#define VFS_O_EXCL      0200
#define VFS_O_NOCTTY    0400
#define VFS_O_TRUNC     01000
#define VFS_O_APPEND    02000
#define VFS_O_NONBLOCK  04000
#define VFS_O_DSYNC     010000
#define VFS_O_DIRECTORY 0200000
#define VFS_O_NOFOLLOW  0400000
#define VFS_O_CLOEXEC   02000000
#define VFS_O_SYNC      04010000
#define VFS_O_PATH      010000000
#define VFS_O_TMPFILE   020200000	/* with O_DIRECTORY, as Linux */

/* lseek whence */
#define VFS_SEEK_SET  0
#define VFS_SEEK_CUR  1
#define VFS_SEEK_END  2
#define VFS_SEEK_DATA 3
#define VFS_SEEK_HOLE 4

/* access(2) modes */
#define VFS_F_OK 0
#define VFS_X_OK 1
#define VFS_W_OK 2
#define VFS_R_OK 4

/* renameat2 flags */
#define VFS_RENAME_NOREPLACE 1
#define VFS_RENAME_EXCHANGE  2

/* utimensat special nanoseconds */
#define VFS_UTIME_NOW  ((1l << 30) - 1l)
#define VFS_UTIME_OMIT ((1l << 30) - 2l)

/* linux_dirent64 d_type values */
#define VFS_DT_UNKNOWN 0
#define VFS_DT_FIFO    1
#define VFS_DT_CHR     2
#define VFS_DT_DIR     4
#define VFS_DT_REG     8
#define VFS_DT_LNK     10

/* Flags for vfs_lookup() and friends. */
#define VFS_LOOKUP_NOFOLLOW  0x1	/* do not follow a symlink in the last component */
#define VFS_LOOKUP_DIRECTORY 0x2	/* the result must be a directory (-ENOTDIR) */

/* ---- Vnodes ----------------------------------------------------------------------- */

struct ktimespec {
	int64_t sec;
	int64_t nsec;		/* 0 .. 999999999 (and the UTIME_* values on input) */
};

/* What fstat/newfstatat/statx report. */
struct kstat {
	uint64_t dev;
	uint64_t ino;
	uint32_t mode;		/* S_IF* | permission bits */
	uint32_t nlink;
	uint32_t uid, gid;
	uint64_t rdev;
	int64_t size;
	uint32_t blksize;
	uint64_t blocks;	/* 512-byte units actually allocated */
	struct ktimespec atime, mtime, ctime, btime;
};

struct vnode;
struct vfs_fs;
struct mount;

/* linux_dirent64, as getdents64 writes it. */
struct vfs_dirent64 {
	uint64_t d_ino;
	int64_t d_off;		/* the position after this record (lseek target) */
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
} __attribute__((packed));

/*
 * One entry for vfs_fs_ops.readdir's callback: returns false to stop
 * (the record did not fit). `next` is the position after this entry.
 */
typedef bool vfs_filldir_fn(void *ctx, const char *name, size_t len, uint64_t ino,
			    unsigned type, uint64_t next);

/*
 * What a filesystem implements. Namespace ops run with fs->ns_lock held;
 * data ops with vn->lock held. Names are not NUL-terminated (name, len),
 * never "." or "..", never longer than VFS_NAME_MAX. The VFS has already
 * checked everything it can (types, emptiness, existence, flags), so the
 * ops only do the work and report resource errors (-ENOSPC, -ENOMEM). A
 * filesystem that cannot do something leaves the op NULL (-EROFS for
 * namespace changes, -EINVAL for data).
 */
struct vfs_fs_ops {
	/* The child named, referenced; NULL if there is none. */
	struct vnode *(*lookup)(struct vnode *dir, const char *name, size_t len);
	/* A new object of type mode & VFS_S_IFMT (REG, DIR or LNK with `target`), referenced. */
	struct vnode *(*create)(struct vnode *dir, const char *name, size_t len, uint32_t mode,
				const char *target);
	/* Adds an entry for vn (not a directory) in dir. */
	int (*link)(struct vnode *dir, const char *name, size_t len, struct vnode *vn);
	/* Removes the entry name, which names vn (an empty directory, or not one). */
	int (*unlink)(struct vnode *dir, const char *name, size_t len, struct vnode *vn);
	/*
	 * Moves olddir/oldname (vn) to newdir/newname, replacing `victim` there
	 * (NULL: none), or with VFS_RENAME_EXCHANGE swaps the two entries.
	 */
	int (*rename)(struct vnode *olddir, const char *oldname, size_t oldlen, struct vnode *vn,
		      struct vnode *newdir, const char *newname, size_t newlen,
		      struct vnode *victim, unsigned flags);
	bool (*dir_empty)(struct vnode *dir);
	/* Calls fill for each entry from position *pos (>= 2) on, advancing *pos. */
	int (*readdir)(struct vnode *dir, uint64_t *pos, vfs_filldir_fn *fill, void *ctx);

	/* Data, vn->lock held. Short counts only at end of file or on exhaustion. */
	long (*read)(struct vnode *vn, void *buf, size_t len, uint64_t off);
	long (*write)(struct vnode *vn, const void *buf, size_t len, uint64_t off);
	int (*truncate)(struct vnode *vn, uint64_t len);
	/* SEEK_DATA / SEEK_HOLE from off (< size); the offset found. */
	int64_t (*seek_data)(struct vnode *vn, uint64_t off, int whence);
	/* Copies the symlink target (no NUL) into buf; its length, truncated to len. */
	long (*readlink)(struct vnode *vn, char *buf, size_t len);

	/*
	 * mmap without a copy (optional): the page of vn's data at
	 * page-aligned off (< size), made if it is a hole, zero past the end
	 * of the file; or ERR_PTR(-EIO / -ENOMEM / -ENOSPC). Called without
	 * vn->lock. The page comes from page_alloc(0) and belongs to the
	 * filesystem, which releases it with page_unref() (mm.h) when it drops
	 * it (evict, truncate); mappings take references of their own
	 * (fs/mmap.c), so a page outlives neither. It is the file's data
	 * itself: shared mappings write into it, and read/write see those
	 * writes. Filesystems without it are mapped by copying through read.
	 */
	void *(*map_page)(struct vnode *vn, uint64_t off);
	/*
	 * Optional, vn->lock held: makes page (from page_alloc(0); the
	 * reference passes to the filesystem) vn's data at page-aligned off
	 * (< size), which must be a hole: -EEXIST if it is not, -ENOSPC over
	 * the filesystem's limit, -ENOMEM; on an error the page stays the
	 * caller's. How a file keeps memory that holds its bytes already (the
	 * boot bundle's pages) instead of copying it.
	 */
	int (*give_page)(struct vnode *vn, uint64_t off, void *page);

	/*
	 * Optional, for objects that are not plain data (generated files):
	 * opens vn, giving a file that holds its own reference on vn if it
	 * keeps one, or ERR_PTR(-errno); NULL means "the generic file ops".
	 * oflags are the kept open flags; O_PATH opens never come here.
	 */
	struct file *(*open)(struct vnode *vn, unsigned oflags);
	/*
	 * Optional, for magic symlinks (/proc/self/fd/N): the object a path
	 * walk continues at instead of the link's text, referenced, or
	 * ERR_PTR(-errno); NULL means "follow the text". readlink still
	 * gives the text.
	 */
	struct vnode *(*follow_link)(struct vnode *link);

	/* No reference is left: free vn (no lock held). */
	void (*evict)(struct vnode *vn);
};

struct vnode {
	unsigned long refs;		/* atomic */
	struct vfs_fs *fs;
	void *priv;			/* the filesystem's own */
	struct mutex lock;		/* contents and the attributes below */

	uint64_t ino;
	uint32_t mode;			/* S_IF* | permissions */
	uint32_t nlink;			/* fs->ns_lock */
	uint32_t uid, gid;
	uint64_t rdev;
	uint64_t size;
	uint64_t blocks;		/* 512-byte units */
	struct ktimespec atime, mtime, ctime, btime;

	/* Directories only, under fs->ns_lock: */
	struct vnode *parent;		/* referenced; the fs root points at itself */
	const char *name;		/* its name in parent (fs-owned storage) */
	size_t name_len;
	struct mount *covered_by;	/* the mount on this directory, if any */

	/* Others: the name its last link had, kept if it was held open when unlinked (VFS-owned). */
	char *unlinked_name;
};

/* Initialises a new vnode with one reference (filesystems call this). */
void vnode_init(struct vnode *vn, struct vfs_fs *fs, uint32_t mode);
void vnode_get(struct vnode *vn);
void vnode_put(struct vnode *vn);

/* The current time from the clock hook, and "set these times to now" for filesystems. */
struct ktimespec vfs_now(void);
#define VFS_TOUCH_A 1
#define VFS_TOUCH_M 2
#define VFS_TOUCH_C 4
void vfs_touch(struct vnode *vn, unsigned which);	/* vn->lock held */

/* The time source, nanoseconds since the epoch (NULL: always 0). */
void vfs_set_clock(uint64_t (*realtime_ns)(void));

/* ---- Filesystem instances and mounts -------------------------------------------- */

#define VFS_FS_RDONLY 1

struct vfs_fs {
	const struct vfs_fs_ops *ops;
	struct mutex ns_lock;
	struct vnode *root;		/* referenced */
	struct mount *mount;		/* NULL until mounted */
	uint64_t dev;			/* st_dev, unique per instance */
	unsigned flags;			/* VFS_FS_* */
	uint64_t next_ino;		/* ns_lock */
	void *priv;
};

/* Filesystems call this first (root set by the filesystem afterwards). */
void vfs_fs_init(struct vfs_fs *fs, const struct vfs_fs_ops *ops, unsigned flags);

/* Makes fs the root filesystem. -EBUSY if there already is one. */
int vfs_mount_root(struct vfs_fs *fs);

/*
 * Mounts fs on the directory `path` (resolved from the root). -ENOTDIR,
 * -ENOENT, -EBUSY (already a mount point, or fs already mounted).
 */
int vfs_mount(const char *path, struct vfs_fs *fs);

/* The root directory, referenced (NULL before vfs_mount_root). */
struct vnode *vfs_root(void);

/* ramfs (fs/ramfs.c): a writable in-memory filesystem of at most max_bytes (0: no limit). */
struct vfs_fs *ramfs_create(uint64_t max_bytes);
/* Largest ramfs file; larger writes and truncates are -EFBIG. */
#define RAMFS_MAX_FILE_SIZE (1ULL << 40)

/* What a ramfs instance holds, and what it has done (for tests and diagnostics). */
struct ramfs_stats {
	uint64_t used_bytes;		/* charged: metadata, index nodes, data blocks */
	uint64_t blocks;		/* data blocks held now */
	uint64_t index_nodes;		/* radix index nodes held now */
	uint64_t block_allocs;		/* data blocks ever allocated */
	uint64_t bytes_copied;		/* bytes ever copied into or out of blocks */
};
/* Reads fs's counters (fs must be a ramfs instance). */
void ramfs_get_stats(struct vfs_fs *fs, struct ramfs_stats *out);

/*
 * imgfs (fs/imgfs.c, docs/fs.md): the read-only image filesystem
 * (include/abi/image.h) on the block device bd (kernel only). Checks the
 * whole image first: ERR_PTR(-EINVAL) with the reason in why (why_len
 * bytes) for an image lib/image refuses, -EIO, -ENOMEM. Files mmap
 * through map_page without a copy.
 */
struct blkdev;
struct vfs_fs *imgfs_mount(struct blkdev *bd, char *why, size_t why_len);

/* What an imgfs instance has done (for tests). */
struct imgfs_stats {
	uint64_t pages_filled;		/* pages ever read from the disk */
	uint64_t pages_cached;		/* pages held now */
};
void imgfs_get_stats(struct vfs_fs *fs, struct imgfs_stats *out);
/* The checked image behind an imgfs instance (lib/image.h): its config record, for booting. */
struct image;
const struct image *imgfs_image(struct vfs_fs *fs);
/* Frees an instance that was never mounted and whose vnodes are all released. */
void imgfs_unmount(struct vfs_fs *fs);

/*
 * Volumes (fs/volume.c): a disk mounted on path, read-only (the image
 * filesystem on it) or writable (a ramfs loaded from the image on it, or
 * empty for a zeroed disk, written back as an image by volume_sync). 0, or
 * -errno with a sentence in why. volume_sync writes fs back if it is a
 * writable volume (0 otherwise); volume_sync_all writes every one. Both
 * return the first error (-EIO, -ENOSPC), the disk keeping its previous
 * image.
 */
struct blkdev;
int volume_mount(struct blkdev *bd, const char *path, bool writable, char *why, size_t why_len);
int volume_sync(struct vfs_fs *fs);
int volume_sync_all(void);

/* ---- Path operations ---------------------------------------------------------------- */

/*
 * Each takes a starting directory `dir` for relative paths (not consumed;
 * NULL means the root) and returns 0 or a negative errno.
 */

/* Resolves path to a referenced vnode in *out. VFS_LOOKUP_* flags. */
int vfs_lookup(struct vnode *dir, const char *path, unsigned flags, struct vnode **out);

/*
 * open(2) on a path: the file (with a reference) or ERR_PTR(-errno).
 * Honours O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW,
 * O_PATH, O_NONBLOCK; O_CLOEXEC is kept in f->flags but is the fd
 * table's business. mode is the permission bits for O_CREAT.
 */
struct file *vfs_open(struct vnode *dir, const char *path, unsigned oflags, uint32_t mode);

/* A file on an existing vnode, as vfs_open without the path (for reopen, exec, procfs). */
struct file *vfs_open_vnode(struct vnode *vn, unsigned oflags);

int vfs_mkdir(struct vnode *dir, const char *path, uint32_t mode);
/* unlinkat: flags 0 or VFS_AT_REMOVEDIR (rmdir). */
#define VFS_AT_REMOVEDIR 0x200
int vfs_unlink(struct vnode *dir, const char *path, unsigned flags);
int vfs_rename(struct vnode *olddir, const char *oldpath, struct vnode *newdir,
	       const char *newpath, unsigned flags);
int vfs_symlink(const char *target, struct vnode *dir, const char *path);
/* linkat: flags 0 or VFS_AT_SYMLINK_FOLLOW. */
#define VFS_AT_SYMLINK_FOLLOW 0x400
int vfs_link(struct vnode *olddir, const char *oldpath, struct vnode *newdir,
	     const char *newpath, unsigned flags);
/* readlinkat: bytes copied (no NUL, truncated to len); -EINVAL if not a symlink. */
long vfs_readlink(struct vnode *dir, const char *path, char *buf, size_t len);

/*
 * Character devices. A device node (a VFS_S_IFCHR vnode, on any
 * filesystem) opens the driver registered for its rdev: the driver's open
 * gives the file (holding its own reference on vn if it keeps one, as a
 * file's stat should show the node), or ERR_PTR(-errno). A node with no
 * driver opens with -ENXIO, as in Linux. Writes to a device are allowed
 * on any filesystem. Registration is for boot time: -EBUSY if rdev has a
 * driver, -ENOSPC past VFS_CHRDEV_MAX drivers.
 */
typedef struct file *vfs_chrdev_open_fn(struct vnode *vn, unsigned oflags);
#define VFS_CHRDEV_MAX 16
int vfs_chrdev_register(uint64_t rdev, vfs_chrdev_open_fn *open);

/*
 * The path an open file was opened by, as /proc/self/fd/N shows it:
 * directories by their place in the tree, other files by the directory
 * they were opened in and their name there, and a file unlinked while open
 * by its last name and " (deleted)", as Linux. Bytes written (no NUL,
 * truncated to len); -ENOENT when the file has no path (opened on a vnode
 * rather than a path, moved to another directory, or not a filesystem object).
 */
long vfs_file_path(struct file *f, char *buf, size_t len);

/* ---- Vnode operations ---------------------------------------------------------------- */

int vfs_stat(struct vnode *vn, struct kstat *st);
long vfs_readlink_vnode(struct vnode *vn, char *buf, size_t len);
/* truncate(2): -EISDIR on a directory, -EINVAL on other non-regular files, -EFBIG. */
int vfs_truncate(struct vnode *vn, uint64_t len);
int vfs_chmod(struct vnode *vn, uint32_t mode);
/* (uid_t)-1 / (gid_t)-1 leave that one unchanged. */
int vfs_chown(struct vnode *vn, uint32_t uid, uint32_t gid);
/* utimensat: ts[0] atime, ts[1] mtime (UTIME_NOW, UTIME_OMIT), or NULL for now. */
int vfs_utimens(struct vnode *vn, const struct ktimespec *ts);
/* access(2) as root: R and W always (W: -EROFS on a read-only fs), X needs an x bit. */
int vfs_access(struct vnode *vn, int mode);
/* execve's check: a regular file with an x bit, else -EACCES. */
int vfs_check_exec(struct vnode *vn);

/*
 * getcwd: writes the absolute path of directory vn into buf (NUL
 * included) and returns its length with the NUL, as the getcwd system
 * call does. -ERANGE if it does not fit, -ENOENT if vn was removed.
 */
long vfs_getpath(struct vnode *vn, char *buf, size_t size);

/* ---- Populating the root at boot (absolute paths, from the root) ------------------- */

/* Creates (or replaces the contents of) a regular file, making missing parents 0755. */
int vfs_create_file(const char *path, uint32_t mode, const void *data, size_t len);
/*
 * The same for data on whole pages the file may keep: data is
 * page-aligned and zero from len to the end of its last page. Each page
 * that take() hands over (one reference, as page_alloc(0) gives; NULL:
 * copy it instead) becomes the file's own where the filesystem can keep
 * pages (give_page); the others are copied. take NULL copies them all.
 */
int vfs_create_file_pages(const char *path, uint32_t mode, const void *data, size_t len,
			  void *(*take)(const void *page));
/* mkdir -p; existing directories are fine. */
int vfs_mkdir_p(const char *path, uint32_t mode);
/* Creates a symlink, making missing parents 0755. */
int vfs_create_symlink(const char *path, const char *target);

/* ---- Memory mappings ------------------------------------------------------------- */

struct vm_file;
/*
 * mmap(2) of open file f (fs/mmap.c): fills *out with the VM layer's file
 * hook over f's vnode (named in /proc/self/maps by the path f was opened
 * by) and what f's open mode allows (mote/vm.h). -EBADF
 * for an O_PATH handle, -ENODEV for what cannot be mapped: not a regular
 * file, or a shared mapping asking for PROT_WRITE (prot) on a filesystem
 * without map_page (read-only shared mappings of those cannot gain it).
 * Kernel only.
 */
int vfs_mmap_file(struct file *f, bool shared, unsigned prot, struct vm_file *out);
/* Drops the mapper's hold on *vf once vm_mmap is done with it (mapped or not). */
void vfs_mmap_done(struct vm_file *vf);

/* ---- For tests: fail the n-th allocation from now (0: never), to test -ENOMEM paths -- */
void vfs_fail_alloc_after(unsigned long n);

#endif
