// SPDX-License-Identifier: GPL-2.0
/* One application, three programs in one object: a tracepoint (getpid syscalls), a kprobe
 * (do_unlinkat) and a uprobe (libc getpid). bpfman loads them together, so they share
 * this object's maps: each program counts in its own slot of one per-CPU array. Written
 * as the reference's examples are: static program functions, prefixed sections. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum slot {
	SLOT_TRACEPOINT,
	SLOT_KPROBE,
	SLOT_UPROBE,
	SLOT_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} app_cnt SEC(".maps");

static __always_inline void bump(__u32 slot)
{
	__u64 *count = bpf_map_lookup_elem(&app_cnt, &slot);

	if (count)
		(*count)++;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
static int tracepoint_counter(void *ctx)
{
	bump(SLOT_TRACEPOINT);
	return 0;
}

SEC("kprobe/do_unlinkat")
static int kprobe_counter(void *ctx)
{
	bump(SLOT_KPROBE);
	return 0;
}

SEC("uprobe/getpid")
static int uprobe_counter(void *ctx)
{
	bump(SLOT_UPROBE);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
