/* A small Kubernetes API client, used by bpfman-agent and bpfman-operator: kubeconfig or
 * in-cluster service-account auth, JSON requests (libcurl + jansson; kubeconfig read with
 * libyaml), list + watch with resourceVersion, bookmarks and a relist on 410, server-side
 * apply, the status subresource, finalizers, backoff.
 *
 * Library code: returns negative errno and never logs. Every call that can fail takes an
 * optional `char **ret_err`: NULL, or set to a malloc'd message naming what failed (the API
 * server's Status message when it sent one). HTTP statuses map to errno:
 *   401/403 -EACCES, 404 -ENOENT, 409 AlreadyExists -EEXIST, 409 Conflict -EBUSY,
 *   410 Gone -ESTALE, 422/400 -EINVAL, 429/5xx and transport errors -EIO, time-outs -ETIMEDOUT.
 *   Also: 405 -EOPNOTSUPP, 408 -ETIMEDOUT, 413 -E2BIG, 415 -EINVAL, other statuses -EPROTO;
 *   a TLS failure (wrong CA, rejected client certificate) is -EIO with libcurl's reason and a
 *   hint; a stop of an informer's request -ECANCELED.
 * Messages read "METHOD PATH: <Status.message> (HTTP <code> <Status.reason>)".
 * Every write (create, apply, merge patch, replace) passes ?fieldManager= (the opts' field
 * manager), so managedFields name it rather than the User-Agent.
 * A struct kube may be used from several threads at once (each request has its own handle). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct kube;

struct kube_opts {
	/* kubeconfig file; NULL: $KUBECONFIG, else in-cluster (service-account token and CA
	 * under /var/run/secrets/kubernetes.io/serviceaccount, $KUBERNETES_SERVICE_HOST/PORT),
	 * else ~/.kube/config. Of a $KUBECONFIG list (a:b) only the first file is read.
	 * Certificates, keys and CAs given as *-data are handed to libcurl in memory; relative
	 * paths are relative to the kubeconfig's directory; exec/auth-provider users are
	 * -EOPNOTSUPP. An in-cluster token file is re-read when it changes (rotation). */
	const char *kubeconfig;
	const char *field_manager; /* server-side apply's fieldManager; NULL: "bpfman" */
	long timeout_ms; /* per request (not watches); 0: 30000 */
};

int kube_open(const struct kube_opts *o, struct kube **ret, char **ret_err);
void kube_close(struct kube *k);
/* the API server's URL ("https://127.0.0.1:6443") */
const char *kube_server(const struct kube *k);

/* A kind of resource: group ("" for the core group), version, plural, namespaced. */
struct kube_res {
	const char *group;
	const char *version;
	const char *plural;
	const char *kind;
	bool namespaced;
};

extern const struct kube_res KUBE_NODE, KUBE_POD, KUBE_SECRET, KUBE_NAMESPACE, KUBE_CONFIGMAP,
	KUBE_DAEMONSET, KUBE_CSIDRIVER, KUBE_SERVICEACCOUNT, KUBE_CLUSTERROLE,
	KUBE_CLUSTERROLEBINDING, KUBE_CRD;

/* Label and field selectors as the API takes them ("a=b,c", "spec.nodeName=n"); NULL = none. */
struct kube_sel {
	const char *labels;
	const char *fields;
};

/* GET one object (ns: NULL for cluster-scoped kinds). *ret: a new reference. */
int kube_get(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
	     json_t **ret, char **ret_err);
/* GET a collection (ns NULL: every namespace). *ret: the List object (items,
 * metadata.resourceVersion). */
int kube_list(struct kube *k, const struct kube_res *r, const char *ns,
	      const struct kube_sel *sel, json_t **ret, char **ret_err);
/* POST (create). obj is not stolen. ret may be NULL. */
int kube_create(struct kube *k, const struct kube_res *r, const char *ns, json_t *obj,
		json_t **ret, char **ret_err);
/* Server-side apply (PATCH application/apply-patch+yaml, the JSON body, fieldManager of the
 * opts, force when asked). status: to the /status subresource. obj must carry apiVersion,
 * kind and metadata.name. */
int kube_apply(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
	       json_t *obj, bool status, bool force, json_t **ret, char **ret_err);
/* PATCH application/merge-patch+json (status: to /status). */
int kube_merge_patch(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
		     json_t *patch, bool status, json_t **ret, char **ret_err);
/* PUT (replace, with the resourceVersion the object carries: -EBUSY when it moved on). */
int kube_replace(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
		 json_t *obj, bool status, json_t **ret, char **ret_err);
/* DELETE; 0 also when it is already gone (a 404). propagation: NULL, "Background",
 * "Foreground", "Orphan". */
int kube_delete(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
		const char *propagation, char **ret_err);
/* Adds / removes one finalizer (read, change, PUT with resourceVersion; retried on
 * conflict). 0 when it was already there / already gone; -ENOENT when the object is gone. */
int kube_add_finalizer(struct kube *k, const struct kube_res *r, const char *ns,
		       const char *name, const char *finalizer, char **ret_err);
int kube_remove_finalizer(struct kube *k, const struct kube_res *r, const char *ns,
			  const char *name, const char *finalizer, char **ret_err);

/* An informer: a thread that lists, then watches from the list's resourceVersion (with
 * allowWatchBookmarks), keeps a cache of the objects, relists on 410 Gone (and on any
 * broken watch, with backoff), and writes 1 to notify_fd (an eventfd, or -1) after every
 * change to the cache, so a level-triggered loop can re-read it.
 * Precisely: a 410 (HTTP status or ERROR event) relists at once and the new list replaces
 * the cache; a broken stream or another ERROR re-watches from the last resourceVersion after
 * a backoff (100 ms doubling to 30 s, reset by a watch the server ended normally); a watch
 * lasts timeoutSeconds 300-599 (random); BOOKMARKs only move the resourceVersion. Listed
 * items get the kind and apiVersion a List leaves out, so cached objects all carry them.
 * Lists are not paginated. kube_informer_stop() wakes the thread from any wait. */
struct kube_informer;

int kube_informer_start(struct kube *k, const struct kube_res *r, const char *ns,
			const struct kube_sel *sel, int notify_fd, struct kube_informer **ret,
			char **ret_err);
/* Stops the thread (within a second) and frees the cache. NULL is fine. */
void kube_informer_stop(struct kube_informer *inf);
/* The getters below accept NULL (an informer that did not start): false, an empty array,
 * NULL, 0. */
/* true once the first list has filled the cache */
bool kube_informer_synced(struct kube_informer *inf);
/* The cached objects now: a new JSON array (its items are shared references: read only). */
json_t *kube_informer_items(struct kube_informer *inf);
/* One cached object by namespace (NULL for cluster-scoped) and name: new reference or NULL. */
json_t *kube_informer_get(struct kube_informer *inf, const char *ns, const char *name);
/* How often the informer has (re)listed: 1 after the first list; +1 per relist (410 etc.). */
unsigned kube_informer_lists(struct kube_informer *inf);
/* The last error of its list or watch requests (they are retried): malloc'd or NULL. */
char *kube_informer_last_error(struct kube_informer *inf);

/* Backoff for retries: 100 ms doubling to max_ms, with jitter. */
struct kube_backoff {
	long next_ms;
	long max_ms;
};
long kube_backoff_next(struct kube_backoff *b); /* the delay to wait now */
void kube_backoff_reset(struct kube_backoff *b);

/* Helpers on objects. */
const char *kube_obj_name(json_t *obj);
const char *kube_obj_namespace(json_t *obj); /* NULL for cluster-scoped */
const char *kube_obj_uid(json_t *obj);
bool kube_obj_deleting(json_t *obj); /* metadata.deletionTimestamp set */
bool kube_obj_has_finalizer(json_t *obj, const char *finalizer);
/* A LabelSelector (matchLabels + matchExpressions In/NotIn/Exists/DoesNotExist) against a
 * labels object. An empty or NULL selector matches everything. -EINVAL: malformed selector. */
int kube_selector_matches(json_t *selector, json_t *labels);
