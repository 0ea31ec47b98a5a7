// SPDX-License-Identifier: GPL-2.0
/* Counts the packets and bytes crossing an interface in one direction (tcx). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* tcx return codes (linux/bpf.h has them from 6.6 on): NEXT lets the programs after this
 * one, and then the stack, see the packet, so counting never changes the traffic */
#define TCX_NEXT -1

struct stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stats);
} tcx_stats SEC(".maps");

/* tcx takes the classifier program type; "classifier/NAME" and a static function are
 * the reference's style (libbpf 1.x alone knows neither: bpfman takes the request's type) */
SEC("classifier/tcx_counter")
static int tcx_counter(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct stats *s = bpf_map_lookup_elem(&tcx_stats, &key);

	if (s) {
		s->packets++;
		s->bytes += skb->len;
	}
	return TCX_NEXT;
}

char LICENSE[] SEC("license") = "GPL";
