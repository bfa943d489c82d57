/*
 * Self-tests of the user-iovec helpers (linux/uaccess.c) on the paths that
 * touch no user memory: whatever uio_in refuses, it leaves nothing for the
 * caller to free, since every caller frees u->iov on every path.
 */
#include <lib/errno.h>
#include <lib/string.h>
#include <mote/ktest.h>

#include "../../linux/linux_internal.h"

KTEST(uio_in_refusal_leaves_nothing_to_free)
{
	struct uio u;

	memset(&u, 0xa5, sizeof(u));	/* what a stack slot held before */
	KT_EXPECT(uio_in(&u, 0, UIO_MAXIOV + 1) == -EMSGSIZE);
	KT_EXPECT(u.iov == NULL && u.total == 0);
	memset(&u, 0xa5, sizeof(u));
	KT_EXPECT(uio_in(&u, 0, 0) == 0);
	KT_EXPECT(u.iov == NULL && u.cnt == 0 && u.total == 0);
}
