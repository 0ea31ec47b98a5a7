// SPDX-License-Identifier: GPL-2.0
/* Members for dispatcher tests and benchmarks, loaded through bpfman: each program adds 1
 * to hits[slot] and returns `action`. Both are global data set at load time
 * (`bpfman load file -g slot=.. -g action=..`), so one object gives programs that return
 * any action and count into their own slot of a `hits` map that several loads share with
 * --map-owner-id. Several names with the same body let tests check the tie-break by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define HITS_MAX 16

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HITS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

volatile const __u32 slot = 0;
volatile const __s32 action = 2; /* XDP_PASS; for tc set it (TC_ACT_OK is 0) */

static __always_inline int member(void)
{
	__u32 key = slot;
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return action;
}

#define XDP_MEMBER(name)                                                                           \
	SEC("xdp")                                                                                 \
	int name(struct xdp_md *ctx)                                                               \
	{                                                                                          \
		return member();                                                                   \
	}
#define TC_MEMBER(name)                                                                            \
	SEC("tc")                                                                                  \
	int name(struct __sk_buff *skb)                                                            \
	{                                                                                          \
		return member();                                                                   \
	}

XDP_MEMBER(xdp_a)
XDP_MEMBER(xdp_b)
XDP_MEMBER(xdp_c)
TC_MEMBER(tc_a)
TC_MEMBER(tc_b)
TC_MEMBER(tc_c)

char LICENSE[] SEC("license") = "GPL";
