/* Reconciliation: the kernel and the bpffs are the truth, the database is an index.
 *
 *   record, pin gone or kernel program differs  -> drop the record (and its links' pins)
 *   link record whose pin is gone               -> drop the record
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

/* Is the program pinned at its path the one the record names? */
static bool program_alive(struct bpfman *m, uint32_t id)
{
	_cleanup_free_ char *pin = layout_prog_pin(&m->layout, id);
	_cleanup_close_ int fd = -EBADF;
	uint32_t kid = 0;

	if (!pin)
		return true; /* no memory: do not repair on a guess */
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return false;
	return kernel_prog_id_of_fd(fd, &kid) == 0 && kid == id;
}

/* A link is alive when its pin opens; a tcx or xdp link whose interface went away is dead. */
static bool link_alive(struct bpfman *m, const struct bpfman_link *l)
{
	_cleanup_free_ char *pin = layout_link_pin(&m->layout, l->id);
	_cleanup_close_ int fd = -EBADF;
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	if (!pin)
		return true;
	if (l->dispatched)
		return true; /* manager_reconcile_dispatched(): one read per hook */
	if (l->type == BPFMAN_PROG_TC)
		return tc_link_alive(l);
	fd = bpf_obj_get(pin);
	if (fd < 0)
		return false;
	if (l->type != BPFMAN_PROG_TCX && l->type != BPFMAN_PROG_XDP)
		return true;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return true;
	/* tcx.ifindex / xdp.ifindex (both at offset 16); 0 once the device is gone */
	return ((const uint32_t *)&info)[4] != 0;
}

static int reconcile_records(struct bpfman *m)
{
	_cleanup_free_ uint32_t *progs = NULL, *links = NULL;
	size_t n_progs = 0, n_links = 0;
	int r;

	r = store_program_ids(m->store, &progs, &n_progs);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_progs; i++) {
		struct bpfman_program *p = NULL;

		if (program_alive(m, progs[i]))
			continue;
		if (store_program_get(m->store, progs[i], &p) < 0)
			continue;
		for (size_t k = 0; k < p->n_links; k++)
			(void)manager_detach_link(m, p->links[k], p->type);
		r = store_program_delete(m->store, progs[i]);
		if (r == 0) {
			manager_notice(m, 0, "program %u: kernel program or pin is gone, removing its record, repairing",
				       progs[i]);
			(void)manager_release_map_dir(m, p->map_pin_path);
		}
		bpfman_program_free(p);
	}

	r = manager_reconcile_dispatched(m);
	if (r < 0)
		return r;
	r = store_link_ids(m->store, 0, &links, &n_links);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_links; i++) {
		struct bpfman_link *l = NULL;

		if (store_link_get(m->store, links[i], &l) < 0)
			continue;
		if (!link_alive(m, l)) {
			r = manager_detach_link(m, l->id, l->type);
			if (r == 0)
				manager_notice(m, 0, "link %u: its pin or interface is gone, removing it, repairing",
					       l->id);
		}
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
	r = reconcile_records(m);
	if (r < 0) {
		store_rollback(m->store);
		return manager_error(m, r, "reconcile failed: %s", strerror(-r));
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
