/* First-generation kinds: each *Program is applied as a one-program application whose
 * identity stays its own (the library's application id "BpfApplication/<Kind>/<name>": no
 * Kubernetes namespace is spelled like a kind, so it never meets a G2 app of the same name),
 * and reported in BpfProgram objects, one per attach point, named `<name>-<node>-<attach>`
 * with `/` and `_` turned into `-` (bpfman-k8s.md 2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "bpfman.h"
#include "g1.h"
#include "log.h"

static char *finalizer(const struct g1_kind *gk)
{
	char *s;

	if (asprintf(&s, "bpfman.io.%sprogramcontroller/finalizer", gk->type) < 0)
		return NULL;
	return s;
}

/* the annotation naming the attach point, as the G1 agent spelled it */
static const char *attach_annotation(const struct g1_kind *gk)
{
	if (!strcmp(gk->type, "xdp"))
		return "bpfman.io.xdpprogramcontroller/interface";
	if (!strcmp(gk->type, "tc"))
		return "bpfman.io.tcprogramcontroller/interface";
	if (!strcmp(gk->type, "tracepoint"))
		return "bpfman.io.tracepointprogramcontroller/tracepoint";
	if (!strcmp(gk->type, "kprobe"))
		return "bpfman.io.kprobeprogramcontroller/function";
	if (!strcmp(gk->type, "uprobe"))
		return "bpfman.io.uprobeprogramcontroller/target";
	if (!strcmp(gk->type, "fentry"))
		return "bpfman.io.fentryprogramcontroller/function";
	return "bpfman.io.fexitprogramcontroller/function";
}

static const char *attach_of(const struct app_program *p, const struct app_link *l)
{
	switch (p->type) {
	case APP_XDP:
	case APP_TC:
	case APP_TCX:
		return l->ifaces.interfaces && l->ifaces.interfaces[0] ? l->ifaces.interfaces[0] : "";
	case APP_TRACEPOINT:
		return l->tracepoint ? l->tracepoint : "";
	case APP_UPROBE:
	case APP_URETPROBE:
		return l->target ? l->target : "";
	case APP_FENTRY:
	case APP_FEXIT:
		return p->attach_fn ? p->attach_fn : "";
	default:
		return l->function ? l->function : "";
	}
}

/* The application identity of a G1 object. */
static void g1_identity(struct app_decl *d, const struct g1_kind *gk, const char *name)
{
	d->kind = APP_NAMESPACED;
	d->namespace = (char *)gk->res.kind;
	d->name = (char *)name;
}

static void unload(struct agent *a, const struct g1_kind *gk, const char *name)
{
	struct app_decl d = { 0 };
	struct app_result *res = NULL;
	size_t n = 0;

	g1_identity(&d, gk, name);
	if (bpfman_app_delete(a->m, &d, 1, false, &res, &n) < 0)
		log_error("unloading %s %s: %s", gk->res.kind, name, bpfman_error(a->m));
	else
		log_actions(res, n);
	app_results_free(res, n);
}

/* Writes the one condition of a BpfProgram (and its ProgramId annotation). */
static void write_bpfprogram(struct agent *a, json_t *bp, const char *type, const char *reason,
			     const char *msg, uint32_t prog_id)
{
	json_t *old = json_array_get(jget(bp, "status.conditions"), 0), *body, *ret = NULL;
	char id[16] = "";
	char *err = NULL, *t;
	int r;

	if (prog_id)
		snprintf(id, sizeof(id), "%u", prog_id);
	json_t *ann = jget(bp, "metadata.annotations");
	const char *have = json_string_value(json_object_get(ann, "bpfman.io/ProgramId"));

	if (strcmp(have ? have : "", id)) {
		json_t *patch = json_pack("{s:{s:{s:o}}}", "metadata", "annotations",
					  "bpfman.io/ProgramId", *id ? json_string(id) : json_null());

		r = kube_merge_patch(a->k, &RES_BPFPROGRAM, NULL, kube_obj_name(bp), patch, false,
				     NULL, &err);
		json_decref(patch);
		if (r < 0)
			log_error("annotating BpfProgram %s: %s", kube_obj_name(bp), err ? err : strerror(-r));
		free(err);
		err = NULL;
	}
	if (old && !strcmp(jstr(old, "type") ?: "", type) && !strcmp(jstr(old, "message") ?: "", msg))
		return;
	t = now_rfc3339();
	body = json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s, s:s, s:s, s:s, s:s}]}}", "apiVersion",
			 "bpfman.io/v1alpha1", "kind", "BpfProgram", "metadata", "name",
			 kube_obj_name(bp), "status", "conditions", "type", type, "status", "True",
			 "reason", reason, "message", msg, "lastTransitionTime", t ? t : "");
	free(t);
	r = kube_apply(a->k, &RES_BPFPROGRAM, NULL, kube_obj_name(bp), body, true, true, &ret, &err);
	json_decref(body);
	if (r < 0) {
		log_error("writing the status of BpfProgram %s: %s", kube_obj_name(bp),
			  err ? err : strerror(-r));
		a->again = true;
	}
	else {
		log_msg(strcmp(reason, "bpfmanNotLoaded") ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR,
			"BpfProgram %s: %s: %s", kube_obj_name(bp), reason, msg);
		char *key = obj_key("BpfProgram", NULL, kube_obj_name(ret));

		if (key)
			json_object_set(a->written, key, ret);
		free(key);
	}
	json_decref(ret);
	free(err);
}

static json_t *bpfprogram_get(struct agent *a, const char *name)
{
	char *key = obj_key("BpfProgram", NULL, name);
	json_t *w = key ? json_object_get(a->written, key) : NULL;
	json_t *c = kube_informer_get(a->inf[INF_BPFPROG], NULL, name);

	free(key);
	if (c && (!w || strcmp(kube_obj_uid(c) ?: "", kube_obj_uid(w) ?: "") ||
		  json_equal(jget(c, "status"), jget(w, "status"))))
		return c;
	json_decref(c);
	return json_incref(w);
}

static json_t *bpfprogram_create(struct agent *a, const struct g1_kind *gk, json_t *obj,
				 const char *name, const char *attach)
{
	char *fin = finalizer(gk), *err = NULL;
	json_t *o, *ret = NULL;
	int r;

	o = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s}, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:b, "
		      "s:b}], s:[s]}, s:{s:s}}",
		      "apiVersion", "bpfman.io/v1alpha1", "kind", "BpfProgram", "metadata", "name",
		      name, "labels", LABEL_OWNER, kube_obj_name(obj), LABEL_HOST, a->node,
		      "annotations", attach_annotation(gk), attach, "ownerReferences", "apiVersion",
		      "bpfman.io/v1alpha1", "kind", gk->res.kind, "name", kube_obj_name(obj), "uid",
		      kube_obj_uid(obj) ?: "", "controller", 1, "blockOwnerDeletion", 1,
		      "finalizers", fin ? fin : "", "spec", "type", gk->type);
	free(fin);
	if (!o)
		return NULL;
	r = kube_create(a->k, &RES_BPFPROGRAM, NULL, o, &ret, &err);
	json_decref(o);
	if (r < 0) {
		log_error("creating BpfProgram %s: %s", name, err ? err : strerror(-r));
		free(err);
		a->again = true;
		return NULL;
	}
	log_info("created BpfProgram %s", name);
	return ret;
}

/* Unloads (once) and releases BpfPrograms of this node owned by a G1 object that is
 * deleting or gone, or naming an attach point no longer declared (keep: the names to
 * keep, NULL-terminated). */
static void release(struct agent *a, const struct g1_kind *gk, const char *owner,
		    char **keep, bool unload_app)
{
	json_t *items = kube_informer_items(a->inf[INF_BPFPROG]), *bp;
	char *fin = finalizer(gk);
	bool unloaded = !unload_app;
	size_t i;

	json_array_foreach (items, i, bp) {
		json_t *ref = json_array_get(jget(bp, "metadata.ownerReferences"), 0);
		bool kept = false;
		char *err = NULL;
		int r;

		if (strcmp(json_string_value(json_object_get(jget(bp, "metadata.labels"),
							      LABEL_OWNER)) ?: "", owner) ||
		    strcmp(jstr(ref, "kind") ?: "", gk->res.kind))
			continue;
		for (char **k = keep; k && *k; k++)
			kept = kept || !strcmp(*k, kube_obj_name(bp));
		if (kept)
			continue;
		if (!unloaded) {
			unload(a, gk, owner);
			unloaded = true;
		}
		if (unload_app)
			write_bpfprogram(a, bp, "Unloaded", "bpfmanUnloaded",
					 "This BpfProgram object and all it's bpfman programs have "
					 "been unloaded", 0);
		r = kube_remove_finalizer(a->k, &RES_BPFPROGRAM, NULL, kube_obj_name(bp), fin, &err);
		if (r < 0 && r != -ENOENT)
			log_error("releasing BpfProgram %s: %s", kube_obj_name(bp), err ? err : strerror(-r));
		free(err);
		if (!unload_app)
			kube_delete(a->k, &RES_BPFPROGRAM, NULL, kube_obj_name(bp), NULL, NULL);
		agent_forget(a, bp);
	}
	json_decref(items);
	free(fin);
}

static void one(struct agent *a, const struct g1_kind *gk, json_t *obj, json_t *node)
{
	json_t *app = g1_to_app(gk, obj);
	struct app_decl d = { 0 };
	struct decl_issue *issues = NULL;
	size_t n_issues = 0, n_keep = 0, n_res = 0;
	struct app_result *res = NULL;
	char *err = NULL, **keep = NULL;
	int sel, r = -EINVAL;
	uint32_t id = 0;
	const char *fail = NULL;
	char *pull_err = NULL;

	if (kube_obj_deleting(obj)) {
		release(a, gk, kube_obj_name(obj), NULL, true);
		json_decref(app);
		return;
	}
	sel = app ? node_selected(node, jget(app, "spec.nodeSelector")) : -EINVAL;
	if (app)
		r = decl_build(a, app, node, &d, &issues, &n_issues, &err);
	json_decref(app);
	if (r < 0) {
		log_error("%s %s: %s", gk->res.kind, kube_obj_name(obj), err ? err : strerror(-r));
		free(err);
		decl_issues_free(issues, n_issues);
		return;
	}
	/* G1 objects are cluster-scoped: their pull Secret may be in any namespace (checked
	 * while the declaration is still the cluster kind's) */
	if (sel == 1 && pull_with_secret(a, &d, &pull_err) < 0)
		fail = pull_err ? pull_err : "imagePullSecret";
	/* the G1 identity, not the translated ClusterBpfApplication's */
	free(d.namespace);
	d.kind = APP_NAMESPACED;
	d.namespace = strdup(gk->res.kind);
	if (sel == 1 && !fail) {
		r = bpfman_apply(a->m, &d, 1, false, &res, &n_res);
		log_actions(res, n_res);
		if (r < 0 && r != -EIO)
			fail = bpfman_error(a->m);
		else if (n_res && res[0].failed)
			fail = res[0].error ? res[0].error : "load failed";
		uint32_t *ids = calloc(d.n_programs + 1, sizeof(*ids));

		if (ids && !app_prog_ids(a, &d, ids))
			id = ids[0];
		free(ids);
	} else if (sel != 1) {
		unload(a, gk, kube_obj_name(obj));
	}
	for (size_t k = 0; d.n_programs && k < d.programs[0].n_links; k++) {
		const struct app_link *l = &d.programs[0].links[k];
		const char *attach = attach_of(&d.programs[0], l);
		char *name = g1_bpfprogram_name(kube_obj_name(obj), a->node, attach);
		const struct app_link_status *ls = n_res && k < res[0].n_links ? &res[0].links[k] : NULL;
		json_t *bp;
		char **t;

		if (!name)
			continue;
		if (!(bp = bpfprogram_get(a, name)))
			bp = bpfprogram_create(a, gk, obj, name, attach);
		if (bp) {
			char msg[512];

			if (sel != 1)
				write_bpfprogram(a, bp, "NotSelected", "nodeNotSelected",
						 "This node is not selected to run the bpfProgram", 0);
			else if (fail || !ls || ls->state != APP_LINK_APPLIED) {
				snprintf(msg, sizeof(msg), "Failed to load bpfProgram: %s",
					 fail ? fail : ls && ls->reason ? ls->reason : "not attached");
				write_bpfprogram(a, bp, "NotLoaded", "bpfmanNotLoaded", msg, id);
			} else
				write_bpfprogram(a, bp, "Loaded", "bpfmanLoaded",
						 "Successfully loaded bpfProgram", id);
			json_decref(bp);
		}
		if ((t = realloc(keep, (n_keep + 2) * sizeof(*t)))) {
			keep = t;
			keep[n_keep++] = name;
			keep[n_keep] = NULL;
		} else {
			free(name);
		}
	}
	for (size_t k = 0; k < n_issues; k++)
		log_error("%s %s: %s", gk->res.kind, kube_obj_name(obj), issues[k].msg);
	/* attach points no longer declared: their BpfPrograms go (the links went with the
	 * apply) */
	if (keep)
		release(a, gk, kube_obj_name(obj), keep, false);
	for (size_t k = 0; k < n_keep; k++)
		free(keep[k]);
	free(keep);
	app_results_free(res, n_res);
	decl_issues_free(issues, n_issues);
	app_decl_clear(&d);
	free(pull_err);
}

/* BpfPrograms of this node whose owner is gone (confirmed by the API). */
static void orphans(struct agent *a)
{
	json_t *items = kube_informer_items(a->inf[INF_BPFPROG]), *bp;
	size_t i;

	json_array_foreach (items, i, bp) {
		json_t *ref = json_array_get(jget(bp, "metadata.ownerReferences"), 0), *o = NULL;
		const char *kind = jstr(ref, "kind") ?: "", *owner = jstr(ref, "name");

		for (int k = 0; owner && k < N_G1; k++) {
			if (strcmp(kind, G1_KINDS[k].res.kind) ||
			    !kube_informer_synced(a->inf[INF_G1 + k]))
				continue;
			if ((o = kube_informer_get(a->inf[INF_G1 + k], NULL, owner))) {
				json_decref(o);
				break;
			}
			if (kube_get(a->k, &G1_KINDS[k].res, NULL, owner, &o, NULL) == -ENOENT)
				release(a, &G1_KINDS[k], owner, NULL, true);
			json_decref(o);
			break;
		}
	}
	json_decref(items);
}

int g1_pass(struct agent *a, json_t *node)
{
	for (int k = 0; k < N_G1; k++) {
		json_t *items, *obj;
		size_t i;

		if (!kube_informer_synced(a->inf[INF_G1 + k]))
			continue;
		items = kube_informer_items(a->inf[INF_G1 + k]);
		json_array_foreach (items, i, obj)
			one(a, &G1_KINDS[k], obj, node);
		json_decref(items);
	}
	if (kube_informer_synced(a->inf[INF_BPFPROG]))
		orphans(a);
	return 0;
}
