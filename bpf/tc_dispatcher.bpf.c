// SPDX-License-Identifier: GPL-2.0
/* The multi-program TC dispatcher: one TC (cls_bpf, direct-action) program on an
 * interface's ingress or egress hook that calls up to ten component programs in turn. Each
 * component is a BPF_PROG_TYPE_EXT program that replaces (freplace) one of the empty slot
 * functions prog0 .. prog9 below; user space fills in the read-only config (tc_dispatcher.h)
 * before loading and builds a new dispatcher whenever the set of components changes.
 *
 * What user space relies on, and what must therefore stay as it is:
 *   - the main function is called tc_dispatcher and the object carries BTF;
 *   - the object has exactly one map, the .rodata holding `conf`;
 *   - prog0 .. prog9 are global functions `int progN(struct __sk_buff *)` (BTF linkage
 *     global: the kernel refuses to replace static functions), each of which the main
 *     function really calls.
 *
 * Slots at or past num_progs_enabled are dead code once the config is frozen, and newer
 * kernels (6.12) drop them from the loaded program, so they cannot be freplace targets: a
 * dispatcher is built for exactly the components it is going to carry, never with spare
 * slots.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "tc_dispatcher.h"

/* per-slot counting in the DISPATCHER_STATS build (dispatcher_stats.h) */
#include "dispatcher_stats.h"

_Static_assert(TC_DISPATCHER_MAX_PROGS == DISPATCHER_STATS_SLOTS, "one counter per slot");

/* const: libbpf puts it in .rodata, which it freezes and maps BPF_F_RDONLY_PROG, so the
 * verifier sees the values as constants and drops the branches of unused slots.
 * volatile: the compiler must not fold the all-zero initialiser into the code, since user
 * space sets the real values just before load. */
static volatile const struct tc_dispatcher_config conf = {};

/* An empty slot: global, never inlined, so it stays a separate subprogram with its own BTF
 * FUNC `int (struct __sk_buff *)`, which an EXT program's signature is checked against.
 * The empty asm takes ctx and hands back the return value, so the compiler can neither drop
 * the call nor assume its result, and the caller really passes ctx in r1 (otherwise the
 * verifier rejects the call: it checks the arguments against the BTF signature). */
#define DISPATCHER_SLOT(n)                                                                         \
	__attribute__((noinline)) int prog##n(struct __sk_buff *skb)                               \
	{                                                                                          \
		int ret = TC_DISPATCHER_RETVAL;                                                    \
                                                                                                   \
		asm volatile("" : "+r"(ret) : "r"(skb));                                           \
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

/* Calls slot n when it is enabled; returns the component's verdict unless its bit
 * (TC_DISPATCHER_ACTION_BIT) is set in the slot's chain_call_actions, in which case
 * execution goes on with the next slot. A return value outside -1 .. 30 has no bit: it ends
 * the chain and is handed to the kernel as it is. */
#define CALL_SLOT(n)                                                                               \
	do {                                                                                       \
		if (n >= conf.num_progs_enabled)                                                   \
			return TC_ACT_OK;                                                          \
		ret = prog##n(skb);                                                                \
		bit = (__u32)ret + 1;                                                              \
		COUNT_SLOT(n, bit);                                                                \
		if (bit >= 32 || !((1U << bit) & conf.chain_call_actions[n]))                      \
			return ret;                                                                \
	} while (0)

/* When every enabled slot proceeds (and when no slot is enabled) the verdict is TC_ACT_OK,
 * not the last component's action: that is what bpfman's reference TC dispatcher does, so
 * a chain behaves the same whichever of the two built it. */
SEC("tc")
int tc_dispatcher(struct __sk_buff *skb)
{
	__u32 bit;
	int ret;

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
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
