#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csi-mount.h"

int csi_is_mount_root(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
		return -errno;
	if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return -EOPNOTSUPP; /* kernels before 5.8 */
	return !!(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int csi_same_fs(const char *a, const char *b)
{
	struct stat sa, sb;

	if (lstat(a, &sa) < 0 || lstat(b, &sb) < 0)
		return -errno;
	return sa.st_dev == sb.st_dev;
}

int csi_umount(const char *path)
{
	int r = csi_is_mount_root(path);

	if (r == -ENOENT || r == 0)
		return 0;
	if (r < 0)
		return r;
	if (umount2(path, UMOUNT_NOFOLLOW) == 0 || errno == EINVAL)
		return 0;
	/* a process still holds it open: detach now, the kernel frees it when let go */
	if (errno == EBUSY && umount2(path, UMOUNT_NOFOLLOW | MNT_DETACH) == 0)
		return 0;
	return -errno;
}

int csi_mkdir_tracked(const char *path, mode_t mode, char **ret_top)
{
	char *p = strdup(path);
	struct stat st;
	size_t len;

	*ret_top = NULL;
	if (!p)
		return -ENOMEM;
	len = strlen(p);
	for (size_t i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (lstat(p, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				free(p);
				return -ENOTDIR;
			}
		} else if (errno != ENOENT || mkdir(p, mode) < 0) {
			int e = errno;

			if (*ret_top)
				csi_rmdir_upto(p, *ret_top); /* p did not get made: its parent did */
			free(p);
			return -e;
		} else {
			(void)chmod(p, mode); /* mode without the umask */
			if (!*ret_top)
				*ret_top = strdup(p);
		}
		if (i < len)
			p[i] = '/';
	}
	free(p);
	return 0;
}

void csi_rmdir_upto(const char *path, const char *top)
{
	char *p = strdup(path);
	size_t top_len = strlen(top);

	if (!p)
		return;
	while (strlen(p) >= top_len && !strncmp(p, top, top_len)) {
		char *slash;

		if (rmdir(p) < 0 && errno != ENOENT)
			break;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = '\0';
	}
	free(p);
}
