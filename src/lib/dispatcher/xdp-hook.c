/* The XDP hook of an interface: finding what runs there and swapping dispatchers over
 * netlink, as libxdp does. Not with a bpf_link: the kernel refuses to replace a program
 * attached by a link, and libxdp (xdp-loader) would then fail with EBUSY on every load and
 * unload on the interface. XDP_FLAGS_REPLACE with the expected old program makes the swap
 * atomic and fails (EEXIST) if someone swapped in between. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "dispatcher-internal.h"

int xdp_hook_current(const struct dispatcher_hook *h, int *ret_fd, uint32_t *ret_flags,
		     uint32_t *ret_foreign_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	__u32 len = sizeof(info), id, flags;
	int fd;

	*ret_foreign_id = 0;
	if (bpf_xdp_query(h->ifindex, 0, &q) < 0)
		return -errno;
	/* drv wins over skb, as libxdp reads it; hw is not a dispatcher's place */
	if (q.drv_prog_id) {
		id = q.drv_prog_id;
		flags = XDP_FLAGS_DRV_MODE;
	} else if (q.skb_prog_id) {
		id = q.skb_prog_id;
		flags = XDP_FLAGS_SKB_MODE;
	} else if (q.hw_prog_id) {
		*ret_foreign_id = q.hw_prog_id;
		return 0;
	} else {
		return -ENOENT;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
	    strcmp(info.name, XDP_DISPATCHER_PROG_NAME) != 0) {
		close(fd);
		*ret_foreign_id = id;
		return 0;
	}
	*ret_fd = fd;
	*ret_flags = flags;
	return 0;
}

static int attach_new(int ifindex, int fd, __u32 mode)
{
	return bpf_xdp_attach(ifindex, fd, mode | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL) < 0 ? -errno
											 : 0;
}

int xdp_hook_swap(const struct dispatcher_hook *h, const struct dispatcher_chain *cur,
		  int new_fd, enum xdp_mode mode, char **err)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	int r;

	if (cur->disp_fd >= 0) {
		/* libbpf adds XDP_FLAGS_REPLACE for old_prog_fd; same mode as the old one, since
		 * the kernel refuses drv and skb programs side by side */
		opts.old_prog_fd = cur->disp_fd;
		if (new_fd < 0)
			r = bpf_xdp_detach(h->ifindex, cur->xdp_flags, &opts);
		else
			r = bpf_xdp_attach(h->ifindex, new_fd, cur->xdp_flags, &opts);
		if (r < 0)
			r = -errno;
		if (r == -EEXIST)
			return dispatcher_errorf(err, -EBUSY,
				      "the XDP program on '%s' changed while the chain was rebuilt (another tool?); try again",
				      h->iface);
		if (r < 0)
			return dispatcher_errorf(err, r, "cannot swap the XDP dispatcher on '%s': %s", h->iface,
				      strerror(-r));
		return 0;
	}
	if (new_fd < 0)
		return 0;
	if (mode != XDP_MODE_SKB) {
		r = attach_new(h->ifindex, new_fd,
			       mode == XDP_MODE_HW ? XDP_FLAGS_HW_MODE : XDP_FLAGS_DRV_MODE);
		if (r == 0)
			return 0;
		if (mode == XDP_MODE_HW)
			return dispatcher_errorf(err, r, "cannot attach the XDP dispatcher to '%s' (hw mode): %s",
				      h->iface, strerror(-r));
	}
	/* the generic (skb) hook when the driver has no native XDP */
	r = attach_new(h->ifindex, new_fd, XDP_FLAGS_SKB_MODE);
	if (r < 0)
		return dispatcher_errorf(err, r, "cannot attach the XDP dispatcher to '%s': %s", h->iface,
			      strerror(-r));
	return 0;
}
