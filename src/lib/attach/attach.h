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
	char *error; /* out: message on failure (malloc'd) */
};

int attach_tracepoint(struct attach_request *r, int *ret_link_fd);
int attach_kprobe(struct attach_request *r, int *ret_link_fd);
int attach_uprobe(struct attach_request *r, int *ret_link_fd);
int attach_tracing(struct attach_request *r, int *ret_link_fd); /* fentry, fexit, lsm */
int attach_tcx(struct attach_request *r, int *ret_link_fd);
int attach_xdp(struct attach_request *r, int *ret_link_fd);

/* Sets r->error to the formatted message and returns err. */
int attach_errorf(struct attach_request *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Position of a tcx link in its hook's run order, or -1. */
int tcx_link_position(const struct bpfman_link *l);
