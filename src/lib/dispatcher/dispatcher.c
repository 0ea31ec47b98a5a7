/* Reading a hook's chain and making it run a given list of members: the steps both kinds
 * share. The plan of dispatcher_apply, each step with its undo:
 *   load the revision with its config     close it (the kernel frees it)
 *   link each member to its slot          close the links
 *   carry the per-slot counts over        -
 *   pin the tree (libxdp's lock held)     remove the tree
 *   swap it in on the hook                (the point of no return)
 *   remove the old tree                   - (its links go, and the old revision with them)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "dispatcher-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct bpf_object *, bpf_object__close)

void dispatcher_chain_init(struct dispatcher_chain *c)
{
	memset(c, 0, sizeof(*c));
	c->disp_fd = c->stats_fd = -EBADF;
	for (uint32_t i = 0; i < DISPATCHER_MAX_PROGS; i++)
		c->slot[i].prog_fd = -EBADF;
}

void dispatcher_chain_clear(struct dispatcher_chain *c)
{
	for (uint32_t i = 0; i < DISPATCHER_MAX_PROGS; i++)
		if (c->slot[i].prog_fd >= 0)
			close(c->slot[i].prog_fd);
	if (c->disp_fd >= 0)
		close(c->disp_fd);
	if (c->stats_fd >= 0)
		close(c->stats_fd);
	free(c->tree);
	dispatcher_chain_init(c);
}

int dispatcher_errorf(char **err, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && !*err && vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	return r;
}

/* Caller holds libxdp's lock for host XDP hooks. */
static int read_locked(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		       struct dispatcher_chain *c, char **err)
{
	int fd = -EBADF, r;

	if (h->kind == DISPATCHER_XDP)
		r = xdp_hook_current(h, &fd, &c->xdp_flags, &c->foreign_id);
	else
		r = tc_hook_current(p, h, &fd);
	if (r == -ENOENT || (r == 0 && fd < 0))
		return 0; /* empty, or held by a foreign program */
	if (r < 0)
		return dispatcher_errorf(err, r, "cannot query the %s hook of '%s': %s",
			      h->kind == DISPATCHER_XDP ? "XDP" : "TC", h->iface, strerror(-r));
	c->disp_fd = fd;
	r = dispatcher_read_config(fd, h->kind, c);
	if (r == -ENOTSUP || r == -EPROTO) {
		/* named like a dispatcher, but not one we can read: leave it alone */
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			c->foreign_id = info.id;
		close(c->disp_fd);
		c->disp_fd = -EBADF;
		c->n = 0;
		return 0;
	}
	if (r < 0)
		return dispatcher_errorf(err, r, "cannot read the dispatcher on '%s': %s", h->iface,
			      strerror(-r));
	c->tree = dispatcher_tree_path(p, h, c->disp_id);
	if (!c->tree)
		return -ENOMEM;
	r = dispatcher_tree_read(h, c);
	if (r < 0)
		return dispatcher_errorf(err, r,
			      "the dispatcher %u on '%s' has no readable pins at %s (%s); remove it (xdp-loader unload -a, or detach it) and attach again",
			      c->disp_id, h->iface, c->tree, strerror(-r));
	return 0;
}

int dispatcher_read(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		    struct dispatcher_chain *ret, char **err)
{
	int lock, r;

	dispatcher_chain_init(ret);
	lock = dispatcher_lock(p, h);
	if (lock < 0 && lock != -EBADF)
		return dispatcher_errorf(err, lock, "cannot take libxdp's lock: %s", strerror(-lock));
	r = read_locked(p, h, ret, err);
	dispatcher_unlock(lock);
	return r;
}

/* Loads the revision for members[0..n). */
static int load_revision(const struct dispatcher_hook *h, const struct dispatcher_member *m,
			 uint32_t n, bool stats, struct bpf_object **ret)
{
	if (h->kind == DISPATCHER_XDP) {
		struct xdp_dispatcher_config c;

		xdp_config_fill(&c, m, n);
		return dispatcher_prog_load(h->kind, stats, &c, sizeof(c), ret);
	} else {
		struct tc_dispatcher_config c;

		tc_config_fill(&c, m, n);
		return dispatcher_prog_load(h->kind, stats, &c, sizeof(c), ret);
	}
}

/* Counts follow each member from its old slot to its new one: a slot of the same program
 * with the same priority and actions first (a program attached twice keeps both counts
 * apart), then any slot of the same program. */
static void carry_counts(const struct dispatcher_chain *cur, const struct dispatcher_member *m,
			 uint32_t n, int new_stats_fd)
{
	bool used[DISPATCHER_MAX_PROGS] = { false }, done[DISPATCHER_MAX_PROGS] = { false };

	if (!cur->has_stats || cur->stats_fd < 0 || new_stats_fd < 0)
		return;
	for (int exact = 1; exact >= 0; exact--)
		for (uint32_t i = 0; i < n; i++)
			for (uint32_t j = 0; !done[i] && j < cur->n; j++) {
				if (used[j] || cur->slot[j].prog_id != m[i].prog_id)
					continue;
				if (exact && (cur->slot[j].prio != m[i].prio ||
					      cur->slot[j].actions != m[i].actions))
					continue;
				used[j] = done[i] = true;
				(void)dispatcher_copy_counts(cur->stats_fd, j, new_stats_fd, i);
			}
}

/* One XDP member whose proceed-on can only be "pass" replaces the whole dispatcher, as
 * libxdp does: it then costs what the program alone costs. The verdicts are the same: the
 * one-slot dispatcher returns what its member returns, except that it returns XDP_PASS
 * when the member's action is in the mask, which for "pass" is the same thing. Not when
 * counting (the counts live in the dispatcher's code). */
static bool replaces_whole(const struct dispatcher_hook *h, const struct dispatcher_member *m,
			   uint32_t n, bool stats)
{
	return h->kind == DISPATCHER_XDP && n == 1 && !stats &&
	       (m[0].actions & ~(1U << 2 /* XDP_PASS */)) == 0;
}

static int swap(const struct dispatcher_hook *h, const struct dispatcher_chain *cur, int new_fd,
		uint32_t new_id, enum xdp_mode mode, char **err)
{
	if (h->kind == DISPATCHER_XDP)
		return xdp_hook_swap(h, cur, new_fd, mode, err);
	return tc_hook_swap(h, cur, new_fd, new_id, err);
}

/* The functions members are linked to: the slots, or the main function itself. */
static const char *const slots[DISPATCHER_MAX_PROGS] = {
	"prog0", "prog1", "prog2", "prog3", "prog4", "prog5", "prog6", "prog7", "prog8", "prog9",
};
static const char *const whole[] = { XDP_DISPATCHER_PROG_NAME };

int dispatcher_apply(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		     const struct dispatcher_chain *cur, const struct dispatcher_member *m,
		     uint32_t n, bool stats, enum xdp_mode xdp_mode, char **err)
{
	uint32_t btf_ids[DISPATCHER_MAX_PROGS];
	_cleanup_(bpf_object__closep) struct bpf_object *obj = NULL;
	_cleanup_free_ char *tree = NULL;
	int links[DISPATCHER_MAX_PROGS], disp_fd = -EBADF, lock = -EBADF, r;
	uint32_t disp_id = 0, linked = 0;

	if (n > DISPATCHER_MAX_PROGS)
		return dispatcher_errorf(err, -E2BIG, "No room to attach program: '%s' already runs %d programs",
			      h->iface, DISPATCHER_MAX_PROGS);
	if (n > 0) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		r = load_revision(h, m, n, stats, &obj);
		if (r < 0)
			return dispatcher_errorf(err, r, "cannot load the dispatcher: %s", strerror(-r));
		disp_fd = dispatcher_obj_fd(obj, h->kind);
		if (bpf_obj_get_info_by_fd(disp_fd, &info, &len) < 0)
			return -errno;
		disp_id = info.id;
		r = prog_func_btf_ids(disp_fd, replaces_whole(h, m, n, stats) ? whole : slots, n,
				      btf_ids);
		if (r < 0)
			return dispatcher_errorf(err, r, "the dispatcher has no BTF for its slots: %s",
				      strerror(-r));
		for (; linked < n; linked++) {
			links[linked] = dispatcher_link_btf(m[linked].prog_fd, disp_fd, btf_ids[linked]);
			if (links[linked] < 0) {
				r = dispatcher_errorf(err, links[linked],
					   "cannot link program %u to slot %u of the dispatcher: %s",
					   m[linked].prog_id, linked, strerror(-links[linked]));
				goto out;
			}
		}
		if (stats)
			carry_counts(cur, m, n, dispatcher_obj_stats_fd(obj));
		tree = dispatcher_tree_path(p, h, disp_id);
		if (!tree) {
			r = -ENOMEM;
			goto out;
		}
	}
	lock = dispatcher_lock(p, h);
	if (lock < 0 && lock != -EBADF) {
		r = dispatcher_errorf(err, lock, "cannot take libxdp's lock: %s", strerror(-lock));
		goto out;
	}
	if (tree) {
		_cleanup_free_ char *parent = NULL;

		r = dispatcher_tree_parent(p, h, &parent);
		if (r == 0)
			r = dispatcher_tree_pin(h, tree, m, links, n);
		if (r < 0) {
			r = dispatcher_errorf(err, r, "cannot pin the dispatcher's links at %s: %s", tree,
				   strerror(-r));
			goto out;
		}
	}
	r = swap(h, cur, disp_fd, disp_id, xdp_mode, err);
	if (r < 0) {
		if (tree)
			(void)dispatcher_tree_remove(tree);
		goto out;
	}
	/* the old revision's links go with its tree; the old dispatcher with its links */
	if (cur->tree)
		(void)dispatcher_tree_remove(cur->tree);
	r = 0;
out:
	dispatcher_unlock(lock);
	for (uint32_t i = 0; i < linked; i++)
		close(links[i]);
	return r;
}
