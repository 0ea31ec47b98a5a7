/* Internals shared by the manager's entry points (load.c, attach.c, query.c,
 * reconcile.c). */
#pragma once

#include <stdarg.h>

#include "bpfman.h"
#include "config.h"
#include "layout.h"
#include "store.h"

struct bpfman {
	struct layout layout;
	struct store *store;
	struct bpfman_config config;
	bool read_only;
	int lock_fd; /* >= 0 while a change is in progress */
	int lock_hold; /* > 0: a caller of several changes keeps the lock between them */
	bpfman_notice_fn notice;
	void *notice_data;
	bpfman_cancel_fn cancelled;
	void *cancel_data;
	bpfman_progress_fn progress; /* downloads of image pulls */
	void *progress_data;
	char error[2048];
};

/* Records a message for bpfman_error() and returns r (a negative errno). */
int manager_error(struct bpfman *m, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void manager_notice(struct bpfman *m, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The writer lock (flock on layout.lock_path); blocks until it is ours. */
int manager_lock(struct bpfman *m);
void manager_unlock(struct bpfman *m);
/* Keeps the lock across several changes (a declared application's apply): the
 * manager_unlock() of each change leaves it held until the matching release. */
int manager_lock_hold(struct bpfman *m);
void manager_lock_release(struct bpfman *m);

/* -ECANCELED when the caller's cancel check says the request is no longer wanted, else 0.
 * Consulted once per change, at its point of no return. */
int manager_check_cancel(struct bpfman *m);

/* Records vs pins vs kernel; repairs toward the kernel. Caller holds the lock. */
int manager_reconcile(struct bpfman *m);

/* Removes a map directory and its pins when no program record uses it any more. */
int manager_release_map_dir(struct bpfman *m, const char *map_dir);
/* Unpins a link of the manager (which detaches it) and deletes its record. Caller holds the
 * lock and runs inside a transaction. */
int manager_detach_link(struct bpfman *m, uint32_t link_id, enum bpfman_prog_type type);

/* xdp/tc under a dispatcher (dispatch-ops.c). Makes the hook's chain match its link
 * records (plus members another tool attached), inside the caller's transaction: changes
 * the records first, then syncs, then commits. -ENODEV when the namespace or interface is
 * gone. *ret_created_qdisc: a clsact qdisc was made for it (the caller records it). */
int manager_sync_hook(struct bpfman *m, enum bpfman_prog_type type, const char *iface,
		      const char *netns, enum bpfman_direction dir, bool *ret_created_qdisc);
/* Position, dispatcher id, kernel link id and counts of a dispatched link. */
void manager_fill_dispatched(struct bpfman *m, struct bpfman_link *l);
/* Drops records of dispatched links whose hook went or whose program left the chain
 * (reconcile, inside its transaction). */
int manager_reconcile_dispatched(struct bpfman *m);
/* Removes dispatcher pin trees that belong to no hook with records (reconcile). */
void manager_sweep_dispatchers(struct bpfman *m);

/* libbpf's messages of the current thread's last load, for verifier errors. */
void libbpf_log_capture_begin(void);
const char *libbpf_log_capture_tail(size_t max);
void libbpf_log_capture_end(void);

/* Fills the kernel view's type and name from the program's record (query.c). */
void view_from_record(struct bpfman_program_view *v);

/* Frees what a link struct holds, not the struct. */
void link_clear(struct bpfman_link *l);

