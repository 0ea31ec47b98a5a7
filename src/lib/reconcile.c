/* Reconciliation: the kernel and the bpffs are the truth, the database is an index.
 *
 *   record, pin gone or kernel program differs  -> drop the record (and its links' pins)
 *   link record whose pin is gone               -> drop the record
 *   tc link whose filter does not run its program (filter, clsact, interface or netns
 *   gone; an attach killed before its filter add) -> drop the record
 *   tcx link whose interface is gone            -> unpin and drop
 *   prog_<id> / links/<id> pin without record   -> unpin (a load or attach that died
 *                                                  before its commit)
 *   maps/<dir> no program record uses           -> remove
 * Each repair is reported through the notice callback. Caller holds the writer lock. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "attach/attach.h"
#include "cleanup.h"
#include "kernel.h"
#include "manager.h"
#include "parse-util.h"

/* Only proof of absence repairs: each check returns 1 (there), 0 (the kernel or the bpffs
 * says it is gone: ENOENT, or the pin names another object) or -errno when it cannot tell
 * (EINTR, ENOMEM, EMFILE...). What it cannot tell about is left as it is this time. */

static int obj_get(const char *pin)
{
	int fd = bpf_obj_get(pin);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	return fd;
}

/* Is the program pinned at its path the one the record names? */
static int program_state(struct bpfman *m, uint32_t id)
{
	_cleanup_free_ char *pin = layout_prog_pin(&m->layout, id);
	_cleanup_close_ int fd = -EBADF;
	uint32_t kid = 0;
	int r;

	if (!pin)
		return -ENOMEM;
	fd = obj_get(pin);
	if (fd <= 0)
		return fd;
	r = kernel_prog_id_of_fd(fd, &kid);
	if (r < 0)
		return r;
	return kid == id;
}

/* A link is there when its pin opens; a tcx or xdp link whose interface went away is not. */
static int link_state(struct bpfman *m, const struct bpfman_link *l)
{
	_cleanup_free_ char *pin = layout_link_pin(&m->layout, l->id);
	_cleanup_close_ int fd = -EBADF;
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	if (!pin)
		return -ENOMEM;
	if (l->dispatched)
		return 1; /* manager_reconcile_dispatched(): one read per hook */
	if (l->type == BPFMAN_PROG_TC)
		return tc_link_state(l);
	fd = obj_get(pin);
	if (fd <= 0)
		return fd;
	if (l->type != BPFMAN_PROG_TCX && l->type != BPFMAN_PROG_XDP)
		return 1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	/* tcx.ifindex / xdp.ifindex (both at offset 16); 0 once the device is gone */
	return ((const uint32_t *)&info)[4] != 0;
}

/* The ids of ids[0..n) whose check says gone; those it cannot tell about are reported and
 * left alone. */
static void find_gone(struct bpfman *m, const uint32_t *ids, size_t n, bool links,
		      uint32_t *gone, size_t *n_gone)
{
	*n_gone = 0;
	for (size_t i = 0; i < n; i++) {
		struct bpfman_link *l = NULL;
		int r;

		if (links) {
			r = store_link_get(m->store, ids[i], &l);
			if (r == 0) {
				r = link_state(m, l);
				bpfman_link_free(l);
			}
		} else {
			r = program_state(m, ids[i]);
		}
		if (r < 0) {
			/* no proof either way: this one is left as it is */
			manager_notice(m, 0, "reconcile: cannot tell whether %s %u is still there (%s); left as it is",
				       links ? "link" : "program", ids[i], strerror(-r));
			continue;
		}
		if (r == 0)
			gone[(*n_gone)++] = ids[i];
	}
}

static int reconcile_records(struct bpfman *m)
{
	_cleanup_free_ uint32_t *progs = NULL, *links = NULL, *gone_progs = NULL,
				*gone_links = NULL;
	size_t n_progs = 0, n_links = 0, n_gone_progs = 0, n_gone_links = 0;
	int r;

	r = store_program_ids(m->store, &progs, &n_progs);
	if (r < 0)
		return r;
	r = store_link_ids(m->store, 0, &links, &n_links);
	if (r < 0)
		return r;
	gone_progs = calloc(n_progs + 1, sizeof(*gone_progs));
	gone_links = calloc(n_links + 1, sizeof(*gone_links));
	if (!gone_progs || !gone_links)
		return -ENOMEM;
	/* look at everything before changing anything */
	find_gone(m, progs, n_progs, false, gone_progs, &n_gone_progs);
	find_gone(m, links, n_links, true, gone_links, &n_gone_links);
	for (size_t i = 0; i < n_gone_progs; i++) {
		struct bpfman_program *p = NULL;

		if (store_program_get(m->store, gone_progs[i], &p) < 0)
			continue;
		/* a tc filter keeps running a program whose pin is gone: the record goes only
		 * with the last of its links */
		r = 0;
		for (size_t k = 0; k < p->n_links && r == 0; k++) {
			r = manager_detach_link(m, p->links[k], p->type);
			if (r == -ENOENT)
				r = 0;
		}
		if (r == 0)
			r = store_program_delete(m->store, gone_progs[i]);
		if (r == 0) {
			manager_notice(m, 0, "program %u: kernel program or pin is gone, removing its record, repairing",
				       gone_progs[i]);
			(void)manager_release_map_dir(m, p->map_pin_path);
		}
		bpfman_program_free(p);
	}

	r = manager_reconcile_dispatched(m);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_gone_links; i++) {
		struct bpfman_link *l = NULL;

		if (store_link_get(m->store, gone_links[i], &l) < 0)
			continue; /* went with its program */
		r = manager_detach_link(m, l->id, l->type);
		if (r == 0)
			manager_notice(m, 0, "link %u: its pin or interface is gone, removing it, repairing",
				       l->id);
		bpfman_link_free(l);
	}
	return 0;
}

/* Entries of dir whose name is prefix<u32>; calls fn for those without a record. */
static void sweep_pins(struct bpfman *m, const char *dir, const char *prefix,
		       int (*exists)(struct store *, uint32_t), const char *what)
{
	DIR *d = bpffs_opendir(dir); /* a link planted here is not followed */
	struct dirent *de;
	size_t plen = strlen(prefix);

	if (!d)
		return;
	while ((de = readdir(d))) {
		uint32_t id;

		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    safe_atou32(de->d_name + plen, 10, &id) < 0)
			continue;
		if (exists(m->store, id) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			manager_notice(m, 0, "%s/%s: %s pin without a record, removed, repairing", dir,
				       de->d_name, what);
	}
	closedir(d);
}

static void sweep_map_dirs(struct bpfman *m)
{
	DIR *d = bpffs_opendir(m->layout.fs_maps);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		_cleanup_free_ uint32_t *users = NULL;
		size_t n = 0;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", m->layout.fs_maps, de->d_name) < 0)
			break;
		if (store_map_users(m->store, path, &users, &n) < 0 || n > 0)
			continue;
		if (rm_dir_flat(path) == 0)
			manager_notice(m, 0, "%s: maps no program uses, removed, repairing", path);
	}
	closedir(d);
}

int manager_reconcile(struct bpfman *m)
{
	int r = store_begin(m->store);

	if (r < 0)
		return manager_error(m, r, "reconcile: cannot start a transaction: %s", strerror(-r));
	m->error[0] = '\0';
	r = reconcile_records(m);
	if (r < 0) {
		store_rollback(m->store);
		/* an error is no proof of anything: the command goes on without the repair,
		 * the next one tries again */
		manager_notice(m, 0, "reconcile: %s; nothing repaired this time",
			       m->error[0] ? m->error : strerror(-r));
		m->error[0] = '\0';
		return 0;
	}
	r = store_commit(m->store);
	if (r < 0) {
		store_rollback(m->store);
		return manager_error(m, r, "reconcile: cannot commit: %s", strerror(-r));
	}
	/* pins are swept after the records are settled, so a dropped record's pins go too */
	sweep_pins(m, m->layout.fs, "prog_", store_program_exists, "program");
	sweep_pins(m, m->layout.fs_links, "", store_link_exists, "link");
	sweep_map_dirs(m);
	manager_sweep_dispatchers(m);
	return 0;
}
