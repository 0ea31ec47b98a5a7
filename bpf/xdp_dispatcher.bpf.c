// SPDX-License-Identifier: GPL-2.0
/* The multi-program XDP dispatcher: one XDP program on an interface that calls up to ten
 * component programs in turn. Each component is a BPF_PROG_TYPE_EXT program that replaces
 * (freplace) one of the empty slot functions prog0 .. prog9 below; user space fills in the
 * read-only config before loading and builds a new dispatcher whenever the set of
 * components changes.
 *
 * It speaks libxdp's dispatcher protocol version 2 (see xdp_dispatcher.h), so libxdp and
 * xdp-loader recognise it, list its components and can add to or remove from the chain.
 * What they rely on, and what must therefore stay as it is:
 *   - the main function is called xdp_dispatcher and the object carries BTF;
 *   - the object has exactly one map, the .rodata holding `conf`;
 *   - prog0 .. prog9 are global functions `int progN(struct xdp_md *)` (BTF linkage
 *     global: the kernel refuses to replace static functions), each of which the main
 *     function really calls.
 *
 * Slots at or past num_progs_enabled are dead code once the config is frozen. Newer kernels
 * (seen on 6.12, not on 6.1) then drop those slot functions from the loaded program, so
 * they cannot be freplace targets ("Subprog progN doesn't exist"): a dispatcher is built
 * for exactly the components it is going to carry, never with spare slots.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdp_dispatcher.h"

/* per-slot counting in the DISPATCHER_STATS build (dispatcher_stats.h) */
#include "dispatcher_stats.h"

_Static_assert(XDP_DISPATCHER_MAX_PROGS == DISPATCHER_STATS_SLOTS, "one counter per slot");

/* const: libbpf puts it in .rodata, which it freezes and maps BPF_F_RDONLY_PROG, so the
 * verifier sees the values as constants and drops the branches of unused slots.
 * volatile: the compiler must not fold the all-zero initialiser into the code, since user
 * space sets the real values just before load. */
static volatile const struct xdp_dispatcher_config conf = {};

/* An empty slot. The function is global and never inlined, so it stays a separate
 * subprogram with its own BTF FUNC `int (struct xdp_md *)`, which is what an EXT program's
 * signature is checked against. The empty asm takes ctx and hands back the return value:
 *   - the return value is opaque, so the compiler can neither drop the call nor assume
 *     its result at the call site;
 *   - ctx is used, so the caller really passes it in r1. With an unused parameter clang
 *     passes whatever r1 holds, and the verifier rejects the call ("arg#0 expects pointer
 *     to ctx") because it checks the arguments against the BTF signature. */
#define DISPATCHER_SLOT(n)                                                                         \
	__attribute__((noinline)) int prog##n(struct xdp_md *ctx)                                  \
	{                                                                                          \
		int ret = XDP_DISPATCHER_RETVAL;                                                   \
                                                                                                   \
		asm volatile("" : "+r"(ret) : "r"(ctx));                                           \
		return ret;                                                                        \
	}

DISPATCHER_SLOT(0)
DISPATCHER_SLOT(1)
DISPATCHER_SLOT(2)
DISPATCHER_SLOT(3)
DISPATCHER_SLOT(4)
DISPATCHER_SLOT(5)
DISPATCHER_SLOT(6)
DISPATCHER_SLOT(7)
DISPATCHER_SLOT(8)
DISPATCHER_SLOT(9)

/* Calls slot n when it is enabled; returns the component's verdict unless its bit is set
 * in the slot's chain_call_actions, in which case execution goes on with the next slot.
 * A return value of 32 or more is no action the mask can name: it ends the chain and is
 * handed to the kernel as it is (which treats it as an invalid action). */
#define CALL_SLOT(n)                                                                               \
	do {                                                                                       \
		if (n >= conf.num_progs_enabled)                                                   \
			return XDP_PASS;                                                           \
		ret = (__u32)prog##n(ctx);                                                         \
		COUNT_SLOT(n, ret);                                                                \
		if (ret >= 32 || !((1U << ret) & conf.chain_call_actions[n]))                      \
			return ret;                                                                \
	} while (0)

SEC("xdp")
int xdp_dispatcher(struct xdp_md *ctx)
{
	__u32 ret;

	CALL_SLOT(0);
	CALL_SLOT(1);
	CALL_SLOT(2);
	CALL_SLOT(3);
	CALL_SLOT(4);
	CALL_SLOT(5);
	CALL_SLOT(6);
	CALL_SLOT(7);
	CALL_SLOT(8);
	CALL_SLOT(9);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
