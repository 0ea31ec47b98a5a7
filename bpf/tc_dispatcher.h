/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The configuration of the multi-program TC dispatcher, shared by the BPF side
 * (bpf/tc_dispatcher.bpf.c) and by user space that builds or reads a dispatcher.
 *
 * The layout is bpfman's TC dispatcher config: the struct is the value of the dispatcher's
 * single map (its frozen, BPF_F_RDONLY_PROG .rodata). Every byte and offset here is part of
 * that contract, so it must never change; a later version is a new struct next to this one.
 *
 * Usable from C user space (with <linux/types.h>) and from BPF C (clang -target bpf). */
#ifndef BPFMAN_TC_DISPATCHER_H
#define BPFMAN_TC_DISPATCHER_H

#include <linux/types.h>

/* Number of component slots (prog0 .. prog9). */
#define TC_DISPATCHER_MAX_PROGS 10
/* What an empty slot function returns (proceed-on name "dispatcher_return"). Its bit,
 * TC_DISPATCHER_ACTION_BIT(TC_DISPATCHER_RETVAL) = bit 31, is set in every slot's
 * chain_call_actions, so a slot without a component attached falls through. */
#define TC_DISPATCHER_RETVAL 30
/* Name of the dispatcher's main function; the slot functions are "prog0" .. "prog9". */
#define TC_DISPATCHER_PROG_NAME "tc_dispatcher"
/* The bit of chain_call_actions that stands for TC action `act` (-1 .. 30): TC actions
 * start at TC_ACT_UNSPEC (-1), which takes bit 0. */
#define TC_DISPATCHER_ACTION_BIT(act) (1U << ((act) + 1))

struct tc_dispatcher_config {
	__u8 num_progs_enabled; /* slots 0 .. num_progs_enabled-1 are called, in order */
	/* Per slot: TC_DISPATCHER_ACTION_BIT(a) set = when the component returns a, go on to
	 * the next slot rather than return a. Bit 31 (dispatcher_return) is always set. */
	__u32 chain_call_actions[TC_DISPATCHER_MAX_PROGS];
	/* Per slot: the component's run priority (slots are sorted by it, ascending). Only
	 * recorded here, for whoever rebuilds the dispatcher; the BPF side never reads it. */
	__u32 run_prios[TC_DISPATCHER_MAX_PROGS];
};

_Static_assert(__builtin_offsetof(struct tc_dispatcher_config, num_progs_enabled) == 0,
	       "tc layout");
_Static_assert(__builtin_offsetof(struct tc_dispatcher_config, chain_call_actions) == 4,
	       "tc layout");
_Static_assert(__builtin_offsetof(struct tc_dispatcher_config, run_prios) == 44, "tc layout");
_Static_assert(sizeof(struct tc_dispatcher_config) == 84, "tc layout: 84 bytes");

#endif /* BPFMAN_TC_DISPATCHER_H */
