/* Carrying out a plan, each step through the library's public calls (so each has their
 * undo and commit-last discipline):
 *   1. one Load of the programs to load (all or nothing),
 *   2. attach the new links that cannot collide with a link that goes (an interface that
 *      is not there yet: pending, not a failure), so most failing attaches come before
 *      anything was detached,
 *   3. detach the links that go, then attach the new links on their hooks (without
 *      freplace an interface holds one XDP program, tcx takes a program once per hook:
 *      the old link has to leave before its successor comes),
 *   4. record the declaration (committed last of what can be undone),
 *   5. unload the programs that go.
 * A failure in 1-4 undoes what this apply did, in reverse: new links detached, the links
 * detached in 3 attached again as they were (same hook, priority, metadata; new link ids),
 * new programs unloaded; the application is as it was. Unloads cannot be undone, so they
 * come after the point of no return: one that fails leaves an extra program of the app,
 * which the next apply unloads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app-internal.h"
#include "cleanup.h"

struct run {
	struct bpfman *m;
	struct plan *p;
	size_t n_detached; /* how many of p->detach are gone */
	bool *was_gone;	   /* p->detach[i] had gone already: the undo does not bring it back */
	char *undo_errors;
};

static void note_undo(struct run *run, const char *what, uint32_t id, const char *detail)
{
	char *joined = strdup_printf("%s%s%s %u: %s", run->undo_errors ? run->undo_errors : "",
				     run->undo_errors ? "; " : "", what, id, detail);

	if (!joined)
		return;
	free(run->undo_errors);
	run->undo_errors = joined;
}

static void attach_opts_of(const struct bpfman_link *l, struct bpfman_attach_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->type = l->type;
	o->iface = l->iface;
	o->priority = l->priority;
	o->has_priority =
	    l->type == BPFMAN_PROG_XDP || l->type == BPFMAN_PROG_TC || l->type == BPFMAN_PROG_TCX;
	o->direction = l->direction;
	o->netns = l->netns;
	o->proceed_on = l->proceed_on;
	o->n_proceed_on = l->n_proceed_on;
	o->tracepoint = l->tracepoint;
	o->fn_name = l->fn_name;
	o->offset = l->offset;
	o->target = l->target;
	o->pid = l->pid;
	o->container_pid = l->container_pid;
	o->metadata = &l->metadata;
}

static void undo(struct run *run)
{
	struct plan *p = run->p;

	for (size_t i = p->n_links; i-- > 0;) {
		struct plan_link *w = &p->links[i];

		if (w->new_link_id && bpfman_detach(run->m, w->new_link_id) < 0)
			note_undo(run, "link stays", w->new_link_id, bpfman_error(run->m));
		w->new_link_id = 0;
	}
	for (size_t i = run->n_detached; i-- > 0;) {
		struct bpfman_attach_opts o;
		uint32_t id = 0;

		if (run->was_gone && run->was_gone[i])
			continue;
		attach_opts_of(&p->detach[i], &o);
		if (bpfman_attach(run->m, p->detach[i].prog_id, &o, &id) < 0)
			note_undo(run, "link cannot be attached again", p->detach[i].id,
				  bpfman_error(run->m));
	}
	for (size_t i = p->n_progs; i-- > 0;) {
		if (p->progs[i].new_id && bpfman_unload(run->m, p->progs[i].new_id) < 0)
			note_undo(run, "program stays", p->progs[i].new_id, bpfman_error(run->m));
		p->progs[i].new_id = 0;
	}
}

static int do_load(struct run *run, char **err)
{
	struct plan *p = run->p;
	const struct app_decl *d = p->decl;
	struct bpfman_prog_request *req;
	struct bpfman_load_opts o = {0};
	struct bpfman_program_view *views = NULL;
	_cleanup_free_ char *abs_path = NULL;
	size_t n = 0, n_views = 0;
	int r;

	req = calloc(p->n_progs ? p->n_progs : 1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < p->n_progs; i++) {
		const struct app_program *ap = p->progs[i].decl;

		if (!p->progs[i].load)
			continue;
		req[n].type = app_bpfman_type(ap->type);
		req[n].name = ap->name;
		req[n].attach_fn = ap->attach_fn;
		n++;
	}
	if (!n) {
		free(req);
		return 0;
	}
	if (d->path && !(abs_path = app_object_path(d))) {
		free(req);
		return -ENOMEM;
	}
	o.path = abs_path;
	o.image_url = d->image_url;
	o.pull_policy = d->pull_policy;
	o.progs = req;
	o.n_progs = n;
	o.globals = d->globals;
	o.n_globals = d->n_globals;
	o.metadata = &p->load_meta;
	/* added programs share the maps of the programs that stay */
	for (size_t i = 0; !p->reload_all && i < p->n_progs; i++)
		if (p->progs[i].keep_id) {
			o.has_map_owner = true;
			o.map_owner_id = p->progs[i].keep_id;
			break;
		}
	r = bpfman_load(run->m, &o, &views, &n_views);
	free(req);
	if (r < 0) {
		*err = strdup_printf("load: %s", bpfman_error(run->m));
		return r;
	}
	n = 0;
	for (size_t i = 0; i < p->n_progs; i++) {
		if (!p->progs[i].load)
			continue;
		p->progs[i].new_id = views[n].program ? views[n].program->id : views[n].kernel.id;
		n++;
	}
	/* a kretprobe declared on a kprobe section (and the like) is an error */
	n = 0;
	for (size_t i = 0; r == 0 && i < p->n_progs; i++) {
		const struct app_program *ap = p->progs[i].decl;
		bool want_ret = ap->type == APP_KRETPROBE || ap->type == APP_URETPROBE;

		if (!p->progs[i].load)
			continue;
		if ((ap->type == APP_KPROBE || ap->type == APP_KRETPROBE ||
		     ap->type == APP_UPROBE || ap->type == APP_URETPROBE) &&
		    views[n].program && views[n].program->retprobe != want_ret) {
			*err =
			    strdup_printf("program %s: declared %s, but its ELF section is a %s",
					  ap->name, want_ret ? "a return probe" : "an entry probe",
					  want_ret ? "an entry probe" : "a return probe");
			r = -EINVAL;
		}
		n++;
	}
	bpfman_program_views_free(views, n_views);
	return r;
}

static bool pending_errno(int r)
{
	return r == -ENODEV || r == -ENOENT || r == -ENXIO;
}

/* late: the links that collide with a detach (attached after the detaches) */
static int do_attaches(struct run *run, bool late, char **err)
{
	struct plan *p = run->p;

	for (size_t i = 0; i < p->n_links; i++) {
		struct plan_link *w = &p->links[i];
		enum app_prog_type t = p->progs[w->prog].decl->type;
		int r;

		if (!w->resolved || w->keep_link_id || plan_link_late(p, w) != late)
			continue;
		r = bpfman_attach(run->m, plan_link_prog_id(p, w), &w->opts, &w->new_link_id);
		if (r == 0) {
			w->state = APP_LINK_APPLIED;
			continue;
		}
		w->new_link_id = 0;
		if ((t == APP_XDP || t == APP_TC || t == APP_TCX) && pending_errno(r)) {
			/* the interface went between the plan and now */
			w->state = APP_LINK_PENDING;
			w->reason = strdup(bpfman_error(run->m));
			continue;
		}
		w->state = APP_LINK_FAILED;
		w->reason = strdup(bpfman_error(run->m));
		*err = strdup_printf("%s %s: %s", p->progs[w->prog].decl->name, w->what,
				     bpfman_error(run->m));
		return r;
	}
	return 0;
}

/* After a failure: every link that is not there says so. */
static void mark_not_applied(struct plan *p)
{
	for (size_t i = 0; i < p->n_links; i++) {
		struct plan_link *w = &p->links[i];

		if (w->keep_link_id && !p->progs[w->prog].new_id)
			continue; /* untouched, still applied */
		if (w->state == APP_LINK_FAILED || w->state == APP_LINK_PENDING)
			continue;
		w->state = APP_LINK_FAILED;
		free(w->reason);
		w->reason = strdup("not applied: the apply of its application failed");
		w->keep_link_id = 0;
		w->new_link_id = 0;
	}
}

int app_apply_one(struct bpfman *m, const struct app_decl *d, bool dry_run, struct app_result *res)
{
	struct plan p;
	struct run run = {.m = m, .p = &p};
	char *err = NULL;
	bool held = false;
	int r;

	memset(&p, 0, sizeof(p));
	/* one writer from plan to record: another apply (the server's retry) cannot plan
	 * against a state this one is changing */
	if (!dry_run) {
		r = manager_lock_hold(m);
		if (r < 0) {
			err = strdup(bpfman_error(m));
			goto fail;
		}
		held = true;
	}
	r = plan_build(m, d, &p, &err);
	if (r < 0)
		goto fail;
	if (dry_run) {
		/* predicted: what would be attached says so */
		for (size_t i = 0; i < p.n_links; i++)
			if (p.links[i].resolved && !p.links[i].keep_link_id) {
				p.links[i].state = APP_LINK_APPLIED;
				p.links[i].reason = strdup("would be attached");
			}
		r = plan_actions(&p, res);
		if (r == 0)
			r = plan_link_states(&p, res);
		goto out;
	}
	run.was_gone = calloc(p.n_detach + 1, sizeof(*run.was_gone));
	r = run.was_gone ? do_load(&run, &err) : -ENOMEM;
	if (r == 0)
		r = do_attaches(&run, false, &err);
	for (size_t i = 0; r == 0 && i < p.n_detach; i++) {
		r = bpfman_detach(m, p.detach[i].id);
		if (r == -ENOENT) {
			run.was_gone[i] = true; /* gone already (its interface went) */
			r = 0;
		}
		if (r < 0)
			err =
			    strdup_printf("detach of link %u: %s", p.detach[i].id, bpfman_error(m));
		else
			run.n_detached = i + 1;
	}
	if (r == 0)
		r = do_attaches(&run, true, &err);
	if (r == 0) {
		r = app_store_put(m, p.app, d);
		if (r < 0)
			err = strdup_printf("cannot record the declaration: %s", strerror(-r));
	}
	if (r < 0) {
		undo(&run);
		mark_not_applied(&p);
		goto fail;
	}
	for (size_t i = 0; i < p.n_unload; i++)
		if (bpfman_unload(m, p.unload[i]) < 0 && !res->error)
			res->error = strdup_printf(
			    "program %u (%s) no longer declared, but its unload failed: %s",
			    p.unload[i], p.unload_names[i], bpfman_error(m));
	r = plan_actions(&p, res);
	if (r == 0)
		r = plan_link_states(&p, res);
	goto out;
fail:
	res->failed = true;
	if (run.undo_errors) {
		char *both =
		    strdup_printf("%s (undo: %s)", err ? err : strerror(-r), run.undo_errors);

		free(err);
		err = both;
	}
	res->error = err ? err : strdup(strerror(-r));
	err = NULL;
	if (p.app)
		(void)plan_link_states(&p, res);
out:
	if (held)
		manager_lock_release(m);
	free(err);
	free(run.undo_errors);
	free(run.was_gone);
	plan_clear(&p);
	return r;
}

int bpfman_apply(struct bpfman *m, const struct app_decl *apps, size_t n, bool dry_run,
		 struct app_result **ret, size_t *ret_n)
{
	struct app_result *v = calloc(n ? n : 1, sizeof(*v));
	bool some_failed = false;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *id = app_id(&apps[i]);

		if (!id || result_init(&v[i], id) < 0) {
			app_results_free(v, n);
			return -ENOMEM;
		}
		if (app_apply_one(m, &apps[i], dry_run, &v[i]) < 0 || v[i].failed) {
			v[i].failed = true;
			some_failed = true;
		}
	}
	*ret = v;
	*ret_n = n;
	return some_failed ? -EIO : 0;
}

static int delete_one(struct bpfman *m, const struct app_decl *d, bool dry_run,
		      struct app_result *res)
{
	struct app_decl none = {.kind = d->kind, .name = d->name, .namespace = d->namespace};
	struct plan p;
	char *err = NULL;
	int r;

	bool held = false;

	memset(&p, 0, sizeof(p));
	if (!dry_run) {
		r = manager_lock_hold(m);
		if (r < 0) {
			res->failed = true;
			res->error = strdup(bpfman_error(m));
			return r;
		}
		held = true;
	}
	/* the plan toward an application without programs: every program and link goes */
	r = plan_build(m, &none, &p, &err);
	if (r == 0)
		r = plan_actions(&p, res);
	for (size_t i = 0; r == 0 && !dry_run && i < p.n_unload; i++) {
		r = bpfman_unload(m, p.unload[i]);
		if (r == -ENOENT)
			r = 0;
		if (r < 0)
			err =
			    strdup_printf("unload of program %u: %s", p.unload[i], bpfman_error(m));
	}
	if (r == 0 && !dry_run) {
		r = app_store_delete(m, p.app);
		if (r == -ENOENT)
			r = 0;
		else if (r < 0)
			err = strdup_printf("cannot forget the declaration: %s", strerror(-r));
	}
	if (r < 0) {
		res->failed = true;
		res->error = err ? err : strdup(strerror(-r));
	} else {
		free(err);
	}
	if (held)
		manager_lock_release(m);
	plan_clear(&p);
	return r;
}

int bpfman_app_delete(struct bpfman *m, const struct app_decl *apps, size_t n, bool dry_run,
		      struct app_result **ret, size_t *ret_n)
{
	struct app_result *v = calloc(n ? n : 1, sizeof(*v));
	bool some_failed = false;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *id = app_id(&apps[i]);

		if (!id || result_init(&v[i], id) < 0) {
			app_results_free(v, n);
			return -ENOMEM;
		}
		if (delete_one(m, &apps[i], dry_run, &v[i]) < 0)
			some_failed = true;
	}
	*ret = v;
	*ret_n = n;
	return some_failed ? -EIO : 0;
}

void app_results_free(struct app_result *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < v[i].n_actions; k++) {
			free(v[i].actions[k].program);
			free(v[i].actions[k].what);
		}
		free(v[i].actions);
		for (size_t k = 0; k < v[i].n_links; k++) {
			free(v[i].links[k].program);
			free(v[i].links[k].what);
			free(v[i].links[k].reason);
		}
		free(v[i].links);
		free(v[i].app);
		free(v[i].error);
	}
	free(v);
}
