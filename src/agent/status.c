/* The status of a State object from the outcome of one pass (bpfman-k8s.md 1.6): per
 * program its kernel id and links, the load state, and one condition whose reason is a
 * valid CamelCase word (unlike upstream's "Unload Error", §6). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "bpfman.h"
#include "strv.h"

static const char *member_name(enum app_prog_type t)
{
	static const char *const n[] = { "xdp",	  "tc",	       "tcx",	    "fentry",
					 "fexit", "kprobe",    "kretprobe", "uprobe",
					 "uretprobe", "tracepoint" };

	return (unsigned)t < sizeof(n) / sizeof(n[0]) ? n[t] : "";
}

static const char *proceed_name(enum app_prog_type t, int32_t v)
{
	static const char *const xdp[] = { "Aborted", "Drop", "Pass", "TX", "ReDirect" };
	static const char *const tc[] = { "OK",	    "ReClassify", "Shot", "Pipe", "Stolen",
					  "Queued", "Repeat",	  "ReDirect", "Trap" };

	if (t == APP_XDP)
		return v == 31 ? "DispatcherReturn" : (v >= 0 && v < 5) ? xdp[v] : NULL;
	if (v == -1)
		return "UnSpec";
	return v == 30 ? "DispatcherReturn" : (v >= 0 && v < 9) ? tc[v] : NULL;
}

int app_prog_ids(struct agent *a, const struct app_decl *d, uint32_t *ids)
{
	struct kv_list want = { 0 };
	struct bpfman_list_filter f = { .metadata = &want };
	struct bpfman_program_view *v = NULL;
	char *id = app_id(d);
	size_t n = 0;
	int r;

	memset(ids, 0, d->n_programs * sizeof(*ids));
	if (!id || kv_list_set(&want, APP_META_APP, id) < 0) {
		free(id);
		kv_list_clear(&want);
		return -ENOMEM;
	}
	free(id);
	r = bpfman_list_programs(a->m, &f, &v, &n);
	kv_list_clear(&want);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; v[i].program && k < d->n_programs; k++)
			if (!strcmp(v[i].program->name, d->programs[k].name))
				ids[k] = v[i].program->id;
	bpfman_program_views_free(v, n);
	return 0;
}

/* "what: why" for a condition's message */
static char *strdup_or_null(const char *reason, const char *what)
{
	char *s;

	if (asprintf(&s, "%s: %s", what ? what : "link", reason ? reason : "failed") < 0)
		return NULL;
	return s;
}

/* a link's identity in the status: its fields without the agent's bookkeeping */
static json_t *link_identity(json_t *l)
{
	json_t *c = json_deep_copy(l);

	if (c) {
		json_object_del(c, "uuid");
		json_object_del(c, "linkId");
		json_object_del(c, "linkStatus");
		json_object_del(c, "shouldAttach");
	}
	return c;
}

/* The uuid the old status gave this link (same fields: a pending link keeps its uuid, so an
 * unchanged status is not rewritten every pass), else a new one. */
static json_t *link_uuid(json_t *old_links, json_t *link)
{
	json_t *want = link_identity(link), *l, *found = NULL;
	size_t i;

	json_array_foreach (old_links, i, l) {
		json_t *have = link_identity(l);
		bool same = want && have && json_equal(want, have);

		json_decref(have);
		if (same && json_is_string(json_object_get(l, "uuid"))) {
			found = json_incref(json_object_get(l, "uuid"));
			break;
		}
	}
	json_decref(want);
	if (!found) {
		char *u = random_uuid();

		found = json_string(u ? u : "");
		free(u);
	}
	return found;
}

static json_t *link_json(enum app_prog_type t, const struct app_link *l,
			 const struct app_link_status *st, json_t *old_links)
{
	json_t *o = json_object(), *po;

	json_object_set_new(o, "shouldAttach", json_true());
	if (st && st->state == APP_LINK_APPLIED && st->link_id)
		json_object_set_new(o, "linkId", json_integer(st->link_id));
	json_object_set_new(o, "linkStatus",
			    json_string(!st ? "NotAttached"
					: st->state == APP_LINK_APPLIED ? "Attached"
					: st->state == APP_LINK_PENDING ? "NotAttached"
									: "AttachError"));
	switch (t) {
	case APP_XDP:
	case APP_TC:
	case APP_TCX:
		json_object_set_new(o, "interfaceName",
				    json_string(l->ifaces.interfaces && l->ifaces.interfaces[0]
							? l->ifaces.interfaces[0]
							: ""));
		if (l->netns)
			json_object_set_new(o, "netnsPath", json_string(l->netns));
		json_object_set_new(o, "priority", json_integer(l->priority));
		if (t != APP_XDP)
			json_object_set_new(o, "direction",
					    json_string(l->direction == BPFMAN_DIR_EGRESS ? "Egress"
											   : "Ingress"));
		if (t == APP_TCX)
			break;
		po = json_array();
		if (!l->n_proceed_on) {
			json_array_append_new(po, json_string(t == APP_XDP ? "Pass" : "Pipe"));
			json_array_append_new(po, json_string("DispatcherReturn"));
		}
		for (size_t i = 0; i < l->n_proceed_on; i++)
			if (proceed_name(t, l->proceed_on[i]))
				json_array_append_new(po, json_string(proceed_name(t, l->proceed_on[i])));
		json_object_set_new(o, "proceedOn", po);
		break;
	case APP_TRACEPOINT:
		json_object_set_new(o, "name", json_string(l->tracepoint ? l->tracepoint : ""));
		break;
	case APP_KPROBE:
		json_object_set_new(o, "offset", json_integer((json_int_t)l->offset));
		/* fall through */
	case APP_KRETPROBE:
		json_object_set_new(o, "function", json_string(l->function ? l->function : ""));
		break;
	case APP_UPROBE:
	case APP_URETPROBE:
		if (l->function)
			json_object_set_new(o, "function", json_string(l->function));
		json_object_set_new(o, "offset", json_integer((json_int_t)l->offset));
		json_object_set_new(o, "target", json_string(l->target ? l->target : ""));
		if (l->pid)
			json_object_set_new(o, "pid", json_integer(l->pid));
		if (l->container_pid)
			json_object_set_new(o, "containerPid", json_integer(l->container_pid));
		break;
	case APP_FENTRY:
	case APP_FEXIT:
		break;
	}
	json_object_set_new(o, "uuid", link_uuid(old_links, o));
	return o;
}

static json_t *condition(const char *type, const char *msg)
{
	return json_pack("[{s:s, s:s, s:s, s:s}]", "type", type, "status", "True", "reason", type,
			 "message", msg);
}

json_t *state_status(struct agent *a, json_t *app, json_t *old_state,
		     const struct app_outcome *o)
{
	json_t *st = json_object(), *progs = json_array(), *jp;
	const struct app_decl *d = o->decl;
	uint32_t *ids = NULL;
	char *first_err = NULL, *first_pending = NULL;
	bool any_err = false, any_pending = false;
	size_t i, next = 0;
	const char *load, *ctype, *cmsg;

	if (d && !o->deleting && o->selected && (ids = calloc(d->n_programs + 1, sizeof(*ids))))
		app_prog_ids(a, d, ids);
	json_array_foreach (jget(app, "spec.programs"), i, jp) {
		json_t *p = json_object(), *links = json_array(), *old_links = NULL;
		const char *type = jstr(jp, "type") ?: "";
		const char *pls = "Success";
		const struct app_program *dp = d && i < d->n_programs ? &d->programs[i] : NULL;

		json_object_set_new(p, "name", json_string(jstr(jp, "name") ?: ""));
		json_object_set_new(p, "type", json_string(type));
		if (ids && ids[i])
			json_object_set_new(p, "programId", json_integer(ids[i]));
		if (dp) {
			json_t *op = json_array_get(jget(old_state, "status.programs"), i);

			old_links = jget(json_object_get(op, member_name(dp->type)), "links");
		}
		for (size_t k = 0; dp && o->selected && !o->deleting && k < dp->n_links; k++) {
			const struct app_link_status *ls = NULL;

			/* the reconciler answers one entry per concrete link, in the
			 * declaration's order */
			for (size_t j = next; o->res && j < o->res->n_links; j++)
				if (!strcmp(o->res->links[j].program, dp->name)) {
					ls = &o->res->links[j];
					next = j + 1;
					break;
				}
			json_array_append_new(links, link_json(dp->type, &dp->links[k], ls, old_links));
			if (!ls || ls->state == APP_LINK_FAILED) {
				pls = "Error";
				if (!first_err && ls)
					first_err = strdup_or_null(ls->reason, ls->what);
			} else if (ls->state == APP_LINK_PENDING && strcmp(pls, "Error")) {
				pls = "Pending";
				if (!first_pending)
					first_pending = strdup_or_null(ls->reason, ls->what);
			}
		}
		for (size_t k = 0; k < o->n_issues; k++)
			if (o->issues[k].prog == i && o->selected && !o->deleting) {
				pls = "UpdateAttachInfoError";
				if (!first_err)
					first_err = strdup(o->issues[k].msg);
			}
		if (!strcmp(pls, "Error") || !strcmp(pls, "UpdateAttachInfoError"))
			any_err = true;
		else if (!strcmp(pls, "Pending"))
			any_pending = true;
		json_object_set_new(p, "programLinkStatus", json_string(pls));
		if (dp) {
			json_t *mem = json_pack("{s:o}", "links", links);

			/* fentry/fexit: the function is fixed at load, beside the links */
			if (dp->attach_fn)
				json_object_set_new(mem, "function", json_string(dp->attach_fn));
			json_object_set_new(p, member_name(dp->type), mem);
		}
		else
			json_decref(links);
		json_array_append_new(progs, p);
	}
	free(ids);
	if (o->deleting) {
		load = o->load_failed ? "UnloadError" : "UnloadSuccess";
		ctype = o->load_failed ? "UnloadError" : "Unloaded";
		cmsg = o->load_failed ? "Unload failed for one or more programs"
				      : "The application has been successfully unloaded";
	} else if (!o->selected) {
		load = "NotSelected";
		ctype = "Success";
		cmsg = "This node is not selected by the application's nodeSelector";
	} else if (o->load_failed) {
		load = "LoadError";
		ctype = "Error";
		cmsg = o->load_error ? o->load_error : "An error has occurred";
	} else {
		load = "LoadSuccess";
		ctype = any_err ? "Error" : any_pending ? "Pending" : "Success";
		cmsg = any_err	       ? (first_err ? first_err : "An error has occurred")
		       : any_pending ? (first_pending ? first_pending : "Not yet complete")
				     : "The BPF application has been successfully loaded and attached";
	}
	json_object_set_new(st, "node", json_string(a->node));
	json_object_set_new(st, "appLoadStatus", json_string(load));
	json_object_set_new(st, "updateCount", json_integer(0));
	json_object_set_new(st, "programs", progs);
	json_object_set_new(st, "conditions", condition(ctype, cmsg));
	free(first_err);
	free(first_pending);
	return st;
}
