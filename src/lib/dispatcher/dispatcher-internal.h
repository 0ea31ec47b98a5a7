/* Shared inside the dispatcher room: the programs (dispatcher-prog.c), the pin trees
 * (dispatcher-tree.c) and the two kinds of hook (xdp-hook.c, tc-hook.c). */
#pragma once

#include <stddef.h>

#include "dispatcher.h"
#include "dispatcher_stats.h"
#include "tc_dispatcher.h"
#include "xdp_dispatcher.h"

struct bpf_object;

/* Sets *err (when err is given and empty) to the formatted message; returns r. */
int dispatcher_errorf(char **err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

const char *dispatcher_prog_name(enum dispatcher_kind kind);
void xdp_config_fill(struct xdp_dispatcher_config *c, const struct dispatcher_member *m,
		     uint32_t n);
void tc_config_fill(struct tc_dispatcher_config *c, const struct dispatcher_member *m, uint32_t n);
/* Loads the embedded dispatcher of the kind with this config. */
int dispatcher_prog_load(enum dispatcher_kind kind, bool stats, const void *config,
			 size_t config_len, struct bpf_object **ret);
int dispatcher_obj_fd(struct bpf_object *obj, enum dispatcher_kind kind);
int dispatcher_obj_stats_fd(struct bpf_object *obj);
/* Reads name, config and stats map of a loaded dispatcher into c (n, slot prios/actions,
 * disp_id, has_stats, stats_fd). -ENOTSUP: not a dispatcher of this kind; -EPROTO: a
 * config this manager cannot read. */
int dispatcher_read_config(int disp_fd, enum dispatcher_kind kind, struct dispatcher_chain *c);
int prog_func_btf_ids(int prog_fd, const char *const *names, uint32_t n, uint32_t *ret);
/* Links an EXT program to the dispatcher's function with that BTF id, to slot function
 * prog<slot>, or to function fn; returns the link fd. */
int dispatcher_link_btf(int prog_fd, int disp_fd, uint32_t btf_id);
int dispatcher_link_slot(int prog_fd, int disp_fd, uint32_t slot);
int dispatcher_link_func(int prog_fd, int disp_fd, const char *fn);
int dispatcher_copy_counts(int from_fd, uint32_t from_slot, int to_fd, uint32_t to_slot);

/* ---- pin trees ---- */

/* Tree directory of a revision: libxdp's dispatch-<ifindex>-<id> for XDP in the host's
 * namespace, our dispatcher_<nsid>_<ifindex>_<id> otherwise. malloc'd. */
char *dispatcher_tree_path(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
			   uint32_t disp_id);
/* The directory the trees of the hook's kind live in (created 0700 when missing, on a
 * bpffs). */
int dispatcher_tree_parent(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
			   char **ret);
/* libxdp's lock: flock on <libxdp_fs>/xdp. Returns the fd or -EBADF for hooks that do not
 * use libxdp's tree. */
int dispatcher_lock(const struct dispatcher_paths *p, const struct dispatcher_hook *h);
void dispatcher_unlock(int fd);
/* Pins link_fds[i] (and, in libxdp's layout, the member programs) under dir. */
int dispatcher_tree_pin(const struct dispatcher_hook *h, const char *dir,
			const struct dispatcher_member *m, const int *link_fds, uint32_t n);
/* Fills c->slot[i].prog_fd/prog_id/link_id from the tree of c (c->tree, c->n). */
int dispatcher_tree_read(const struct dispatcher_hook *h, struct dispatcher_chain *c);
int dispatcher_tree_remove(const char *dir);

/* ---- the hooks ---- */

/* Finds the dispatcher attached on the hook: its fd and, for XDP, the mode; *foreign_id for
 * an XDP program that is not a dispatcher. -ENOENT when the hook is empty. */
int xdp_hook_current(const struct dispatcher_hook *h, int *ret_fd, uint32_t *ret_flags,
		     uint32_t *ret_foreign_id);
int tc_hook_current(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		    int *ret_fd);
/* Puts new_fd on the hook in place of cur's dispatcher (or first), -1 new_fd detaches. */
int xdp_hook_swap(const struct dispatcher_hook *h, const struct dispatcher_chain *cur,
		  int new_fd, enum xdp_mode mode, char **err);
int tc_hook_swap(const struct dispatcher_hook *h, const struct dispatcher_chain *cur, int new_fd,
		 uint32_t new_id, char **err);
