/* The first steps every interface hook (xdp, tc, tcx) shares: check the request, enter its
 * network namespace, find the interface there. */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "attach.h"
#include "netns.h"

int attach_enter_iface(struct attach_request *r, bool needs_direction, int *ret_orig_ns,
		       int *ret_ifindex)
{
	const struct bpfman_attach_opts *o = r->opts;
	int orig_ns = -EBADF, ifindex, e;

	if (!o->iface || !*o->iface)
		return attach_errorf(r, -EINVAL, "an interface is required (-i IFACE)");
	if (needs_direction && o->direction != BPFMAN_DIR_INGRESS &&
	    o->direction != BPFMAN_DIR_EGRESS)
		return attach_errorf(r, -EINVAL, "a direction is required (-d ingress|egress)");
	e = netns_enter(o->netns, &orig_ns);
	if (e < 0)
		return attach_errorf(r, e, "cannot enter network namespace '%s': %s", o->netns,
				     strerror(-e));
	ifindex = if_nametoindex(o->iface);
	if (!ifindex) {
		netns_leave(orig_ns);
		return attach_errorf(r, -ENODEV, "interface '%s' does not exist%s%s", o->iface,
				     o->netns ? " in " : "", o->netns ? o->netns : "");
	}
	*ret_orig_ns = orig_ns;
	*ret_ifindex = ifindex;
	return 0;
}
