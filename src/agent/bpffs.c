/* --mount-bpffs: the init-container mode. Mounts a bpffs at the path only when none is
 * mounted there already (stacking a second one hides the pins others made: operator #477). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "bpffs.h"
#include "log.h"

/* 1 when a bpf filesystem is mounted exactly at path (from mountinfo) */
static int bpffs_mounted(const char *path)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		char mnt[2048], fstype[64];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %2047s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		found = !strcmp(mnt, path) && !strcmp(fstype, "bpf");
	}
	fclose(f);
	return found;
}

int bpffs_mount(const char *path)
{
	int r = bpffs_mounted(path);

	if (r < 0)
		return log_error_errno(r, "reading /proc/self/mountinfo");
	if (r > 0) {
		log_info("a bpffs is already mounted at %s", path);
		return 0;
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return log_error_errno(-errno, "creating %s", path);
	if (mount("bpffs", path, "bpf", 0, NULL) < 0)
		return log_error_errno(-errno, "mounting a bpffs at %s", path);
	log_info("mounted a bpffs at %s", path);
	return 0;
}
