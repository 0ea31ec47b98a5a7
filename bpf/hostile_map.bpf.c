// SPDX-License-Identifier: GPL-2.0
/* A map whose name a test rewrites in the ELF (C cannot spell "../" in an identifier):
 * every occurrence of the long placeholder name below, in the symbol table and in the
 * BTF strings, is patched to a hostile name of the same length, to prove that map names
 * from an object file are checked before they are joined into pin paths. Same shape as
 * counters.bpf.c's `counters`, so a patched name can point at one of those. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hostile_map_name_placeholder_patched_by_test SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int hostile_map_user(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&hostile_map_name_placeholder_patched_by_test, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
