/* Internals of the application parser (src/lib/apply/app-yaml*.c). */
#pragma once

#include <stddef.h>
#include <yaml.h>

#include "app-decl.h"
#include "app-yaml-node.h"

#define APP_YAML_MAX_FILE (4u << 20) /* bytes per file */
#define APP_YAML_MAX_DEPTH 64 /* nesting of mappings and lists */
#define APP_YAML_MAX_NODES 262144 /* per document, after alias expansion */
#define APP_YAML_MAX_ANCHORS 1024 /* per document */
#define APP_YAML_MAX_ENTRIES 4096 /* pairs of a free-form mapping (labels, globalData) */

/* Pass 1: syntax and the bounds above, over every document of the text. */
int app_yaml_scan(const char *file, const char *text, size_t len, char **ret_err);
/* "FILE:LINE: yaml: PROBLEM CONTEXT" from a parser in error. */
int app_yaml_syntax_error(yaml_parser_t *p, const char *file, char **ret_err);
/* One document's root mapping into *d (zeroed by the caller; cleared on error). */
int app_yaml_document(struct yctx *c, yaml_node_t *root, struct app_decl *d);
