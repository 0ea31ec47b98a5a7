// SPDX-License-Identifier: GPL-2.0
/* Counts the packets and bytes arriving on an interface (XDP) and lets them all pass. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stats);
} xdp_stats SEC(".maps");

/* static, as the reference's other examples write their programs */
SEC("xdp")
static int xdp_counter(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct stats *s = bpf_map_lookup_elem(&xdp_stats, &key);

	if (s) {
		s->packets++;
		s->bytes += ctx->data_end - ctx->data;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
