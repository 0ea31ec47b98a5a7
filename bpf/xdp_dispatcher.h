/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The configuration of the multi-program XDP dispatcher, shared by the BPF side
 * (bpf/xdp_dispatcher.bpf.c) and by user space that builds or reads a dispatcher.
 *
 * The layout is the one libxdp 1.3.x calls "dispatcher version 2" and reads back from any
 * program named xdp_dispatcher that it finds on an interface: the struct is the value of
 * the dispatcher's single map (its frozen, BPF_F_RDONLY_PROG .rodata). Every byte and
 * offset here is part of that protocol, so it must never change; a later version is a new
 * struct next to this one.
 *
 * Usable from C user space (with <linux/types.h>) and from BPF C (clang -target bpf). */
#ifndef BPFMAN_XDP_DISPATCHER_H
#define BPFMAN_XDP_DISPATCHER_H

#include <linux/types.h>

/* Number of component slots (prog0 .. prog9). */
#define XDP_DISPATCHER_MAX_PROGS 10
/* Byte 0 of the config: 'X' + 'D' + 'P' = 88 + 68 + 80. Readers take byte 1 as the version
 * only when byte 0 holds this value. */
#define XDP_DISPATCHER_MAGIC   236
#define XDP_DISPATCHER_VERSION 2
/* What an empty slot function returns. Its bit is set in every slot's chain_call_actions,
 * so a slot without a component attached falls through to the next one. */
#define XDP_DISPATCHER_RETVAL 31
/* Name the dispatcher's main function must have: readers take any other name for a plain
 * (single) XDP program. The slot functions are "prog0" .. "prog9". */
#define XDP_DISPATCHER_PROG_NAME "xdp_dispatcher"
/* Priority a component gets when nobody asked for one (libxdp's default). */
#define XDP_DISPATCHER_DEFAULT_PRIO 50
/* program_flags[i] bit: the component in slot i supports XDP fragments. */
#define XDP_DISPATCHER_PROG_FLAG_FRAGS 0x20 /* BPF_F_XDP_HAS_FRAGS */

struct xdp_dispatcher_config {
	__u8 magic;		 /* XDP_DISPATCHER_MAGIC */
	__u8 dispatcher_version; /* XDP_DISPATCHER_VERSION */
	__u8 num_progs_enabled;	 /* slots 0 .. num_progs_enabled-1 are called, in order */
	__u8 is_xdp_frags;	 /* 1: the dispatcher was loaded with BPF_F_XDP_HAS_FRAGS */
	/* Per slot: bit N set = when the component returns N, go on to the next slot rather
	 * than return N. Bit XDP_DISPATCHER_RETVAL is always set. */
	__u32 chain_call_actions[XDP_DISPATCHER_MAX_PROGS];
	/* Per slot: the component's run priority (slots are sorted by it, ascending). Only
	 * recorded here, for whoever rebuilds the dispatcher; the BPF side never reads it. */
	__u32 run_prios[XDP_DISPATCHER_MAX_PROGS];
	/* Per slot: load flags of the component worth keeping across a rebuild
	 * (XDP_DISPATCHER_PROG_FLAG_FRAGS). */
	__u32 program_flags[XDP_DISPATCHER_MAX_PROGS];
};

_Static_assert(__builtin_offsetof(struct xdp_dispatcher_config, magic) == 0, "v2 layout");
_Static_assert(__builtin_offsetof(struct xdp_dispatcher_config, dispatcher_version) == 1,
	       "v2 layout");
_Static_assert(__builtin_offsetof(struct xdp_dispatcher_config, num_progs_enabled) == 2,
	       "v2 layout");
_Static_assert(__builtin_offsetof(struct xdp_dispatcher_config, is_xdp_frags) == 3, "v2 layout");
_Static_assert(__builtin_offsetof(struct xdp_dispatcher_config, chain_call_actions) == 4,
	       "v2 layout");
_Static_assert(__builtin_offsetof(struct xdp_dispatcher_config, run_prios) == 44, "v2 layout");
_Static_assert(__builtin_offsetof(struct xdp_dispatcher_config, program_flags) == 84, "v2 layout");
_Static_assert(sizeof(struct xdp_dispatcher_config) == 124, "v2 layout: 124 bytes");

#endif /* BPFMAN_XDP_DISPATCHER_H */
