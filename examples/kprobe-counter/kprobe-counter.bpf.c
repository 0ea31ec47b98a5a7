// SPDX-License-Identifier: GPL-2.0
/* Counts calls of a kernel function (do_unlinkat by default: every unlink). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} kprobe_cnt SEC(".maps");

/* "kprobe" (not "kretprobe") is what makes bpfman attach it at the function's entry;
 * static, as in the reference's examples (bpfman loads it all the same) */
SEC("kprobe/do_unlinkat")
static int kprobe_counter(void *ctx)
{
	__u32 key = 0;
	__u64 *count = bpf_map_lookup_elem(&kprobe_cnt, &key);

	if (count)
		(*count)++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
