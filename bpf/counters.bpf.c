// SPDX-License-Identifier: GPL-2.0
/* Test and demo programs: one program per hook kind, each adding `increment` (global data
 * in .rodata, 1 unless set at load time with -g increment=HEX) to its own slot of the
 * pinned `counters` map, so a test can prove that the program ran. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum slot {
	SLOT_TRACEPOINT,
	SLOT_KPROBE,
	SLOT_KRETPROBE,
	SLOT_UPROBE,
	SLOT_URETPROBE,
	SLOT_FENTRY,
	SLOT_FEXIT,
	SLOT_LSM,
	SLOT_TCX_A,
	SLOT_TCX_B,
	SLOT_TCX_C,
	SLOT_XDP,
	SLOT_MAX = 16,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* declared pin-by-name: the manager shares it like the others, in its own map directory */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_by_name SEC(".maps");

volatile const __u64 increment = 1;
/* a .data and a .bss variable, so global data of every section can be set */
volatile __u32 data_marker = 7;
volatile __u32 bss_marker;

static __always_inline void bump(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (v)
		__sync_fetch_and_add(v, increment);
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int tracepoint_counter(void *ctx)
{
	bump(SLOT_TRACEPOINT);
	return 0;
}

SEC("kprobe/do_unlinkat")
int kprobe_counter(void *ctx)
{
	bump(SLOT_KPROBE);
	return 0;
}

SEC("kretprobe/do_unlinkat")
int kretprobe_counter(void *ctx)
{
	bump(SLOT_KRETPROBE);
	return 0;
}

SEC("uprobe")
int uprobe_counter(void *ctx)
{
	bump(SLOT_UPROBE);
	return 0;
}

SEC("uretprobe")
int uretprobe_counter(void *ctx)
{
	bump(SLOT_URETPROBE);
	return 0;
}

SEC("fentry/do_unlinkat")
int fentry_counter(void *ctx)
{
	bump(SLOT_FENTRY);
	return 0;
}

SEC("fexit/do_unlinkat")
int fexit_counter(void *ctx)
{
	bump(SLOT_FEXIT);
	return 0;
}

SEC("lsm/file_open")
int lsm_counter(void *ctx)
{
	bump(SLOT_LSM);
	return 0;
}

/* tcx programs return TCX_NEXT (-1) so every program on the hook runs */
SEC("tc")
int tcx_a(struct __sk_buff *skb)
{
	bump(SLOT_TCX_A);
	return -1;
}

SEC("tc")
int tcx_b(struct __sk_buff *skb)
{
	bump(SLOT_TCX_B);
	return -1;
}

SEC("tc")
int tcx_c(struct __sk_buff *skb)
{
	bump(SLOT_TCX_C);
	return -1;
}

SEC("xdp")
int xdp_counter(struct xdp_md *ctx)
{
	bump(SLOT_XDP);
	return XDP_PASS;
}

/* reads the .data/.bss markers so they are kept; counts their sum into slot 15 */
SEC("tracepoint/syscalls/sys_enter_getppid")
int globals_probe(void *ctx)
{
	__u32 slot = 15;
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);

	if (v)
		*v = (__u64)data_marker + bss_marker;
	__u64 one = 1;

	bpf_map_update_elem(&shared_by_name, &slot, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
