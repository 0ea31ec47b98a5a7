/* apply-run: drives the reconciler of declared applications directly (tests and checks by
 * hand): parses FILE|DIR with app_decl_parse_path and prints the results as JSON.
 *   apply-run apply [--dry-run] PATH | delete [--dry-run] PATH | status | retry
 * The state root is $BPFMAN_ROOT. Exit: 0 all applied, 1 some application failed,
 * 2 bad usage, a file that does not parse, or nothing could be tried. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpfman-apply.h"

static const char *const kinds[] = {"load", "attach", "detach", "unload"};
static const char *const states[] = {"applied", "pending", "failed"};

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static void print(const struct app_result *v, size_t n, int rc, int changed)
{
	json_t *results = json_array(), *root;

	for (size_t i = 0; i < n; i++) {
		json_t *actions = json_array(), *links = json_array();

		for (size_t k = 0; k < v[i].n_actions; k++) {
			const struct app_action *a = &v[i].actions[k];

			json_array_append_new(
			    actions,
			    json_pack("{s:s, s:s, s:s, s:I, s:I}", "kind", kinds[a->kind],
				      "program", a->program, "what", a->what, "prog_id",
				      (json_int_t)a->prog_id, "link_id", (json_int_t)a->link_id));
		}
		for (size_t k = 0; k < v[i].n_links; k++) {
			const struct app_link_status *l = &v[i].links[k];

			json_array_append_new(links, json_pack("{s:s, s:s, s:s, s:o, s:I}",
							       "program", l->program, "what",
							       l->what, "state", states[l->state],
							       "reason", str_or_null(l->reason),
							       "link_id", (json_int_t)l->link_id));
		}
		json_array_append_new(results, json_pack("{s:s, s:b, s:o, s:o, s:o}", "app",
							 v[i].app, "failed", v[i].failed, "error",
							 str_or_null(v[i].error), "actions",
							 actions, "links", links));
	}
	root = json_pack("{s:i, s:i, s:o}", "rc", rc, "changed", changed, "results", results);
	json_dumpf(root, stdout, JSON_INDENT(1));
	putchar('\n');
	json_decref(root);
}

static int usage(void)
{
	fprintf(stderr, "usage: apply-run apply|delete [--dry-run] PATH | status | retry\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct bpfman_open_opts oo = {.root = getenv("BPFMAN_ROOT")};
	struct bpfman *m = NULL;
	struct app_decl *apps = NULL;
	struct app_result *res = NULL;
	size_t n_apps = 0, n_res = 0;
	bool dry_run = false;
	const char *cmd, *path = NULL;
	char *err = NULL;
	int r, changed = 0;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (!path)
			path = argv[i];
		else
			return usage();
	}
	if (!strcmp(cmd, "apply") || !strcmp(cmd, "delete")) {
		if (!path)
			return usage();
		r = app_decl_parse_path(path, false, &apps, &n_apps, &err);
		if (r < 0) {
			fprintf(stderr, "%s\n", err ? err : strerror(-r));
			free(err);
			return 2;
		}
	} else if (strcmp(cmd, "status") && strcmp(cmd, "retry")) {
		return usage();
	}
	oo.read_only = !strcmp(cmd, "status");
	r = bpfman_open(&oo, NULL, NULL, &m);
	if (r < 0) {
		fprintf(stderr, "open: %s\n", bpfman_error(m));
		bpfman_close(m);
		app_decls_free(apps, n_apps);
		return 2;
	}
	if (!strcmp(cmd, "apply"))
		r = bpfman_apply(m, apps, n_apps, dry_run, &res, &n_res);
	else if (!strcmp(cmd, "delete"))
		r = bpfman_app_delete(m, apps, n_apps, dry_run, &res, &n_res);
	else if (!strcmp(cmd, "status"))
		r = bpfman_app_status(m, &res, &n_res);
	else
		r = changed = bpfman_app_retry_pending(m, &res, &n_res);
	if (r < 0 && r != -EIO)
		fprintf(stderr, "%s: %s\n", cmd, bpfman_error(m));
	print(res, n_res, r < 0 ? r : 0, changed > 0 ? changed : 0);
	app_results_free(res, n_res);
	app_decls_free(apps, n_apps);
	bpfman_close(m);
	return r == -EIO ? 1 : r < 0 ? 2 : 0;
}
