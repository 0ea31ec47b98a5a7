/* The TC hook of an interface and direction: the dispatcher is a cls_bpf direct-action
 * filter on clsact at priority DISPATCHER_TC_PRIO whose handle is the dispatcher's program
 * id. A swap adds the new revision's filter, then deletes the old one: cls_bpf puts a new
 * filter of the same priority first in its list, so from the moment it is added every
 * packet goes through the new chain and none misses a chain. (The clsact qdisc itself is
 * the manager's business: dispatch-ops.c.) */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "dispatcher-internal.h"

static enum bpf_tc_attach_point tc_point(const struct dispatcher_hook *h)
{
	return h->kind == DISPATCHER_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

/* The program id of our filter with this handle, 0 if there is none, -errno when the
 * kernel could not be asked (EINTR, ENOBUFS...): that is no proof the filter is gone, and a
 * chain read as empty would have its members' records dropped. The kernel answers ENOENT
 * for no such filter and EINVAL for a clsact side without filters. */
static int64_t filter_prog(const struct dispatcher_hook *h, uint32_t handle)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = tc_point(h));
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = DISPATCHER_TC_PRIO);
	int r = bpf_tc_query(&hook, &opts);

	if (r == -ENOENT || r == -EINVAL)
		return 0;
	if (r < 0)
		return r;
	return opts.prog_id;
}

int tc_hook_current(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		    int *ret_fd)
{
	_cleanup_free_ char *parent = NULL, *prefix = NULL;
	uint32_t best = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	if (asprintf(&parent, "%s/%s", p->fs,
		     h->kind == DISPATCHER_TC_EGRESS ? "tc-egress" : "tc-ingress") < 0 ||
	    asprintf(&prefix, "dispatcher_%llu_%d_", (unsigned long long)h->nsid, h->ifindex) < 0)
		return -ENOMEM;
	d = opendir(parent);
	if (!d)
		return errno == ENOENT ? -ENOENT : -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long id;
		int64_t q;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		id = strtoul(de->d_name + strlen(prefix), &end, 10);
		if (*end || !id || id > UINT32_MAX)
			continue;
		/* a tree is current when the kernel runs its dispatcher on the hook */
		q = filter_prog(h, (uint32_t)id);
		if (q < 0) {
			closedir(d);
			return (int)q;
		}
		if (q == (int64_t)id && id > best)
			best = (uint32_t)id;
	}
	closedir(d);
	if (!best)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(best);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int tc_hook_swap(const struct dispatcher_hook *h, const struct dispatcher_chain *cur, int new_fd,
		 uint32_t new_id, char **err)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = h->ifindex, .attach_point = tc_point(h));
	const char *dir = h->kind == DISPATCHER_TC_EGRESS ? "egress" : "ingress";
	int r;

	if (new_fd >= 0) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = new_fd, .handle = new_id,
			    .priority = DISPATCHER_TC_PRIO);

		r = bpf_tc_attach(&hook, &opts);
		if (r < 0)
			return dispatcher_errorf(err, r, "cannot attach the TC dispatcher to '%s' %s: %s",
						 h->iface, dir, strerror(-r));
	}
	if (cur->disp_fd >= 0) {
		LIBBPF_OPTS(bpf_tc_opts, old, .handle = cur->disp_id, .priority = DISPATCHER_TC_PRIO);

		r = bpf_tc_detach(&hook, &old);
		/* the new chain runs first already; an old filter that stays only costs a
		 * lookup, and the next change or reconcile removes it */
		if (r < 0 && r != -ENOENT && new_fd < 0)
			return dispatcher_errorf(err, r,
						 "cannot remove the TC dispatcher from '%s' %s: %s",
						 h->iface, dir, strerror(-r));
	}
	return 0;
}
