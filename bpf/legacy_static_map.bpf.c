// SPDX-License-Identifier: GPL-2.0
/* A BTF-defined map declared static, which libbpf 1.x refuses at open ("unsupported map
 * linkage static", ENOTSUP): an object this libbpf does not load, to be refused as bad
 * input with libbpf's reason, never as an unimplemented request. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} static_counters SEC(".maps");

SEC("xdp")
int xdp_static_map(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&static_counters, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
