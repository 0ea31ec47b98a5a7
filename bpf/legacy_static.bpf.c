// SPDX-License-Identifier: GPL-2.0
/* Every program function static, as in the reference's examples (libbpf >= 1.0 refuses
 * such an object as a whole: "program '...' is static and not supported"), in the same
 * legacy sections as legacy_sections.bpf.c, and the counting done by a static subprogram
 * (in .text: a function the programs call, which must stay static). */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "legacy_slots.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LEGACY_SLOT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* a real call (not inlined): the verifier checks it with its caller's context */
static __attribute__((noinline)) int bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("classifier/stats")
static int stats(struct __sk_buff *skb)
{
	bump(LEGACY_SLOT_TC);
	return TC_ACT_OK;
}

SEC("classifier/tcx_stats")
static int tcx_stats(struct __sk_buff *skb)
{
	bump(LEGACY_SLOT_TCX);
	return -1; /* TCX_NEXT */
}

SEC("xdp")
static int xdp_stats(struct xdp_md *ctx)
{
	bump(LEGACY_SLOT_XDP);
	return XDP_PASS;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
static int tracepoint_getpid(void *ctx)
{
	return bump(LEGACY_SLOT_TRACEPOINT);
}

SEC("kprobe/do_unlinkat")
static int kprobe_unlinkat(void *ctx)
{
	return bump(LEGACY_SLOT_KPROBE);
}

SEC("kretprobe/do_unlinkat")
static int kretprobe_unlinkat(void *ctx)
{
	return bump(LEGACY_SLOT_KRETPROBE);
}

SEC("uprobe/bpfman_test_target")
static int uprobe_target(void *ctx)
{
	return bump(LEGACY_SLOT_UPROBE);
}

SEC("uretprobe/bpfman_test_target")
static int uretprobe_target(void *ctx)
{
	return bump(LEGACY_SLOT_URETPROBE);
}

char LICENSE[] SEC("license") = "GPL";
