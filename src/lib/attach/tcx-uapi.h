/* TCX (Linux 6.6+ bpf_mprog) pieces that Debian 12's 6.1 uapi headers lack. Values and
 * offsets verified on the host kernel (see the project's docs/kernel-notes.md). We build the
 * bpf_attr ourselves and pass its exact size: the kernel zero-fills the rest. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define TCX_ATTACH_INGRESS 46
#define TCX_ATTACH_EGRESS 47
#define TCX_LINK_TYPE 11

#define TCX_F_BEFORE (1U << 3)
#define TCX_F_AFTER (1U << 4)
#define TCX_F_ID (1U << 5)
#define TCX_F_LINK (1U << 13)

#define TCX_CMD_PROG_QUERY 16
#define TCX_CMD_LINK_CREATE 28

struct tcx_link_create_attr {
	uint32_t prog_fd;
	uint32_t target_ifindex;
	uint32_t attach_type;
	uint32_t flags;
	uint32_t relative_id; /* or relative_fd */
	uint32_t pad;
	uint64_t expected_revision;
};
_Static_assert(offsetof(struct tcx_link_create_attr, relative_id) == 16, "tcx.relative_id");
_Static_assert(offsetof(struct tcx_link_create_attr, expected_revision) == 24,
	       "tcx.expected_revision");

/* The kernel writes attach_flags, count and revision back, so this must be >= 64 bytes. */
struct tcx_query_attr {
	uint32_t target_ifindex;
	uint32_t attach_type;
	uint32_t query_flags;
	uint32_t attach_flags;
	uint64_t prog_ids;
	uint32_t count;
	uint32_t pad;
	uint64_t prog_attach_flags;
	uint64_t link_ids;
	uint64_t link_attach_flags;
	uint64_t revision;
};
_Static_assert(offsetof(struct tcx_query_attr, count) == 24, "query.count");
_Static_assert(offsetof(struct tcx_query_attr, link_ids) == 40, "query.link_ids");
_Static_assert(offsetof(struct tcx_query_attr, revision) == 56, "query.revision");
