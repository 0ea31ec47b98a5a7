/* Reading objects: metadata fields, finalizers, and metav1.LabelSelector matching (the
 * selectors in bpfman's CRDs: nodeSelector, mapOwnerSelector, ...). */
#include <errno.h>
#include <string.h>

#include "kube-internal.h"

static const char *meta_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(json_object_get(obj, "metadata"), key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *kube_obj_name(json_t *obj)
{
	return meta_str(obj, "name");
}

const char *kube_obj_namespace(json_t *obj)
{
	const char *ns = meta_str(obj, "namespace");

	return ns && *ns ? ns : NULL;
}

const char *kube_obj_uid(json_t *obj)
{
	return meta_str(obj, "uid");
}

bool kube_obj_deleting(json_t *obj)
{
	return meta_str(obj, "deletionTimestamp") != NULL;
}

bool kube_obj_has_finalizer(json_t *obj, const char *finalizer)
{
	json_t *a = json_object_get(json_object_get(obj, "metadata"), "finalizers"), *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), finalizer) == 0)
			return true;
	}
	return false;
}

static bool strings_array(json_t *a)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a))
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			return false;
	}
	return true;
}

/* The whole selector is checked before anything is matched, so that a malformed one is
 * -EINVAL whatever the labels are. */
static int selector_valid(json_t *sel)
{
	json_t *ml, *me, *e, *v;
	const char *key;
	size_t i;

	json_object_foreach(sel, key, v) {
		if (strcmp(key, "matchLabels") != 0 && strcmp(key, "matchExpressions") != 0)
			return -EINVAL;
	}
	ml = json_object_get(sel, "matchLabels");
	if (ml && !json_is_null(ml)) {
		if (!json_is_object(ml))
			return -EINVAL;
		json_object_foreach(ml, key, v) {
			if (!*key || !json_is_string(v))
				return -EINVAL;
		}
	}
	me = json_object_get(sel, "matchExpressions");
	if (!me || json_is_null(me))
		return 0;
	if (!json_is_array(me))
		return -EINVAL;
	json_array_foreach(me, i, e) {
		json_t *k = json_object_get(e, "key"), *op = json_object_get(e, "operator");
		json_t *vals = json_object_get(e, "values");
		const char *o = json_string_value(op);
		bool has_values;

		if (!json_is_object(e) || !json_is_string(k) || !json_string_length(k) || !o)
			return -EINVAL;
		json_object_foreach(e, key, v) {
			if (strcmp(key, "key") != 0 && strcmp(key, "operator") != 0 &&
			    strcmp(key, "values") != 0)
				return -EINVAL;
		}
		if (vals && !json_is_null(vals) && !strings_array(vals))
			return -EINVAL;
		has_values = json_array_size(vals) > 0;
		if (strcmp(o, "In") == 0 || strcmp(o, "NotIn") == 0) {
			if (!has_values)
				return -EINVAL;
		} else if (strcmp(o, "Exists") == 0 || strcmp(o, "DoesNotExist") == 0) {
			if (has_values)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static bool in_values(json_t *vals, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(vals, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

int kube_selector_matches(json_t *sel, json_t *labels)
{
	json_t *v, *e;
	const char *key;
	size_t i;
	int r;

	if (!sel || json_is_null(sel))
		return 1;
	if (!json_is_object(sel))
		return -EINVAL;
	if (labels && !json_is_null(labels) && !json_is_object(labels))
		return -EINVAL;
	r = selector_valid(sel);
	if (r < 0)
		return r;
	json_object_foreach(json_object_get(sel, "matchLabels"), key, v) {
		json_t *l = json_object_get(labels, key);

		if (!json_is_string(l) || strcmp(json_string_value(l), json_string_value(v)) != 0)
			return 0;
	}
	json_array_foreach(json_object_get(sel, "matchExpressions"), i, e) {
		const char *op = json_string_value(json_object_get(e, "operator"));
		json_t *l = json_object_get(labels, json_string_value(json_object_get(e, "key")));
		const char *lv = json_string_value(l);
		json_t *vals = json_object_get(e, "values");

		if (strcmp(op, "In") == 0 && !(lv && in_values(vals, lv)))
			return 0;
		/* NotIn matches objects without the label, as in Kubernetes */
		if (strcmp(op, "NotIn") == 0 && lv && in_values(vals, lv))
			return 0;
		if (strcmp(op, "Exists") == 0 && !lv)
			return 0;
		if (strcmp(op, "DoesNotExist") == 0 && lv)
			return 0;
	}
	return 1;
}
