/* The status pass (bpfman-k8s.md 4.3): per application, add the operator finalizer, roll the
 * states up, write the one condition when it differs (type, reason or message: the names in
 * the message stay current, unlike upstream which compares the type only), and drop the
 * finalizer once no state holds the agent's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-nodes.h"
#include "cleanup.h"
#include "log.h"
#include "operator.h"
#include "rollup.h"

static const char *str_at(json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(obj, a), b);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool same_string(json_t *obj, const char *key, const char *want)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) && strcmp(json_string_value(v), want) == 0;
}

static json_t *condition_json(json_t *app, const struct rollup *r)
{
	json_t *old = json_array_get(json_object_get(json_object_get(app, "status"), "conditions"), 0);
	json_t *gen = json_object_get(json_object_get(app, "metadata"), "generation");
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	json_t *c;

	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	c = json_pack("{s:s, s:s, s:s, s:s}", "type", r->type, "status", "True", "reason", r->reason,
		      "message", r->message);
	if (!c)
		return NULL;
	/* the transition time moves only when the type does; a new message is no transition */
	if (old && same_string(old, "type", r->type) && json_is_string(json_object_get(old, "lastTransitionTime")))
		json_object_set(c, "lastTransitionTime", json_object_get(old, "lastTransitionTime"));
	else
		json_object_set_new(c, "lastTransitionTime", json_string(now));
	if (json_is_integer(gen))
		json_object_set(c, "observedGeneration", gen);
	return c;
}

static bool condition_current(json_t *app, const struct rollup *r)
{
	json_t *conds = json_object_get(json_object_get(app, "status"), "conditions");
	json_t *c = json_array_get(conds, 0);
	json_t *gen = json_object_get(json_object_get(app, "metadata"), "generation");
	json_t *ogen = json_object_get(c, "observedGeneration");

	if (json_array_size(conds) != 1)
		return false;
	if (json_is_integer(gen) && !(json_is_integer(ogen) &&
				      json_integer_value(ogen) == json_integer_value(gen)))
		return false;
	return same_string(c, "type", r->type) && same_string(c, "reason", r->reason) &&
	       same_string(c, "message", r->message) && same_string(c, "status", "True");
}

static char *written_key(const struct rollup *r)
{
	char *s;

	return asprintf(&s, "%s|%s|%s", r->type, r->reason, r->message) < 0 ? NULL : s;
}

/* was exactly this written against the app version the cache still holds? */
static bool already_written(struct op *op, json_t *app, const struct rollup *r)
{
	json_t *w = json_object_get(op->written, kube_obj_uid(app) ? kube_obj_uid(app) : "");
	const char *rv = str_at(app, "metadata", "resourceVersion");
	_cleanup_free_ char *key = written_key(r);

	return w && rv && key && json_is_string(json_object_get(w, "rv")) &&
	       strcmp(json_string_value(json_object_get(w, "rv")), rv) == 0 &&
	       strcmp(json_string_value(json_object_get(w, "c")), key) == 0;
}

static void remember_write(struct op *op, json_t *app, const struct rollup *r)
{
	const char *uid = kube_obj_uid(app), *rv = str_at(app, "metadata", "resourceVersion");
	_cleanup_free_ char *key = written_key(r);

	if (!op->written)
		op->written = json_object();
	if (op->written && uid && rv && key)
		json_object_set_new(op->written, uid, json_pack("{s:s, s:s}", "rv", rv, "c", key));
}

static int write_condition(struct op *op, const struct op_app_kind *kind, json_t *app,
			   const struct rollup *r)
{
	const char *name = str_at(app, "metadata", "name"), *ns = str_at(app, "metadata", "namespace");
	_cleanup_free_ char *err = NULL;
	json_t *c = condition_json(app, r), *patch;
	int k;

	if (!c)
		return -ENOMEM;
	/* a merge patch replaces the list whole: exactly one condition remains */
	patch = json_pack("{s:{s:[o]}}", "status", "conditions", c);
	if (!patch)
		return -ENOMEM;
	k = kube_merge_patch(op->k, kind->app, ns, name, patch, true, NULL, &err);
	json_decref(patch);
	if (k == -ENOENT)
		return 0; /* gone meanwhile */
	if (k < 0)
		return log_error_errno(k, "%s %s%s%s: writing condition %s: %s", kind->app->kind,
				       ns ? ns : "", ns ? "/" : "", name, r->type, err ? err : "");
	log_info("%s %s%s%s: %s: %s", kind->app->kind, ns ? ns : "", ns ? "/" : "", name, r->reason,
		 r->message);
	remember_write(op, app, r);
	return 0;
}

/* One app; returns <0 when a write failed. */
static int app_pass(struct op *op, const struct op_app_kind *kind, json_t *app, json_t *all_states,
		    json_t *nodes)
{
	const char *name = str_at(app, "metadata", "name"), *ns = str_at(app, "metadata", "namespace");
	_cleanup_free_ char *err = NULL;
	bool del = kube_obj_deleting(app);
	struct rollup r;
	json_t *mine, *s;
	size_t i;
	int k;

	if (!name)
		return 0;
	if (!kube_obj_has_finalizer(app, OP_APP_FINALIZER)) {
		if (del)
			return 0; /* going, and not held by us: nothing to report on */
		k = kube_add_finalizer(op->k, kind->app, ns, name, OP_APP_FINALIZER, &err);
		if (k < 0 && k != -ENOENT)
			return log_error_errno(k, "%s %s: adding finalizer: %s", kind->app->kind, name,
					       err ? err : "");
	}
	mine = json_array();
	if (!mine)
		return -ENOMEM;
	json_array_foreach(all_states, i, s)
		if (rollup_state_belongs(kind, app, s))
			json_array_append(mine, s);
	k = rollup_compute(kind, app, mine, nodes, &r);
	json_decref(mine);
	if (k < 0)
		return k;
	if (r.remove_finalizer) {
		k = kube_remove_finalizer(op->k, kind->app, ns, name, OP_APP_FINALIZER, &err);
		if (k < 0 && k != -ENOENT)
			k = log_error_errno(k, "%s %s: removing finalizer: %s", kind->app->kind, name,
					    err ? err : "");
		else {
			log_info("%s %s%s%s: unloaded on every node, finalizer removed", kind->app->kind,
				 ns ? ns : "", ns ? "/" : "", name);
			k = 0;
		}
	} else if (!condition_current(app, &r) && !already_written(op, app, &r))
		k = write_condition(op, kind, app, &r);
	else {
		log_debug("%s %s%s%s: %s (current)", kind->app->kind, ns ? ns : "", ns ? "/" : "", name, r.reason);
		k = 0;
	}
	rollup_done(&r);
	return k;
}

static const char *daemon_namespace(struct op *op, json_t **ret_cfg)
{
	struct kube_informer *inf = op_informer(op, &OP_CONFIG);
	json_t *cfg = inf ? kube_informer_get(inf, NULL, OP_CONFIG_NAME) : NULL;

	*ret_cfg = cfg;
	return cfg ? str_at(cfg, "spec", "namespace") : NULL;
}

unsigned app_status_pass(struct op *op)
{
	const struct kube_res *state_kinds[] = { &OP_CLUSTERBPFAPPLICATIONSTATE, &OP_BPFAPPLICATIONSTATE,
						 &OP_BPFPROGRAM };
	json_t *states[4] = { 0 }, *nodes_obj, *pods, *nodes, *cfg = NULL, *seen = NULL, *v;
	const char *uid;
	void *tmp;
	unsigned failed = 0;
	const char *dns;

	/* nothing can be decided before the nodes and states are known */
	if (!op_synced(op, &KUBE_NODE))
		return 0;
	for (unsigned i = 0; i < 3; i++)
		states[i] = op_items(op, state_kinds[i]);
	nodes_obj = op_items(op, &KUBE_NODE);
	pods = op_items(op, &KUBE_POD);
	dns = daemon_namespace(op, &cfg);
	nodes = agent_nodes(nodes_obj, pods, dns, states);
	seen = json_object();
	if (!nodes || !seen) {
		failed++;
		goto out;
	}
	log_debug("status pass: %zu node(s) run the agent", json_array_size(nodes));
	for (unsigned i = 0; i < OP_N_APP_KINDS; i++) {
		const struct op_app_kind *kind = &OP_APP_KINDS[i];
		struct kube_informer *ai = op_informer(op, kind->app), *si = op_informer(op, kind->state);
		json_t *apps, *app, *st;
		size_t j;

		if (!ai || !si || !kube_informer_synced(ai) || !kube_informer_synced(si))
			continue;
		apps = kube_informer_items(ai);
		st = kube_informer_items(si);
		json_array_foreach(apps, j, app) {
			if (app_pass(op, kind, app, st, nodes) < 0)
				failed++;
			if (kube_obj_uid(app))
				json_object_set_new(seen, kube_obj_uid(app), json_true());
		}
		json_decref(apps);
		json_decref(st);
	}
	/* forget the writes to apps that are gone */
	json_object_foreach_safe(op->written, tmp, uid, v)
		if (!json_object_get(seen, uid))
			json_object_del(op->written, uid);
out:
	json_decref(seen);
	for (unsigned i = 0; i < 3; i++)
		json_decref(states[i]);
	json_decref(nodes_obj);
	json_decref(pods);
	json_decref(nodes);
	json_decref(cfg);
	return failed;
}
