// SPDX-License-Identifier: GPL-2.0
/* Dispatcher components for tests: each program returns a fixed XDP action and adds 1 to
 * hits[slot]. `slot` is set per loaded object (tests/helpers/dispatch-probe sets it to the
 * component's position on its command line and shares one `hits` map among all the
 * components of a dispatcher), so a test can tell which components ran and how often. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define HITS_MAX 16

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HITS_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

volatile const __u32 slot = 0;

static __always_inline int count(int action)
{
	__u32 key = slot;
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return action;
}

/* Two programs that pass, so that a chain of passing components has distinct names. */
SEC("xdp")
int disp_pass(struct xdp_md *ctx)
{
	return count(XDP_PASS);
}

SEC("xdp")
int disp_pass2(struct xdp_md *ctx)
{
	return count(XDP_PASS);
}

SEC("xdp")
int disp_drop(struct xdp_md *ctx)
{
	return count(XDP_DROP);
}

SEC("xdp")
int disp_tx(struct xdp_md *ctx)
{
	return count(XDP_TX);
}

SEC("xdp")
int disp_aborted(struct xdp_md *ctx)
{
	return count(XDP_ABORTED);
}

/* Without a redirect target; BPF_PROG_TEST_RUN reports the verdict without acting on it. */
SEC("xdp")
int disp_redirect(struct xdp_md *ctx)
{
	return count(XDP_REDIRECT);
}

/* No XDP action at all: no bit of the proceed-on mask can stand for it. */
SEC("xdp")
int disp_bogus(struct xdp_md *ctx)
{
	return count(63);
}

char LICENSE[] SEC("license") = "GPL";
