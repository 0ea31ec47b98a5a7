/* One pass: every application of both kinds, level-triggered. Per app: selected = its
 * nodeSelector matches this Node; its State found (or created); the reconciler applies the
 * concrete declaration (or unloads it when not selected or deleting); the State's status
 * written when it changed (all apps in the same pass: no one-change-per-pass, §6 PR #38);
 * a deleting app's State loses the agent finalizer only after its final status is written
 * (§6 #88). State objects whose app is gone (the agent was down, or no operator held the
 * app) are unloaded and released the same way. Everything is re-derived from the API and
 * the store each pass, so a restart (or a kill mid-apply) converges. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "bpfman.h"
#include "log.h"

static const char *bpfman_msg(struct agent *a, int r)
{
	const char *e = bpfman_error(a->m);

	return e && *e ? e : strerror(-r);
}

void log_actions(const struct app_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < res[i].n_actions; k++)
			log_info("%s: %s %s %s", res[i].app,
				 (const char *[]){ "load", "attach", "detach",
						   "unload" }[res[i].actions[k].kind],
				 res[i].actions[k].program ? res[i].actions[k].program : "",
				 res[i].actions[k].what ? res[i].actions[k].what : "");
}

/* apply or unload; fills o (res, load_failed, load_error) */
static void reconcile(struct agent *a, const struct app_decl *d, bool unload,
		      struct app_outcome *o)
{
	struct app_result *res = NULL;
	size_t n = 0;
	int r = unload ? bpfman_app_delete(a->m, d, 1, false, &res, &n)
		       : bpfman_apply(a->m, d, 1, false, &res, &n);

	if (r < 0 && r != -EIO) {
		o->load_failed = true;
		o->load_error = strdup(bpfman_msg(a, r));
	} else if (n && res[0].failed) {
		o->load_failed = true;
		o->load_error = strdup(res[0].error ? res[0].error : "the reconciler failed");
	}
	log_actions(res, n);
	o->res = n ? res : NULL;
	if (!n)
		app_results_free(res, n);
}

static void outcome_clear(struct app_outcome *o)
{
	free(o->load_error);
	if (o->res)
		app_results_free(o->res, 1);
	decl_issues_free(o->issues, o->n_issues);
	memset(o, 0, sizeof(*o));
}

/* The minimal declaration that names an application (what bpfman_app_delete needs). */
static void decl_named(struct app_decl *d, bool namespaced, const char *ns, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->kind = namespaced ? APP_NAMESPACED : APP_CLUSTER;
	d->name = (char *)name;
	d->namespace = (char *)ns;
}

/* Unloads, writes the final status, then releases the State (finalizer). */
static int release_state(struct agent *a, json_t *app, json_t *state, bool namespaced)
{
	const struct kube_res *res = namespaced ? &RES_NSTATE : &RES_CSTATE;
	const char *fin = namespaced ? FIN_NSTATE : FIN_CSTATE;
	const char *app_name = label_of(state, LABEL_OWNER);
	struct app_outcome o = { .deleting = true };
	struct app_decl d;
	json_t *st;
	char *err = NULL;
	int r;

	if (!app_name)
		app_name = kube_obj_name(app);
	decl_named(&d, namespaced, kube_obj_namespace(state), app_name);
	reconcile(a, &d, true, &o);
	st = state_status(a, app ? app : state, state, &o);
	r = st ? state_write_status(a, state, namespaced, st) : -ENOMEM;
	json_decref(st);
	if (r >= 0 && !o.load_failed && kube_obj_has_finalizer(state, fin)) {
		r = kube_remove_finalizer(a->k, res, kube_obj_namespace(state),
					  kube_obj_name(state), fin, &err);
		if (r < 0 && r != -ENOENT) {
			log_error("releasing %s %s: %s", res->kind, kube_obj_name(state),
				  err ? err : strerror(-r));
			a->again = true;
		}
		else
			log_info("%s %s released", res->kind, kube_obj_name(state));
		free(err);
		agent_forget(a, state);
	}
	outcome_clear(&o);
	return r;
}

static const char *owner_uid(json_t *obj)
{
	json_t *o = json_array_get(jget(obj, "metadata.ownerReferences"), 0);

	return json_string_value(json_object_get(o, "uid")) ?: "";
}

static void one_app(struct agent *a, json_t *app, json_t *node, bool namespaced)
{
	const char *ns = kube_obj_namespace(app), *name = kube_obj_name(app);
	struct app_outcome o = { 0 };
	struct app_decl d = { 0 };
	json_t *state, *st;
	char *err = NULL;
	int r, sel;

	state = state_find(a, namespaced, ns, name);
	o.deleting = kube_obj_deleting(app);
	if (state && strcmp(owner_uid(state), kube_obj_uid(app) ?: "") &&
	    !kube_obj_deleting(state)) {
		/* the State of an earlier app of this name: unload, drop it; the next pass
		 * creates a fresh one */
		release_state(a, NULL, state, namespaced);
		kube_delete(a->k, namespaced ? &RES_NSTATE : &RES_CSTATE, ns, kube_obj_name(state),
			    NULL, NULL);
		a->again = true;
		json_decref(state);
		return;
	}
	if (state && (kube_obj_deleting(state) || o.deleting)) {
		release_state(a, app, state, namespaced);
		json_decref(state);
		return;
	}
	if (o.deleting) {
		decl_named(&d, namespaced, ns, name);
		reconcile(a, &d, true, &o);
		outcome_clear(&o);
		return;
	}
	if (!state && !(state = state_create(a, app, namespaced)))
		return;
	sel = node_selected(node, jget(app, "spec.nodeSelector"));
	o.selected = sel == 1;
	if (sel < 0) {
		o.selected = true;
		o.load_failed = true;
		o.load_error = strdup("spec.nodeSelector: malformed label selector");
	} else if (!o.selected) {
		struct app_decl nd;

		decl_named(&nd, namespaced, ns, name);
		reconcile(a, &nd, true, &o);
		o.load_failed = false; /* not selected: an unload error is logged only */
	} else if ((r = decl_build(a, app, node, &d, &o.issues, &o.n_issues, &err)) < 0) {
		o.load_failed = true;
		o.load_error = err ? err : strdup(strerror(-r));
		err = NULL;
	} else if (pull_with_secret(a, &d, &err) < 0) {
		o.load_failed = true;
		o.load_error = err ? err : strdup("imagePullSecret");
		err = NULL;
		o.decl = &d;
	} else {
		reconcile(a, &d, false, &o);
		o.decl = &d;
	}
	st = state_status(a, app, state, &o);
	/* logged once, when the State changes: a failing app is not logged every pass */
	if (st && state_write_status(a, state, namespaced, st) > 0) {
		json_t *c = json_array_get(json_object_get(st, "conditions"), 0);
		const char *type = jstr(c, "type") ?: "";

		log_msg(!strcmp(type, "Error") ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO, "%s %s%s%s: %s: %s",
			namespaced ? "BpfApplication" : "ClusterBpfApplication", ns ? ns : "",
			ns ? "/" : "", name, type, jstr(c, "message") ?: "");
	}
	json_decref(st);
	json_decref(state);
	app_decl_clear(&d);
	outcome_clear(&o);
}

/* States of this node whose app is gone: unload and release. Only once the app informer
 * has synced, and only after the API confirms the app is gone (a cache that is behind must
 * never unload anything). */
static void orphans(struct agent *a, bool namespaced)
{
	struct kube_informer *apps = a->inf[namespaced ? INF_NAPP : INF_CAPP];
	json_t *items, *s;
	size_t i;

	if (!kube_informer_synced(apps) ||
	    !kube_informer_synced(a->inf[namespaced ? INF_NSTATE : INF_CSTATE]))
		return;
	items = kube_informer_items(a->inf[namespaced ? INF_NSTATE : INF_CSTATE]);
	json_array_foreach (items, i, s) {
		const char *owner = label_of(s, LABEL_OWNER);
		const char *host = label_of(s, LABEL_HOST);
		json_t *app = NULL;
		int r;

		if (!owner || !host || strcmp(host, a->node))
			continue;
		if ((app = kube_informer_get(apps, kube_obj_namespace(s), owner))) {
			json_decref(app);
			continue;
		}
		r = kube_get(a->k, namespaced ? &RES_NAPP : &RES_CAPP, kube_obj_namespace(s), owner,
			     &app, NULL);
		json_decref(app);
		log_debug("State %s: its app %s is not cached; the API says %s", kube_obj_name(s),
			  owner, r < 0 ? strerror(-r) : "it exists");
		if (r != -ENOENT)
			continue;
		release_state(a, NULL, s, namespaced);
	}
	json_decref(items);
}

int agent_pass(struct agent *a)
{
	log_debug("pass");
	json_t *node = kube_informer_get(a->inf[INF_NODE], NULL, a->node), *apps, *app;
	static bool warned;
	size_t i;

	if (!node) {
		if (!warned && kube_informer_synced(a->inf[INF_NODE]))
			log_warn("Node %s does not exist (yet): nothing to do", a->node);
		warned = true;
		return 0;
	}
	warned = false;
	for (int ns = 0; ns < 2; ns++) {
		if (!kube_informer_synced(a->inf[ns ? INF_NAPP : INF_CAPP]))
			continue;
		apps = kube_informer_items(a->inf[ns ? INF_NAPP : INF_CAPP]);
		json_array_foreach (apps, i, app)
			one_app(a, app, node, ns);
		json_decref(apps);
		orphans(a, ns);
	}
	g1_pass(a, node);
	json_decref(node);
	return 0;
}
