/* tracepoint, kprobe/kretprobe, uprobe/uretprobe: a perf event, then a BPF_PERF_EVENT link
 * on it. The link holds the perf event, so pinning the link keeps the probe alive after
 * our process exits. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "attach.h"
#include "cleanup.h"
#include "layout.h"
#include "probe-target.h"

int attach_errorf(struct attach_request *r, int err, const char *fmt, ...)
{
	va_list ap;

	free(r->error);
	r->error = NULL;
	va_start(ap, fmt);
	if (vasprintf(&r->error, fmt, ap) < 0)
		r->error = NULL;
	va_end(ap);
	return err;
}

static int link_perf_event(struct attach_request *r, int perf_fd, int *ret_link_fd)
{
	int fd = bpf_link_create(r->prog_fd, perf_fd, BPF_PERF_EVENT, NULL);

	if (fd < 0)
		return attach_errorf(r, -errno, "cannot link program to the perf event: %s",
			      strerror(errno));
	*ret_link_fd = fd;
	return 0;
}

int attach_tracepoint(struct attach_request *r, int *ret_link_fd)
{
	_cleanup_close_ int pfd = -EBADF;
	const char *tp = r->opts->tracepoint;
	int e;

	if (!tp || !*tp)
		return attach_errorf(r, -EINVAL, "a tracepoint is required (-t CATEGORY/NAME)");
	(void)tracefs_ensure(); /* a missing tracefs shows up below as a clear error */
	e = perf_open_tracepoint(tp, &pfd);
	if (e == -EINVAL)
		return attach_errorf(r, e, "invalid tracepoint '%s': expected CATEGORY/NAME", tp);
	if (e == -ENOENT)
		return attach_errorf(r, e, "tracepoint '%s' does not exist", tp);
	if (e < 0)
		return attach_errorf(r, e, "cannot open tracepoint '%s': %s", tp, strerror(-e));
	return link_perf_event(r, pfd, ret_link_fd);
}

int attach_kprobe(struct attach_request *r, int *ret_link_fd)
{
	_cleanup_close_ int pfd = -EBADF;
	const char *fn = r->opts->fn_name;
	int e;

	if (!fn || !*fn)
		return attach_errorf(r, -EINVAL, "a function name is required (-f FN)");
	if (r->opts->container_pid)
		return attach_errorf(r, -EINVAL, "kprobes are kernel-wide: --container-pid does not apply");
	e = perf_open_kprobe(fn, r->opts->offset, r->prog->retprobe, &pfd);
	if (e == -ENOENT)
		return attach_errorf(r, e, "kernel function '%s' does not exist (or cannot be probed)", fn);
	if (e < 0)
		return attach_errorf(r, e, "cannot open %s on '%s': %s",
			      r->prog->retprobe ? "kretprobe" : "kprobe", fn, strerror(-e));
	return link_perf_event(r, pfd, ret_link_fd);
}

int attach_uprobe(struct attach_request *r, int *ret_link_fd)
{
	_cleanup_close_ int pfd = -EBADF;
	struct uprobe_spec spec = {
		.target = r->opts->target,
		.fn = r->opts->fn_name && *r->opts->fn_name ? r->opts->fn_name : NULL,
		.offset = r->opts->offset,
		.retprobe = r->prog->retprobe,
		.pid = r->opts->pid,
		.container_pid = r->opts->container_pid,
		.target_opened = r->uprobe_target_opened,
		.target_fd = r->uprobe_target_fd,
	};
	int e;

	if (!spec.target || !*spec.target)
		return attach_errorf(r, -EINVAL, "a target is required (-t LIBRARY or PATH)");
	if (!spec.fn && !spec.offset)
		return attach_errorf(r, -EINVAL, "a function name (-f) or an offset (-o) is required");
	e = perf_open_uprobe(&spec, &pfd);
	if (e == -ESRCH)
		return attach_errorf(r, e, "process %d does not exist", spec.container_pid ?: spec.pid);
	if (e == -ENOENT)
		return attach_errorf(r, e, "cannot find %s%s%s in '%s'", spec.fn ? "function '" : "target",
			      spec.fn ? spec.fn : "", spec.fn ? "'" : "", spec.target);
	if (e == -ENOEXEC)
		return attach_errorf(r, e, "uprobe target '%s' is not an ELF file", spec.target);
	if (e == -EBADFD)
		return attach_errorf(r, -EINVAL, "uprobe target '%s' is not a regular file",
				     spec.target);
	if (e < 0)
		return attach_errorf(r, e, "cannot open uprobe on '%s': %s", spec.target, strerror(-e));
	return link_perf_event(r, pfd, ret_link_fd);
}

int attach_tracing(struct attach_request *r, int *ret_link_fd)
{
	/* fentry/fexit/lsm carry their target from load time */
	int fd = bpf_raw_tracepoint_open(NULL, r->prog_fd);

	if (fd < 0)
		return attach_errorf(r, -errno, "cannot attach %s program '%s': %s",
			      bpfman_prog_type_to_string(r->prog->type), r->prog->name,
			      strerror(errno));
	*ret_link_fd = fd;
	return 0;
}
