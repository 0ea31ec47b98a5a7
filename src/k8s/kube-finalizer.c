/* Adding and removing one finalizer: read the object, change metadata.finalizers, PUT it back
 * with the resourceVersion it was read at. A concurrent writer makes the PUT fail with 409
 * Conflict; then we read again and retry, a bounded number of times. (A merge patch would
 * replace the whole list and could drop a finalizer someone else added meanwhile.) */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kube-internal.h"

#define MAX_ATTEMPTS 8

static int change_finalizer(struct kube *k, const struct kube_res *r, const char *ns,
			    const char *name, const char *finalizer, bool add, char **ret_err)
{
	struct kube_backoff b = { .max_ms = 1000 };
	int e = -EBUSY;

	if (!finalizer || !*finalizer)
		return kube_fail(ret_err, -EINVAL, "empty finalizer");
	for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		json_t *obj = NULL, *meta, *list, *v;
		size_t i;

		if (attempt > 0) {
			long ms = kube_backoff_next(&b);
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

			nanosleep(&ts, NULL);
		}
		e = kube_get(k, r, ns, name, &obj, ret_err);
		if (e < 0)
			return e;
		if (kube_obj_has_finalizer(obj, finalizer) == add) {
			json_decref(obj);
			return 0;
		}
		meta = json_object_get(obj, "metadata");
		list = json_object_get(meta, "finalizers");
		if (add) {
			if (!json_is_array(list)) {
				list = json_array();
				if (!list || json_object_set_new(meta, "finalizers", list) < 0) {
					json_decref(obj);
					return -ENOMEM;
				}
			}
			if (json_array_append_new(list, json_string(finalizer)) < 0) {
				json_decref(obj);
				return -ENOMEM;
			}
		} else {
			json_array_foreach(list, i, v) {
				const char *f = json_string_value(v);

				if (f && strcmp(f, finalizer) == 0) {
					json_array_remove(list, i);
					i--;
				}
			}
		}
		e = kube_replace(k, r, ns, name, obj, false, NULL, ret_err);
		json_decref(obj);
		if (e != -EBUSY)
			return e;
	}
	return kube_fail(ret_err, e, "%s %s: finalizer %s: still conflicting after %d attempts",
			 r->plural, name, finalizer, MAX_ATTEMPTS);
}

int kube_add_finalizer(struct kube *k, const struct kube_res *r, const char *ns,
		       const char *name, const char *finalizer, char **ret_err)
{
	return change_finalizer(k, r, ns, name, finalizer, true, ret_err);
}

int kube_remove_finalizer(struct kube *k, const struct kube_res *r, const char *ns,
			  const char *name, const char *finalizer, char **ret_err)
{
	return change_finalizer(k, r, ns, name, finalizer, false, ret_err);
}
