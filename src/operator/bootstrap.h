/* The bootstrap Config (bpfman-k8s.md 4.1): created at start when bpfman-config is missing,
 * and printed by `bpfman-operator default-config`. */
#pragma once

#include <jansson.h>

/* images: BPFMAN_IMG (daemon) and BPFMAN_AGENT_IMG; ns: spec.namespace. NULL on -ENOMEM. */
json_t *bootstrap_config(const char *daemon_img, const char *agent_img, const char *ns);
