/* Pin trees: each revision's freplace links (and, in libxdp's layout, its member programs)
 * pinned in one directory per revision, so the chain outlives the process and anyone can
 * find it again from the hook:
 *   host XDP   <libxdp_fs>/xdp/dispatch-<ifindex>-<id>/prog<i>-link, prog<i>-prog (libxdp)
 *   other XDP  <fs>/xdp/dispatcher_<nsid>_<ifindex>_<id>/link_<i>
 *   TC         <fs>/tc-ingress|tc-egress/dispatcher_<nsid>_<ifindex>_<id>/link_<i>
 * <id> is the dispatcher's program id, which also serves as the revision: it grows with
 * every rebuild and names the kernel object, so no table has to remember it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cleanup.h"
#include "dispatcher-internal.h"
#include "layout.h"

static bool libxdp_layout(const struct dispatcher_hook *h)
{
	return h->kind == DISPATCHER_XDP && h->host;
}

static const char *kind_dir(enum dispatcher_kind k)
{
	return k == DISPATCHER_XDP ? "xdp" : k == DISPATCHER_TC_INGRESS ? "tc-ingress" : "tc-egress";
}

int dispatcher_tree_parent(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
			   char **ret)
{
	const char *fs = libxdp_layout(h) ? p->libxdp_fs : p->fs;
	char *dir;
	int r;

	if (libxdp_layout(h)) {
		/* libxdp's bpffs may not be mounted yet on a fresh host */
		r = mkdir_p(fs, 0755);
		if (r < 0)
			return r;
		if (path_is_bpffs(fs) <= 0) {
			r = mount_bpffs(fs);
			if (r < 0)
				return r;
		}
	}
	if (asprintf(&dir, "%s/%s", fs, kind_dir(h->kind)) < 0)
		return -ENOMEM;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		free(dir);
		return r;
	}
	*ret = dir;
	return 0;
}

char *dispatcher_tree_path(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
			   uint32_t disp_id)
{
	char *s;
	int r;

	if (libxdp_layout(h))
		r = asprintf(&s, "%s/xdp/dispatch-%d-%u", p->libxdp_fs, h->ifindex, disp_id);
	else
		r = asprintf(&s, "%s/%s/dispatcher_%llu_%d_%u", p->fs, kind_dir(h->kind),
			     (unsigned long long)h->nsid, h->ifindex, disp_id);
	return r < 0 ? NULL : s;
}

int dispatcher_lock(const struct dispatcher_paths *p, const struct dispatcher_hook *h)
{
	_cleanup_free_ char *dir = NULL;
	int fd, r;

	if (!libxdp_layout(h))
		return -EBADF;
	r = dispatcher_tree_parent(p, h, &dir);
	if (r < 0)
		return r;
	fd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			r = -errno;
			close(fd);
			return r;
		}
	return fd;
}

void dispatcher_unlock(int fd)
{
	if (fd >= 0) {
		(void)flock(fd, LOCK_UN);
		close(fd);
	}
}

int dispatcher_tree_remove(const char *dir)
{
	return rm_dir_flat(dir);
}

int dispatcher_tree_pin(const struct dispatcher_hook *h, const char *dir,
			const struct dispatcher_member *m, const int *link_fds, uint32_t n)
{
	char path[4096];
	int r;

	if (mkdir(dir, 0700) < 0)
		return -errno;
	for (uint32_t i = 0; i < n; i++) {
		/* libxdp unpins prog<i>-link, then prog<i>-prog, and stops at the first one
		 * missing: both are always there */
		if (libxdp_layout(h))
			snprintf(path, sizeof(path), "%s/prog%u-link", dir, i);
		else
			snprintf(path, sizeof(path), "%s/link_%u", dir, i);
		if (bpf_obj_pin(link_fds[i], path) < 0)
			goto fail;
		if (!libxdp_layout(h))
			continue;
		snprintf(path, sizeof(path), "%s/prog%u-prog", dir, i);
		if (bpf_obj_pin(m[i].prog_fd, path) < 0)
			goto fail;
	}
	return 0;
fail:
	r = -errno;
	(void)rm_dir_flat(dir);
	return r;
}

static int link_prog_id(int link_fd, uint32_t *ret_prog, uint32_t *ret_link)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len) < 0)
		return -errno;
	*ret_prog = info.prog_id;
	*ret_link = info.id;
	return 0;
}

int dispatcher_tree_read(const struct dispatcher_hook *h, struct dispatcher_chain *c)
{
	char path[4096];

	for (uint32_t i = 0; i < c->n; i++) {
		_cleanup_close_ int link = -EBADF;
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		uint32_t prog_id = 0;
		int fd;

		if (libxdp_layout(h)) {
			snprintf(path, sizeof(path), "%s/prog%u-prog", c->tree, i);
			fd = bpf_obj_get(path);
			if (fd < 0)
				return -errno;
			c->slot[i].prog_fd = fd;
			memset(&info, 0, sizeof(info));
			if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
				return -errno;
			c->slot[i].prog_id = info.id;
			snprintf(path, sizeof(path), "%s/prog%u-link", c->tree, i);
			link = bpf_obj_get(path);
			if (link >= 0)
				(void)link_prog_id(link, &prog_id, &c->slot[i].link_id);
			continue;
		}
		snprintf(path, sizeof(path), "%s/link_%u", c->tree, i);
		link = bpf_obj_get(path);
		if (link < 0)
			return -errno;
		if (link_prog_id(link, &c->slot[i].prog_id, &c->slot[i].link_id) < 0)
			return -errno;
		fd = bpf_prog_get_fd_by_id(c->slot[i].prog_id);
		if (fd < 0)
			return -errno;
		c->slot[i].prog_fd = fd;
	}
	return 0;
}

/* The dispatcher an XDP hook runs now (caller holds libxdp's lock): 1 and its id, 0 when
 * the hook is empty, gone or runs something else, -errno when it cannot tell. */
static int live_dispatcher(const struct dispatcher_hook *h, uint32_t *ret_id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	uint32_t flags = 0, foreign = 0;
	int fd = -EBADF, r = xdp_hook_current(h, &fd, &flags, &foreign);

	*ret_id = 0;
	if (r == -ENOENT || r == -ENODEV || (r == 0 && fd < 0))
		return 0;
	if (r < 0)
		return r;
	memset(&info, 0, sizeof(info));
	r = bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ? -errno : 1;
	close(fd);
	*ret_id = info.id;
	return r;
}

int dispatcher_sweep(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
		     const struct dispatcher_chain *cur)
{
	_cleanup_free_ char *parent = NULL, *prefix = NULL;
	struct dirent *de;
	uint32_t live = 0;
	DIR *d;
	int n = 0, lock, r;

	if (libxdp_layout(h)) {
		if (asprintf(&parent, "%s/xdp", p->libxdp_fs) < 0 ||
		    asprintf(&prefix, "dispatch-%d-", h->ifindex) < 0)
			return -ENOMEM;
	} else if (asprintf(&parent, "%s/%s", p->fs, kind_dir(h->kind)) < 0 ||
		   asprintf(&prefix, "dispatcher_%llu_%d_", (unsigned long long)h->nsid,
			    h->ifindex) < 0) {
		return -ENOMEM;
	}
	/* libxdp's tree is shared with xdp-loader: swept under libxdp's lock, and never the
	 * revision running now (it may have been swapped in since cur was read) */
	lock = dispatcher_lock(p, h);
	if (lock < 0 && lock != -EBADF)
		return lock;
	if (lock >= 0) {
		r = live_dispatcher(h, &live);
		if (r < 0) {
			dispatcher_unlock(lock);
			return r;
		}
	}
	d = bpffs_opendir(parent);
	if (!d) {
		r = errno == ENOENT ? 0 : -errno;
		dispatcher_unlock(lock);
		return r;
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		char *end;
		unsigned long id;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		id = strtoul(de->d_name + strlen(prefix), &end, 10);
		if (*end || (cur->disp_fd >= 0 && id == cur->disp_id) || (live && id == live))
			continue;
		if (asprintf(&path, "%s/%s", parent, de->d_name) < 0)
			break;
		if (rm_dir_flat(path) == 0)
			n++;
	}
	closedir(d);
	dispatcher_unlock(lock);
	return n;
}

int dispatcher_tree_remove_stale(const struct dispatcher_paths *p, const struct dispatcher_hook *h,
				 const char *dir, uint32_t disp_id)
{
	uint32_t live = 0;
	int lock = dispatcher_lock(p, h), r;

	if (lock < 0 && lock != -EBADF)
		return lock;
	r = lock >= 0 ? live_dispatcher(h, &live) : 0;
	if (r >= 0)
		r = live == disp_id && live ? 0 : rm_dir_flat(dir) == 0;
	dispatcher_unlock(lock);
	return r;
}
