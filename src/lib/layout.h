/* Every path the manager uses, derived from one root directory, so tests (and anyone
 * else) can run side by side under their own roots. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>

struct layout {
	char *root; /* "" for "/" */
	char *run_dir; /* <root>/run/bpfman */
	char *fs; /* <root>/run/bpfman/fs: a bpffs */
	char *fs_links; /* fs/links */
	char *fs_maps; /* fs/maps */
	char *db_dir; /* <root>/run/bpfman/db */
	char *db_path; /* db_dir/store.db */
	char *lock_path; /* <root>/run/bpfman/.lock */
	char *config_path; /* <root>/etc/bpfman/bpfman.toml */
	char *sock_dir; /* <root>/run/bpfman-sock */
	char *sock_path; /* sock_dir/bpfman.sock */
	char *cache_dir; /* <root>/var/cache/bpfman */
	char *libxdp_fs; /* $LIBXDP_BPFFS or /sys/fs/bpf: libxdp's dispatcher trees (xdp/) */
};

/* root NULL, "" or "/" means the real paths. 0 or -ENOMEM / -EINVAL (relative root). */
int layout_init(struct layout *l, const char *root);
void layout_free(struct layout *l);

/* malloc'd paths, NULL on -ENOMEM */
char *layout_prog_pin(const struct layout *l, uint32_t prog_id);
char *layout_link_pin(const struct layout *l, uint32_t link_id);
char *layout_map_dir(const struct layout *l, uint32_t owner_id);

/* Creates run_dir, db_dir; mounts a bpffs at fs unless one is there; creates fs/links and
 * fs/maps. Idempotent. No link below the root is followed: -ELOOP names one planted in
 * the state tree, -EXDEV a directory that is not on the bpffs. */
int layout_prepare(const struct layout *l);
/* Opens dir (one of the layout's directories) from the root down without following a
 * link below the root, creating what is missing when create. An fd, or -ELOOP (a link),
 * -ENOTDIR, -errno. */
int layout_open_dir(const struct layout *l, const char *dir, bool create);
/* opendir() of a directory on a bpffs whose last component is not a link: NULL with
 * errno ELOOP (a link), EXDEV (not on a bpffs), ... */
DIR *bpffs_opendir(const char *path);

int mount_bpffs(const char *path);
/* True if path is on a bpffs. */
int path_is_bpffs(const char *path);
/* Removes every file in a directory of a bpffs, then the directory. A missing one is
 * fine; a link or a directory elsewhere is refused (bpffs_opendir). */
int rm_dir_flat(const char *dir);
/* mkdir -p with mode; existing directories are fine. */
int mkdir_p(const char *path, unsigned mode);
/* Mounts tracefs at /sys/kernel/tracing unless tracefs events are reachable already. */
int tracefs_ensure(void);
