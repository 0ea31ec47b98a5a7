/* Network namespaces are per thread, so setns() here affects only the calling thread, which
 * is what a multi-threaded server needs.
 *
 * Paths are the user's (--netns, or a record's): opened O_NONBLOCK and checked to be a
 * network namespace file (nsfs, CLONE_NEWNET), so a FIFO or a regular file is refused at
 * once instead of blocking or being taken for a namespace. A request's namespace is opened
 * and checked before the writer lock (netns_open) and then lent to the thread (netns_lend),
 * so the file checked is the one entered and no open of a user path happens under the lock.
 *
 * Going back can fail (setns on the saved fd: ENOMEM). A thread left in another namespace
 * would go on serving there: every interface name, netlink socket and "host" decision of
 * later requests would be wrong. So the thread is marked stranded: it keeps the fd of its
 * own namespace, every later netns_enter() (even for the host) first retries the way back
 * and fails with -ENOTRECOVERABLE while that fails, and netns_thread_check() lets the
 * manager refuse all work on such a thread. Nothing is silently done in the wrong place,
 * nothing aborts a server whose other threads are fine, and the thread heals itself when
 * the kernel lets it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <linux/nsfs.h>

#include "cleanup.h"
#include "netns.h"

/* the fd of this thread's own namespace while it could not return to it */
static __thread int stranded_fd = -EBADF;
/* a namespace opened and checked before the lock, for netns_enter(lent_path) */
static __thread int lent_fd = -EBADF;
static __thread const char *lent_path;

int netns_open(const char *path, int *ret_fd)
{
	_cleanup_close_ int fd = -EBADF;
	struct statfs sfs;
	int type;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type != NSFS_MAGIC)
		return -ENOTTY; /* not a namespace file at all */
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		return -errno;
	if (type != CLONE_NEWNET)
		return -ENOTTY;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

void netns_lend(const char *path, int fd)
{
	lent_path = path;
	lent_fd = fd;
}

void netns_unlend(void)
{
	lent_path = NULL;
	lent_fd = -EBADF;
}

int netns_thread_check(void)
{
	if (stranded_fd < 0)
		return 0;
	if (setns(stranded_fd, CLONE_NEWNET) < 0)
		return -ENOTRECOVERABLE;
	stranded_fd = safe_close(stranded_fd);
	return 0;
}

int netns_enter(const char *path, int *ret_orig)
{
	_cleanup_close_ int orig = -EBADF, target = -EBADF;
	int r;

	*ret_orig = -EBADF;
	r = netns_thread_check();
	if (r < 0)
		return r;
	if (!path || !*path)
		return 0;
	if (lent_path && lent_fd >= 0 && strcmp(path, lent_path) == 0) {
		target = fcntl(lent_fd, F_DUPFD_CLOEXEC, 3);
		if (target < 0)
			return -errno;
	} else {
		r = netns_open(path, &target);
		if (r < 0)
			return r;
	}
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return -errno;
	if (setns(target, CLONE_NEWNET) < 0)
		return -errno;
	*ret_orig = TAKE_FD(orig);
	return 0;
}

int netns_leave(int orig)
{
	if (orig < 0)
		return 0;
	if (setns(orig, CLONE_NEWNET) < 0) {
		int r = -errno;

		/* keep the way home for netns_thread_check(); an older one stays the truth */
		if (stranded_fd < 0)
			stranded_fd = orig;
		else
			close(orig);
		return r;
	}
	close(orig);
	return 0;
}
