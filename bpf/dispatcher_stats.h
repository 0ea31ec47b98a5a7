/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-slot statistics of a dispatcher built with them (DISPATCHER_STATS): the kernel
 * charges a dispatcher's run time and packets to the dispatcher, never to its members, so
 * the dispatcher counts for them. One per-CPU array map `slot_stats`, key = slot, value =
 * the struct below, summed over the CPUs by user space.
 *
 * A dispatcher with this map has two maps, and libxdp reads any XDP dispatcher without
 * exactly one map as a plain program: the counting XDP dispatcher cannot be shared with
 * xdp-loader, which is why the counting is a choice (config `[dispatcher] stats`). */
#ifndef BPFMAN_DISPATCHER_STATS_H
#define BPFMAN_DISPATCHER_STATS_H

#include <linux/types.h>

/* a power of two: the dispatchers mask the index with DISPATCHER_STATS_ACTIONS - 1 */
#define DISPATCHER_STATS_ACTIONS 16

struct dispatcher_slot_stats {
	__u64 packets; /* times the slot's program ran */
	/* by returned action: XDP action a at [a]; TC action a at [a + 1] (TC_ACT_UNSPEC -1 at
	 * [0]); anything past the end (no action) counts in the last entry */
	__u64 actions[DISPATCHER_STATS_ACTIONS];
};

#endif /* BPFMAN_DISPATCHER_STATS_H */
