/* State objects (ClusterBpfApplicationState / BpfApplicationState, bpfman-k8s.md 1.6): one
 * per app on this node, found by labels (and namespace), created by the agent, status
 * written through server-side apply on the /status subresource only when it changed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"

static const struct kube_res *state_res(bool namespaced)
{
	return namespaced ? &RES_NSTATE : &RES_CSTATE;
}

static bool is_ours(json_t *s, const char *node, const char *ns, const char *app_name)
{
	json_t *labels = jget(s, "metadata.labels");
	const char *sns = kube_obj_namespace(s);

	return !strcmp(json_string_value(json_object_get(labels, LABEL_OWNER)) ?: "", app_name) &&
	       !strcmp(json_string_value(json_object_get(labels, LABEL_HOST)) ?: "", node) &&
	       !strcmp(sns ? sns : "", ns ? ns : "");
}

static json_int_t update_count(json_t *s)
{
	return json_integer_value(jget(s, "status.updateCount"));
}

json_t *state_find(struct agent *a, bool namespaced, const char *ns, const char *app_name)
{
	json_t *items = kube_informer_items(a->inf[namespaced ? INF_NSTATE : INF_CSTATE]), *s;
	json_t *found = NULL, *w;
	const char *key;
	size_t i;

	json_array_foreach (items, i, s)
		if (is_ours(s, a->node, ns, app_name)) {
			found = json_incref(s);
			break;
		}
	json_decref(items);
	/* what this process wrote last, when the informer has not caught up with it */
	json_object_foreach (a->written, key, w) {
		if (strcmp(jstr(w, "kind") ?: "", state_res(namespaced)->kind) ||
		    !is_ours(w, a->node, ns, app_name))
			continue;
		if (!found || (!strcmp(kube_obj_uid(found) ?: "", kube_obj_uid(w) ?: "") &&
			       update_count(w) > update_count(found))) {
			json_decref(found);
			found = json_incref(w);
		}
	}
	return found;
}

static void remember(struct agent *a, json_t *obj)
{
	char *key = obj_key(jstr(obj, "kind"), kube_obj_namespace(obj), kube_obj_name(obj));

	if (key)
		json_object_set(a->written, key, obj);
	free(key);
}

void agent_forget(struct agent *a, json_t *obj)
{
	char *key = obj_key(jstr(obj, "kind"), kube_obj_namespace(obj), kube_obj_name(obj));

	if (key)
		json_object_del(a->written, key);
	free(key);
}

json_t *state_create(struct agent *a, json_t *app, bool namespaced)
{
	const struct kube_res *res = state_res(namespaced);
	const char *ns = kube_obj_namespace(app);
	char hex[9], *name = NULL, *err = NULL;
	json_t *obj, *labels, *created = NULL;
	int r;

	random_hex(hex, 8);
	if (asprintf(&name, "%s-%s", kube_obj_name(app), hex) < 0)
		return NULL;
	labels = json_pack("{s:s, s:s}", LABEL_OWNER, kube_obj_name(app), LABEL_HOST, a->node);
	if (labels && ns)
		json_object_set_new(labels, LABEL_APP_NS, json_string(ns));
	obj = json_pack("{s:s, s:s, s:{s:s, s:o, s:[{s:s, s:s, s:s, s:s, s:b, s:b}], s:[s]}}",
			"apiVersion", "bpfman.io/v1alpha1", "kind", res->kind, "metadata", "name",
			name, "labels", labels, "ownerReferences", "apiVersion",
			"bpfman.io/v1alpha1", "kind", namespaced ? RES_NAPP.kind : RES_CAPP.kind, "name",
			kube_obj_name(app), "uid", kube_obj_uid(app) ?: "", "controller", 1,
			"blockOwnerDeletion", 1, "finalizers",
			namespaced ? FIN_NSTATE : FIN_CSTATE);
	free(name);
	if (!obj)
		return NULL;
	if (ns)
		json_object_set_new(json_object_get(obj, "metadata"), "namespace", json_string(ns));
	r = kube_create(a->k, res, ns, obj, &created, &err);
	json_decref(obj);
	if (r < 0) {
		log_error("creating %s for %s: %s", res->kind, kube_obj_name(app),
			  err ? err : strerror(-r));
		free(err);
		a->again = true;
		return NULL;
	}
	log_info("created %s %s%s%s", res->kind, ns ? ns : "", ns ? "/" : "",
		 kube_obj_name(created));
	remember(a, created);
	return created; /* a new reference */
}

/* The status as last written, without what changes on every write. */
static bool status_same(json_t *old, json_t *new)
{
	json_t *o = json_deep_copy(old), *n = json_deep_copy(new);
	bool same;

	if (o)
		json_object_del(o, "updateCount");
	if (n)
		json_object_del(n, "updateCount");
	same = o && n && json_equal(o, n);
	json_decref(o);
	json_decref(n);
	return same;
}

int state_write_status(struct agent *a, json_t *state, bool namespaced, json_t *status)
{
	const struct kube_res *res = state_res(namespaced);
	json_t *old = json_object_get(state, "status"), *oc, *nc, *body, *ret = NULL;
	char *err = NULL;
	int r;

	oc = json_array_get(json_object_get(old, "conditions"), 0);
	nc = json_array_get(json_object_get(status, "conditions"), 0);
	if (nc) {
		/* lastTransitionTime moves only when the condition does */
		if (oc && !strcmp(jstr(oc, "type") ?: "", jstr(nc, "type") ?: "") &&
		    jget(oc, "lastTransitionTime"))
			json_object_set(nc, "lastTransitionTime", jget(oc, "lastTransitionTime"));
		else {
			char *t = now_rfc3339();

			json_object_set_new(nc, "lastTransitionTime", json_string(t ? t : ""));
			free(t);
		}
	}
	if (old && status_same(old, status))
		return 0;
	json_object_set_new(status, "updateCount", json_integer(update_count(state) + 1));
	body = json_pack("{s:s, s:s, s:{s:s}, s:O}", "apiVersion", "bpfman.io/v1alpha1", "kind",
			 res->kind, "metadata", "name", kube_obj_name(state), "status", status);
	if (!body)
		return -ENOMEM;
	if (kube_obj_namespace(state))
		json_object_set_new(json_object_get(body, "metadata"), "namespace",
				    json_string(kube_obj_namespace(state)));
	r = kube_apply(a->k, res, kube_obj_namespace(state), kube_obj_name(state), body, true,
		       true, &ret, &err);
	json_decref(body);
	if (r < 0) {
		log_error("writing the status of %s %s: %s", res->kind, kube_obj_name(state),
			  err ? err : strerror(-r));
		free(err);
		a->again = true; /* retried soon, with backoff, not at the next resync */
		return r;
	}
	remember(a, ret);
	json_decref(ret);
	return 1;
}
