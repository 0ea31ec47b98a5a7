/* TCX hooks: attach a SCHED_CLS program as a tcx link, in a chosen place. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bpfman.h"

/* A hook holds at most 63 programs (bpf_mprog); 64 is always enough. */
#define TCX_QUERY_MAX 64

/* Attach with placement: anchor_link_id 0 and before=false -> last; before=true -> first;
 * else before/after that kernel link id. expected_revision 0 = don't check (else -ESTALE
 * when the hook changed). Returns the link fd. */
int tcx_attach(int prog_fd, int ifindex, enum bpfman_direction dir, uint32_t anchor_link_id,
	       bool before, uint64_t expected_revision, int *ret_link_fd);
/* Kernel link ids on the hook in run order (ret_links may be NULL to read only count and
 * revision). */
int tcx_query(int ifindex, enum bpfman_direction dir, uint32_t *link_ids, uint32_t *inout_count,
	      uint64_t *ret_revision);
