// SPDX-License-Identifier: GPL-2.0
/* Counts calls of a user-space function (libc getpid by default), in every process
 * that maps the target unless a pid is given. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} uprobe_cnt SEC(".maps");

/* the section decides entry or return; target and function come with the attach (the
 * rest of the section name is only a hint). Static, as in the reference's examples. */
SEC("uprobe/getpid")
static int uprobe_counter(void *ctx)
{
	__u32 key = 0;
	__u64 *count = bpf_map_lookup_elem(&uprobe_cnt, &key);

	if (count)
		(*count)++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
