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

/* The BPF side, shared by both dispatchers: the map and COUNT_SLOT(slot, index), which is
 * empty in the plain build. Needs <bpf/bpf_helpers.h> first. */
#ifdef __bpf__
#define DISPATCHER_STATS_SLOTS 10 /* XDP_ and TC_DISPATCHER_MAX_PROGS */
#ifdef DISPATCHER_STATS
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DISPATCHER_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct dispatcher_slot_stats);
} slot_stats SEC(".maps");

/* Per CPU, so plain increments: nothing else writes this CPU's copy meanwhile. The index
 * is clamped, then masked in asm: clang keeps the clamp on one copy of the register and
 * indexes with another, which the verifier then calls unbounded; the mask is on the very
 * register used. */
#define COUNT_SLOT(n, idx)                                                                         \
	do {                                                                                       \
		__u32 key = n;                                                                     \
		__u64 i = (idx);                                                                   \
		struct dispatcher_slot_stats *st = bpf_map_lookup_elem(&slot_stats, &key);        \
                                                                                                   \
		if (st) {                                                                          \
			if (i >= DISPATCHER_STATS_ACTIONS)                                         \
				i = DISPATCHER_STATS_ACTIONS - 1;                                  \
			asm volatile("%[i] &= 15" : [i] "+r"(i));                                  \
			st->packets++;                                                             \
			st->actions[i]++;                                                          \
		}                                                                                  \
	} while (0)
#else
#define COUNT_SLOT(n, idx)                                                                         \
	do {                                                                                       \
	} while (0)
#endif /* DISPATCHER_STATS */
#endif /* __bpf__ */

#endif /* BPFMAN_DISPATCHER_STATS_H */
