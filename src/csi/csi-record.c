/* One small text file per published volume (<root>/run/bpfman/csi/vol/<volume_id>), so a
 * repeated NodePublishVolume is recognised as the same (OK) or a different one
 * (ALREADY_EXISTS), also after the daemon restarted. "key=value" lines; the values never
 * hold a newline (the target path is checked for one). */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "csi-internal.h"
#include "csi-check.h"

void csi_record_clear(struct csi_record *r)
{
	free(r->target);
	free(r->program);
	free(r->maps);
	free(r->app_id);
	*r = (struct csi_record){ .group = -1 };
}

static char *record_path(struct csi *c, const char *volume_id)
{
	char *p;

	return asprintf(&p, "%s/%s", c->vol_dir, volume_id) < 0 ? NULL : p;
}

int csi_record_read(struct csi *c, const char *volume_id, struct csi_record *ret)
{
	_cleanup_free_ char *path = record_path(c, volume_id), *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t cap = 0;
	ssize_t n;

	*ret = (struct csi_record){ .group = -1 };
	if (!path)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		char *eq = strchr(line, '='), **dst = NULL;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(line, "target"))
			dst = &ret->target;
		else if (!strcmp(line, "program"))
			dst = &ret->program;
		else if (!strcmp(line, "maps"))
			dst = &ret->maps;
		else if (!strcmp(line, "app"))
			dst = &ret->app_id;
		else if (!strcmp(line, "readonly"))
			ret->readonly = !strcmp(eq, "1");
		else if (!strcmp(line, "group"))
			ret->group = strtol(eq, NULL, 10);
		if (dst) {
			free(*dst);
			*dst = strdup(eq);
			if (!*dst) {
				csi_record_clear(ret);
				return -ENOMEM;
			}
		}
	}
	if (!ret->target || !ret->program || !ret->maps) {
		csi_record_clear(ret);
		return -EINVAL;
	}
	if (!ret->app_id && !(ret->app_id = strdup(""))) {
		csi_record_clear(ret);
		return -ENOMEM;
	}
	return 0;
}

int csi_record_write(struct csi *c, const char *volume_id, const struct csi_record *r)
{
	_cleanup_free_ char *path = record_path(c, volume_id), *tmp = NULL;
	FILE *f;
	int fd, ok;

	if (!path || asprintf(&tmp, "%s/.%s.tmp", c->vol_dir, volume_id) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		(void)unlink(tmp);
		return -ENOMEM;
	}
	fprintf(f, "target=%s\nprogram=%s\nmaps=%s\napp=%s\nreadonly=%d\ngroup=%ld\n", r->target,
		r->program, r->maps, r->app_id ? r->app_id : "", r->readonly, r->group);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;

		(void)unlink(tmp);
		return -e;
	}
	return 0;
}

int csi_record_remove(struct csi *c, const char *volume_id)
{
	_cleanup_free_ char *path = record_path(c, volume_id);

	if (!path)
		return -ENOMEM;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int csi_record_find_target(struct csi *c, const char *target, char **ret)
{
	DIR *d = opendir(c->vol_dir);
	struct dirent *de;
	int r = -ENOENT;

	if (!d)
		return errno == ENOENT ? -ENOENT : -errno;
	while (r == -ENOENT && (de = readdir(d))) {
		struct csi_record rec;
		const char *why;

		if (!csi_volume_id_ok(de->d_name, &why) || csi_record_read(c, de->d_name, &rec) < 0)
			continue;
		if (!strcmp(rec.target, target)) {
			*ret = strdup(de->d_name);
			r = *ret ? 0 : -ENOMEM;
		}
		csi_record_clear(&rec);
	}
	closedir(d);
	return r;
}
