/* Unload: detach every link, unpin the program, release the map directory when its last
 * user goes, forget the record. Kernel changes first, the record's removal committed last:
 * a crash in between leaves a record without a pin, which reconcile drops. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "kernel.h"
#include "manager.h"

int manager_release_map_dir(struct bpfman *m, const char *map_dir)
{
	_cleanup_free_ uint32_t *users = NULL;
	size_t n = 0;
	int r = store_map_users(m->store, map_dir, &users, &n);

	if (r < 0)
		return r;
	if (n > 0)
		return 0;
	return rm_dir_flat(map_dir);
}

int bpfman_unload(struct bpfman *m, uint32_t prog_id)
{
	struct bpfman_program *p = NULL;
	_cleanup_free_ char *pin = NULL;
	int r = manager_lock(m);

	if (r < 0)
		return r; /* manager_lock() said why */
	r = store_program_get(m->store, prog_id, &p);
	if (r == -ENOENT) {
		struct bpfman_kernel_info ki = { 0 };

		if (kernel_prog_info_by_id(prog_id, &ki, false) == 0) {
			free(ki.map_ids);
			r = manager_error(m, r, "program %u does not exist in bpfman: the kernel has it, but bpfman did not load it",
					  prog_id);
		} else {
			r = manager_error(m, r, "program %u does not exist", prog_id);
		}
		goto out;
	}
	if (r < 0) {
		r = manager_error(m, r, "cannot read program %u: %s", prog_id, strerror(-r));
		goto out;
	}
	pin = layout_prog_pin(&m->layout, prog_id);
	if (!pin) {
		r = -ENOMEM;
		goto out;
	}
	/* an unload cannot be undone: the last moment for a cancel is before it starts */
	r = manager_check_cancel(m);
	if (r < 0)
		goto out;
	r = store_begin(m->store);
	if (r < 0)
		goto fail;
	for (size_t i = 0; i < p->n_links; i++) {
		r = manager_detach_link(m, p->links[i], p->type);
		if (r < 0 && r != -ENOENT)
			goto rollback;
	}
	if (unlink(pin) < 0 && errno != ENOENT) {
		r = -errno;
		goto rollback;
	}
	r = store_program_delete(m->store, prog_id);
	if (r < 0)
		goto rollback;
	r = store_commit(m->store);
	if (r < 0)
		goto rollback;
	r = manager_release_map_dir(m, p->map_pin_path);
	if (r < 0)
		r = manager_error(m, r, "program %u unloaded, but its maps at %s remain: %s", prog_id,
				  p->map_pin_path, strerror(-r));
	goto out;
rollback:
	store_rollback(m->store);
fail:
	manager_error(m, r, "cannot unload program %u: %s", prog_id, strerror(-r));
out:
	bpfman_program_free(p);
	manager_unlock(m);
	return r;
}
