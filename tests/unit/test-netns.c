/* Network namespace switching: user paths are checked without blocking, a lent fd is the
 * one entered, and a failed switch back strands the thread (every later namespace
 * operation refused) until the way back works. setns is replaced (-Wl,--wrap) so no root
 * is needed and the failure can be injected. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "test-util.h"

int __wrap_setns(int fd, int nstype);

static int fail_setns; /* errno to fail with, 0: succeed */
static struct stat last_target;

int __wrap_setns(int fd, int nstype)
{
	if (nstype != CLONE_NEWNET)
		return errno = EINVAL, -1;
	if (fail_setns)
		return errno = fail_setns, -1;
	fstat(fd, &last_target);
	return 0; /* pretend: the test stays where it is */
}

static void *other_thread(void *arg)
{
	int orig = -1;

	*(int *)arg = netns_enter(NULL, &orig);
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/test-netns.XXXXXX", fifo[64], plain[64];
	struct stat own;
	int fd = -1, orig = -1, lent, r;
	pthread_t t;

	if (!mkdtemp(dir))
		return 1;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	close(open(plain, O_CREAT | O_WRONLY, 0600));

	/* a FIFO is refused at once (a blocking open would wait for a writer), as is a file */
	CHECK_EQ_INT(netns_open(fifo, &fd), -ENOTTY);
	CHECK_EQ_INT(netns_open(plain, &fd), -ENOTTY);
	CHECK_EQ_INT(netns_enter(fifo, &orig), -ENOTTY);
	CHECK_EQ_INT(netns_open("/proc/self/ns/uts", &fd), -ENOTTY); /* not a net namespace */
	CHECK_EQ_INT(netns_open(dir, &fd), -ENOTTY);
	CHECK_EQ_INT(netns_open("/proc/self/ns/net", &fd), 0);

	/* a lent fd is what gets entered */
	lent = fd;
	netns_lend("/some/name", lent);
	CHECK_EQ_INT(netns_enter("/some/name", &orig), 0);
	CHECK(fstat(lent, &own) == 0);
	CHECK_EQ_INT(last_target.st_ino, own.st_ino);
	CHECK_EQ_INT(netns_leave(orig), 0);
	netns_unlend();
	CHECK_EQ_INT(netns_enter("/some/name", &orig), -ENOENT); /* not lent any more */
	close(lent);

	/* the way back fails: the thread is stranded and refuses every namespace operation */
	CHECK_EQ_INT(netns_enter("/proc/self/ns/net", &orig), 0);
	fail_setns = ENOMEM;
	CHECK_EQ_INT(netns_leave(orig), -ENOMEM);
	CHECK_EQ_INT(netns_thread_check(), -ENOTRECOVERABLE);
	CHECK_EQ_INT(netns_enter(NULL, &orig), -ENOTRECOVERABLE); /* "the host" is not here */
	CHECK_EQ_INT(netns_enter("/proc/self/ns/net", &orig), -ENOTRECOVERABLE);
	/* other threads are not affected */
	CHECK(pthread_create(&t, NULL, other_thread, &r) == 0);
	pthread_join(t, NULL);
	CHECK_EQ_INT(r, 0);
	/* the kernel lets it go back: the thread heals */
	fail_setns = 0;
	CHECK_EQ_INT(netns_thread_check(), 0);
	CHECK_EQ_INT(netns_enter(NULL, &orig), 0);

	unlink(fifo);
	unlink(plain);
	rmdir(dir);
	return TEST_RESULT();
}
