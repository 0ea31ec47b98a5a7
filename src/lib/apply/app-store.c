/* The declarations as last applied, kept in the state store as JSON so that `status` and
 * the retry of pending links work without the files. The JSON mirrors struct app_decl
 * field by field (it is ours, not the Kubernetes form: already validated and defaulted). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app-internal.h"
#include "cleanup.h"

char *strdup_printf(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

char *app_id(const struct app_decl *d)
{
	if (d->kind == APP_NAMESPACED)
		return strdup_printf("BpfApplication/%s/%s", d->namespace ? d->namespace : "",
				     d->name);
	return strdup_printf("ClusterBpfApplication/%s", d->name);
}

/* ---- to JSON ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv_json(char **v)
{
	json_t *a;

	if (!v)
		return json_null();
	a = json_array();
	for (size_t i = 0; a && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = 0;
	j = json_string(s);
	free(s);
	return j;
}

static json_t *link_json(const struct app_link *l)
{
	json_t *po = json_array();

	for (size_t i = 0; po && i < l->n_proceed_on; i++)
		json_array_append_new(po, json_integer(l->proceed_on[i]));
	return json_pack(
	    "{s:i, s:{s:o, s:b, s:b, s:o, s:o}, s:o, s:b, s:b, s:i, s:o, s:i, s:o, s:o, s:I, s:o, "
	    "s:i, s:i}",
	    "line", (int)l->line, "ifaces", "interfaces", strv_json(l->ifaces.interfaces),
	    "primary", l->ifaces.primary_node_interface, "auto", l->ifaces.auto_discovery,
	    "exclude", strv_json(l->ifaces.exclude), "allowed", strv_json(l->ifaces.allowed),
	    "netns", str_or_null(l->netns), "netns_pods", l->netns_pods, "containers",
	    l->containers, "priority", (int)l->priority, "proceed_on", po ? po : json_null(),
	    "direction", (int)l->direction, "tracepoint", str_or_null(l->tracepoint), "function",
	    str_or_null(l->function), "offset", (json_int_t)l->offset, "target",
	    str_or_null(l->target), "pid", (int)l->pid, "container_pid", (int)l->container_pid);
}

char *app_decl_to_json(const struct app_decl *d)
{
	json_t *globals = json_array(), *progs = json_array(), *root;
	char *s;

	if (!globals || !progs)
		goto fail;
	for (size_t i = 0; i < d->n_globals; i++)
		json_array_append_new(globals,
				      json_pack("{s:s, s:o}", "name", d->globals[i].name, "data",
						hex_json(d->globals[i].data, d->globals[i].len)));
	for (size_t i = 0; i < d->n_programs; i++) {
		const struct app_program *p = &d->programs[i];
		json_t *links = json_array();

		for (size_t k = 0; links && k < p->n_links; k++)
			json_array_append_new(links, link_json(&p->links[k]));
		json_array_append_new(progs,
				      json_pack("{s:i, s:s, s:i, s:o, s:o}", "line", (int)p->line,
						"name", p->name, "type", (int)p->type, "attach_fn",
						str_or_null(p->attach_fn), "links",
						links ? links : json_null()));
	}
	root = json_pack("{s:o, s:i, s:i, s:s, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:o}", "file",
			 str_or_null(d->file), "line", (int)d->line, "kind", (int)d->kind, "name",
			 d->name, "namespace", str_or_null(d->namespace), "path",
			 str_or_null(d->path), "image", str_or_null(d->image_url), "pull_policy",
			 d->pull_policy, "globals", globals, "programs", progs, "pull_secret_name",
			 str_or_null(d->pull_secret_name), "pull_secret_namespace",
			 str_or_null(d->pull_secret_namespace));
	if (!root)
		return NULL;
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return s;
fail:
	json_decref(globals);
	json_decref(progs);
	return NULL;
}

/* ---- from JSON ---- */

static int dup_str(json_t *o, const char *key, char **ret)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static int dup_strv(json_t *o, const char *key, char ***ret)
{
	json_t *v = json_object_get(o, key), *e;
	size_t i;
	char **a;

	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return -EINVAL;
	a = calloc(json_array_size(v) + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	*ret = a;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			return -EINVAL;
		a[i] = strdup(json_string_value(e));
		if (!a[i])
			return -ENOMEM;
	}
	return 0;
}

static long long get_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static int unhex(const char *s, uint8_t **ret, size_t *ret_n)
{
	size_t n = strlen(s) / 2;
	uint8_t *b = malloc(n ? n : 1);

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(b);
			return -EINVAL;
		}
		b[i] = (uint8_t)v;
	}
	*ret = b;
	*ret_n = n;
	return 0;
}

static int link_from_json(json_t *o, struct app_link *l)
{
	json_t *ifc = json_object_get(o, "ifaces"), *po = json_object_get(o, "proceed_on"), *e;
	size_t i;
	int r;

	if (!json_is_object(o) || !json_is_object(ifc))
		return -EINVAL;
	l->line = (unsigned)get_int(o, "line");
	if ((r = dup_strv(ifc, "interfaces", &l->ifaces.interfaces)) < 0 ||
	    (r = dup_strv(ifc, "exclude", &l->ifaces.exclude)) < 0 ||
	    (r = dup_strv(ifc, "allowed", &l->ifaces.allowed)) < 0 ||
	    (r = dup_str(o, "netns", &l->netns)) < 0 ||
	    (r = dup_str(o, "tracepoint", &l->tracepoint)) < 0 ||
	    (r = dup_str(o, "function", &l->function)) < 0 ||
	    (r = dup_str(o, "target", &l->target)) < 0)
		return r;
	l->netns_pods = json_is_true(json_object_get(o, "netns_pods"));
	l->containers = json_is_true(json_object_get(o, "containers"));
	l->ifaces.primary_node_interface = json_is_true(json_object_get(ifc, "primary"));
	l->ifaces.auto_discovery = json_is_true(json_object_get(ifc, "auto"));
	l->priority = (int32_t)get_int(o, "priority");
	l->direction = (enum bpfman_direction)get_int(o, "direction");
	l->offset = (uint64_t)get_int(o, "offset");
	l->pid = (int32_t)get_int(o, "pid");
	l->container_pid = (int32_t)get_int(o, "container_pid");
	if (json_is_array(po) && json_array_size(po)) {
		l->proceed_on = calloc(json_array_size(po), sizeof(*l->proceed_on));
		if (!l->proceed_on)
			return -ENOMEM;
		json_array_foreach(po, i, e) l->proceed_on[i] = (int32_t)json_integer_value(e);
		l->n_proceed_on = json_array_size(po);
	}
	return 0;
}

static int decl_from_json(json_t *root, struct app_decl *d)
{
	json_t *globals = json_object_get(root, "globals"),
	       *progs = json_object_get(root, "programs");
	json_t *e;
	size_t i;
	int r;

	if (!json_is_object(root) || !json_is_array(globals) || !json_is_array(progs))
		return -EINVAL;
	d->line = (unsigned)get_int(root, "line");
	d->kind = (enum app_kind)get_int(root, "kind");
	d->pull_policy = (int)get_int(root, "pull_policy");
	if ((r = dup_str(root, "file", &d->file)) < 0 ||
	    (r = dup_str(root, "name", &d->name)) < 0 ||
	    (r = dup_str(root, "namespace", &d->namespace)) < 0 ||
	    (r = dup_str(root, "path", &d->path)) < 0 ||
	    (r = dup_str(root, "image", &d->image_url)) < 0 ||
	    (r = dup_str(root, "pull_secret_name", &d->pull_secret_name)) < 0 ||
	    (r = dup_str(root, "pull_secret_namespace", &d->pull_secret_namespace)) < 0)
		return r;
	if (!d->name)
		return -EINVAL;
	if (json_array_size(globals)) {
		d->globals = calloc(json_array_size(globals), sizeof(*d->globals));
		if (!d->globals)
			return -ENOMEM;
	}
	json_array_foreach(globals, i, e)
	{
		struct bpfman_global *g = &d->globals[i];
		const char *hex = json_string_value(json_object_get(e, "data"));

		d->n_globals = i + 1;
		if ((r = dup_str(e, "name", &g->name)) < 0)
			return r;
		if (!g->name || !hex)
			return -EINVAL;
		if ((r = unhex(hex, &g->data, &g->len)) < 0)
			return r;
	}
	if (json_array_size(progs)) {
		d->programs = calloc(json_array_size(progs), sizeof(*d->programs));
		if (!d->programs)
			return -ENOMEM;
	}
	json_array_foreach(progs, i, e)
	{
		struct app_program *p = &d->programs[i];
		json_t *links = json_object_get(e, "links"), *le;
		size_t k;

		d->n_programs = i + 1;
		p->line = (unsigned)get_int(e, "line");
		p->type = (enum app_prog_type)get_int(e, "type");
		if ((r = dup_str(e, "name", &p->name)) < 0 ||
		    (r = dup_str(e, "attach_fn", &p->attach_fn)) < 0)
			return r;
		if (!p->name)
			return -EINVAL;
		if (!json_is_array(links) || !json_array_size(links))
			continue;
		p->links = calloc(json_array_size(links), sizeof(*p->links));
		if (!p->links)
			return -ENOMEM;
		json_array_foreach(links, k, le)
		{
			p->n_links = k + 1;
			if ((r = link_from_json(le, &p->links[k])) < 0)
				return r;
		}
	}
	return 0;
}

int app_decl_from_json(const char *json, struct app_decl *d)
{
	json_t *root = json_loads(json, 0, NULL);
	int r;

	memset(d, 0, sizeof(*d));
	if (!root)
		return -EINVAL;
	r = decl_from_json(root, d);
	json_decref(root);
	if (r < 0)
		app_decl_clear(d);
	return r;
}

/* ---- the table ---- */

int app_store_put(struct bpfman *m, const char *app, const struct app_decl *d)
{
	_cleanup_free_ char *json = app_decl_to_json(d);
	int r;

	if (!json)
		return -ENOMEM;
	r = manager_lock(m);
	if (r < 0)
		return r;
	r = store_begin(m->store);
	if (r == 0) {
		r = store_app_put(m->store, app, json);
		if (r == 0)
			r = store_commit(m->store);
		if (r < 0)
			store_rollback(m->store);
	}
	manager_unlock(m);
	return r;
}

int app_store_delete(struct bpfman *m, const char *app)
{
	int r = manager_lock(m);

	if (r < 0)
		return r;
	r = store_begin(m->store);
	if (r == 0) {
		r = store_app_delete(m->store, app);
		if (r == 0)
			r = store_commit(m->store);
		if (r < 0)
			store_rollback(m->store);
	}
	manager_unlock(m);
	return r;
}

int app_store_load(struct bpfman *m, struct app_decl **ret, size_t *ret_n, char **ret_err)
{
	char **apps = NULL, **decls = NULL;
	struct app_decl *v = NULL;
	size_t n = 0, good = 0;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!m->store)
		return 0; /* a reader with no database yet: nothing applied */
	r = store_app_list(m->store, &apps, &decls, &n);
	if (r < 0) {
		*ret_err = strdup_printf("cannot read the declared applications: %s", strerror(-r));
		return r;
	}
	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v)
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (app_decl_from_json(decls[i], &v[good]) == 0)
			good++;
		else if (!*ret_err)
			*ret_err = strdup_printf(
			    "the stored declaration of %s cannot be read; apply its file again",
			    apps[i]);
	}
	for (size_t i = 0; i < n; i++) {
		free(apps[i]);
		free(decls[i]);
	}
	free(apps);
	free(decls);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = good;
	return 0;
}
