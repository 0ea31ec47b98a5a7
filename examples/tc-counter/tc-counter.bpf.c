// SPDX-License-Identifier: GPL-2.0
/* Counts the packets and bytes crossing an interface in one direction (tc, cls_bpf in
 * direct-action mode). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
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
} tc_stats SEC(".maps");

/* TC_ACT_OK hands the packet on to the stack unchanged; it ends the filter chain, so
 * filters with a higher priority number than this one do not see the packet (returning
 * TC_ACT_UNSPEC would let them run). "classifier/NAME" and a static function: the
 * reference's style, which bpfman takes as the tc program the request names. */
SEC("classifier/tc_counter")
static int tc_counter(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct stats *s = bpf_map_lookup_elem(&tc_stats, &key);

	if (s) {
		s->packets++;
		s->bytes += skb->len;
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
