/* First-generation kinds (bpfman-k8s.md 2). */
#pragma once
#include "agent.h"

/* The *Program object as a one-program ClusterBpfApplication object (new reference). */
json_t *g1_to_app(const struct g1_kind *gk, json_t *obj);
