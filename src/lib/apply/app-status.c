/* Status of the declared applications (the declarations kept by the last apply against
 * what the manager holds now) and the retry of pending links. Both plan each stored
 * declaration: status reports the plan, retry carries it out when it has something to do
 * (a pending interface appeared, or a link or program of the app went missing). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app-internal.h"
#include "cleanup.h"

static int status_one(struct bpfman *m, const struct app_decl *d, struct app_result *res)
{
	struct plan p;
	char *err = NULL;
	size_t pending = 0, missing = 0;
	int r = plan_build(m, d, &p, &err);

	if (r < 0) {
		res->failed = true;
		res->error = err ? err : strdup(strerror(-r));
		plan_clear(&p);
		return 0;
	}
	for (size_t i = 0; i < p.n_links; i++) {
		struct plan_link *w = &p.links[i];

		if (w->state == APP_LINK_PENDING)
			pending++;
		else if (w->state == APP_LINK_FAILED) {
			missing++;
			if (!w->reason && p.progs[w->prog].load)
				w->reason = strdup_printf("program %s is not loaded",
							  p.progs[w->prog].decl->name);
		}
	}
	r = plan_actions(&p, res);
	if (r == 0)
		r = plan_link_states(&p, res);
	if (r == 0 && plan_n_changes(&p)) {
		size_t not_loaded = 0;

		for (size_t i = 0; i < p.n_progs; i++)
			not_loaded += p.progs[i].load;
		/* partly: the kernel does not match the declaration (pending alone is not that) */
		res->failed = true;
		res->error =
		    strdup_printf("differs from its declaration: %zu program(s) not loaded, %zu "
				  "link(s) not attached, %zu extra link(s), %zu extra program(s)",
				  not_loaded, missing, p.n_detach, p.n_unload);
	}
	plan_clear(&p);
	return r;
}

int bpfman_app_status(struct bpfman *m, struct app_result **ret, size_t *ret_n)
{
	struct app_decl *apps = NULL;
	struct app_result *v;
	size_t n = 0;
	char *err = NULL;
	int r = app_store_load(m, &apps, &n, &err);

	*ret = NULL;
	*ret_n = 0;
	if (r < 0) {
		(void)manager_error(m, r, "%s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	free(err); /* an unreadable record: skipped (apply its file again) */
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		app_decls_free(apps, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *id = app_id(&apps[i]);

		r = id ? result_init(&v[i], id) : -ENOMEM;
		if (r == 0)
			r = status_one(m, &apps[i], &v[i]);
		if (r < 0) {
			app_results_free(v, n);
			app_decls_free(apps, n);
			return r;
		}
	}
	app_decls_free(apps, n);
	*ret = v;
	*ret_n = n;
	return 0;
}

int bpfman_app_retry_pending(struct bpfman *m, struct app_result **ret, size_t *ret_n)
{
	struct app_decl *apps = NULL;
	struct app_result *v;
	size_t n = 0, done = 0;
	char *err = NULL;
	int changed = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	/* Held from reading the declarations to the last apply: a delete (or apply) between
	 * the two would otherwise be undone by applying what was read before it. */
	r = manager_lock_hold(m);
	if (r < 0)
		return r;
	r = app_store_load(m, &apps, &n, &err);
	if (r < 0) {
		(void)manager_error(m, r, "%s", err ? err : strerror(-r));
		free(err);
		manager_lock_release(m);
		return r;
	}
	free(err);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		app_decls_free(apps, n);
		manager_lock_release(m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *id = app_id(&apps[i]);
		struct plan p;
		char *perr = NULL;
		size_t changes;

		/* cheap when nothing changed: one plan, no action */
		r = plan_build(m, &apps[i], &p, &perr);
		changes = r == 0 ? plan_n_changes(&p) : 0;
		plan_clear(&p);
		free(perr);
		if (r < 0 || !changes)
			continue;
		r = id ? result_init(&v[done], id) : -ENOMEM;
		if (r < 0)
			break;
		(void)app_apply_one(m, &apps[i], false, &v[done]);
		for (size_t k = 0; k < v[done].n_actions; k++)
			changed += v[done].actions[k].kind == APP_ACT_ATTACH && !v[done].failed &&
				   v[done].actions[k].link_id;
		done++;
	}
	app_decls_free(apps, n);
	manager_lock_release(m);
	if (r == -ENOMEM) {
		app_results_free(v, done);
		return r;
	}
	*ret = v;
	*ret_n = done;
	return changed;
}
