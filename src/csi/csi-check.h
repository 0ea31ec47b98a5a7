/* Checks of what a CSI client sends before anything touches the file system: the volume id
 * and the map names become path elements, the target path is mounted on. Pure functions
 * (unit-tested). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define CSI_VOLUME_ID_MAX 128
#define CSI_MAX_MAPS 64

/* A volume id is one path element of [A-Za-z0-9._-], not starting with '.', at most
 * CSI_VOLUME_ID_MAX bytes (kubelet's ephemeral ids are "csi-" + 64 hex digits). false and
 * why (a static string) otherwise. */
bool csi_volume_id_ok(const char *id, const char **why);

/* The target path: absolute, no "." or ".." element, no newline, shorter than PATH_MAX. */
bool csi_target_path_ok(const char *path, const char **why);

/* One map name: a pin file name in the program's map directory: [A-Za-z0-9_.-], not
 * starting with '.', at most 255 bytes. */
bool csi_map_name_ok(const char *name);

struct csi_maps {
	char *names[CSI_MAX_MAPS]; /* sorted, unique; malloc'd */
	size_t n;
};

/* Splits "a, b,,a" into {a, b}: items trimmed of blanks, empty and duplicate ones dropped
 * (as the Go driver does). 0; -EINVAL with *bad = the offending item (malloc'd, the
 * caller frees) when an item is not a map name; -E2BIG over CSI_MAX_MAPS; -ENODATA when
 * nothing is left; -ENOMEM. */
int csi_maps_parse(const char *s, struct csi_maps *ret, char **bad);
void csi_maps_clear(struct csi_maps *m);
/* "a,b" (malloc'd), the canonical form kept in the volume's record. */
char *csi_maps_join(const struct csi_maps *m);
