// SPDX-License-Identifier: GPL-2.0
/* A map declared the way libbpf < 1.0 took it: struct bpf_map_def in a section named
 * "maps". libbpf 1.x cannot load it; the manager must refuse it saying so and what to
 * write instead (BTF-defined maps in SEC(".maps")). Otherwise a valid program. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* the layout libbpf < 1.0 read (its bpf_helpers.h defined it; 1.x no longer does) */
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_counters = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

SEC("xdp")
int xdp_legacy_map(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&legacy_counters, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
