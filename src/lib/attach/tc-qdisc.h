#pragma once

#include <stddef.h>

/* The kind ("clsact", "ingress") of the qdisc at ifindex's ingress slot in the calling
 * thread's network namespace. Returns 1 and fills kind, 0 when there is none, or a negative
 * errno. */
int tc_ingress_qdisc_kind(int ifindex, char *kind, size_t len);
