// SPDX-License-Identifier: GPL-2.0
/* TC dispatcher components for tests: each program returns a fixed TC action and adds 1 to
 * hits[slot]. `slot` is set per loaded object (tests/helpers/tc-dispatch-probe sets it to
 * the component's position on its command line and shares one `hits` map among all the
 * components of a dispatcher), so a test can tell which components ran and how often.
 * tc_act_NAME returns the action whose proceed-on name is NAME. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define HITS_MAX 16

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HITS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

volatile const __u32 slot = 0;

static __always_inline int count(int action)
{
	__u32 key = slot;
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return action;
}

#define COMPONENT(name, action)                                                                    \
	SEC("tc")                                                                                  \
	int name(struct __sk_buff *skb)                                                            \
	{                                                                                          \
		return count(action);                                                              \
	}

COMPONENT(tc_act_unspec, TC_ACT_UNSPEC)
COMPONENT(tc_act_ok, TC_ACT_OK)
COMPONENT(tc_act_reclassify, TC_ACT_RECLASSIFY)
COMPONENT(tc_act_shot, TC_ACT_SHOT)
COMPONENT(tc_act_pipe, TC_ACT_PIPE)
COMPONENT(tc_act_stolen, TC_ACT_STOLEN)
COMPONENT(tc_act_queued, TC_ACT_QUEUED)
COMPONENT(tc_act_repeat, TC_ACT_REPEAT)
/* Without a redirect target; BPF_PROG_TEST_RUN reports the verdict without acting on it. */
COMPONENT(tc_act_redirect, TC_ACT_REDIRECT)
COMPONENT(tc_act_trap, TC_ACT_TRAP)
/* What an empty slot returns: always proceeds. */
COMPONENT(tc_act_dispatcher_return, 30)
/* A second "ok", so that a chain has distinct names (the end of a chain in tests). */
COMPONENT(tc_end, TC_ACT_OK)
/* No TC action at all: no bit of the proceed-on mask can stand for it. */
COMPONENT(tc_bogus, 63)

char LICENSE[] SEC("license") = "GPL";
