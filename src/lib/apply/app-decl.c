/* Ownership of the declared-application model (app-decl.h): one struct owns every string
 * and array below it. */
#include <stdlib.h>
#include <string.h>

#include "app-decl.h"

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void link_clear(struct app_link *l)
{
	strv_free(l->ifaces.interfaces);
	strv_free(l->ifaces.exclude);
	strv_free(l->ifaces.allowed);
	free(l->netns);
	free(l->proceed_on);
	free(l->tracepoint);
	free(l->function);
	free(l->target);
}

void app_decl_clear(struct app_decl *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_programs; i++) {
		struct app_program *p = &d->programs[i];

		for (size_t j = 0; j < p->n_links; j++)
			link_clear(&p->links[j]);
		free(p->links);
		free(p->name);
		free(p->attach_fn);
	}
	free(d->programs);
	for (size_t i = 0; i < d->n_globals; i++) {
		free(d->globals[i].name);
		free(d->globals[i].data);
	}
	free(d->globals);
	free(d->file);
	free(d->name);
	free(d->namespace);
	free(d->path);
	free(d->image_url);
	free(d->pull_secret_name);
	free(d->pull_secret_namespace);
	memset(d, 0, sizeof(*d));
}

void app_decls_free(struct app_decl *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		app_decl_clear(&v[i]);
	free(v);
}
