/* tcx: the kernel orders a hook's links itself; we keep our own links in priority order
 * (lower first, a newcomer after existing links of equal priority) by naming an anchor:
 * "before the first of ours with a higher priority", else "after the last of ours".
 * expected_revision makes read-then-insert safe against a concurrent change (ESTALE: read
 * again). Links of other tools keep their places. */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "attach.h"
#include "cleanup.h"
#include "netns.h"
#include "tcx.h"

/* Our links on the hook whose kernel link still sits on it. */
static int pick_anchor(struct attach_request *r, int ifindex, uint32_t *ret_anchor, bool *ret_before)
{
	struct bpfman_link *ours = NULL;
	size_t n = 0;
	uint32_t kernel_ids[64], count = 64;
	uint64_t rev;
	int e;

	e = tcx_query(ifindex, r->opts->direction, kernel_ids, &count, &rev);
	if (e < 0)
		return e;
	e = store_hook_links(r->store, BPFMAN_PROG_TCX, r->opts->iface, r->opts->netns,
			     r->opts->direction, &ours, &n);
	if (e < 0)
		return e;
	*ret_anchor = 0;
	*ret_before = false;
	for (size_t i = 0; i < n; i++) {
		bool live = false;

		for (uint32_t k = 0; k < count; k++)
			live |= kernel_ids[k] == ours[i].kernel_link_id;
		if (!live)
			continue;
		if (ours[i].priority > r->opts->priority) {
			*ret_anchor = ours[i].kernel_link_id;
			*ret_before = true;
			break;
		}
		*ret_anchor = ours[i].kernel_link_id; /* after the last one not above us */
	}
	bpfman_links_free(ours, n);
	return 0;
}

int attach_tcx(struct attach_request *r, int *ret_link_fd)
{
	const struct bpfman_attach_opts *o = r->opts;
	int orig_ns = -EBADF, ifindex, e;
	uint32_t anchor;
	bool before;

	e = attach_enter_iface(r, true, &orig_ns, &ifindex);
	if (e < 0)
		return e;
	for (int tries = 0; tries < 5; tries++) {
		uint64_t rev = 0;

		e = tcx_query(ifindex, o->direction, NULL, NULL, &rev);
		if (e == 0)
			e = pick_anchor(r, ifindex, &anchor, &before);
		if (e == 0)
			e = tcx_attach(r->prog_fd, ifindex, o->direction, anchor, before, rev,
				       ret_link_fd);
		if (e != -ESTALE)
			break;
	}
	netns_leave(orig_ns);
	if (e == -EINVAL || e == -EOPNOTSUPP)
		return attach_errorf(r, e, "cannot attach tcx program to '%s': %s (TCX needs Linux 6.6+)",
				     o->iface, strerror(-e));
	if (e < 0)
		return attach_errorf(r, e, "cannot attach tcx program to '%s': %s", o->iface,
				     strerror(-e));
	return 0;
}

int tcx_link_position(const struct bpfman_link *l)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	uint32_t ids[64], count = 64;
	_cleanup_close_ int fd = bpf_link_get_fd_by_id(l->kernel_link_id);
	int orig_ns = -EBADF, pos = -1;

	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -1;
	/* link info: tcx.ifindex at offset 16 (after type, id, prog_id, pad) */
	uint32_t ifindex = ((const uint32_t *)&info)[4];

	if (!ifindex)
		return -1;
	if (netns_enter(l->netns, &orig_ns) < 0)
		return -1;
	if (tcx_query((int)ifindex, l->direction, ids, &count, NULL) == 0)
		for (uint32_t i = 0; i < count && i < 64; i++)
			if (ids[i] == l->kernel_link_id)
				pos = (int)i;
	netns_leave(orig_ns);
	return pos;
}
