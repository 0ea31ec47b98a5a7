#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kind ("clsact", "ingress") of the qdisc at ifindex's ingress slot in the calling
 * thread's network namespace. Returns 1 and fills kind, 0 when there is none, or a negative
 * errno. */
int tc_ingress_qdisc_kind(int ifindex, char *kind, size_t len);

/* The cls_bpf filter with this priority and handle on ifindex's clsact side, in the calling
 * thread's network namespace: 1 and its program id, 0 when there is none (an empty dump is
 * proof of absence), or a negative errno. */
int tc_filter_prog(int ifindex, bool egress, uint32_t prio, uint32_t handle, uint32_t *ret_prog_id);
