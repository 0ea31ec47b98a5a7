#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "csi-check.h"

static bool name_char_ok(char c, bool dash)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || (dash && c == '-');
}

bool csi_volume_id_ok(const char *id, const char **why)
{
	size_t len = id ? strlen(id) : 0;

	if (!len) {
		*why = "volume_id is empty";
		return false;
	}
	if (len > CSI_VOLUME_ID_MAX) {
		*why = "volume_id is longer than 128 bytes";
		return false;
	}
	if (id[0] == '.') {
		*why = "volume_id starts with '.'";
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(id[i], true)) {
			*why = "volume_id may only hold letters, digits, '.', '_' and '-'";
			return false;
		}
	return true;
}

bool csi_target_path_ok(const char *path, const char **why)
{
	size_t len = path ? strlen(path) : 0;
	const char *p;

	if (!len) {
		*why = "target_path is empty";
		return false;
	}
	if (path[0] != '/') {
		*why = "target_path is not absolute";
		return false;
	}
	if (len >= PATH_MAX) {
		*why = "target_path is too long";
		return false;
	}
	if (strchr(path, '\n')) {
		*why = "target_path holds a newline";
		return false;
	}
	for (p = path; *p;) {
		size_t el;

		while (*p == '/')
			p++;
		el = strcspn(p, "/");
		if ((el == 1 && p[0] == '.') || (el == 2 && p[0] == '.' && p[1] == '.')) {
			*why = "target_path has a '.' or '..' element";
			return false;
		}
		p += el;
	}
	if (len == 1) {
		*why = "target_path is /";
		return false;
	}
	return true;
}

bool csi_map_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > 255 || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char_ok(name[i], true))
			return false;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void csi_maps_clear(struct csi_maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->names[i]);
	m->n = 0;
}

int csi_maps_parse(const char *s, struct csi_maps *ret, char **bad)
{
	const char *p = s ? s : "";

	*bad = NULL;
	ret->n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *b = p, *e = p + len;
		char *item;
		bool dup = false;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > b) {
			item = strndup(b, (size_t)(e - b));
			if (!item)
				goto nomem;
			if (!csi_map_name_ok(item) || strlen(item) != (size_t)(e - b)) {
				*bad = item;
				csi_maps_clear(ret);
				return -EINVAL;
			}
			for (size_t i = 0; i < ret->n; i++)
				dup = dup || !strcmp(ret->names[i], item);
			if (dup) {
				free(item);
			} else if (ret->n == CSI_MAX_MAPS) {
				free(item);
				csi_maps_clear(ret);
				return -E2BIG;
			} else {
				ret->names[ret->n++] = item;
			}
		}
		if (!p[len])
			break;
		p += len + 1;
	}
	if (!ret->n)
		return -ENODATA;
	qsort(ret->names, ret->n, sizeof(ret->names[0]), cmp_str);
	return 0;
nomem:
	csi_maps_clear(ret);
	return -ENOMEM;
}

char *csi_maps_join(const struct csi_maps *m)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < m->n; i++)
		len += strlen(m->names[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < m->n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, m->names[i]);
	}
	return s;
}
