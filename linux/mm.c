/*
 * Memory system calls: brk, mmap and friends, over the process's vm_space
 * (mote/vm.h has the semantics; this file adds the lock and the argument
 * checks Linux makes before the VM layer sees a call), and the user
 * page-fault path.
 */
#include <lib/errno.h>
#include <lib/err.h>
#include <mote/arch.h>
#include <mote/file.h>
#include <mote/linux.h>
#include <mote/mm.h>
#include <mote/uaccess.h>
#include <mote/vfs.h>
#include <mote/vmkernel.h>
#include "linux_internal.h"
#include "syscall.h"

static unsigned vm_access(unsigned arch_access)
{
	return arch_access & ARCH_PROT_EXEC ? VM_PROT_EXEC :
	       arch_access & ARCH_PROT_WRITE ? VM_PROT_WRITE : VM_PROT_READ;
}

int linux_mm_fault(uintptr_t addr, unsigned access)
{
	struct linux_process *p = current_process();
	int ret;

	if (!p)
		return -EFAULT;
	mutex_lock(&p->vm_lock);
	ret = vm_fault(&p->vm, addr, vm_access(access));
	mutex_unlock(&p->vm_lock);
	return ret;
}

/* The page-fault hook: user faults take the lock; kernel ones (self-tests) go straight in. */
int linux_page_fault(uintptr_t addr, unsigned access, bool user)
{
	return user ? linux_mm_fault(addr, access) : vm_kernel_fault(addr, access, user);
}

/*
 * Linux's heuristic overcommit (vm.overcommit_memory 0): memory may be
 * promised beyond what exists, but no single request for private
 * writable memory may exceed all of RAM (mote has no swap). Requests with
 * MAP_NORESERVE, and read-only or inaccessible reservations, are free.
 */
static bool commit_ok(size_t bytes)
{
	return bytes / VM_PAGE_SIZE <= page_total_count();
}

SYSCALL(brk)
{
	struct linux_process *p = current_process();
	uintptr_t ret;

	mutex_lock(&p->vm_lock);
	if (a0 > p->vm.brk && !commit_ok(a0 - p->vm.brk)) {
		ret = p->vm.brk;
		mutex_unlock(&p->vm_lock);
		return (long)ret;
	}
	ret = vm_brk(&p->vm, a0);
	mutex_unlock(&p->vm_lock);
	return (long)ret;
}

/* The file side of a file mapping: *file filled and referenced through *held. */
static int mmap_file(int fd, unsigned prot, unsigned flags, struct vm_file *file,
		     struct file **held)
{
	struct file *f = fget(fd);
	int ret;

	if (IS_ERR(f))
		return (int)PTR_ERR(f);
	ret = vfs_mmap_file(f, (flags & VM_MAP_TYPE) != VM_MAP_PRIVATE, prot, file);
	if (ret)
		file_put(f);
	else
		*held = f;
	return ret;
}

SYSCALL(mmap)
{
	struct linux_process *p = current_process();
	unsigned flags = (unsigned)a3;
	struct vm_file file = { 0 };
	struct file *held = NULL;
	uintptr_t result;
	int ret;

	if ((a2 & VM_PROT_WRITE) && (flags & VM_MAP_TYPE) == VM_MAP_PRIVATE &&
	    !(flags & VM_MAP_NORESERVE) && !commit_ok(a1))
		return -ENOMEM;
	if (!(flags & VM_MAP_ANONYMOUS)) {
		if (a5 & (VM_PAGE_SIZE - 1))
			return -EINVAL;
		if ((ret = mmap_file((int)a4, (unsigned)a2, flags, &file, &held)))
			return ret;
	}
	mutex_lock(&p->vm_lock);
	ret = vm_mmap(&p->vm, a0, a1, (unsigned)a2, flags, held ? &file : NULL, a5, &result);
	mutex_unlock(&p->vm_lock);
	if (held) {
		vfs_mmap_done(&file);	/* the areas hold the vnode, not the file */
		file_put(held);
	}
	return ret ? ret : (long)result;
}

SYSCALL(munmap)
{
	struct linux_process *p = current_process();
	int ret;

	mutex_lock(&p->vm_lock);
	ret = vm_munmap(&p->vm, a0, a1);
	mutex_unlock(&p->vm_lock);
	return ret;
}

SYSCALL(mprotect)
{
	struct linux_process *p = current_process();
	int ret;

	mutex_lock(&p->vm_lock);
	ret = vm_mprotect(&p->vm, a0, a1, (unsigned)a2);
	mutex_unlock(&p->vm_lock);
	return ret;
}

SYSCALL(mremap)
{
	struct linux_process *p = current_process();
	uintptr_t result;
	int ret;

	mutex_lock(&p->vm_lock);
	ret = vm_mremap(&p->vm, a0, a1, a2, (unsigned)a3, a4, &result);
	mutex_unlock(&p->vm_lock);
	return ret ? ret : (long)result;
}

SYSCALL(madvise)
{
	struct linux_process *p = current_process();
	int ret;

	mutex_lock(&p->vm_lock);
	ret = vm_madvise(&p->vm, a0, a1, (int)a2);
	mutex_unlock(&p->vm_lock);
	return ret;
}

/* Nothing is ever paged out or written back: these only check their range. */
static long range_check(uintptr_t addr, size_t len)
{
	struct linux_process *p = current_process();
	uintptr_t end = (addr + len + VM_PAGE_SIZE - 1) & ~(VM_PAGE_SIZE - 1);
	long ret = 0;

	if (addr & (VM_PAGE_SIZE - 1))
		return -EINVAL;
	mutex_lock(&p->vm_lock);
	for (uintptr_t a = addr; a < end && !ret;) {
		struct vma *v = vm_find(&p->vm, a);

		if (!v)
			ret = -ENOMEM;
		else
			a = v->end;
	}
	mutex_unlock(&p->vm_lock);
	return ret;
}

SYSCALL(msync)
{
	if (a2 & ~7UL || (a2 & 1 && a2 & 4))	/* MS_ASYNC 1, MS_INVALIDATE 2, MS_SYNC 4 */
		return -EINVAL;
	return range_check(a0, a1);
}

SYSCALL(mlock)
{
	return range_check(a0 & ~(VM_PAGE_SIZE - 1), a1 + (a0 & (VM_PAGE_SIZE - 1)));
}

SYSCALL(munlock)
{
	return range_check(a0 & ~(VM_PAGE_SIZE - 1), a1 + (a0 & (VM_PAGE_SIZE - 1)));
}
