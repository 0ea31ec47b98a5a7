/* bpfman-agent: the node agent. Shared state of its parts (one thread: the main loop owns
 * everything here; the informers' threads only fill their caches). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "app-decl.h"
#include "bpfman-apply.h"
#include "kube.h"

struct bpfman;

/* Finalizers the agent sets on its per-node objects (bpfman-k8s.md 1.8). */
#define FIN_CSTATE "bpfman.io.clbpfapplicationcontroller/finalizer"
#define FIN_NSTATE "bpfman.io.nsbpfapplicationcontroller/finalizer"
/* Labels of State and BpfProgram objects; the namespace label scopes namespaced apps
 * (operator #539). */
#define LABEL_OWNER "bpfman.io/ownedByProgram"
#define LABEL_HOST "kubernetes.io/hostname"
#define LABEL_APP_NS "bpfman.io/appNamespace"

extern const struct kube_res RES_CAPP, RES_NAPP, RES_CSTATE, RES_NSTATE, RES_BPFPROGRAM;

/* The first-generation kinds (bpfman-k8s.md 2), each translated to a one-program
 * application. */
struct g1_kind {
	struct kube_res res;
	const char *type; /* "xdp", as BpfProgram spec.type and the finalizer spell it */
};
#define N_G1 7
extern const struct g1_kind G1_KINDS[N_G1];

enum {
	INF_CAPP,
	INF_NAPP,
	INF_CSTATE,
	INF_NSTATE,
	INF_NODE,
	INF_PODS,
	INF_BPFPROG,
	INF_G1, /* N_G1 of them from here */
	INF_MAX = INF_G1 + N_G1,
};

struct agent {
	struct kube *k;
	struct bpfman *m;
	const char *node;
	struct kube_informer *inf[INF_MAX];
	/* per-node objects this process created or wrote that the informers may not show
	 * yet: "kind/ns/name" -> the object as written (so a pass never creates a second
	 * State, nor compares against a stale status) */
	json_t *written;
	int efd; /* eventfd the informers write on every change */
	bool again; /* something changed in the API this pass: run another one soon */
};

/* ---- one pass (pass.c) ---- */
int agent_pass(struct agent *a);
/* one line per action the reconciler took */
void log_actions(const struct app_result *res, size_t n);

/* ---- the Node (node.c) ---- */
/* 1 selected, 0 not, <0 malformed selector */
int node_selected(json_t *node, json_t *selector);
/* The host interface holding one of the Node's InternalIP addresses (malloc'd), or NULL
 * with *why set. */
char *node_primary_iface(json_t *node, char **why);

/* ---- pods on this node (pods.c) ---- */
/* A process of the pod (by its UID, found in /proc/PID/cgroup), or 0 when none runs. */
int pod_pid(const char *uid);
/* Network namespace paths of the pods matching (namespace, selector): "" for the host's
 * (hostNetwork pods), "/proc/PID/ns/net" for the others. A NULL-terminated list; pods
 * with no process here yet are skipped (they come with a later pass). */
int pods_netns(struct agent *a, const char *ns, json_t *selector, char ***ret);
/* Processes of the containers matching a uprobe's `containers` (namespace, pods selector,
 * containerNames: NULL or empty = every container), one per container: its cgroup names
 * the container id of status.containerStatuses. Containers with no process here yet are
 * skipped (they come with a later pass). *ret: malloc'd array (maybe empty). */
int pods_container_pids(struct agent *a, const char *ns, json_t *selector, json_t *names,
			int32_t **ret, size_t *ret_n);

/* ---- the declaration the reconciler takes (decl.c) ---- */
struct decl_issue {
	size_t prog; /* index into spec.programs */
	char *msg;
};
/* The app object (JSON of a ClusterBpfApplication / BpfApplication) -> one app_decl with
 * every link concrete: one interface each, netns paths of the selected pods, the primary
 * interface resolved. Links that cannot be expanded are left out and named in issues. */
int decl_build(struct agent *a, json_t *app, json_t *node, struct app_decl *ret,
	       struct decl_issue **issues, size_t *n_issues, char **ret_err);
void decl_issues_free(struct decl_issue *v, size_t n);

/* ---- image pull secrets (secret.c) ---- */
/* The registry credentials the app's Secret gives for its image (both NULL: none). */
int pull_secret_creds(struct agent *a, const struct app_decl *d, char **ret_user,
		      char **ret_pass, char **why);
/* With an imagePullSecret: pulls the image into the cache with the Secret's credentials
 * (when missing), and has the reconciler take it from there (pull policy IfNotPresent: the
 * reconciler has no credentials to pull with). 0, or <0 with *why. */
int pull_with_secret(struct agent *a, struct app_decl *d, char **why);

/* ---- State objects (state.c) ---- */
/* The State of this node for the app (NULL if none): a new reference. */
json_t *state_find(struct agent *a, bool namespaced, const char *ns, const char *app_name);
/* Creates it (labels, owner, finalizer); returns a new reference (NULL: failed, logged). */
json_t *state_create(struct agent *a, json_t *app, bool namespaced);
/* Writes status if it differs from what the State shows (updateCount + 1). 0: nothing to
 * write, 1: written, <0 error (logged). */
int state_write_status(struct agent *a, json_t *state, bool namespaced, json_t *status);
/* The status of one pass's outcome. */
struct app_outcome {
	bool selected, deleting, load_failed;
	char *load_error;
	const struct app_decl *decl; /* NULL when unloaded / not built */
	struct app_result *res;
	struct decl_issue *issues;
	size_t n_issues;
};
json_t *state_status(struct agent *a, json_t *app, json_t *old_state,
		     const struct app_outcome *o);

/* kernel ids of the application's programs (ids[i] for d->programs[i]; 0: not loaded) */
int app_prog_ids(struct agent *a, const struct app_decl *d, uint32_t *ids);
/* drops an object from the written-object cache (it is gone) */
void agent_forget(struct agent *a, json_t *obj);

/* ---- first-generation kinds (g1.c) ---- */
int g1_pass(struct agent *a, json_t *node);

/* ---- helpers (util.c) ---- */
const char *jstr(json_t *o, const char *path); /* "a.b.c": a string or NULL */
json_t *jget(json_t *o, const char *path);
/* metadata.labels[key] (keys have dots: no jget path) */
const char *label_of(json_t *obj, const char *key);
char *now_rfc3339(void);
void random_hex(char *buf, size_t n); /* n hex chars + NUL (buf holds n + 1) */
char *random_uuid(void);
/* written-object cache keys */
char *obj_key(const char *kind, const char *ns, const char *name);
