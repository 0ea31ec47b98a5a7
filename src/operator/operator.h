/* The operator's state: one API connection and an informer per watched kind. Every pass
 * reads only the informers' caches and writes only what differs. */
#pragma once

#include <stdbool.h>

#include "kinds.h"
#include "deploy-objects.h"
#include "kube.h"

struct op_watch {
	const struct kube_res *res;
	struct kube_informer *inf; /* NULL: not started (kind not served) */
};

struct op {
	struct kube *k;
	struct op_watch *watches;
	unsigned n_watches;
	const char *bpfman_img;       /* BPFMAN_IMG */
	const char *agent_img;        /* BPFMAN_AGENT_IMG */
	const char *pull_policy;      /* BPFMAN_IMAGE_PULL_POLICY or NULL */
	struct deploy_host host;      /* BPFMAN_HOST_ROOT, BPFMAN_KUBELET_DIR, BPFMAN_API_SERVER */
	const char *bootstrap_ns;     /* --namespace, for the bootstrap Config */
	/* uid → {"rv": the app's resourceVersion the last write was made against, "c": what
	 * was written}: until the cache shows the write, the same write is not sent again */
	json_t *written;
};

/* The informer of a kind, NULL when it is not watched or not running. */
struct kube_informer *op_informer(struct op *op, const struct kube_res *res);
/* Has the informer of a kind listed once? false when it is not running. */
bool op_synced(struct op *op, const struct kube_res *res);
/* The cached objects of a kind (a new array; empty when the kind is not watched). */
json_t *op_items(struct op *op, const struct kube_res *res);

/* One pass over every application of every kind: finalizer, roll-up, condition. Returns
 * the number of objects whose write failed (the caller retries in 5 s). */
unsigned app_status_pass(struct op *op);

/* One pass over the Config and what it deploys. Same return convention. */
unsigned deploy_pass(struct op *op);
