/* Which program's maps a volume shows: matched on the application's name and namespace,
 * never on the bare name alone (upstream matched the first program of that name, in any
 * namespace). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfman-apply.h"
#include "bpfman.h"
#include "csi-internal.h"
#include <grpc/status.h>
#include "strv.h"

void csi_program_clear(struct csi_program *p)
{
	free(p->map_pin_path);
	free(p->app_id);
	*p = (struct csi_program){ 0 };
}

/* 2: a namespaced application of the pod's namespace; 1: cluster-wide (a
 * ClusterBpfApplication, or a program loaded without an application); 0: a namespaced
 * application the pod may not see. */
static int rank(const char *app, const char *pod_ns)
{
	static const char ns_kind[] = "BpfApplication/";
	const char *ns, *slash;

	if (!app || strncmp(app, ns_kind, strlen(ns_kind)))
		return 1;
	ns = app + strlen(ns_kind);
	slash = strchr(ns, '/');
	if (!pod_ns || !slash || strlen(pod_ns) != (size_t)(slash - ns) ||
	    strncmp(ns, pod_ns, (size_t)(slash - ns)))
		return 0;
	return 2;
}

static bool same_source(const struct bpfman_program *a, const struct bpfman_program *b)
{
	const char *aa = kv_list_get(&a->metadata, APP_META_APP);
	const char *ba = kv_list_get(&b->metadata, APP_META_APP);

	if (aa || ba)
		return aa && ba && !strcmp(aa, ba);
	return a->map_pin_path && b->map_pin_path && !strcmp(a->map_pin_path, b->map_pin_path);
}

int csi_find_program(struct csi *c, const char *name, const char *pod_ns, struct csi_program *ret,
		     char *msg, size_t len)
{
	struct bpfman_open_opts oo = { .root = c->root, .read_only = true };
	struct kv_list want = { 0 };
	struct bpfman_program_view *v = NULL;
	const struct bpfman_program *best = NULL, *refused = NULL;
	int best_rank = 0, status = 0;
	struct bpfman *m = NULL;
	size_t n = 0;
	int r;

	*ret = (struct csi_program){ 0 };
	r = bpfman_open(&oo, NULL, NULL, &m);
	if (r < 0) {
		snprintf(msg, len, "cannot read the manager's state: %s", bpfman_error(m));
		bpfman_close(m);
		return GRPC_STATUS_UNAVAILABLE; /* kubelet retries */
	}
	r = kv_list_set(&want, APP_META_NAME, name);
	if (r == 0)
		r = bpfman_list_programs(m, &(struct bpfman_list_filter){ .metadata = &want }, &v, &n);
	kv_list_clear(&want);
	if (r < 0) {
		snprintf(msg, len, "cannot list programs: %s", bpfman_error(m));
		bpfman_close(m);
		return GRPC_STATUS_INTERNAL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bpfman_program *p = v[i].program;
		int k;

		if (!p || !p->map_pin_path)
			continue;
		k = rank(kv_list_get(&p->metadata, APP_META_APP), pod_ns);
		if (!k) {
			refused = refused ? refused : p;
			continue;
		}
		if (k > best_rank || (k == best_rank && p->id < best->id && same_source(p, best))) {
			best = p;
			best_rank = k;
			status = 0;
		} else if (k == best_rank && !same_source(p, best)) {
			status = GRPC_STATUS_FAILED_PRECONDITION; /* unless a better one comes */
			snprintf(msg, len,
				 "program name '%s' is ambiguous: programs %u and %u belong to different applications; load only one of them on this node",
				 name, best->id, p->id);
		}
	}
	if (!best && refused) {
		const char *app = kv_list_get(&refused->metadata, APP_META_APP);

		status = GRPC_STATUS_PERMISSION_DENIED;
		if (pod_ns)
			snprintf(msg, len, "%s is a namespaced application; a pod in namespace '%s' may not use its maps",
				 app, pod_ns);
		else
			snprintf(msg, len, "%s is a namespaced application and the request does not name the pod's namespace (csi.storage.k8s.io/pod.namespace; the CSIDriver needs podInfoOnMount: true)",
				 app);
	} else if (!best) {
		status = GRPC_STATUS_NOT_FOUND; /* kubelet retries, which covers "not loaded yet" */
		snprintf(msg, len, "no program with metadata %s=%s is loaded on this node", APP_META_NAME,
			 name);
	} else if (status == 0) {
		const char *app = kv_list_get(&best->metadata, APP_META_APP);

		ret->prog_id = best->id;
		ret->map_pin_path = strdup(best->map_pin_path);
		ret->app_id = app ? strdup(app) : NULL;
		if (!ret->map_pin_path || (app && !ret->app_id)) {
			csi_program_clear(ret);
			snprintf(msg, len, "out of memory");
			status = GRPC_STATUS_RESOURCE_EXHAUSTED;
		}
	}
	bpfman_program_views_free(v, n);
	bpfman_close(m);
	return status;
}
