/* Mount helpers of the node plugin. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* 1 when path is the root of a mount (not following a last link), 0 if not, -errno. */
int csi_is_mount_root(const char *path);
/* 1 when both paths are on the same file system instance (a bind mount of a per-volume
 * bpffs shares its device number), 0 if not, -errno. */
int csi_same_fs(const char *a, const char *b);
/* Unmounts path if something is mounted there; 0 also when nothing was. */
int csi_umount(const char *path);
/* mkdir -p that reports the first directory it created (*ret_top, malloc'd, NULL if none),
 * so an undo removes exactly what it made. Existing non-directories: -ENOTDIR. */
int csi_mkdir_tracked(const char *path, mode_t mode, char **ret_top);
/* rmdir path and its parents up to and including top (what csi_mkdir_tracked made). */
void csi_rmdir_upto(const char *path, const char *top);
