/* Typed, strict access to a libyaml document for the application parser: scalars are
 * resolved the way the Kubernetes client's YAML 1.1 reader resolves them (so `yes` is a
 * boolean and `0x0A` an integer), a null value counts as absent (the API server drops
 * nulls), and every error names FILE:LINE: PATH. Internal to src/lib/apply. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#define YPATH_MAX 256

struct yctx {
	yaml_document_t *doc;
	const char *file;
	char *err; /* the first error, "FILE:LINE: PATH: what" */
	bool cluster; /* ClusterBpfApplication (else BpfApplication) */
};

enum ykind { Y_NULL, Y_BOOL, Y_INT, Y_FLOAT, Y_STR, Y_MAP, Y_SEQ };

unsigned yline(const yaml_node_t *n);
yaml_node_t *ynode(struct yctx *c, int idx);
enum ykind ykind_of(const yaml_node_t *n);
const char *ykind_name(enum ykind k);

/* Records the first error (later ones are consequences) and returns -EINVAL. */
int yfail(struct yctx *c, const yaml_node_t *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* out = parent.key / parent[i] (truncated at YPATH_MAX) */
void ypath_key(char out[YPATH_MAX], const char *parent, const char *key);
void ypath_idx(char out[YPATH_MAX], const char *parent, size_t i);

/* n must be a mapping whose keys are strings, each in known (NULL-terminated), none
 * twice: "unknown field "x"" names the first stranger (kubectl --validate=strict). */
int ymap_check(struct yctx *c, yaml_node_t *n, const char *path, const char *const *known);
/* A mapping whose keys and values are strings (labels, matchLabels), at most max pairs. */
int ymap_strings(struct yctx *c, yaml_node_t *n, const char *path, size_t max);
/* The value of key in a checked mapping; NULL when absent or null. */
yaml_node_t *yget(struct yctx *c, yaml_node_t *map, const char *key);
/* Sequence items (n must be a sequence). */
int yseq(struct yctx *c, yaml_node_t *n, const char *path, yaml_node_item_t **ret_items,
	 size_t *ret_n);

int ystr(struct yctx *c, yaml_node_t *n, const char *path, const char **ret);
int ystrdup(struct yctx *c, yaml_node_t *n, const char *path, char **ret);
int ybool(struct yctx *c, yaml_node_t *n, const char *path, bool *ret);
int yint(struct yctx *c, yaml_node_t *n, const char *path, int64_t min, int64_t max,
	 int64_t *ret);
/* One of names (NULL-terminated); *ret = its index. */
int yenum(struct yctx *c, yaml_node_t *n, const char *path, const char *const *names, int *ret);
/* A list of strings as a NULL-terminated vector (empty list: a vector of no string). */
int ystrv(struct yctx *c, yaml_node_t *n, const char *path, char ***ret);

void strv_free_(char **v);
