/* XDP and TC programs under a dispatcher (kernels with freplace): which members a hook
 * has, in which order, and the views of it (position, counts, `dispatcher show`).
 *
 * The records are the manager's half of the truth: a hook runs, in order, every link
 * record on it plus the members another tool (libxdp/xdp-loader) put into the chain, which
 * are kept as they are. Attach and detach change the records inside their transaction,
 * then manager_sync_hook() makes the kernel match before the commit. Order: priority, then
 * program name (libxdp's rule, so either tool rebuilds the same chain), then attach
 * order. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach/netns.h"
#include "attach/tc-qdisc.h"
#include "cleanup.h"
#include "dispatcher/dispatcher.h"
#include "kernel.h"
#include "manager.h"

_Static_assert(sizeof(struct dispatcher_slot_counts) == sizeof(struct bpfman_slot_counts),
	      "one layout for the counts of a slot");

struct hook_ref {
	enum bpfman_prog_type type;
	const char *iface;
	const char *netns;
	enum bpfman_direction dir;
};

static enum dispatcher_kind kind_of(const struct hook_ref *ref)
{
	if (ref->type == BPFMAN_PROG_XDP)
		return DISPATCHER_XDP;
	return ref->dir == BPFMAN_DIR_EGRESS ? DISPATCHER_TC_EGRESS : DISPATCHER_TC_INGRESS;
}

static struct dispatcher_paths paths_of(struct bpfman *m)
{
	return (struct dispatcher_paths){ .fs = m->layout.fs, .libxdp_fs = m->layout.libxdp_fs };
}

static int ns_inode(const char *path, uint64_t *ret)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

/* Runs fn in the hook's namespace with the hook resolved. -ENODEV when the namespace or
 * the interface is gone. */
static int with_hook(const struct hook_ref *ref,
		     int (*fn)(const struct dispatcher_hook *h, void *arg), void *arg)
{
	struct dispatcher_hook h = { .kind = kind_of(ref), .iface = ref->iface };
	uint64_t own = 0;
	int orig = -EBADF, r;

	/* per thread: the server's workers enter namespaces on their own */
	r = ns_inode("/proc/thread-self/ns/net", &own);
	if (r < 0)
		return r;
	if (ref->netns && *ref->netns) {
		r = ns_inode(ref->netns, &h.nsid);
		if (r < 0)
			return r == -ENOENT ? -ENODEV : r;
	} else {
		h.nsid = own;
	}
	h.host = h.nsid == own;
	r = netns_enter(ref->netns, &orig);
	if (r < 0)
		return r == -ENOENT ? -ENODEV : r;
	h.ifindex = (int)if_nametoindex(ref->iface ? ref->iface : "");
	r = h.ifindex ? fn(&h, arg) : -ENODEV;
	netns_leave(orig);
	return r;
}

static int member_cmp(const void *a, const void *b)
{
	const struct dispatcher_member *x = a, *y = b;
	int c;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct sync_ctx {
	struct bpfman *m;
	const struct hook_ref *ref;
	struct bpfman_link *links; /* the hook's records */
	size_t n_links;
	int *fds; /* our members' program fds, one per link */
	char *err;
	bool created_qdisc;
	bool removed_all;
};

/* Members another tool attached: kept with their slot's priority and actions. */
static int add_foreign(struct sync_ctx *c, const struct dispatcher_chain *cur,
		       struct dispatcher_member *mem, uint32_t *n)
{
	for (uint32_t i = 0; i < cur->n; i++) {
		struct bpfman_kernel_info ki = { 0 };
		struct dispatcher_member *x;
		int r = store_program_exists(c->m->store, cur->slot[i].prog_id);

		if (r < 0)
			return r;
		if (r > 0)
			continue; /* ours: the records say whether it stays */
		x = &mem[(*n)++];
		memset(x, 0, sizeof(*x));
		x->prog_fd = cur->slot[i].prog_fd;
		x->prog_id = cur->slot[i].prog_id;
		x->prio = cur->slot[i].prio;
		x->actions = cur->slot[i].actions;
		x->flags = cur->slot[i].flags;
		x->order = i;
		if (kernel_prog_info(x->prog_fd, &ki, true) == 0)
			snprintf(x->name, sizeof(x->name), "%s", ki.name);
		free(ki.map_ids);
	}
	return 0;
}

/* TC needs clsact: made when missing (and remembered, to be removed with our last
 * program), a legacy ingress qdisc refused. */
static int ensure_clsact(struct sync_ctx *c, const struct dispatcher_hook *h)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = BPF_TC_INGRESS);
	char kind[32];
	int r = tc_ingress_qdisc_kind(h->ifindex, kind, sizeof(kind));

	if (r < 0)
		return manager_error(c->m, r, "cannot read the qdiscs of '%s': %s", h->iface,
				     strerror(-r));
	if (r > 0 && strcmp(kind, "clsact") != 0)
		return manager_error(c->m, -EBUSY,
				     "interface '%s' has a legacy '%s' qdisc; TC programs need clsact (remove it with: tc qdisc del dev %s ingress)",
				     h->iface, kind, h->iface);
	if (r > 0)
		return 0;
	r = bpf_tc_hook_create(&hook);
	if (r < 0 && r != -EEXIST)
		return manager_error(c->m, r, "cannot create the clsact qdisc on '%s': %s", h->iface,
				     strerror(-r));
	c->created_qdisc = r == 0;
	return 0;
}

static void remove_clsact(const struct dispatcher_hook *h)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	(void)bpf_tc_hook_destroy(&hook);
}

static int sync_once(struct sync_ctx *c, const struct dispatcher_hook *h)
{
	struct dispatcher_paths p = paths_of(c->m);
	struct dispatcher_chain cur;
	_cleanup_free_ struct dispatcher_member *mem = NULL;
	uint32_t n = 0;
	int r;

	r = dispatcher_read(&p, h, &cur, &c->err);
	if (r < 0)
		goto out;
	if (cur.foreign_id) {
		r = manager_error(c->m, -EBUSY,
				  "interface '%s' already runs XDP program %u, which is not a dispatcher; bpfman does not replace it (detach it first%s)",
				  h->iface, cur.foreign_id,
				  c->ref->type == BPFMAN_PROG_XDP ? ", or use tcx" : "");
		goto out;
	}
	mem = calloc(c->n_links + cur.n + 1, sizeof(*mem));
	if (!mem) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->n_links; i++) {
		struct dispatcher_member *x = &mem[n++];

		x->prog_fd = c->fds[i];
		x->prog_id = c->links[i].prog_id;
		snprintf(x->name, sizeof(x->name), "%s", c->links[i].prog_name ?: "");
		x->prio = (uint32_t)c->links[i].priority;
		x->actions = dispatcher_mask(h->kind, c->links[i].proceed_on,
					     c->links[i].n_proceed_on);
		x->link_id = c->links[i].id;
		x->order = 1000 + (uint32_t)i; /* the store lists them in attach order */
	}
	if (h->kind == DISPATCHER_XDP) {
		r = add_foreign(c, &cur, mem, &n);
		if (r < 0)
			goto out;
	}
	qsort(mem, n, sizeof(*mem), member_cmp);
	if (n > DISPATCHER_MAX_PROGS) {
		r = manager_error(c->m, -E2BIG,
				  "No room to attach program: '%s'%s%s already runs %d programs, the most a dispatcher holds",
				  h->iface, h->kind == DISPATCHER_XDP ? "" : " ",
				  h->kind == DISPATCHER_XDP ? "" :
				  h->kind == DISPATCHER_TC_INGRESS ? "ingress" : "egress",
				  DISPATCHER_MAX_PROGS);
		goto out;
	}
	if (h->kind != DISPATCHER_XDP && n > 0 && cur.disp_fd < 0) {
		r = ensure_clsact(c, h);
		if (r < 0)
			goto out;
	}
	r = dispatcher_apply(&p, h, &cur, mem, n, c->m->config.dispatcher_stats,
			     config_xdp_mode(&c->m->config, h->iface), &c->err);
	if (r < 0) {
		if (c->created_qdisc) {
			remove_clsact(h);
			c->created_qdisc = false;
		}
		goto out;
	}
	/* (revisions a crash left behind are reconcile's: manager_sweep_dispatchers) */
	c->removed_all = n == 0;
out:
	dispatcher_chain_clear(&cur);
	return r;
}

static int sync_in_ns(const struct dispatcher_hook *h, void *arg)
{
	struct sync_ctx *c = arg;
	int r;

	/* a swap that lost a race with another tool (XDP_FLAGS_REPLACE saw a different
	 * program) is done again on what is there now */
	for (int attempt = 0;; attempt++) {
		free(c->err);
		c->err = NULL;
		r = sync_once(c, h);
		if (r != -EBUSY || !c->err || attempt == 3)
			break;
	}
	if (r == 0 && c->removed_all && h->kind != DISPATCHER_XDP) {
		int q = store_tc_qdisc_release(c->m->store, c->ref->netns, c->ref->iface);

		if (q > 0)
			remove_clsact(h);
	}
	return r;
}

int manager_sync_hook(struct bpfman *m, enum bpfman_prog_type type, const char *iface,
		      const char *netns, enum bpfman_direction dir, bool *ret_created_qdisc)
{
	struct hook_ref ref = { .type = type, .iface = iface, .netns = netns,
				.dir = type == BPFMAN_PROG_XDP ? BPFMAN_DIR_NONE : dir };
	struct sync_ctx c = { .m = m, .ref = &ref };
	size_t opened = 0;
	int r;

	m->error[0] = '\0';

	r = store_hook_links(m->store, type, iface, netns, ref.dir, &c.links, &c.n_links);
	if (r < 0)
		return manager_error(m, r, "cannot read the links of '%s': %s", iface, strerror(-r));
	c.fds = calloc(c.n_links + 1, sizeof(*c.fds));
	if (!c.fds) {
		r = -ENOMEM;
		goto out;
	}
	for (; opened < c.n_links; opened++) {
		_cleanup_free_ char *pin = layout_prog_pin(&m->layout, c.links[opened].prog_id);

		if (!pin) {
			r = -ENOMEM;
			goto out;
		}
		c.fds[opened] = bpf_obj_get(pin);
		if (c.fds[opened] < 0) {
			r = manager_error(m, -errno, "program %u: cannot open its pin %s: %s",
					  c.links[opened].prog_id, pin, strerror(errno));
			goto out;
		}
	}
	r = with_hook(&ref, sync_in_ns, &c);
	if (r < 0 && c.err)
		manager_error(m, r, "%s", c.err);
	else if (r == -ENODEV)
		manager_error(m, r, "interface '%s' does not exist%s%s", iface, netns ? " in " : "",
			      netns ? netns : "");
	else if (r < 0 && !*m->error)
		manager_error(m, r, "cannot update the dispatcher on '%s': %s", iface, strerror(-r));
	if (ret_created_qdisc)
		*ret_created_qdisc = c.created_qdisc;
out:
	for (size_t i = 0; i < opened; i++)
		close(c.fds[i]);
	free(c.fds);
	free(c.err);
	bpfman_links_free(c.links, c.n_links);
	return r;
}

/* ---- views ---- */

struct view_ctx {
	struct bpfman *m;
	struct dispatcher_chain chain;
	int r;
};

static int read_in_ns(const struct dispatcher_hook *h, void *arg)
{
	struct view_ctx *v = arg;
	struct dispatcher_paths p = paths_of(v->m);

	return dispatcher_read(&p, h, &v->chain, NULL);
}

static int read_hook(struct bpfman *m, const struct hook_ref *ref, struct view_ctx *v)
{
	memset(v, 0, sizeof(*v));
	v->m = m;
	dispatcher_chain_init(&v->chain);
	return with_hook(ref, read_in_ns, v);
}

void manager_fill_dispatched(struct bpfman *m, struct bpfman_link *l)
{
	struct hook_ref ref = { .type = l->type, .iface = l->iface, .netns = l->netns,
				.dir = l->type == BPFMAN_PROG_XDP ? BPFMAN_DIR_NONE : l->direction };
	_cleanup_free_ struct bpfman_link *peers = NULL;
	struct view_ctx v;
	size_t n_peers = 0, nth = 0, seen = 0;

	l->position = -1;
	if (read_hook(m, &ref, &v) < 0 || v.chain.disp_fd < 0)
		goto out;
	l->dispatcher_id = v.chain.disp_id;
	/* the same program attached twice on a hook: the store lists a hook's records in chain
	 * order (priority, then attach order; one program has one name), so the k-th record
	 * of the program is its k-th slot */
	if (store_hook_links(m->store, l->type, l->iface, l->netns, ref.dir, &peers, &n_peers) == 0) {
		for (size_t i = 0; i < n_peers && peers[i].id != l->id; i++)
			if (peers[i].prog_id == l->prog_id)
				nth++;
		bpfman_links_free(TAKE_PTR(peers), n_peers);
	}
	for (uint32_t s = 0; s < v.chain.n; s++) {
		if (v.chain.slot[s].prog_id != l->prog_id || seen++ != nth)
			continue;
		l->position = (int32_t)s;
		l->kernel_link_id = v.chain.slot[s].link_id;
		if (dispatcher_slot_counts(&v.chain, s, (struct dispatcher_slot_counts *)&l->counts) == 0)
			l->has_counts = true;
		break;
	}
out:
	dispatcher_chain_clear(&v.chain);
}

void bpfman_chain_clear(struct bpfman_chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->slots[i].proceed_on);
	memset(c, 0, sizeof(*c));
}

static int proceed_on_of(enum dispatcher_kind kind, uint32_t mask, int32_t **ret, size_t *ret_n)
{
	int32_t *v = calloc(32, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (int bit = 0; bit < 32; bit++) {
		int32_t value = kind == DISPATCHER_XDP ? bit : bit - 1;

		if (!(mask & (1U << bit)))
			continue;
		/* dispatcher_return is in every slot's mask: not the user's choice */
		if ((kind == DISPATCHER_XDP && value == 31) || (kind != DISPATCHER_XDP && value == 30))
			continue;
		v[n++] = value;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int bpfman_dispatcher_show(struct bpfman *m, enum bpfman_prog_type type, const char *iface,
			   const char *netns, enum bpfman_direction direction,
			   struct bpfman_chain *ret)
{
	struct hook_ref ref = { .type = type, .iface = iface, .netns = netns,
				.dir = type == BPFMAN_PROG_XDP ? BPFMAN_DIR_NONE : direction };
	_cleanup_free_ struct bpfman_link *links = NULL;
	size_t n_links = 0;
	bool used[64] = { false };
	struct view_ctx v;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (type != BPFMAN_PROG_XDP && type != BPFMAN_PROG_TC)
		return manager_error(m, -EINVAL, "dispatchers exist for xdp and tc only");
	if (type == BPFMAN_PROG_TC && direction != BPFMAN_DIR_INGRESS &&
	    direction != BPFMAN_DIR_EGRESS)
		return manager_error(m, -EINVAL, "a direction is required (-d ingress|egress)");
	r = read_hook(m, &ref, &v);
	if (r == -ENODEV)
		return manager_error(m, r, "interface '%s' does not exist%s%s", iface,
				     netns ? " in " : "", netns ? netns : "");
	if (r < 0) {
		dispatcher_chain_clear(&v.chain);
		return manager_error(m, r, "cannot read the dispatcher on '%s': %s", iface,
				     strerror(-r));
	}
	ret->type = type;
	ret->direction = ref.dir;
	ret->foreign_id = v.chain.foreign_id;
	ret->dispatcher_id = v.chain.disp_fd >= 0 ? v.chain.disp_id : 0;
	ret->counting = v.chain.has_stats;
	if (type == BPFMAN_PROG_XDP && ret->dispatcher_id)
		snprintf(ret->mode, sizeof(ret->mode), "%s",
			 v.chain.xdp_flags & XDP_FLAGS_SKB_MODE ? "skb" : "native");
	(void)store_hook_links(m->store, type, iface, netns, ref.dir, &links, &n_links);
	for (uint32_t s = 0; s < v.chain.n; s++) {
		struct bpfman_chain_slot *x = &ret->slots[ret->n++];
		struct bpfman_kernel_info ki = { 0 };

		x->prog_id = v.chain.slot[s].prog_id;
		x->priority = v.chain.slot[s].prio;
		if (kernel_prog_info(v.chain.slot[s].prog_fd, &ki, true) == 0)
			snprintf(x->name, sizeof(x->name), "%s", ki.name);
		free(ki.map_ids);
		for (size_t i = 0; i < n_links && i < 64; i++)
			if (!used[i] && links[i].prog_id == x->prog_id) {
				used[i] = true;
				x->link_id = links[i].id;
				if (links[i].prog_name)
					snprintf(x->name, sizeof(x->name), "%s", links[i].prog_name);
				break;
			}
		if (proceed_on_of(kind_of(&ref), v.chain.slot[s].actions, &x->proceed_on,
				  &x->n_proceed_on) < 0) {
			r = -ENOMEM;
			break;
		}
		if (dispatcher_slot_counts(&v.chain, s, (struct dispatcher_slot_counts *)&x->counts) == 0)
			x->has_counts = true;
	}
	bpfman_links_free(TAKE_PTR(links), n_links);
	dispatcher_chain_clear(&v.chain);
	if (r < 0)
		bpfman_chain_clear(ret);
	return r < 0 ? r : 0;
}

/* ---- reconcile ---- */

static bool same_hook(const struct bpfman_link *a, const struct bpfman_link *b)
{
	return a->type == b->type && a->direction == b->direction &&
	       !strcmp(a->iface ?: "", b->iface ?: "") && !strcmp(a->netns ?: "", b->netns ?: "");
}

static struct hook_ref ref_of(const struct bpfman_link *l)
{
	return (struct hook_ref){ .type = l->type, .iface = l->iface, .netns = l->netns,
				  .dir = l->type == BPFMAN_PROG_XDP ? BPFMAN_DIR_NONE
								    : l->direction };
}

/* Every dispatched link record, grouped by hook (links of one hook next to each other). */
static int dispatched_links(struct bpfman *m, struct bpfman_link **ret, size_t *ret_n)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct bpfman_link *v = NULL;
	size_t n_ids = 0, n = 0;
	int r = store_link_ids(m->store, 0, &ids, &n_ids);

	if (r < 0)
		return r;
	v = calloc(n_ids + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n_ids; i++) {
		struct bpfman_link *l = NULL;
		size_t at = n;

		if (store_link_get(m->store, ids[i], &l) < 0)
			continue;
		if (!l->dispatched) {
			bpfman_link_free(l);
			continue;
		}
		for (size_t k = n; k > 0; k--)
			if (same_hook(&v[k - 1], l)) {
				at = k;
				break;
			}
		memmove(&v[at + 1], &v[at], (n - at) * sizeof(*v));
		v[at] = *l;
		free(l); /* contents moved */
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static size_t managed_slots(struct bpfman *m, const struct dispatcher_chain *c)
{
	size_t n = 0;

	for (uint32_t s = 0; s < c->n; s++)
		n += store_program_exists(m->store, c->slot[s].prog_id) > 0;
	return n;
}

/* Records of xdp/tc links whose hook went (interface, namespace) or whose program left the
 * chain (xdp-loader unload -i): dropped, the chain rebuilt without them. One read per
 * hook. Caller holds the lock, inside the reconcile transaction. */
int manager_reconcile_dispatched(struct bpfman *m)
{
	struct bpfman_link *v = NULL;
	size_t n = 0;
	int r = dispatched_links(m, &v, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n;) {
		struct hook_ref ref = ref_of(&v[i]);
		struct view_ctx c;
		size_t end = i, live = 0;

		while (end < n && same_hook(&v[i], &v[end]))
			end++;
		r = read_hook(m, &ref, &c);
		/* another error: cannot tell, so no repair on a guess */
		for (size_t k = i; (r == 0 || r == -ENODEV) && k < end; k++) {
			bool alive = false;

			for (uint32_t s = 0; r == 0 && s < c.chain.n; s++)
				alive |= c.chain.slot[s].prog_id == v[k].prog_id;
			if (alive)
				live++;
			else if (manager_detach_link(m, v[k].id, v[k].type) == 0)
				manager_notice(m, 0,
					       "link %u: %s, removing it, repairing", v[k].id,
					       r == -ENODEV ? "its interface or namespace is gone"
							    : "its program left the dispatcher's chain");
		}
		/* more of our programs in the chain than records (a change that died between
		 * its swap and its commit): the chain is rebuilt from the records */
		if (r == 0 && managed_slots(m, &c.chain) != live &&
		    manager_sync_hook(m, ref.type, ref.iface, ref.netns, ref.dir, NULL) == 0)
			manager_notice(m, 0, "%s: the chain ran programs without a record, rebuilt, repairing",
				       ref.iface);
		dispatcher_chain_clear(&c.chain);
		i = end;
	}
	bpfman_links_free(v, n);
	return 0;
}

struct keep_set {
	char **paths;
	size_t n;
};

static bool keep_has(const struct keep_set *k, const char *path)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->paths[i], path) == 0)
			return true;
	return false;
}

struct sweep_ctx {
	struct bpfman *m;
	struct keep_set *keep;
	int unsure; /* a hook that could not be read (EINTR, ENOMEM...): sweep nothing */
};

/* Only proof of absence lets the sweep take a tree away: a hook or a namespace that is
 * gone (ENODEV, ENOENT). Any other failure to read a hook leaves its running tree out of
 * the keep set, and the sweep would remove the pins of a live chain. */
static bool proves_absence(int r)
{
	return r == 0 || r == -ENODEV || r == -ENOENT;
}

static int keep_in_ns(const struct dispatcher_hook *h, void *arg)
{
	struct sweep_ctx *c = arg;
	struct dispatcher_paths p = paths_of(c->m);
	struct dispatcher_chain cur;
	char **t;

	int r = dispatcher_read(&p, h, &cur, NULL);

	if (!proves_absence(r))
		c->unsure = r;
	if (r == 0) {
		if (dispatcher_sweep(&p, h, &cur) > 0)
			manager_notice(c->m, 0, "%s: old dispatcher revisions removed, repairing",
				       h->iface);
		if (cur.tree && (t = reallocarray(c->keep->paths, c->keep->n + 1, sizeof(*t)))) {
			c->keep->paths = t;
			t[c->keep->n++] = TAKE_PTR(cur.tree);
		}
	}
	dispatcher_chain_clear(&cur);
	return 0;
}

/* Does a tree pin one of our programs? (libxdp's trees of others are none of ours.) */
static bool tree_has_managed(struct bpfman *m, const char *dir)
{
	DIR *d = bpffs_opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		_cleanup_close_ int fd = -EBADF;
		_cleanup_free_ char *path = NULL;
		uint32_t id;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0)
			break;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		id = 0;
		if (kernel_prog_id_of_fd(fd, &id) == 0 && store_program_exists(m->store, id) > 0)
			found = true;
		else {
			struct bpf_link_info li = { 0 };
			__u32 len = sizeof(li);

			if (bpf_obj_get_info_by_fd(fd, &li, &len) == 0 && li.prog_id &&
			    store_program_exists(m->store, li.prog_id) > 0)
				found = true;
		}
	}
	closedir(d);
	return found;
}

/* A tree of no hook with records. If its dispatcher still runs on an interface of our own
 * namespace (a crash between the swap and the commit), that chain is rebuilt from the
 * records instead, which also takes the tree away; otherwise the tree goes, and the old
 * revision with its links. */
static void sweep_dir(struct bpfman *m, const char *parent, const char *prefix, bool libxdp,
		      enum bpfman_prog_type type, enum bpfman_direction dir,
		      const struct keep_set *keep)
{
	uint64_t own = 0;

	(void)ns_inode("/proc/thread-self/ns/net", &own);
	DIR *d = bpffs_opendir(parent);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (asprintf(&path, "%s/%s", parent, de->d_name) < 0)
			break;
		if (keep_has(keep, path) || (libxdp && !tree_has_managed(m, path)))
			continue;
		{
			unsigned long long nsid = own;
			int ifindex = 0;
			unsigned id = 0;
			char ifname[IF_NAMESIZE];
			bool parsed = libxdp ? sscanf(de->d_name, "dispatch-%d-%u", &ifindex, &id) == 2
					     : sscanf(de->d_name, "dispatcher_%llu_%d_%u", &nsid,
						      &ifindex, &id) == 3;

			if (parsed && nsid == own && if_indextoname((unsigned)ifindex, ifname) &&
			    manager_sync_hook(m, type, ifname, NULL, dir, NULL) == 0 &&
			    access(path, F_OK) < 0) {
				manager_notice(m, 0, "%s: chain rebuilt from the records, repairing",
					       ifname);
				continue;
			}
			if (libxdp) {
				/* shared with xdp-loader: under libxdp's lock, never the
				 * revision running now */
				struct dispatcher_paths p = paths_of(m);
				struct dispatcher_hook h = { .kind = DISPATCHER_XDP, .iface = "",
							     .ifindex = ifindex, .nsid = own,
							     .host = true };

				if (parsed && dispatcher_tree_remove_stale(&p, &h, path, id) > 0)
					manager_notice(m, 0, "%s: dispatcher pins of no hook, removed, repairing",
						       path);
				continue;
			}
		}
		if (rm_dir_flat(path) == 0)
			manager_notice(m, 0, "%s: dispatcher pins of no hook, removed, repairing", path);
	}
	closedir(d);
}

void manager_sweep_dispatchers(struct bpfman *m)
{
	struct keep_set keep = { 0 };
	struct sweep_ctx c = { .m = m, .keep = &keep };
	_cleanup_free_ char *xdp = NULL, *ing = NULL, *egr = NULL, *lx = NULL;
	struct bpfman_link *v = NULL;
	size_t n = 0;

	if (dispatched_links(m, &v, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct hook_ref ref = ref_of(&v[i]);

		if (i == 0 || !same_hook(&v[i - 1], &v[i])) {
			int r = with_hook(&ref, keep_in_ns, &c);

			if (!proves_absence(r))
				c.unsure = r;
		}
	}
	bpfman_links_free(v, n);
	if (c.unsure) {
		manager_notice(m, 0, "reconcile: cannot read every dispatcher hook (%s); dispatcher pins left as they are",
			       strerror(-c.unsure));
		goto out;
	}
	if (asprintf(&xdp, "%s/xdp", m->layout.fs) >= 0)
		sweep_dir(m, xdp, "dispatcher_", false, BPFMAN_PROG_XDP, BPFMAN_DIR_NONE, &keep);
	if (asprintf(&ing, "%s/tc-ingress", m->layout.fs) >= 0)
		sweep_dir(m, ing, "dispatcher_", false, BPFMAN_PROG_TC, BPFMAN_DIR_INGRESS, &keep);
	if (asprintf(&egr, "%s/tc-egress", m->layout.fs) >= 0)
		sweep_dir(m, egr, "dispatcher_", false, BPFMAN_PROG_TC, BPFMAN_DIR_EGRESS, &keep);
	if (asprintf(&lx, "%s/xdp", m->layout.libxdp_fs) >= 0)
		sweep_dir(m, lx, "dispatch-", true, BPFMAN_PROG_XDP, BPFMAN_DIR_NONE, &keep);
out:
	for (size_t i = 0; i < keep.n; i++)
		free(keep.paths[i]);
	free(keep.paths);
}
