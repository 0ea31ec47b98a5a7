/* TCX through raw bpf(2): Debian's libbpf 1.1 has no helpers for it. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tcx-uapi.h"
#include "tcx.h"

static uint32_t attach_type(enum bpfman_direction dir)
{
	return dir == BPFMAN_DIR_EGRESS ? TCX_ATTACH_EGRESS : TCX_ATTACH_INGRESS;
}

int tcx_attach(int prog_fd, int ifindex, enum bpfman_direction dir, uint32_t anchor_link_id,
	       bool before, uint64_t expected_revision, int *ret_link_fd)
{
	struct tcx_link_create_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.target_ifindex = ifindex;
	a.attach_type = attach_type(dir);
	a.flags = before ? TCX_F_BEFORE : TCX_F_AFTER;
	if (anchor_link_id) {
		a.flags |= TCX_F_ID | TCX_F_LINK;
		a.relative_id = anchor_link_id;
	}
	a.expected_revision = expected_revision;
	fd = syscall(__NR_bpf, TCX_CMD_LINK_CREATE, &a, sizeof(a));
	if (fd < 0)
		return -errno;
	*ret_link_fd = (int)fd;
	return 0;
}

int tcx_query(int ifindex, enum bpfman_direction dir, uint32_t *link_ids, uint32_t *inout_count,
	      uint64_t *ret_revision)
{
	struct tcx_query_attr q;
	uint32_t prog_ids[TCX_QUERY_MAX];

	memset(&q, 0, sizeof(q));
	q.target_ifindex = ifindex;
	q.attach_type = attach_type(dir);
	if (link_ids && inout_count) {
		/* the kernel fills nothing unless it also gets a prog_ids array */
		q.count = *inout_count < TCX_QUERY_MAX ? *inout_count : TCX_QUERY_MAX;
		q.prog_ids = (uintptr_t)prog_ids;
		q.link_ids = (uintptr_t)link_ids;
	}
	if (syscall(__NR_bpf, TCX_CMD_PROG_QUERY, &q, sizeof(q)) < 0)
		return -errno;
	if (inout_count)
		*inout_count = q.count;
	if (ret_revision)
		*ret_revision = q.revision;
	return 0;
}
