// SPDX-License-Identifier: GPL-2.0
/* Counts getpid() calls (or any tracepoint the program is attached to). The counter is a
 * per-CPU array: each CPU bumps its own copy without atomics, userspace adds them up. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tracepoint_cnt SEC(".maps");

/* the section names the default hook; bpfman attaches wherever the user asks. Static, as
 * in the reference's examples. */
SEC("tracepoint/syscalls/sys_enter_getpid")
static int tracepoint_counter(void *ctx)
{
	__u32 key = 0;
	__u64 *count = bpf_map_lookup_elem(&tracepoint_cnt, &key);

	if (count)
		(*count)++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
