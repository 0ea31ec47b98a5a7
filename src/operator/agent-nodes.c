/* The set of nodes running the agent (see agent-nodes.h for the rule and why). */
#include <stdlib.h>
#include <string.h>

#include "agent-nodes.h"
#include "rollup.h"

static const char *str_at(json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(obj, a), b);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *agent_pod_node(json_t *pod)
{
	const char *n = str_at(pod, "spec", "nodeName");
	json_t *terms, *t, *f, *vals;
	size_t i, j;

	if (n && *n)
		return n;
	/* spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
	 * .nodeSelectorTerms[].matchFields[] {key: metadata.name, operator: In, values: [node]} */
	terms = json_object_get(
		json_object_get(json_object_get(json_object_get(json_object_get(pod, "spec"), "affinity"),
						"nodeAffinity"),
				"requiredDuringSchedulingIgnoredDuringExecution"),
		"nodeSelectorTerms");
	json_array_foreach(terms, i, t)
		json_array_foreach(json_object_get(t, "matchFields"), j, f) {
			vals = json_object_get(f, "values");
			if (json_is_string(json_object_get(f, "key")) &&
			    strcmp(json_string_value(json_object_get(f, "key")), "metadata.name") == 0 &&
			    json_array_size(vals) == 1 && json_is_string(json_array_get(vals, 0)))
				return json_string_value(json_array_get(vals, 0));
		}
	return NULL;
}

static bool is_agent_pod(json_t *pod, const char *daemon_ns)
{
	json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	json_t *v = json_object_get(labels, AGENT_POD_LABEL_KEY);
	const char *ns = str_at(pod, "metadata", "namespace");

	if (!json_is_string(v) || strcmp(json_string_value(v), AGENT_POD_LABEL_VALUE) != 0)
		return false;
	if (daemon_ns && (!ns || strcmp(ns, daemon_ns) != 0))
		return false;
	/* a pod on its way out does not run an agent any more */
	return json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp") == NULL;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

json_t *agent_nodes(json_t *nodes, json_t *pods, const char *daemon_ns, json_t *const *states)
{
	json_t *seen = json_object(), *out = json_array(), *v, *node;
	size_t i, n;
	json_t **sorted;

	if (!seen || !out)
		goto fail;
	json_array_foreach(pods, i, v) {
		const char *name = agent_pod_node(v);

		if (name && is_agent_pod(v, daemon_ns) && json_object_set_new(seen, name, json_true()) < 0)
			goto fail;
	}
	for (; states && *states; states++)
		json_array_foreach(*states, i, v) {
			const char *name = rollup_state_node(v);

			if (name && json_object_set_new(seen, name, json_true()) < 0)
				goto fail;
		}
	/* only nodes that exist: a deleted node runs nothing */
	json_array_foreach(nodes, i, node) {
		const char *name = str_at(node, "metadata", "name");

		if (name && json_object_get(seen, name) && json_array_append_new(out, json_string(name)) < 0)
			goto fail;
	}
	json_decref(seen);
	n = json_array_size(out);
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (!sorted) {
		json_decref(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		sorted[i] = json_incref(json_array_get(out, i));
	qsort(sorted, n, sizeof(*sorted), cmp_json_str);
	json_array_clear(out);
	for (i = 0; i < n; i++)
		json_array_append_new(out, sorted[i]);
	free(sorted);
	return out;
fail:
	json_decref(seen);
	json_decref(out);
	return NULL;
}
