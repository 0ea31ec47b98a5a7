/* One function per hook kind. Each takes the program's fd and the request and returns a
 * bpf_link fd that the manager pins; detaching is unpinning that link (the last reference
 * gone, the kernel detaches). xdp and tc go through the dispatcher (a later module). */
#pragma once

#include "bpfman.h"
#include "config.h"
#include "store.h"

struct attach_request {
	int prog_fd;
	const struct bpfman_program *prog;
	const struct bpfman_attach_opts *opts;
	struct store *store; /* to find the hook's existing links (tcx order) */
	enum xdp_mode xdp_mode; /* from the config: drv (falling back to skb), skb or hw */
	/* uprobe: the target, opened and checked before the lock (uprobe_target_open) */
	bool uprobe_target_opened;
	int uprobe_target_fd;
	char *error; /* out: message on failure (malloc'd) */
	/* tc: in, the filter's handle (the link id, so a record names its filter before the
	 * filter exists); out, whether the clsact qdisc was made for it */
	uint32_t tc_handle;
	bool created_qdisc;
	bool needs_qdisc; /* out of tc_prepare(): the interface has no clsact yet */
};

int attach_tracepoint(struct attach_request *r, int *ret_link_fd);
int attach_kprobe(struct attach_request *r, int *ret_link_fd);
int attach_uprobe(struct attach_request *r, int *ret_link_fd);
int attach_tracing(struct attach_request *r, int *ret_link_fd); /* fentry, fexit, lsm */
int attach_tcx(struct attach_request *r, int *ret_link_fd);
int attach_xdp(struct attach_request *r, int *ret_link_fd);
/* tc has no bpf_link: *ret_link_fd is -EBADF and the request's tc_handle names the filter. */
int attach_tc(struct attach_request *r, int *ret_link_fd);
/* Checks a tc request against the interface without changing anything: sets needs_qdisc,
 * refuses a legacy ingress qdisc. Lets the manager record its intent before attach_tc. */
int tc_prepare(struct attach_request *r);
/* Removes a tc link's filter (and the clsact qdisc when remove_qdisc) if it runs the link's
 * program. A filter, clsact, interface or namespace already gone is not an error. */
int tc_detach_link(const struct bpfman_link *l, bool remove_qdisc);
/* 1: the link's filter runs its program; 0: the kernel says it does not (filter, clsact,
 * interface or namespace gone, or another program there); -errno: cannot tell. */
int tc_link_state(const struct bpfman_link *l);
int tc_remove_qdisc(const char *netns, const char *iface);

/* Sets r->error to the formatted message and returns err. */
int attach_errorf(struct attach_request *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* xdp, tc, tcx: checks the interface (and the direction), enters the request's network
 * namespace and resolves the interface in it. On success the caller runs in that namespace
 * and returns with netns_leave(*ret_orig_ns). */
int attach_enter_iface(struct attach_request *r, bool needs_direction, int *ret_orig_ns,
		       int *ret_ifindex);

/* Position of a tcx link in its hook's run order, or -1. */
int tcx_link_position(const struct bpfman_link *l);
