/* First-generation kinds (bpfman-k8s.md 2). */
#pragma once
#include "agent.h"

/* The *Program object as a one-program ClusterBpfApplication object (new reference). */
json_t *g1_to_app(const struct g1_kind *gk, json_t *obj);
/* A BpfProgram's name: `<owner>-<node>-<attach>` with `/` and `_` turned into `-`
 * (bpfman-k8s.md 2; no lower-casing). malloc'd. */
char *g1_bpfprogram_name(const char *owner, const char *node, const char *attach);
