/* An application object -> the declaration the reconciler takes, with every link made
 * concrete on this node: one interface per link (the primary interface resolved from the
 * Node), one link per selected pod's network namespace. The library parses the object
 * itself (its JSON is valid YAML); this file only rewrites the links it cannot resolve on
 * its own (pods, the Node's InternalIP). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static const char *member_name(enum app_prog_type t)
{
	static const char *const n[] = { "xdp",	  "tc",	       "tcx",	    "fentry",
					 "fexit", "kprobe",    "kretprobe", "uprobe",
					 "uretprobe", "tracepoint" };

	return (unsigned)t < sizeof(n) / sizeof(n[0]) ? n[t] : "";
}

static char **strv_dup(char **v)
{
	size_t n = 0;
	char **r;

	if (!v)
		return NULL;
	while (v[n])
		n++;
	if (!(r = calloc(n + 1, sizeof(*r))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(r[i] = strdup(v[i])))
			return r; /* short list: the caller's -ENOMEM check is on the strings */
	return r;
}

static char *sdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A deep copy of l, on interface iface (NULL: keep l's selector) in netns (NULL: l's;
 * "": the host's). */
static int link_copy(const struct app_link *l, const char *iface, const char *netns,
		     struct app_link *out)
{
	*out = *l;
	memset(&out->ifaces, 0, sizeof(out->ifaces));
	if (iface) {
		if (!(out->ifaces.interfaces = calloc(2, sizeof(char *))) ||
		    !(out->ifaces.interfaces[0] = strdup(iface)))
			return -ENOMEM;
	} else {
		out->ifaces = l->ifaces;
		out->ifaces.interfaces = strv_dup(l->ifaces.interfaces);
		out->ifaces.exclude = strv_dup(l->ifaces.exclude);
		out->ifaces.allowed = strv_dup(l->ifaces.allowed);
	}
	out->netns = netns ? (*netns ? strdup(netns) : NULL) : sdup(l->netns);
	out->netns_pods = false;
	out->proceed_on = NULL;
	if (l->n_proceed_on) {
		if (!(out->proceed_on = malloc(l->n_proceed_on * sizeof(int32_t))))
			return -ENOMEM;
		memcpy(out->proceed_on, l->proceed_on, l->n_proceed_on * sizeof(int32_t));
	}
	out->tracepoint = sdup(l->tracepoint);
	out->function = sdup(l->function);
	out->target = sdup(l->target);
	return 0;
}

static int push(struct app_link **v, size_t *n)
{
	struct app_link *t = realloc(*v, (*n + 1) * sizeof(**v));

	if (!t)
		return -ENOMEM;
	*v = t;
	memset(&t[*n], 0, sizeof(**v));
	(*n)++;
	return 0;
}

static int issue(struct decl_issue **v, size_t *n, size_t prog, char *msg)
{
	struct decl_issue *t = realloc(*v, (*n + 1) * sizeof(**v));

	if (!t || !msg) {
		free(msg);
		return -ENOMEM;
	}
	*v = t;
	t[*n].prog = prog;
	t[*n].msg = msg;
	(*n)++;
	return 0;
}

void decl_issues_free(struct decl_issue *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].msg);
	free(v);
}

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* the fields app_decl_clear() frees for a link, for links this file built or replaced */
static void links_free(struct app_link *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		strv_free(v[i].ifaces.interfaces);
		strv_free(v[i].ifaces.exclude);
		strv_free(v[i].ifaces.allowed);
		free(v[i].netns);
		free(v[i].proceed_on);
		free(v[i].tracepoint);
		free(v[i].function);
		free(v[i].target);
	}
	free(v);
}

/* The concrete links of one declared link. */
static int expand_link(struct agent *a, json_t *app, json_t *node, json_t *jl,
		       const struct app_link *l, size_t prog, struct app_link **out, size_t *n,
		       struct decl_issue **issues, size_t *n_issues)
{
	char **names = NULL, **netns = NULL, *primary = NULL, *why = NULL;
	static char *host[] = { "", NULL };
	int r = 0;

	if (l->containers) {
		/* one link per matched container, its target found in that container */
		json_t *c = json_object_get(jl, "containers");
		const char *ns = kube_obj_namespace(app) ? kube_obj_namespace(app)
							 : jstr(c, "namespace");
		int32_t *pids = NULL;
		size_t np = 0;

		if ((r = pods_container_pids(a, ns, json_object_get(c, "pods"),
					     json_object_get(c, "containerNames"), &pids, &np)) < 0)
			return r;
		for (size_t i = 0; r == 0 && i < np; i++)
			if ((r = push(out, n)) == 0 &&
			    (r = link_copy(l, NULL, NULL, &(*out)[*n - 1])) == 0) {
				(*out)[*n - 1].containers = false;
				(*out)[*n - 1].container_pid = pids[i];
			}
		free(pids);
		return r;
	}
	if (l->ifaces.primary_node_interface) {
		if (!(primary = node_primary_iface(node, &why)))
			return issue(issues, n_issues, prog, why ? why : strdup("primaryNodeInterface"));
	}
	if (l->netns_pods) {
		json_t *nn = json_object_get(jl, "networkNamespaces");
		const char *ns = kube_obj_namespace(app) ? kube_obj_namespace(app)
							 : jstr(nn, "namespace");

		if (pods_netns(a, ns, json_object_get(nn, "pods"), &netns) < 0) {
			free(primary);
			return -ENOMEM;
		}
	}
	if (primary) {
		static char *one[2];

		one[0] = primary;
		names = one;
	} else {
		names = l->ifaces.interfaces;
	}
	for (char **ns = netns ? netns : host; r == 0 && *ns; ns++) {
		const char *nsp = netns ? *ns : NULL;

		if (names && names[0]) {
			for (char **i = names; r == 0 && *i; i++)
				if ((r = push(out, n)) == 0)
					r = link_copy(l, *i, nsp, &(*out)[*n - 1]);
		} else if ((r = push(out, n)) == 0) {
			r = link_copy(l, NULL, nsp, &(*out)[*n - 1]);
		}
	}
	free(primary);
	if (netns) {
		for (char **p = netns; *p; p++)
			free(*p);
		free(netns);
	}
	return r;
}

int decl_build(struct agent *a, json_t *app, json_t *node, struct app_decl *ret,
	       struct decl_issue **issues, size_t *n_issues, char **ret_err)
{
	json_t *doc = json_pack("{s:s, s:s, s:{s:s}, s:o}", "apiVersion", "bpfman.io/v1alpha1",
				"kind", jstr(app, "kind") ? jstr(app, "kind")
				: kube_obj_namespace(app) ? "BpfApplication" : "ClusterBpfApplication",
				"metadata", "name", kube_obj_name(app) ? kube_obj_name(app) : "",
				"spec", jget(app, "spec") ? json_incref(jget(app, "spec")) : json_object());
	json_t *jprogs = jget(app, "spec.programs");
	struct app_decl *v = NULL;
	size_t n = 0;
	char *text;
	int r;

	if (!doc)
		return -ENOMEM;
	if (kube_obj_namespace(app))
		json_object_set_new(json_object_get(doc, "metadata"), "namespace",
				    json_string(kube_obj_namespace(app)));
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	r = app_decl_parse_text(kube_obj_name(app), text, strlen(text), &v, &n, ret_err);
	free(text);
	if (r < 0)
		return r;
	if (n != 1) {
		app_decls_free(v, n);
		return -EINVAL;
	}
	*ret = v[0];
	free(v);
	for (size_t i = 0; i < ret->n_programs && r == 0; i++) {
		struct app_program *p = &ret->programs[i];
		json_t *jlinks = jget(json_array_get(jprogs, i), member_name(p->type));
		struct app_link *nl = NULL;
		size_t nn = 0;

		jlinks = json_object_get(jlinks, "links");
		for (size_t k = 0; k < p->n_links && r == 0; k++)
			r = expand_link(a, app, node, json_array_get(jlinks, k), &p->links[k], i,
					&nl, &nn, issues, n_issues);
		if (r < 0) {
			links_free(nl, nn);
			break;
		}
		links_free(p->links, p->n_links);
		p->links = nl;
		p->n_links = nn;
	}
	if (r < 0)
		app_decl_clear(ret);
	return r;
}
