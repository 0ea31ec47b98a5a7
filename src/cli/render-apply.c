/* Rendering of the reconciler's answers (apply, delete, status): text for people, JSON with
 * stable snake_case keys for scripts. Both printers read the same derived facts (an
 * application's overall state, whether anything changed) so they cannot disagree. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bpfman-apply.h"
#include "cli.h"

static const char *action_name(enum app_action_kind k, bool dry_run)
{
	switch (k) {
	case APP_ACT_LOAD:
		return dry_run ? "would load" : "loaded";
	case APP_ACT_ATTACH:
		return dry_run ? "would attach" : "attached";
	case APP_ACT_DETACH:
		return dry_run ? "would detach" : "detached";
	case APP_ACT_UNLOAD:
		return dry_run ? "would unload" : "unloaded";
	}
	return "?";
}

static const char *action_key(enum app_action_kind k)
{
	switch (k) {
	case APP_ACT_LOAD:
		return "load";
	case APP_ACT_ATTACH:
		return "attach";
	case APP_ACT_DETACH:
		return "detach";
	case APP_ACT_UNLOAD:
		return "unload";
	}
	return "?";
}

static const char *link_state_name(enum app_link_state s)
{
	switch (s) {
	case APP_LINK_APPLIED:
		return "applied";
	case APP_LINK_PENDING:
		return "pending";
	case APP_LINK_FAILED:
		return "failed";
	}
	return "?";
}

/* An application as a whole: applied (every link applied), pending (nothing failed, some
 * link waits for its interface), partly (some link failed), failed (an apply or delete
 * left it as it was). In a status, the reconciler marks an application whose kernel state
 * differs from its declaration as failed with the difference as its error: that is
 * "partly", not a failed change. */
static const char *app_state(const struct app_result *r, enum apply_verb verb)
{
	bool pending = false;

	if (r->failed)
		return verb == APPLY_VERB_STATUS ? "partly" : "failed";
	for (size_t i = 0; i < r->n_links; i++) {
		if (r->links[i].state == APP_LINK_FAILED)
			return "partly";
		if (r->links[i].state == APP_LINK_PENDING)
			pending = true;
	}
	return pending ? "pending" : "applied";
}

static json_t *result_json(const struct app_result *r, enum apply_verb verb)
{
	json_t *o = json_object(), *acts = json_array(), *links = json_array();

	json_object_set_new(o, "application", json_string(r->app));
	json_object_set_new(o, "state", json_string(app_state(r, verb)));
	if (verb != APPLY_VERB_STATUS)
		json_object_set_new(o, "changed", json_boolean(r->n_actions > 0));
	if (r->error)
		json_object_set_new(o, "error", json_string(r->error));
	for (size_t i = 0; i < r->n_actions; i++) {
		const struct app_action *a = &r->actions[i];
		json_t *j = json_pack("{s:s,s:s?,s:s?}", "action", action_key(a->kind), "program",
				      a->program, "what", a->what);

		if (a->prog_id)
			json_object_set_new(j, "program_id", json_integer(a->prog_id));
		if (a->link_id)
			json_object_set_new(j, "link_id", json_integer(a->link_id));
		json_array_append_new(acts, j);
	}
	for (size_t i = 0; i < r->n_links; i++) {
		const struct app_link_status *l = &r->links[i];
		json_t *j = json_pack("{s:s?,s:s?,s:s}", "program", l->program, "what", l->what,
				      "state", link_state_name(l->state));

		if (l->reason)
			json_object_set_new(j, "reason", json_string(l->reason));
		if (l->link_id)
			json_object_set_new(j, "link_id", json_integer(l->link_id));
		json_array_append_new(links, j);
	}
	if (verb != APPLY_VERB_STATUS)
		json_object_set_new(o, "actions", acts);
	else
		json_decref(acts);
	json_object_set_new(o, "links", links);
	return o;
}

static void print_json(const struct app_result *v, size_t n, enum apply_verb verb, bool dry_run)
{
	json_t *root = json_object(), *apps = json_array();
	bool changed = false;

	for (size_t i = 0; i < n; i++) {
		json_array_append_new(apps, result_json(&v[i], verb));
		changed |= v[i].n_actions > 0;
	}
	if (verb != APPLY_VERB_STATUS) {
		json_object_set_new(root, "dry_run", json_boolean(dry_run));
		json_object_set_new(root, "changed", json_boolean(changed));
	}
	json_object_set_new(root, "applications", apps);
	cli_print_json(root);
}

static void print_links_text(const struct app_result *r)
{
	size_t wp = 0, ww = 0;

	for (size_t i = 0; i < r->n_links; i++) {
		const struct app_link_status *l = &r->links[i];

		if (l->program && strlen(l->program) > wp)
			wp = strlen(l->program);
		if (l->what && strlen(l->what) > ww)
			ww = strlen(l->what);
	}
	for (size_t i = 0; i < r->n_links; i++) {
		const struct app_link_status *l = &r->links[i];

		printf("    %-*s  %-*s  %-7s", (int)wp, l->program ? l->program : "",
		       (int)ww, l->what ? l->what : "", link_state_name(l->state));
		if (l->state == APP_LINK_APPLIED && l->link_id)
			printf("  link %u", l->link_id);
		if (l->reason)
			printf("  (%s)", l->reason);
		putchar('\n');
	}
}

static void print_text(const struct app_result *v, size_t n, enum apply_verb verb, bool dry_run)
{
	size_t changed = 0, failed = 0;

	if (n == 0) {
		puts(verb == APPLY_VERB_STATUS ? "No application is applied." : "No application.");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct app_result *r = &v[i];

		if (verb == APPLY_VERB_STATUS && !strcmp(app_state(r, verb), "pending")) {
			size_t k = 0;

			for (size_t j = 0; j < r->n_links; j++)
				k += r->links[j].state == APP_LINK_PENDING;
			printf("%s: pending (%zu link%s wait%s for %s interface or namespace)\n", r->app,
			       k, k == 1 ? "" : "s", k == 1 ? "s" : "", k == 1 ? "its" : "their");
		} else if (verb == APPLY_VERB_STATUS)
			printf("%s: %s%s%s\n", r->app, app_state(r, verb), r->error ? ": " : "",
			       r->error ? r->error : "");
		else if (r->failed)
			printf("%s: failed, left as it was: %s\n", r->app,
			       r->error ? r->error : "(no reason given)");
		else if (r->n_actions == 0)
			printf("%s: %s\n", r->app,
			       verb == APPLY_VERB_DELETE ? "nothing of it is loaded" : "unchanged");
		else
			printf("%s: %zu change%s%s\n", r->app, r->n_actions,
			       r->n_actions == 1 ? "" : "s", dry_run ? " planned" : "");
		/* a status's actions are the reconciler's plan, not something done */
		for (size_t k = 0; verb != APPLY_VERB_STATUS && k < r->n_actions; k++) {
			const struct app_action *a = &r->actions[k];

			printf("  %-12s %s", action_name(a->kind, dry_run), a->program ? a->program : "");
			if (a->what)
				printf("  %s", a->what);
			/* the id the action made (the others are in `what` already) */
			if (a->kind == APP_ACT_LOAD && a->prog_id)
				printf("  program %u", a->prog_id);
			else if (a->kind == APP_ACT_ATTACH && a->link_id)
				printf("  link %u", a->link_id);
			putchar('\n');
		}
		/* a delete leaves no links to show; a dry run's links are as they are now */
		if (r->n_links && verb != APPLY_VERB_DELETE) {
			if (verb != APPLY_VERB_STATUS)
				printf("  links%s:\n", dry_run ? " (now)" : "");
			print_links_text(r);
		}
		changed += !r->failed && r->n_actions > 0;
		failed += r->failed;
	}
	if (verb == APPLY_VERB_STATUS)
		return;
	if (changed == 0 && failed == 0 && verb == APPLY_VERB_DELETE)
		printf("Nothing changed: nothing of %s is loaded.\n",
		       n == 1 ? "this application" : "these applications");
	else if (changed == 0 && failed == 0)
		printf("Nothing changed: %zu application%s already as declared.\n", n, n == 1 ? "" : "s");
	else
		printf("%zu application%s: %zu %s, %zu unchanged, %zu failed.\n", n, n == 1 ? "" : "s",
		       changed, dry_run ? "would change" : "changed", n - changed - failed, failed);
}

void print_app_results(const struct app_result *v, size_t n, enum apply_verb verb, bool dry_run,
		       enum output_format f)
{
	if (f == OUTPUT_JSON)
		print_json(v, n, verb, dry_run);
	else
		print_text(v, n, verb, dry_run);
}
