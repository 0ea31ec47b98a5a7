// SPDX-License-Identifier: GPL-2.0
/* Programs written the way users of the reference write them, for loaders that take a
 * section name's prefix (aya, cilium/ebpf, libbpf < 1.0): "classifier/NAME" for tc and
 * tcx, "xdp/NAME", "kprobe/FN", "kretprobe/FN", "uprobe/NAME", "uretprobe/NAME",
 * "tracepoint/CATEGORY/NAME"; "tcx/ingress" (libbpf >= 1.3's name) and a name that says no
 * type at all. Several program types in one object, one of them static.
 * Each adds 1 to its own slot of the `counters` array so a test sees that it ran
 * (tests/integration/test-legacy.sh, tests/grpc/test_legacy.py). */
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

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("classifier/stats")
int stats(struct __sk_buff *skb)
{
	bump(LEGACY_SLOT_TC);
	return TC_ACT_OK;
}

/* tcx: TCX_NEXT (-1) lets whatever follows on the hook see the packet */
SEC("classifier/tcx_stats")
int tcx_stats(struct __sk_buff *skb)
{
	bump(LEGACY_SLOT_TCX);
	return -1;
}

SEC("xdp/xdp_stats")
int xdp_stats(struct xdp_md *ctx)
{
	bump(LEGACY_SLOT_XDP);
	return XDP_PASS;
}

/* static, like the reference's tracepoint example: libbpf >= 1.0 alone refuses the object */
SEC("tracepoint/syscalls/sys_enter_getpid")
static int tracepoint_getpid(void *ctx)
{
	bump(LEGACY_SLOT_TRACEPOINT);
	return 0;
}

SEC("kprobe/do_unlinkat")
int kprobe_unlinkat(void *ctx)
{
	bump(LEGACY_SLOT_KPROBE);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int kretprobe_unlinkat(void *ctx)
{
	bump(LEGACY_SLOT_KRETPROBE);
	return 0;
}

SEC("uprobe/bpfman_test_target")
int uprobe_target(void *ctx)
{
	bump(LEGACY_SLOT_UPROBE);
	return 0;
}

SEC("uretprobe/bpfman_test_target")
int uretprobe_target(void *ctx)
{
	bump(LEGACY_SLOT_URETPROBE);
	return 0;
}

/* libbpf 1.3's tcx section, unknown to 1.1 */
SEC("tcx/ingress")
int tcx_ingress_stats(struct __sk_buff *skb)
{
	bump(LEGACY_SLOT_TCX_INGRESS);
	return -1;
}

/* a section name that names no type: the request's type is the only one */
SEC("count_getppid")
int generic_getppid(void *ctx)
{
	bump(LEGACY_SLOT_GENERIC);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
