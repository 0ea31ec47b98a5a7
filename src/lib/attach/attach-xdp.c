/* xdp without a dispatcher: one program per interface, attached directly as an XDP
 * bpf_link (pinned like every other link, so it outlives us and a crash leaves nothing the
 * next reconcile cannot see). The multi-program dispatcher (libxdp's protocol) builds on
 * kernels that allow freplace; until then a second program on an interface is refused
 * with the reason, and tcx is the way to run several programs on one hook. */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "netns.h"

static int try_attach(int prog_fd, int ifindex, __u32 mode, int *ret_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = mode);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &o);

	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int attach_xdp(struct attach_request *r, int *ret_link_fd)
{
	const struct bpfman_attach_opts *o = r->opts;
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int orig_ns = -EBADF, ifindex, e;

	e = attach_enter_iface(r, false, &orig_ns, &ifindex);
	if (e < 0)
		return e;
	e = bpf_xdp_query(ifindex, 0, &q);
	if (e == 0 && (q.prog_id || q.drv_prog_id || q.skb_prog_id)) {
		uint32_t id = q.prog_id ?: q.drv_prog_id ?: q.skb_prog_id;

		netns_leave(orig_ns);
		return attach_errorf(r, -EBUSY,
				     "interface '%s' already runs XDP program %u; one XDP program per interface without the dispatcher (use tcx for several programs on one hook)",
				     o->iface, id);
	}
	/* native first, the generic (skb) hook when the driver has no XDP support */
	if (r->xdp_mode != XDP_MODE_SKB) {
		e = try_attach(r->prog_fd, ifindex,
			       r->xdp_mode == XDP_MODE_HW ? XDP_FLAGS_HW_MODE : XDP_FLAGS_DRV_MODE,
			       ret_link_fd);
		if (e == 0 || r->xdp_mode == XDP_MODE_HW) {
			netns_leave(orig_ns);
			return e < 0 ? attach_errorf(r, e, "cannot attach xdp (hw mode) to '%s': %s",
						     o->iface, strerror(-e))
				     : 0;
		}
	}
	e = try_attach(r->prog_fd, ifindex, XDP_FLAGS_SKB_MODE, ret_link_fd);
	netns_leave(orig_ns);
	if (e < 0)
		return attach_errorf(r, e, "cannot attach xdp program to '%s': %s", o->iface,
				     strerror(-e));
	return 0;
}
