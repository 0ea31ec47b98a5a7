/* Status roll-up: one application's condition from its per-node objects (bpfman-k8s.md 4.3,
 * 1.5 for G2, 2 for G1). Pure: no API calls, so the rules are unit-tested. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "kinds.h"

struct rollup {
	const char *type;   /* condition type; static string */
	const char *reason; /* condition reason; static string */
	char *message;      /* malloc'd; names sorted, so equal inputs give equal text */
	bool remove_finalizer; /* deleting and no state holds the agent finalizer any more */
};

/* Is state (a State or BpfProgram object) one of app's? Its label ownedByProgram names the
 * app; namespaced kinds also need the app's namespace (operator #539); a state whose
 * ownerReferences name another object (by uid) belongs to that one (a same-named app of
 * another G1 kind, or an earlier app of the same name). */
bool rollup_state_belongs(const struct op_app_kind *kind, json_t *app, json_t *state);

/* The node a state reports for: label kubernetes.io/hostname, else status.node. */
const char *rollup_state_node(json_t *state);

/* app: the application; states: array of its state objects (rollup_state_belongs); nodes:
 * array of node names expected to report (those running the agent). 0 or -ENOMEM. */
int rollup_compute(const struct op_app_kind *kind, json_t *app, json_t *states, json_t *nodes,
		   struct rollup *ret);
void rollup_done(struct rollup *r);
