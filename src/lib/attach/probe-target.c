/* perf event fds for tracepoints, kprobes and uprobes, to be linked to BPF programs.
 *
 * kprobes and uprobes use the kprobe/uprobe PMUs (perf_event_open with the PMU's dynamic
 * type) rather than writing to tracefs kprobe_events/uprobe_events: the probe then
 * belongs to the fd and disappears with it, and nothing is left behind if we crash.
 *
 * A uprobe's target file is opened first, without blocking and checked to be a regular
 * file (the manager does it before taking its lock), and the probe is then placed on that
 * fd's file. A target in a container's mount namespace is opened by a forked child that
 * setns()es there, because a multi-threaded process may not change mount namespace and we
 * must not change ours; the child passes the fd back over a unix socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "cleanup.h"
#include "parse-util.h"
#include "probe-target.h"

#define PMU_DIR "/sys/bus/event_source/devices"

static const char *const tracefs_roots[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

struct probe_pmu {
	uint32_t type;
	uint64_t retprobe_config; /* the bit format/retprobe names, 0 for an entry probe */
};

/* Reads a small sysfs/tracefs file into buf as a string without its trailing newline.
 * -EFBIG if it does not fit: none of the files read here is ever close to that. */
static int read_small_file(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = -EBADF;
	size_t have = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, size - have);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have == size)
			return -EFBIG; /* no room left for the NUL */
	}
	buf[have] = '\0';
	if (have > 0 && buf[have - 1] == '\n')
		buf[have - 1] = '\0';
	return 0;
}

static int perf_event_open_fd(struct perf_event_attr *attr, pid_t pid)
{
	/* A pid filter follows the task on every cpu. Without one the event has to name a
	 * cpu: cpu 0 limits only where its counter counts, while a BPF program attached to
	 * the probe runs on every cpu. This is what libbpf does. */
	int fd = (int)syscall(__NR_perf_event_open, attr, pid > 0 ? pid : -1, pid > 0 ? -1 : 0,
			      -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* "config:N" (or the range form "config:N-N") -> bit N. */
static int parse_config_bit(const char *format, uint64_t *ret)
{
	static const char prefix[] = "config:";
	char num[16], *dash;
	uint32_t bit, last;
	int r;

	if (strncmp(format, prefix, strlen(prefix)) != 0)
		return -EBADMSG;
	format += strlen(prefix);
	if (strlen(format) >= sizeof(num))
		return -EBADMSG;
	strcpy(num, format);

	dash = strchr(num, '-');
	if (dash)
		*dash = '\0';
	r = safe_atou32(num, 10, &bit);
	if (r < 0)
		return -EBADMSG;
	if (dash && (safe_atou32(dash + 1, 10, &last) < 0 || last != bit))
		return -EBADMSG; /* a multi-bit field is not a flag */
	if (bit >= 64)
		return -EBADMSG;
	*ret = UINT64_C(1) << bit;
	return 0;
}

/* The PMU's dynamic type and, for a return probe, its retprobe bit. No PMU directory
 * means a kernel built without that probe type. */
static int probe_pmu_read(const char *name, bool retprobe, struct probe_pmu *ret)
{
	char path[128], buf[64];
	struct probe_pmu pmu = {};
	int r;

	snprintf(path, sizeof(path), PMU_DIR "/%s/type", name);
	r = read_small_file(path, buf, sizeof(buf));
	if (r == -ENOENT)
		return -EOPNOTSUPP;
	if (r < 0)
		return r;
	if (safe_atou32(buf, 10, &pmu.type) < 0)
		return -EBADMSG;

	if (retprobe) {
		snprintf(path, sizeof(path), PMU_DIR "/%s/format/retprobe", name);
		r = read_small_file(path, buf, sizeof(buf));
		if (r == -ENOENT)
			return -EOPNOTSUPP;
		if (r < 0)
			return r;
		r = parse_config_bit(buf, &pmu.retprobe_config);
		if (r < 0)
			return r;
	}
	*ret = pmu;
	return 0;
}

/* "category/name": the string becomes part of a tracefs path, so it must not be able to
 * walk anywhere else. */
static bool tracepoint_name_valid(const char *tp)
{
	const char *slash;

	if (!tp)
		return false;
	slash = strchr(tp, '/');
	if (!slash || slash == tp || slash[1] == '\0' || strchr(slash + 1, '/'))
		return false;
	if (strstr(tp, ".."))
		return false;
	if (strncmp(tp, "./", 2) == 0 || strcmp(slash, "/.") == 0)
		return false;
	for (const char *p = tp; *p; p++) {
		if (p == slash)
			continue;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	}
	return true;
}

/* The tracepoint's id from the first tracefs that knows it. */
static int tracepoint_id(const char *tp, uint64_t *ret)
{
	char path[512], buf[32];
	int r = -ENOENT;

	for (size_t i = 0; i < ELEMENTSOF(tracefs_roots); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/events/%s/id", tracefs_roots[i], tp) >=
		    sizeof(path))
			return -ENAMETOOLONG;
		r = read_small_file(path, buf, sizeof(buf));
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		return safe_atou64(buf, 10, ret) < 0 ? -EBADMSG : 0;
	}
	return r;
}

int perf_open_tracepoint(const char *tracepoint, int *ret_fd)
{
	struct perf_event_attr attr = {};
	uint64_t id;
	int fd, r;

	if (!tracepoint_name_valid(tracepoint) || !ret_fd)
		return -EINVAL;
	r = tracepoint_id(tracepoint, &id);
	if (r < 0)
		return r;

	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = id;
	fd = perf_event_open_fd(&attr, 0);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

int perf_open_kprobe(const char *fn, uint64_t offset, bool retprobe, int *ret_fd)
{
	struct perf_event_attr attr = {};
	struct probe_pmu pmu;
	int fd, r;

	if (!fn || !*fn || !ret_fd)
		return -EINVAL;
	r = probe_pmu_read("kprobe", retprobe, &pmu);
	if (r < 0)
		return r;

	attr.size = sizeof(attr);
	attr.type = pmu.type;
	attr.config = pmu.retprobe_config;
	attr.config1 = (uint64_t)(uintptr_t)fn; /* kprobe_func */
	attr.config2 = offset; /* probe_offset, within the function */
	fd = perf_event_open_fd(&attr, 0);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

/* Resolves the target in the current mount namespace and opens it the way a user's path
 * must be opened: without blocking (a FIFO would wait for a writer forever), and it must
 * be a regular file. Returns the fd. */
static int target_open_here(const char *target)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	int r;

	r = uprobe_resolve_target(target, &path);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	return TAKE_FD(fd);
}

/* The uprobe on the opened target: the kernel resolves /proc/self/fd/N to that very file,
 * whichever mount namespace it was opened in. Returns the perf event fd. */
static int uprobe_open_fd(const struct uprobe_spec *spec, int target_fd,
			  const struct probe_pmu *pmu)
{
	struct perf_event_attr attr = {};
	uint64_t offset = spec->offset;
	char path[32];
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", target_fd);
	if (spec->fn) {
		uint64_t fn_offset;

		r = elf_function_offset(path, spec->fn, &fn_offset);
		if (r < 0)
			return r;
		if (fn_offset > UINT64_MAX - offset)
			return -EOVERFLOW;
		offset += fn_offset;
	}

	attr.size = sizeof(attr);
	attr.type = pmu->type;
	attr.config = spec->retprobe ? pmu->retprobe_config : 0;
	attr.config1 = (uint64_t)(uintptr_t)path; /* uprobe_path, resolved by the kernel now */
	attr.config2 = offset; /* probe_offset, within the file */
	return perf_event_open_fd(&attr, spec->pid);
}

/* Child -> parent message: an int32 that is 0 with the fd attached, or a negative errno. */
union fd_control {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(int))];
};

static int send_result(int sock, int32_t result, int fd)
{
	union fd_control control;
	struct iovec iov = { .iov_base = &result, .iov_len = sizeof(result) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		mh.msg_control = &control;
		mh.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	for (;;) {
		if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* The fd passed along with the message, or -EBADF. */
static int take_passed_fd(struct msghdr *mh)
{
	int fd = -EBADF;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len != CMSG_LEN(sizeof(int)))
			continue;
		safe_close(fd);
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	}
	return fd;
}

/* The child's answer: the fd, or its negative errno. The fd arrives O_CLOEXEC. */
static int receive_result(int sock)
{
	_cleanup_close_ int fd = -EBADF;
	union fd_control control;
	int32_t result = 0;
	struct iovec iov = { .iov_base = &result, .iov_len = sizeof(result) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = &control,
		.msg_controllen = sizeof(control),
	};
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	fd = take_passed_fd(&mh);
	/* n == 0: the child died before answering */
	if (n != (ssize_t)sizeof(result) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return -EPROTO;
	if (result < 0)
		return result;
	if (result > 0 || fd < 0)
		return -EPROTO;
	return TAKE_FD(fd);
}

/* Reaps the child; its exit status adds nothing to the answer already received (or
 * missed). ECHILD is fine: a caller with SIGCHLD set to SIG_IGN has the kernel reap it. */
static void reap_child(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Runs in the forked child, which is single-threaded whatever the parent is, so setns()
 * into a mount namespace is allowed. glibc's fork() leaves malloc usable in the child,
 * which the cache parser needs. _exit(), not exit(), so that the parent's atexit handlers
 * and stdio buffers do not run a second time. */
static _Noreturn void target_child(int ns_fd, int sock, const char *target)
{
	int fd = -EBADF, r;

	if (setns(ns_fd, CLONE_NEWNS) < 0)
		r = -errno;
	else
		r = fd = target_open_here(target);
	r = send_result(sock, r < 0 ? r : 0, fd);
	_exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

/* How long the child may take: opening a file on a dead mount would otherwise hold the
 * request forever. */
#define TARGET_CHILD_TIMEOUT_MS 30000

static int target_open_in_namespace(const char *target, pid_t container_pid)
{
	_cleanup_close_ int ns_fd = -EBADF, parent_sock = -EBADF, child_sock = -EBADF;
	struct pollfd pfd;
	char path[64];
	int pair[2], r;
	pid_t pid;

	/* Opened here rather than in the child: a vanished process is reported without a
	 * fork, and the namespace cannot change between the check and the setns(). */
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)container_pid);
	ns_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (ns_fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;

	/* SEQPACKET: one message, and EOF if the child dies without sending it */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return -errno;
	parent_sock = pair[0];
	child_sock = pair[1];

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		target_child(ns_fd, child_sock, target);

	/* our copy closed, so that recvmsg() sees EOF when the child is gone */
	child_sock = safe_close(child_sock);
	pfd = (struct pollfd){ .fd = parent_sock, .events = POLLIN };
	do
		r = poll(&pfd, 1, TARGET_CHILD_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		r = r < 0 ? -errno : -ETIMEDOUT;
		(void)kill(pid, SIGKILL);
	} else {
		r = receive_result(parent_sock);
	}
	reap_child(pid);
	return r;
}

int uprobe_target_open(const char *target, pid_t container_pid, int *ret_fd)
{
	int fd;

	if (!target || !*target || !ret_fd || container_pid < 0)
		return -EINVAL;
	fd = container_pid > 0 ? target_open_in_namespace(target, container_pid)
			       : target_open_here(target);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

int perf_open_uprobe(const struct uprobe_spec *spec, int *ret_fd)
{
	_cleanup_close_ int own_target = -EBADF;
	struct probe_pmu pmu;
	int fd, r;

	if (!spec || !spec->target || !ret_fd || (spec->fn && !*spec->fn) || spec->pid < 0 ||
	    spec->container_pid < 0 || (spec->target_opened && spec->target_fd < 0))
		return -EINVAL;
	/* read here even for a container: its mount namespace may have no /sys */
	r = probe_pmu_read("uprobe", spec->retprobe, &pmu);
	if (r < 0)
		return r;
	if (!spec->target_opened) {
		r = uprobe_target_open(spec->target, spec->container_pid, &own_target);
		if (r < 0)
			return r;
	}
	fd = uprobe_open_fd(spec, spec->target_opened ? spec->target_fd : own_target, &pmu);
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}
