/* The verbs: get, list, create, server-side apply, merge patch, replace, delete. Each builds
 * the resource's path and hands the request to kube-http.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "kube-internal.h"

/* Percent-encodes everything but RFC 3986's unreserved characters. */
static char *escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return out;
}

int kube_res_path(const struct kube_res *r, const char *ns, const char *name, bool status,
		  char **ret, char **ret_err)
{
	_cleanup_free_ char *ens = NULL, *ename = NULL, *prefix = NULL;

	if (ns && !r->namespaced)
		return kube_fail(ret_err, -EINVAL, "%s is cluster-scoped: no namespace", r->plural);
	if ((ns && !*ns) || (name && !*name))
		return kube_fail(ret_err, -EINVAL, "%s: empty namespace or name", r->plural);
	if ((ns && !(ens = escape(ns))) || (name && !(ename = escape(name))))
		return -ENOMEM;
	if (r->group[0])
		prefix = kube_strf("/apis/%s/%s", r->group, r->version);
	else
		prefix = kube_strf("/api/%s", r->version);
	if (!prefix)
		return -ENOMEM;
	*ret = kube_strf("%s%s%s/%s%s%s%s", prefix, ens ? "/namespaces/" : "", ens ? ens : "",
		     r->plural, ename ? "/" : "", ename ? ename : "", status ? "/status" : "");
	return *ret ? 0 : -ENOMEM;
}

/* One object's path: a namespaced kind needs its namespace. */
static int object_path(const struct kube_res *r, const char *ns, const char *name, bool status,
		       char **ret, char **ret_err)
{
	if (r->namespaced && !ns)
		return kube_fail(ret_err, -EINVAL, "%s is namespaced: a namespace is needed",
				 r->plural);
	if (!name)
		return kube_fail(ret_err, -EINVAL, "%s: no name", r->plural);
	return kube_res_path(r, ns, name, status, ret, ret_err);
}

int kube_get(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
	     json_t **ret, char **ret_err)
{
	_cleanup_free_ char *path = NULL;
	int e;

	e = object_path(r, ns, name, false, &path, ret_err);
	if (e < 0)
		return e;
	return kube_request(k, "GET", path, NULL, NULL, ret, ret_err);
}

/* "?labelSelector=...&fieldSelector=..." (or "") */
static int selector_query(const struct kube_sel *sel, char **ret)
{
	_cleanup_free_ char *l = NULL, *f = NULL;
	bool hl = sel && sel->labels && *sel->labels, hf = sel && sel->fields && *sel->fields;

	if ((hl && !(l = escape(sel->labels))) || (hf && !(f = escape(sel->fields))))
		return -ENOMEM;
	*ret = kube_strf("%s%s%s%s%s", hl || hf ? "?" : "", hl ? "labelSelector=" : "",
		     hl ? l : "", hf ? (hl ? "&fieldSelector=" : "fieldSelector=") : "",
		     hf ? f : "");
	return *ret ? 0 : -ENOMEM;
}

int kube_list_path(const struct kube_res *r, const char *ns, const struct kube_sel *sel,
		   char **ret, char **ret_err)
{
	_cleanup_free_ char *path = NULL, *q = NULL;
	int e;

	e = kube_res_path(r, ns, NULL, false, &path, ret_err);
	if (e < 0)
		return e;
	e = selector_query(sel, &q);
	if (e < 0)
		return e;
	*ret = kube_strf("%s%s", path, q);
	return *ret ? 0 : -ENOMEM;
}

int kube_list(struct kube *k, const struct kube_res *r, const char *ns,
	      const struct kube_sel *sel, json_t **ret, char **ret_err)
{
	_cleanup_free_ char *path = NULL;
	int e;

	e = kube_list_path(r, ns, sel, &path, ret_err);
	if (e < 0)
		return e;
	return kube_request(k, "GET", path, NULL, NULL, ret, ret_err);
}

/* path?fieldManager=M: every write names us in managedFields (not the User-Agent) */
static char *with_manager(struct kube *k, const char *path, const char *more)
{
	_cleanup_free_ char *fm = escape(k->field_manager);

	return fm ? kube_strf("%s?fieldManager=%s%s", path, fm, more) : NULL;
}

int kube_create(struct kube *k, const struct kube_res *r, const char *ns, json_t *obj,
		json_t **ret, char **ret_err)
{
	_cleanup_free_ char *path = NULL, *pq = NULL;
	json_t *out = NULL;
	int e;

	if (r->namespaced && !ns)
		return kube_fail(ret_err, -EINVAL, "%s is namespaced: a namespace is needed",
				 r->plural);
	e = kube_res_path(r, ns, NULL, false, &path, ret_err);
	if (e < 0)
		return e;
	pq = with_manager(k, path, "");
	if (!pq)
		return -ENOMEM;
	e = kube_request(k, "POST", pq, "application/json", obj, &out, ret_err);
	if (e < 0)
		return e;
	if (ret)
		*ret = out;
	else
		json_decref(out);
	return 0;
}

/* A write to one object (or its /status): METHOD on its path with the fieldManager (and
 * MORE of the query), BODY as CTYPE; the answer in *ret when asked. */
static int object_write(struct kube *k, const struct kube_res *r, const char *ns,
			const char *name, bool status, const char *method, const char *more,
			const char *ctype, json_t *body, json_t **ret, char **ret_err)
{
	_cleanup_free_ char *path = NULL, *pq = NULL;
	json_t *out = NULL;
	int e;

	e = object_path(r, ns, name, status, &path, ret_err);
	if (e < 0)
		return e;
	pq = with_manager(k, path, more);
	if (!pq)
		return -ENOMEM;
	e = kube_request(k, method, pq, ctype, body, &out, ret_err);
	if (e < 0)
		return e;
	if (ret)
		*ret = out;
	else
		json_decref(out);
	return 0;
}

int kube_apply(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
	       json_t *obj, bool status, bool force, json_t **ret, char **ret_err)
{
	if (!json_is_string(json_object_get(obj, "apiVersion")) ||
	    !json_is_string(json_object_get(obj, "kind")) || !kube_obj_name(obj))
		return kube_fail(ret_err, -EINVAL,
				 "server-side apply of %s %s: the object needs apiVersion, kind and metadata.name",
				 r->plural, name ? name : "");
	/* JSON is YAML: the apply content type takes it as it is */
	return object_write(k, r, ns, name, status, "PATCH", force ? "&force=true" : "",
			    "application/apply-patch+yaml", obj, ret, ret_err);
}

int kube_merge_patch(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
		     json_t *patch, bool status, json_t **ret, char **ret_err)
{
	return object_write(k, r, ns, name, status, "PATCH", "", "application/merge-patch+json",
			    patch, ret, ret_err);
}

int kube_replace(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
		 json_t *obj, bool status, json_t **ret, char **ret_err)
{
	return object_write(k, r, ns, name, status, "PUT", "", "application/json", obj, ret,
			    ret_err);
}

int kube_delete(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
		const char *propagation, char **ret_err)
{
	_cleanup_free_ char *path = NULL, *pq = NULL;
	int e;

	if (propagation && strcmp(propagation, "Background") != 0 &&
	    strcmp(propagation, "Foreground") != 0 && strcmp(propagation, "Orphan") != 0)
		return kube_fail(ret_err, -EINVAL,
				 "delete propagation \"%s\": not Background, Foreground or Orphan",
				 propagation);
	e = object_path(r, ns, name, false, &path, ret_err);
	if (e < 0)
		return e;
	pq = kube_strf("%s%s%s", path, propagation ? "?propagationPolicy=" : "",
		       propagation ? propagation : "");
	if (!pq)
		return -ENOMEM;
	e = kube_request(k, "DELETE", pq, NULL, NULL, NULL, ret_err);
	if (e == -ENOENT) {
		/* already gone is what the caller wanted */
		if (ret_err) {
			free(*ret_err);
			*ret_err = NULL;
		}
		return 0;
	}
	return e;
}
