/* Paths under the root, and preparing them (directories, the bpffs mount). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "layout.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static char *join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s%s", a, b) < 0)
		return NULL;
	return s;
}

int layout_init(struct layout *l, const char *root)
{
	size_t n;

	memset(l, 0, sizeof(*l));
	if (!root || !*root)
		root = "/";
	if (root[0] != '/')
		return -EINVAL;
	l->root = strdup(root);
	if (!l->root)
		return -ENOMEM;
	/* strip trailing slashes so that joining "/run" never doubles them */
	n = strlen(l->root);
	while (n > 0 && l->root[n - 1] == '/')
		l->root[--n] = '\0';

	l->run_dir = join(l->root, "/run/bpfman");
	l->fs = join(l->root, "/run/bpfman/fs");
	l->fs_links = join(l->root, "/run/bpfman/fs/links");
	l->fs_maps = join(l->root, "/run/bpfman/fs/maps");
	l->db_dir = join(l->root, "/run/bpfman/db");
	l->db_path = join(l->root, "/run/bpfman/db/store.db");
	l->lock_path = join(l->root, "/run/bpfman/.lock");
	l->config_path = join(l->root, "/etc/bpfman/bpfman.toml");
	l->sock_dir = join(l->root, "/run/bpfman-sock");
	l->sock_path = join(l->root, "/run/bpfman-sock/bpfman.sock");
	l->cache_dir = join(l->root, "/var/cache/bpfman");
	/* libxdp's, not ours: where libxdp looks (its own variable), never under our root,
	 * or xdp-loader would not find the chains we build */
	l->libxdp_fs = strdup(getenv("LIBXDP_BPFFS") && *getenv("LIBXDP_BPFFS")
				      ? getenv("LIBXDP_BPFFS")
				      : "/sys/fs/bpf");
	if (!l->run_dir || !l->fs || !l->fs_links || !l->fs_maps || !l->db_dir || !l->db_path ||
	    !l->lock_path || !l->config_path || !l->sock_dir || !l->sock_path || !l->cache_dir || !l->libxdp_fs) {
		layout_free(l);
		return -ENOMEM;
	}
	return 0;
}

void layout_free(struct layout *l)
{
	free(l->root);
	free(l->run_dir);
	free(l->fs);
	free(l->fs_links);
	free(l->fs_maps);
	free(l->db_dir);
	free(l->db_path);
	free(l->lock_path);
	free(l->config_path);
	free(l->sock_dir);
	free(l->sock_path);
	free(l->cache_dir);
	free(l->libxdp_fs);
	memset(l, 0, sizeof(*l));
}

char *layout_prog_pin(const struct layout *l, uint32_t prog_id)
{
	char *s;

	return asprintf(&s, "%s/prog_%u", l->fs, prog_id) < 0 ? NULL : s;
}

char *layout_link_pin(const struct layout *l, uint32_t link_id)
{
	char *s;

	return asprintf(&s, "%s/%u", l->fs_links, link_id) < 0 ? NULL : s;
}

char *layout_map_dir(const struct layout *l, uint32_t owner_id)
{
	char *s;

	return asprintf(&s, "%s/%u", l->fs_maps, owner_id) < 0 ? NULL : s;
}

int mkdir_p(const char *path, unsigned mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int path_is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st) < 0)
		return -errno;
	return (unsigned long)st.f_type == BPF_FS_MAGIC;
}

static int fd_is_bpffs(int fd)
{
	struct statfs st;

	if (fstatfs(fd, &st) < 0)
		return -errno;
	return (unsigned long)st.f_type == BPF_FS_MAGIC;
}

int mount_bpffs(const char *path)
{
	return mount("bpffs", path, "bpf", 0, "mode=0700") < 0 ? -errno : 0;
}

/* openat() of a directory that must not be a link: -ELOOP when it is one (O_NOFOLLOW
 * with O_DIRECTORY answers ENOTDIR for a link, as for a file). */
static int open_subdir(int dir_fd, const char *name)
{
	struct stat st;
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if ((errno == ENOTDIR || errno == ELOOP) &&
	    fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return -errno;
}

/* The state tree is walked from the root one name at a time with O_NOFOLLOW, so a link
 * planted anywhere below the root (run, bpfman, db, fs, ...) is refused instead of taking
 * the database, the bpffs mount or a sweep outside the root. The root itself is the
 * operator's choice and may be reached through links. */
int layout_open_dir(const struct layout *l, const char *dir, bool create)
{
	size_t n = strlen(l->root);
	const char *root = *l->root ? l->root : "/";
	_cleanup_free_ char *rel = NULL;
	_cleanup_close_ int fd = -EBADF;
	char *save = NULL;
	int r;

	if (strncmp(dir, l->root, n) != 0 || dir[n] != '/')
		return -EINVAL;
	if (create && (r = mkdir_p(root, 0755)) < 0)
		return r;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rel = strdup(dir + n + 1);
	if (!rel)
		return -ENOMEM;
	for (char *c = strtok_r(rel, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;

		if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
			return -EINVAL;
		if (create && mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
			return -errno;
		next = open_subdir(fd, c);
		if (next < 0)
			return next;
		close(fd);
		fd = next;
	}
	return TAKE_FD(fd);
}

/* A directory the manager makes inside the bpffs: created if missing, and it must be a
 * directory of that very bpffs, not a link to somewhere else. */
static int prepare_fs_dir(int fs, const char *name)
{
	_cleanup_close_ int fd = -EBADF;

	if (mkdirat(fs, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	fd = open_subdir(fs, name);
	if (fd < 0)
		return fd;
	return fd_is_bpffs(fd) > 0 ? 0 : -EXDEV;
}

int layout_prepare(const struct layout *l)
{
	_cleanup_close_ int db = -EBADF, fs = -EBADF;
	_cleanup_free_ char *target = NULL;
	int r;

	db = layout_open_dir(l, l->db_dir, true);
	if (db < 0)
		return db;
	fs = layout_open_dir(l, l->fs, true);
	if (fs < 0)
		return fs;
	r = fd_is_bpffs(fs);
	if (r < 0)
		return r;
	if (r == 0) {
		/* mount on the directory just opened (not on a path that could be swapped for
		 * a link meanwhile), then check through a fresh walk that the bpffs is there */
		if (asprintf(&target, "/proc/self/fd/%d", fs) < 0)
			return -ENOMEM;
		r = mount_bpffs(target);
		if (r < 0)
			return r;
		close(fs);
		fs = layout_open_dir(l, l->fs, false);
		if (fs < 0)
			return fs;
		if (fd_is_bpffs(fs) <= 0)
			return -EXDEV;
	}
	r = prepare_fs_dir(fs, "links");
	if (r < 0)
		return r;
	return prepare_fs_dir(fs, "maps");
}

DIR *bpffs_opendir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	if (fd_is_bpffs(fd) <= 0) {
		close(fd);
		errno = EXDEV;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

int rm_dir_flat(const char *dir)
{
	DIR *d = bpffs_opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int tracefs_ensure(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	/* as with the bpffs: a fresh host may not have tracefs mounted yet */
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0)
		return -errno;
	return 0;
}
