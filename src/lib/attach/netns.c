/* Network namespaces are per thread, so setns() here affects only the calling thread, which
 * is what a multi-threaded server needs. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "cleanup.h"
#include "netns.h"

int netns_enter(const char *path, int *ret_orig)
{
	_cleanup_close_ int orig = -EBADF, target = -EBADF;

	*ret_orig = -EBADF;
	if (!path || !*path)
		return 0;
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (orig < 0)
		return -errno;
	if (setns(target, CLONE_NEWNET) < 0)
		return -errno;
	*ret_orig = TAKE_FD(orig);
	return 0;
}

void netns_leave(int orig)
{
	if (orig < 0)
		return;
	(void)setns(orig, CLONE_NEWNET);
	close(orig);
}
