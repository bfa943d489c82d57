/*
 * fs/vnode_file.h: the file ops of files opened on vnodes (fs/vnode_file.c).
 */
#ifndef FS_VNODE_FILE_H
#define FS_VNODE_FILE_H

#include <mote/vfs.h>

/* The ops for a file opened on vn with oflags: regular, directory, or O_PATH. */
const struct file_ops *vnode_file_ops(const struct vnode *vn, unsigned oflags);

#endif
