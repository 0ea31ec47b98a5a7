/* Attach and detach: the plan is open program -> attach (hook module) -> pin link ->
 * record + commit; undone in reverse on failure. Detach is unpin + forget. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "attach/attach.h"
#include "cleanup.h"
#include "kernel.h"
#include "attach/netns.h"
#include "attach/probe-target.h"
#include "manager.h"
#include "validate.h"

/* Link ids are our own stable handles: random, so they are not mistaken for kernel ids and
 * do not repeat soon after a detach. */
static int new_link_id(struct bpfman *m, uint32_t *ret)
{
	for (int i = 0; i < 64; i++) {
		uint32_t id;
		int r;

		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			return -errno;
		id &= 0x7fffffff; /* stays positive for clients that read it as int32 */
		if (!id)
			continue;
		r = store_link_exists(m->store, id);
		if (r < 0)
			return r;
		if (!r) {
			*ret = id;
			return 0;
		}
	}
	return -EEXIST;
}

static int fill_link(struct bpfman_link *l, const struct bpfman_program *p,
		     const struct bpfman_attach_opts *o)
{
	l->prog_id = p->id;
	l->type = p->type;
	l->retprobe = p->retprobe;
	l->direction = o->direction;
	/* xdp, tc, tcx: o has the default already (validate_attach), so the hook and the
	 * record agree; other kinds have no priority and keep recording the default */
	l->priority = o->has_priority ? o->priority : BPFMAN_PRIORITY_DEFAULT;
	l->position = -1;
	l->offset = o->offset;
	l->pid = o->pid;
	l->container_pid = o->container_pid;
#define DUP(field, src)                                    \
	do {                                               \
		if ((src) && *(src) && !(l->field = strdup(src))) \
			return -ENOMEM;                    \
	} while (0)
	DUP(iface, o->iface);
	DUP(netns, o->netns);
	DUP(tracepoint, o->tracepoint);
	DUP(fn_name, o->fn_name);
	DUP(target, o->target);
#undef DUP
	if (p->type == BPFMAN_PROG_XDP || p->type == BPFMAN_PROG_TC) {
		/* empty means the contract's defaults, recorded as such so `get link` shows them */
		static const int32_t xdp_default[] = { 2, 31 }, tc_default[] = { 3, 30 };
		const int32_t *v = o->proceed_on;
		size_t n = o->n_proceed_on;

		if (!n) {
			v = p->type == BPFMAN_PROG_XDP ? xdp_default : tc_default;
			n = 2;
		}
		l->proceed_on = calloc(n, sizeof(*v));
		if (!l->proceed_on)
			return -ENOMEM;
		memcpy(l->proceed_on, v, n * sizeof(*v));
		l->n_proceed_on = n;
	}
	return kv_list_copy(&l->metadata, o->metadata);
}

static int run_hook(struct attach_request *req, enum bpfman_prog_type t, int *ret_fd)
{
	switch (t) {
	case BPFMAN_PROG_TRACEPOINT:
		return attach_tracepoint(req, ret_fd);
	case BPFMAN_PROG_KPROBE:
		return attach_kprobe(req, ret_fd);
	case BPFMAN_PROG_UPROBE:
		return attach_uprobe(req, ret_fd);
	case BPFMAN_PROG_FENTRY:
	case BPFMAN_PROG_FEXIT:
	case BPFMAN_PROG_LSM:
		return attach_tracing(req, ret_fd);
	case BPFMAN_PROG_TCX:
		return attach_tcx(req, ret_fd);
	case BPFMAN_PROG_XDP:
		return attach_xdp(req, ret_fd);
	case BPFMAN_PROG_TC:
		return attach_tc(req, ret_fd);
	default:
		return attach_errorf(req, -EOPNOTSUPP,
				     "attaching %s programs needs the multi-program dispatcher, "
				     "which this build does not have",
				     bpfman_prog_type_to_string(t));
	}
}

/* Loaded as an extension (freplace): the program joins its hook's dispatcher. */
static bool is_extension(int prog_fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) == 0 &&
	       info.type == BPF_PROG_TYPE_EXT;
}

/* The record goes in first (uncommitted), the chain is rebuilt from the records, then the
 * commit; if the commit fails the chain is rebuilt once more without the link. */
static int attach_dispatched(struct bpfman *m, struct bpfman_link *link)
{
	bool created_qdisc = false;
	int r;

	if (!link->iface)
		return manager_error(m, -EINVAL, "an interface is required (-i IFACE)");
	if (link->type == BPFMAN_PROG_TC && link->direction != BPFMAN_DIR_INGRESS &&
	    link->direction != BPFMAN_DIR_EGRESS)
		return manager_error(m, -EINVAL, "a direction is required (-d ingress|egress)");
	link->dispatched = true;
	r = store_begin(m->store);
	if (r < 0)
		return manager_error(m, r, "cannot start a transaction: %s", strerror(-r));
	r = store_link_insert(m->store, link);
	if (r < 0) {
		store_rollback(m->store);
		return manager_error(m, r, "cannot record link: %s", strerror(-r));
	}
	r = manager_sync_hook(m, link->type, link->iface, link->netns, link->direction,
			      &created_qdisc);
	if (r < 0) {
		store_rollback(m->store);
		return r;
	}
	if (created_qdisc)
		r = store_tc_qdisc_add(m->store, link->netns, link->iface);
	if (r == 0)
		r = manager_check_cancel(m); /* undone below, as a failed commit */
	if (r == 0)
		r = store_commit(m->store);
	if (r < 0) {
		store_rollback(m->store);
		manager_error(m, r, "cannot record link: %s", strerror(-r));
		(void)manager_sync_hook(m, link->type, link->iface, link->netns, link->direction,
					NULL);
		return r;
	}
	return 0;
}

/* Opens what the request names in the file system (a uprobe's target, a network namespace)
 * without blocking, checks what it is, and keeps the fds for the attach to use: a FIFO or a
 * dead mount must cost only this request, never the writer lock everyone shares. */
static int open_user_paths(struct bpfman *m, const struct bpfman_attach_opts *o,
			   int *ret_target_fd, int *ret_netns_fd)
{
	int r;

	if (o->type == BPFMAN_PROG_UPROBE && o->target && *o->target) {
		r = uprobe_target_open(o->target, o->container_pid, ret_target_fd);
		if (r == -EBADFD)
			return manager_error(m, -EINVAL, "uprobe target '%s' is not a regular file",
					     o->target);
		if (r == -ESRCH)
			return manager_error(m, r, "process %d does not exist", o->container_pid);
		if (r == -ENOENT)
			return manager_error(m, r, "cannot find target '%s'", o->target);
		if (r < 0)
			return manager_error(m, r, "cannot open uprobe target '%s': %s", o->target,
					     strerror(-r));
	}
	if (o->netns && *o->netns) {
		r = netns_open(o->netns, ret_netns_fd);
		if (r == -ENOTTY)
			return manager_error(m, -EINVAL, "'%s' is not a network namespace", o->netns);
		if (r < 0)
			return manager_error(m, r, "cannot open network namespace '%s': %s", o->netns,
					     strerror(-r));
	}
	return 0;
}

static int detach_tc(struct bpfman *m, uint32_t link_id);

/* tc without a dispatcher has no bpf_link whose pin could die with the process. So the
 * record, naming the filter by its handle (the link id), is committed before the filter is
 * added: a kill at any step leaves a record that reconcile checks against the kernel (and
 * drops when the filter is not there), never a running filter that no record names. A
 * failure removes both again. */
static int attach_tc_direct(struct bpfman *m, struct bpfman_link *link,
			    struct attach_request *req)
{
	int fd, r = tc_prepare(req);

	if (r < 0)
		return manager_error(m, r, "%s", req->error ? req->error : strerror(-r));
	link->tc_handle = req->tc_handle = link->id;
	r = store_begin(m->store);
	if (r == 0) {
		r = store_link_insert(m->store, link);
		if (r == 0 && req->needs_qdisc)
			r = store_tc_qdisc_add(m->store, link->netns, link->iface);
		if (r == 0)
			r = manager_check_cancel(m); /* nothing is in the kernel yet */
		if (r == 0)
			r = store_commit(m->store);
		if (r < 0)
			store_rollback(m->store);
	}
	if (r == -ECANCELED)
		return r; /* manager_check_cancel() said so */
	if (r < 0)
		return manager_error(m, r, "cannot record link: %s", strerror(-r));
	r = attach_tc(req, &fd);
	if (r == 0)
		return 0;
	manager_error(m, r, "%s", req->error ? req->error : strerror(-r));
	/* undo; if this fails too, reconcile drops the record (its filter is not there) */
	if (store_begin(m->store) == 0) {
		if (detach_tc(m, link->id) < 0 || store_commit(m->store) < 0)
			store_rollback(m->store);
	}
	return r;
}

int bpfman_attach(struct bpfman *m, uint32_t prog_id, const struct bpfman_attach_opts *request,
		  uint32_t *ret_link_id)
{
	struct bpfman_program *p = NULL;
	struct bpfman_link link;
	/* the request with its defaults: the hook places by it and the record says it */
	struct bpfman_attach_opts opts, *o = &opts;
	struct attach_request req = { .opts = o, .store = m->store };
	_cleanup_free_ char *prog_pin = NULL, *link_pin = NULL;
	_cleanup_close_ int prog_fd = -EBADF, link_fd = -EBADF, target_fd = -EBADF,
			   netns_fd = -EBADF;
	char err[512];
	int r;

	memset(&link, 0, sizeof(link));
	r = validate_attach(request, &opts, err, sizeof(err));
	if (r < 0)
		return manager_error(m, r, "%s", err);
	/* the user's paths are opened (without blocking) and checked before the lock */
	r = open_user_paths(m, o, &target_fd, &netns_fd);
	if (r < 0)
		return r;
	if (target_fd >= 0) {
		req.uprobe_target_opened = true;
		req.uprobe_target_fd = target_fd;
	}
	if (netns_fd >= 0)
		netns_lend(o->netns, netns_fd);
	r = manager_lock(m);
	if (r < 0)
		goto out; /* manager_lock() said why */
	r = store_program_get(m->store, prog_id, &p);
	if (r == -ENOENT) {
		r = manager_error(m, r, "program %u does not exist", prog_id);
		goto out;
	}
	if (r < 0) {
		r = manager_error(m, r, "cannot read program %u: %s", prog_id, strerror(-r));
		goto out;
	}
	if (o->type != p->type) {
		r = manager_error(m, -EINVAL, "program %u is a %s program; %s attach info given",
				  prog_id, bpfman_prog_type_to_string(p->type),
				  bpfman_prog_type_to_string(o->type));
		goto out;
	}
	prog_pin = layout_prog_pin(&m->layout, prog_id);
	if (!prog_pin) {
		r = -ENOMEM;
		goto out;
	}
	prog_fd = bpf_obj_get(prog_pin);
	if (prog_fd < 0) {
		r = manager_error(m, -errno, "program %u: cannot open its pin %s: %s", prog_id,
				  prog_pin, strerror(errno));
		goto out;
	}
	req.prog_fd = prog_fd;
	req.prog = p;
	req.xdp_mode = config_xdp_mode(&m->config, o->iface ? o->iface : "");

	r = fill_link(&link, p, o);
	if (r < 0)
		goto out;
	r = new_link_id(m, &link.id);
	if (r < 0) {
		r = manager_error(m, r, "cannot choose a link id: %s", strerror(-r));
		goto out;
	}

	if ((p->type == BPFMAN_PROG_XDP || p->type == BPFMAN_PROG_TC) && is_extension(prog_fd)) {
		r = attach_dispatched(m, &link);
		if (r == 0)
			*ret_link_id = link.id;
		goto out;
	}
	if (p->type == BPFMAN_PROG_TC) {
		r = attach_tc_direct(m, &link, &req);
		if (r == 0)
			*ret_link_id = link.id;
		goto out;
	}
	r = run_hook(&req, p->type, &link_fd);
	if (r < 0) {
		manager_error(m, r, "%s", req.error ? req.error : strerror(-r));
		goto out;
	}
	if (link_fd >= 0) {
		r = kernel_link_id_of_fd(link_fd, &link.kernel_link_id);
		if (r < 0)
			goto undo;
		link_pin = layout_link_pin(&m->layout, link.id);
		if (!link_pin) {
			r = -ENOMEM;
			goto undo;
		}
		if (bpf_obj_pin(link_fd, link_pin) < 0) {
			r = manager_error(m, -errno, "cannot pin link at %s: %s", link_pin,
					  strerror(errno));
			goto undo; /* closing link_fd detaches */
		}
	}
	r = store_begin(m->store);
	if (r == 0) {
		r = store_link_insert(m->store, &link);
		if (r == 0)
			r = manager_check_cancel(m); /* undone below, as a failed commit */
		if (r == 0)
			r = store_commit(m->store);
		if (r < 0)
			store_rollback(m->store);
	}
	if (r < 0) {
		manager_error(m, r, "cannot record link: %s", strerror(-r));
		goto undo;
	}
	*ret_link_id = link.id;
	goto out;
undo:
	if (link_pin)
		(void)unlink(link_pin);
out:
	netns_unlend();
	free(req.error);
	link_clear(&link);
	bpfman_program_free(p);
	manager_unlock(m);
	return r;
}

/* tc filters have no bpf_link: remove the filter, then the clsact qdisc when the manager
 * made it and this was its last TC program on the interface. */
static int detach_tc(struct bpfman *m, uint32_t link_id)
{
	struct bpfman_link *l = NULL;
	int r = store_link_get(m->store, link_id, &l);

	if (r < 0)
		return r;
	r = tc_detach_link(l, false);
	if (r == 0)
		r = store_link_delete(m->store, link_id);
	if (r == 0) {
		r = store_tc_qdisc_release(m->store, l->netns, l->iface);
		/* a clsact that stays must keep its row (the caller rolls back): the record
		 * then names a gone filter, and reconcile finishes the job */
		if (r > 0)
			r = tc_remove_qdisc(l->netns, l->iface);
	}
	bpfman_link_free(l);
	return r;
}

/* A dispatcher member: forget it, rebuild the chain without it. An interface or namespace
 * that went took the chain with it. */
static int detach_dispatched(struct bpfman *m, uint32_t link_id)
{
	struct bpfman_link *l = NULL;
	int r = store_link_get(m->store, link_id, &l);

	if (r < 0)
		return r;
	r = store_link_delete(m->store, link_id);
	if (r == 0) {
		r = manager_sync_hook(m, l->type, l->iface, l->netns, l->direction, NULL);
		if (r == -ENODEV)
			r = 0;
	}
	if (r == 0 && l->type == BPFMAN_PROG_TC)
		(void)store_tc_qdisc_release(m->store, l->netns, l->iface);
	bpfman_link_free(l);
	return r;
}

/* Waits (at most 1 s) for the kernel to free link id: it stays readable by id until freed. */
static void wait_link_freed(uint32_t id)
{
	for (int i = 0; i < 200; i++) {
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			return; /* ENOENT: freed; anything else: nothing better to wait on */
		close(fd);
		usleep(5000);
	}
}

/* The pin is the last reference we hold, but unlinking it frees the link only after an RCU
 * grace period and a work item, and until then the program still runs. A detach must be
 * over when it returns (no packet counted after it, no EEXIST on attaching again), so a link
 * the kernel can detach (xdp, tcx) is detached first; for the others (perf, tracing:
 * EOPNOTSUPP) the fd opened from the pin is closed only after the pin is gone: that close
 * drops the last reference in process context, where the kernel releases the link at once
 * (the hook is off when close returns; measured: with the pin as the last reference, a
 * tracepoint went on counting under load after the 1 s wait). The id is still waited for,
 * as the memory goes after a grace period. A kill between the steps leaves a detached xdp or
 * tcx link pinned, which reconcile reads as gone (its ifindex is 0). */
static int unpin_link(const char *pin)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	uint32_t id = 0;
	int fd = bpf_obj_get(pin);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		id = info.id;
	(void)bpf_link_detach(fd);
	if (unlink(pin) < 0 && errno != ENOENT) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	if (id)
		wait_link_freed(id);
	return 0;
}

int manager_detach_link(struct bpfman *m, uint32_t link_id, enum bpfman_prog_type type)
{
	_cleanup_free_ char *pin = NULL;
	int r;

	if (type == BPFMAN_PROG_XDP || type == BPFMAN_PROG_TC) {
		struct bpfman_link *l = NULL;
		bool dispatched;

		r = store_link_get(m->store, link_id, &l);
		if (r < 0)
			return r;
		dispatched = l->dispatched;
		bpfman_link_free(l);
		if (dispatched)
			return detach_dispatched(m, link_id);
	}
	if (type == BPFMAN_PROG_TC)
		return detach_tc(m, link_id);
	pin = layout_link_pin(&m->layout, link_id);
	if (!pin)
		return -ENOMEM;
	r = unpin_link(pin);
	if (r < 0)
		return r;
	return store_link_delete(m->store, link_id);
}

int bpfman_detach(struct bpfman *m, uint32_t link_id)
{
	struct bpfman_link *l = NULL;
	int r = manager_lock(m);

	if (r < 0)
		return r; /* manager_lock() said why */
	r = store_link_get(m->store, link_id, &l);
	if (r == -ENOENT)
		r = manager_error(m, -ENOENT, "link %u does not exist", link_id);
	if (r < 0)
		goto out;
	/* a detach cannot be undone: the last moment for a cancel is before it starts */
	r = manager_check_cancel(m);
	if (r < 0)
		goto out;
	r = store_begin(m->store);
	if (r < 0)
		goto out;
	r = manager_detach_link(m, link_id, l->type);
	if (r == 0)
		r = store_commit(m->store);
	if (r < 0) {
		store_rollback(m->store);
		manager_error(m, r, "cannot detach link %u: %s", link_id, strerror(-r));
	}
out:
	bpfman_link_free(l);
	manager_unlock(m);
	return r;
}
