/* The roll-up rules, in the order of bpfman-k8s.md 4.3:
 *   1. not deleting and an expected node has no state       → Pending / NotYetLoaded
 *   2. deleting: no state holds the agent finalizer          → remove our finalizer
 *               else                                         → DeleteError (names)
 *   3. some state failed                                     → Error / ReconcileError (names)
 *   4. some state Pending (G2 only)                          → Pending (names)
 *   5. otherwise                                             → Success / ReconcileSuccess
 * Unlike upstream, the expected nodes are only those that run the agent (operator #542; the
 * caller decides which, agent-nodes.c), and the Pending message names the nodes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollup.h"

static const char *obj_str(json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(obj, a), b);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *label(json_t *obj, const char *key)
{
	json_t *v = json_object_get(json_object_get(json_object_get(obj, "metadata"), "labels"), key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool has_finalizer(json_t *obj, const char *fin)
{
	json_t *list = json_object_get(json_object_get(obj, "metadata"), "finalizers"), *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), fin) == 0)
			return true;
	return false;
}

static bool deleting(json_t *obj)
{
	return json_object_get(json_object_get(obj, "metadata"), "deletionTimestamp") != NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

bool rollup_state_belongs(const struct op_app_kind *kind, json_t *app, json_t *state)
{
	const char *name = obj_str(app, "metadata", "name"), *uid = obj_str(app, "metadata", "uid");
	json_t *owners = json_object_get(json_object_get(state, "metadata"), "ownerReferences"), *o;
	size_t i;

	if (!name || !str_eq(label(state, OP_LABEL_OWNED_BY), name))
		return false;
	if (kind->app->namespaced &&
	    !str_eq(obj_str(app, "metadata", "namespace"), obj_str(state, "metadata", "namespace")))
		return false;
	if (json_array_size(owners) == 0 || !uid)
		return true;
	json_array_foreach(owners, i, o) {
		json_t *ouid = json_object_get(o, "uid");

		if (json_is_string(ouid) && strcmp(json_string_value(ouid), uid) == 0)
			return true;
	}
	return false;
}

const char *rollup_state_node(json_t *state)
{
	const char *n = label(state, OP_LABEL_HOSTNAME);

	return n ? n : obj_str(state, "status", "node");
}

/* the first condition's type: State and BpfProgram objects carry exactly one */
static const char *state_condition(json_t *state)
{
	json_t *c = json_array_get(json_object_get(json_object_get(state, "status"), "conditions"), 0);
	json_t *t = json_object_get(c, "type");

	return json_is_string(t) ? json_string_value(t) : NULL;
}

/* 1.6: failed = Error, ProgramListChangedError, UnloadError or no condition.
 * 2: failed = one of the five agent failure types, or no condition. */
static bool state_failed(enum op_gen gen, json_t *state)
{
	static const char *const g2[] = { "Error", "ProgramListChangedError", "UnloadError" };
	static const char *const g1[] = { "NotLoaded", "NotUnLoaded", "MapOwnerNotFound",
					  "MapOwnerNotLoaded", "BytecodeSelectorError" };
	const char *t = state_condition(state);
	const char *const *list = gen == OP_GEN2 ? g2 : g1;
	size_t n = gen == OP_GEN2 ? 3 : 5;

	if (!t || !*t)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t, list[i]) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "[a b c]" (Go's %v of a []string, as upstream prints it), sorted */
static char *name_list(const char **names, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	qsort(names, n, sizeof(*names), cmp_str);
	fputc('[', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", names[i]);
	fputc(']', f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int set(struct rollup *r, const char *type, const char *reason, const char *prefix,
	       const char **names, size_t n, const char *suffix)
{
	char *list = NULL;
	int k;

	r->type = type;
	r->reason = reason;
	if (names) {
		list = name_list(names, n);
		if (!list)
			return -ENOMEM;
	}
	k = asprintf(&r->message, "%s%s%s", prefix, list ? list : "", suffix ? suffix : "");
	free(list);
	if (k < 0) {
		r->message = NULL;
		return -ENOMEM;
	}
	return 0;
}

int rollup_compute(const struct op_app_kind *kind, json_t *app, json_t *states, json_t *nodes,
		   struct rollup *ret)
{
	size_t ns = json_array_size(states), nn = json_array_size(nodes), i, j;
	bool g2 = kind->gen == OP_GEN2;
	const char **missing = calloc(nn + 1, sizeof(char *));
	const char **held = calloc(ns + 1, sizeof(char *)), **failed = calloc(ns + 1, sizeof(char *));
	const char **pending = calloc(ns + 1, sizeof(char *));
	size_t n_missing = 0, n_held = 0, n_failed = 0, n_pending = 0;
	struct rollup r = { 0 };
	json_t *v, *s;
	int k = -ENOMEM;

	if (!missing || !held || !failed || !pending)
		goto out;
	json_array_foreach(nodes, i, v) {
		bool found = false;

		json_array_foreach(states, j, s)
			if (str_eq(rollup_state_node(s), json_string_value(v)))
				found = true;
		if (!found)
			missing[n_missing++] = json_string_value(v);
	}
	json_array_foreach(states, i, s) {
		const char *name = obj_str(s, "metadata", "name");

		if (!name)
			continue;
		if (has_finalizer(s, kind->agent_finalizer))
			held[n_held++] = name;
		if (state_failed(kind->gen, s))
			failed[n_failed++] = name;
		else if (g2 && str_eq(state_condition(s), "Pending"))
			pending[n_pending++] = name;
	}

	if (deleting(app)) {
		if (n_held == 0) {
			r.remove_finalizer = true;
			k = 0;
		} else
			k = set(&r, "DeleteError", "DeleteError",
				g2 ? "Program Deletion failed on the following BpfApplicationState objects: "
				   : "Program Deletion failed on the following bpfProgram Objects: ",
				held, n_held, NULL);
	} else if (nn == 0 || n_missing > 0) {
		const char *base = g2 ? "Waiting for Bpf Application Object to be reconciled on all nodes"
				      : "Waiting for Program Object to be reconciled to all nodes";
		char *prefix = NULL;

		if (asprintf(&prefix, "%s%s", base,
			     nn == 0 ? " (no node runs the bpfman agent yet)" : " (no state yet from nodes: ") < 0)
			goto out;
		k = set(&r, g2 ? "Pending" : "NotYetLoaded", g2 ? "Pending" : "ProgramsNotYetLoaded",
			prefix, nn ? missing : NULL, n_missing, nn ? ")" : NULL);
		free(prefix);
	} else if (n_failed > 0) {
		k = set(&r, g2 ? "Error" : "ReconcileError", g2 ? "Error" : "ReconcileError",
			g2 ? "BpfApplication Reconciliation failed on the following BpfApplicationState objects: "
			   : "bpfProgramReconciliation failed on the following bpfProgram Objects: ",
			failed, n_failed, NULL);
	} else if (n_pending > 0) {
		k = set(&r, "Pending", "Pending",
			"BpfApplication Reconciliation is pending on the following BpfApplicationState objects: ",
			pending, n_pending, NULL);
	} else {
		k = set(&r, g2 ? "Success" : "ReconcileSuccess", g2 ? "Success" : "ReconcileSuccess",
			g2 ? "BPF application configuration successfully applied on all nodes"
			   : "bpfProgramReconciliation Succeeded on all nodes",
			NULL, 0, NULL);
	}
out:
	free(missing);
	free(held);
	free(failed);
	free(pending);
	if (k < 0) {
		free(r.message);
		return k;
	}
	*ret = r;
	return 0;
}

void rollup_done(struct rollup *r)
{
	free(r->message);
	r->message = NULL;
}
