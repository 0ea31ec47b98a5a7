/* tc without a dispatcher: each program is its own cls_bpf direct-action filter on the
 * interface's clsact qdisc, with the link's priority as the filter priority, so the kernel
 * runs them in priority order and goes on to the next filter only when a program returns
 * TC_ACT_UNSPEC (-1): the kernel's rule, not the dispatcher's proceed-on. cls_bpf gives no
 * bpf_link, so the link record keeps the filter's handle and priority instead of a pin. The
 * handle is the link id, chosen before the filter exists: the manager commits the record
 * first, so a process killed at any step leaves a record naming exactly the filter (if any)
 * it made, which reconcile checks against the kernel; never a filter no record names.
 * clsact is created when missing and removed when the manager's last TC program on the
 * interface leaves (only if the manager created it); a legacy `ingress` qdisc is refused. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "attach.h"
#include "netns.h"
#include "tc-qdisc.h"

static enum bpf_tc_attach_point tc_point(enum bpfman_direction d)
{
	return d == BPFMAN_DIR_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

/* clsact present: 1; none: 0; legacy ingress: -EBUSY with the message set. */
static int check_qdisc(struct attach_request *r, int ifindex)
{
	const struct bpfman_attach_opts *o = r->opts;
	char kind[32];
	int e = tc_ingress_qdisc_kind(ifindex, kind, sizeof(kind));

	if (e < 0)
		return attach_errorf(r, e, "cannot read the qdiscs of '%s': %s", o->iface, strerror(-e));
	if (e > 0 && strcmp(kind, "clsact") != 0)
		return attach_errorf(r, -EBUSY,
				     "interface '%s' has a legacy '%s' qdisc; TC programs need clsact (remove it with: tc qdisc del dev %s ingress)",
				     o->iface, kind, o->iface);
	return e;
}

static int attach_in_ns(struct attach_request *r, int ifindex)
{
	const struct bpfman_attach_opts *o = r->opts;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = tc_point(o->direction));
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = r->prog_fd, .handle = r->tc_handle,
		    .priority = (__u32)(o->has_priority ? o->priority : 1000));
	int e;

	e = check_qdisc(r, ifindex);
	if (e < 0)
		return e;
	if (e == 0) {
		e = bpf_tc_hook_create(&hook);
		if (e < 0 && e != -EEXIST)
			return attach_errorf(r, e, "cannot create the clsact qdisc on '%s': %s",
					     o->iface, strerror(-e));
		r->created_qdisc = e == 0;
	}
	e = bpf_tc_attach(&hook, &opts);
	if (e < 0) {
		if (r->created_qdisc) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			(void)bpf_tc_hook_destroy(&hook);
			r->created_qdisc = false;
		}
		return attach_errorf(r, e, "cannot attach tc program to '%s' %s: %s", o->iface,
				     bpfman_direction_to_string(o->direction), strerror(-e));
	}
	r->tc_handle = opts.handle;
	return 0;
}

int tc_prepare(struct attach_request *r)
{
	int orig_ns = -EBADF, ifindex, e;

	e = attach_enter_iface(r, true, &orig_ns, &ifindex);
	if (e < 0)
		return e;
	e = check_qdisc(r, ifindex);
	netns_leave(orig_ns);
	if (e < 0)
		return e;
	r->needs_qdisc = e == 0;
	return 0;
}

int attach_tc(struct attach_request *r, int *ret_link_fd)
{
	int orig_ns = -EBADF, ifindex, e;

	*ret_link_fd = -EBADF; /* no bpf_link to pin: the record holds the handle */
	e = attach_enter_iface(r, true, &orig_ns, &ifindex);
	if (e < 0)
		return e;
	e = attach_in_ns(r, ifindex);
	netns_leave(orig_ns);
	return e;
}

/* Runs fn inside the link's namespace with its interface's index. -ENOENT: the namespace,
 * the interface or the clsact qdisc is gone, and every filter with it (proof of absence);
 * any other error says nothing about the filter. */
static int in_link_ns(const struct bpfman_link *l, int (*fn)(const struct bpfman_link *, int, void *),
		      void *arg)
{
	int orig_ns = -EBADF, ifindex, e;
	char kind[32];

	e = netns_enter(l->netns, &orig_ns);
	if (e < 0)
		return e;
	ifindex = (int)if_nametoindex(l->iface ? l->iface : "");
	if (!ifindex)
		e = errno == ENODEV || errno == ENXIO ? -ENOENT : -errno;
	else
		e = tc_ingress_qdisc_kind(ifindex, kind, sizeof(kind));
	if (e == 0 || (e > 0 && strcmp(kind, "clsact") != 0))
		e = -ENOENT;
	if (e > 0)
		e = fn(l, ifindex, arg);
	netns_leave(orig_ns);
	return e;
}

/* The filter at the link's handle and priority runs the link's program: 1; another or
 * none: 0 (a filter that is not ours is never touched); else -errno. */
static int filter_is_ours(const struct bpfman_link *l, int ifindex)
{
	uint32_t prog_id = 0;
	int e = tc_filter_prog(ifindex, l->direction == BPFMAN_DIR_EGRESS, (uint32_t)l->priority,
			       l->tc_handle, &prog_id);

	if (e <= 0)
		return e;
	return prog_id == l->prog_id;
}

static int detach_fn(const struct bpfman_link *l, int ifindex, void *arg)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = tc_point(l->direction));
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = l->tc_handle, .priority = (__u32)l->priority);
	bool remove_qdisc = *(bool *)arg;
	int e = filter_is_ours(l, ifindex);

	if (e > 0) {
		e = bpf_tc_detach(&hook, &opts);
		if (e == -ENOENT)
			e = 0; /* already gone */
	}
	if (e == 0 && remove_qdisc) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		(void)bpf_tc_hook_destroy(&hook);
	}
	return e;
}

int tc_detach_link(const struct bpfman_link *l, bool remove_qdisc)
{
	int e = in_link_ns(l, detach_fn, &remove_qdisc);

	/* the namespace, interface or clsact is gone, and the filter with it: detached */
	return e == -ENOENT ? 0 : e;
}

static int query_fn(const struct bpfman_link *l, int ifindex, void *arg)
{
	return filter_is_ours(l, ifindex);
}

int tc_link_state(const struct bpfman_link *l)
{
	int e = in_link_ns(l, query_fn, NULL);

	return e == -ENOENT ? 0 : e;
}

static int qdisc_fn(const struct bpfman_link *l, int ifindex, void *arg)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	return bpf_tc_hook_destroy(&hook);
}

int tc_remove_qdisc(const char *netns, const char *iface)
{
	struct bpfman_link l = { .netns = (char *)netns, .iface = (char *)iface };
	int e = in_link_ns(&l, qdisc_fn, NULL);

	return e == -ENOENT ? 0 : e;
}
