/* The deploy pass (bpfman-k8s.md 4.1): keep what the Config bpfman-config describes in the
 * cluster. Server-side apply with the operator's field manager and force, so an edit of a
 * field the operator owns is put back; an object whose applied fields all still hold (the
 * informer's copy) is not sent again. Objects an overrides[] entry marks unmanaged are not
 * touched. Owned objects the Config no longer describes (e.g. after spec.namespace changed)
 * are deleted. On deletion the Config's finalizer goes and the garbage collector removes
 * everything owned; only the namespace labels, which carry no owner, are taken back. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "deploy-objects.h"
#include "json-subset.h"
#include "log.h"
#include "operator.h"

static const struct kube_res *const owned_kinds[] = { &KUBE_NAMESPACE, &KUBE_CONFIGMAP, &KUBE_SERVICEACCOUNT,
						      &KUBE_CLUSTERROLE, &KUBE_CLUSTERROLEBINDING,
						      &KUBE_CSIDRIVER, &KUBE_DAEMONSET };

static int apply(struct op *op, const struct deploy_obj *o)
{
	_cleanup_free_ char *err = NULL;
	int k = kube_apply(op->k, o->res, o->ns, o->name, o->obj, false, true, NULL, &err);

	if (k < 0)
		return log_error_errno(k, "applying %s %s%s%s: %s", o->res->kind, o->ns ? o->ns : "",
				       o->ns ? "/" : "", o->name, err ? err : "");
	log_info("applied %s %s%s%s", o->res->kind, o->ns ? o->ns : "", o->ns ? "/" : "", o->name);
	return 0;
}

static bool owned_by(json_t *obj, const char *uid)
{
	json_t *owners = json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), *o;
	size_t i;

	json_array_foreach(owners, i, o)
		if (json_is_true(json_object_get(o, "controller")) &&
		    json_is_string(json_object_get(o, "uid")) &&
		    strcmp(json_string_value(json_object_get(o, "uid")), uid) == 0)
			return true;
	return false;
}

static bool in_set(const struct deploy_set *s, const struct kube_res *res, json_t *obj)
{
	const char *name = kube_obj_name(obj), *ns = kube_obj_namespace(obj);

	for (size_t i = 0; i < s->n; i++)
		if (s->objs[i].res == res && strcmp(s->objs[i].name, name) == 0 &&
		    ((!ns && !s->objs[i].ns) || (ns && s->objs[i].ns && strcmp(ns, s->objs[i].ns) == 0)))
			return true;
	return false;
}

/* owned objects the Config does not describe any more */
static unsigned prune(struct op *op, json_t *cfg, const struct deploy_set *s)
{
	const struct kube_res *kinds[] = { &KUBE_CONFIGMAP, &KUBE_SERVICEACCOUNT, &KUBE_CLUSTERROLE,
					   &KUBE_CLUSTERROLEBINDING, &KUBE_CSIDRIVER, &KUBE_DAEMONSET };
	const char *uid = kube_obj_uid(cfg);
	unsigned failed = 0;

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		json_t *items = op_items(op, kinds[i]), *obj;
		size_t j;

		json_array_foreach(items, j, obj) {
			_cleanup_free_ char *err = NULL;
			struct deploy_obj d = { .res = kinds[i], .obj = obj, .name = kube_obj_name(obj),
						.ns = kube_obj_namespace(obj) };

			if (!owned_by(obj, uid) || in_set(s, kinds[i], obj) || deploy_unmanaged(cfg, &d))
				continue;
			if (kube_delete(op->k, kinds[i], d.ns, d.name, "Background", &err) < 0) {
				log_error("deleting %s %s: %s", kinds[i]->kind, d.name, err ? err : "");
				failed++;
			} else
				log_info("deleted %s %s%s%s: no longer in the Config", kinds[i]->kind,
					 d.ns ? d.ns : "", d.ns ? "/" : "", d.name);
		}
		json_decref(items);
	}
	return failed;
}

static unsigned config_deleted(struct op *op, json_t *cfg)
{
	const char *ns = json_string_value(json_object_get(json_object_get(cfg, "spec"), "namespace"));
	_cleanup_free_ char *err = NULL;
	int k;

	if (!kube_obj_has_finalizer(cfg, OP_CONFIG_FINALIZER))
		return 0;
	if (ns && *ns) {
		/* applying the bare name takes back every field (the labels) this manager set */
		json_t *bare = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
					 "metadata", "name", ns);

		k = bare ? kube_apply(op->k, &KUBE_NAMESPACE, NULL, ns, bare, false, true, NULL, &err) : -ENOMEM;
		json_decref(bare);
		if (k < 0 && k != -ENOENT)
			log_warn("namespace %s: removing the labels: %s", ns, err ? err : strerror(-k));
		free(err);
		err = NULL;
	}
	k = kube_remove_finalizer(op->k, &OP_CONFIG, NULL, OP_CONFIG_NAME, OP_CONFIG_FINALIZER, &err);
	if (k < 0 && k != -ENOENT) {
		log_error_errno(k, "Config %s: removing finalizer: %s", OP_CONFIG_NAME, err ? err : "");
		return 1;
	}
	log_info("Config %s deleted: finalizer removed, the garbage collector removes what it owned",
		 OP_CONFIG_NAME);
	return 0;
}

unsigned deploy_pass(struct op *op)
{
	struct kube_informer *ci = op_informer(op, &OP_CONFIG);
	_cleanup_free_ char *err = NULL;
	struct deploy_set set;
	char where[256];
	unsigned failed = 0;
	json_t *cfg;
	int k;

	if (!ci || !kube_informer_synced(ci))
		return 0;
	/* without the live copies every object would look missing and be sent again; each
	 * informer's first list pokes the deploy pass, so waiting loses nothing */
	for (size_t i = 0; i < ELEMENTSOF(owned_kinds); i++)
		if (!op_synced(op, owned_kinds[i]))
			return 0;
	cfg = kube_informer_get(ci, NULL, OP_CONFIG_NAME);
	if (!cfg)
		return 0; /* nothing to deploy until someone creates it */
	if (kube_obj_deleting(cfg)) {
		failed = config_deleted(op, cfg);
		json_decref(cfg);
		return failed;
	}
	if (!kube_obj_has_finalizer(cfg, OP_CONFIG_FINALIZER)) {
		k = kube_add_finalizer(op->k, &OP_CONFIG, NULL, OP_CONFIG_NAME, OP_CONFIG_FINALIZER, &err);
		if (k < 0 && k != -ENOENT) {
			log_error_errno(k, "Config %s: adding finalizer: %s", OP_CONFIG_NAME, err ? err : "");
			failed++;
		}
	}
	k = deploy_objects_on(cfg, op->pull_policy, &op->host, &set, &err);
	if (k < 0) {
		log_error_errno(k, "Config %s: %s", OP_CONFIG_NAME, err ? err : "building the objects");
		json_decref(cfg);
		return failed + (k == -EINVAL ? 0 : 1); /* a bad Config waits for the next edit */
	}
	for (size_t i = 0; i < set.n; i++) {
		const struct deploy_obj *o = &set.objs[i];
		struct kube_informer *inf = op_informer(op, o->res);
		json_t *live;

		if (deploy_unmanaged(cfg, o)) {
			log_debug("%s %s: unmanaged (overrides)", o->res->kind, o->name);
			continue;
		}
		live = inf ? kube_informer_get(inf, o->ns, o->name) : NULL;
		if (!live || !json_subset_where(o->obj, live, where, sizeof(where))) {
			if (live)
				log_info("%s %s: %s differs: putting it back", o->res->kind, o->name, where);
			if (apply(op, o) < 0)
				failed++;
		}
		json_decref(live);
	}
	failed += prune(op, cfg, &set);
	deploy_set_free(&set);
	json_decref(cfg);
	return failed;
}
