/* Multi-program dispatchers (contract section 5): one XDP program per interface, or one TC
 * program per interface and direction, that calls up to ten member programs in turn. The
 * members are extension (freplace) programs; every change builds a new dispatcher revision
 * with all members linked to its slots and swaps it in, then frees the old one.
 *
 * This room knows the kernel side only (dispatcher objects, pins, netlink, tc filters);
 * which members a hook should have is the manager's business (dispatch-ops.c). Every
 * function here runs in the hook's network namespace (the caller enters it) and returns 0
 * or a negative errno, with a message in *err (malloc'd) where the user needs one. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bpfman.h"
#include "config.h"

#define DISPATCHER_MAX_PROGS 10
/* The cls_bpf priority of the TC dispatcher's filter. Its handle is the dispatcher's
 * program id, so a revision is found again from its pins alone. */
#define DISPATCHER_TC_PRIO 50

enum dispatcher_kind {
	DISPATCHER_XDP,
	DISPATCHER_TC_INGRESS,
	DISPATCHER_TC_EGRESS,
};

/* Where a hook's pins go; the directories are not created here. */
struct dispatcher_paths {
	const char *fs; /* the manager's bpffs: xdp/, tc-ingress/, tc-egress/ under it */
	const char *libxdp_fs; /* libxdp's bpffs (LIBXDP_BPFFS or /sys/fs/bpf): xdp/ under it */
};

/* A dispatcher's identity: (namespace, interface[, direction]). */
struct dispatcher_hook {
	enum dispatcher_kind kind;
	const char *iface;
	int ifindex;
	uint64_t nsid; /* inode of the network namespace */
	/* The manager's own namespace: XDP pins go into libxdp's tree under libxdp's lock,
	 * so xdp-loader sees and extends the chain. */
	bool host;
};

/* One member of a chain: a loaded EXT program and how its slot is configured. */
struct dispatcher_member {
	int prog_fd; /* borrowed */
	uint32_t prog_id;
	char name[128]; /* whole function name: the order's tie-break */
	uint32_t prio;
	uint32_t actions; /* proceed-on mask; the dispatcher_return bit is added when built */
	uint32_t flags; /* xdp program_flags (kept for members libxdp attached) */
	uint32_t link_id; /* manager link id; 0 for a member someone else attached */
	uint32_t order; /* attach order, the last tie-break */
};

/* What is attached on a hook now. */
struct dispatcher_chain {
	int disp_fd; /* -EBADF when the hook has no dispatcher */
	uint32_t disp_id;
	uint32_t xdp_flags; /* xdp: the mode it is attached in (XDP_FLAGS_DRV_MODE, ...) */
	uint32_t foreign_id; /* xdp: a program that is not a dispatcher holds the hook */
	bool has_stats;
	int stats_fd; /* the slot_stats map, or -EBADF */
	uint32_t n;
	struct {
		uint32_t prog_id;
		int prog_fd;
		uint32_t link_id; /* kernel id of the freplace link */
		uint32_t prio;
		uint32_t actions; /* without the dispatcher_return bit */
		uint32_t flags;
	} slot[DISPATCHER_MAX_PROGS];
	char *tree; /* pin directory of this revision */
};

/* An empty chain (no fds: -EBADF); clear closes what a read filled and empties it again. */
void dispatcher_chain_init(struct dispatcher_chain *c);
void dispatcher_chain_clear(struct dispatcher_chain *c);

/* Reads the chain on the hook (in its namespace). A hook without a dispatcher gives
 * disp_fd -EBADF and n 0; an XDP hook held by another program gives foreign_id. */
int dispatcher_read(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		    struct dispatcher_chain *ret, char **err);

/* Makes the hook run exactly members[0..n) in that order: builds a revision (with the
 * per-slot counters when stats), links every member, pins the tree, swaps it in for cur
 * (netlink replace for XDP, new filter then old one deleted for TC), removes the old tree.
 * n == 0 detaches the dispatcher. On failure nothing of the new revision is left and cur
 * still runs. xdp_mode: the mode for a first attach (drv falls back to skb). */
int dispatcher_apply(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		     const struct dispatcher_chain *cur, const struct dispatcher_member *members,
		     uint32_t n, bool stats, enum xdp_mode xdp_mode, char **err);

/* Per-slot counts of a chain built with stats, summed over the CPUs. */
struct dispatcher_slot_counts {
	uint64_t packets;
	uint64_t actions[16];
};
int dispatcher_slot_counts(const struct dispatcher_chain *c, uint32_t slot,
			   struct dispatcher_slot_counts *ret);

/* Loading members: a template dispatcher of the kind (one slot) that EXT programs are
 * loaded against; they are linked to the real revisions later. Close with
 * bpf_object__close(). */
struct bpf_object;
int dispatcher_template(enum dispatcher_kind kind, struct bpf_object **ret);
int dispatcher_template_fd(struct bpf_object *obj);

/* Does the kernel load and link EXT programs? 1 yes, 0 no (reason in why), or a negative
 * errno that proves neither (transient: not to be cached). */
int dispatcher_freplace_supported(char *why, size_t len);

/* Removes tree directories of this hook that are neither cur's nor the running revision's
 * (a revision a crash left behind); libxdp's under libxdp's lock. Returns how many went. */
int dispatcher_sweep(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		     const struct dispatcher_chain *cur);
/* Removes the tree dir of revision disp_id unless the hook runs that revision now, under
 * libxdp's lock for libxdp's layout: 1 removed, 0 kept, -errno. */
int dispatcher_tree_remove_stale(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
				 const char *dir, uint32_t disp_id);

/* Proceed-on values (contract 4.1) to a slot mask, without the dispatcher_return bit. */
uint32_t dispatcher_mask(enum dispatcher_kind kind, const int32_t *proceed_on, size_t n);
