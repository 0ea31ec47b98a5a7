/* What the Config bpfman-config deploys (bpfman-k8s.md 4.1, 4.2, 5.1, 3.1): the desired
 * objects, built as JSON for server-side apply. Pure: no API calls. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "kube.h"

#define DEPLOY_DAEMONSET "bpfman-daemon"
#define DEPLOY_SERVICEACCOUNT "bpfman-daemon"
#define DEPLOY_CLUSTERROLE "bpfman-agent-role"
#define DEPLOY_CLUSTERROLEBINDING "bpfman-agent-rolebinding"
#define DEPLOY_CONFIGMAP "bpfman-config"
#define DEPLOY_CSIDRIVER "csi.bpfman.io"
/* on every object the operator manages: its informers select by this label */
#define DEPLOY_MANAGED_LABEL "app.kubernetes.io/managed-by"
#define DEPLOY_MANAGED_VALUE "bpfman-operator"
#define DEPLOY_KUBELET_DIR "/var/lib/kubelet"

struct deploy_obj {
	const struct kube_res *res;
	const char *ns;   /* points into obj; NULL for cluster-scoped */
	const char *name; /* points into obj */
	json_t *obj;
	/* the owned-object informers select by DEPLOY_MANAGED_LABEL; the Namespace is not
	 * owned (deleting the Config must not delete a namespace) */
	bool owned;
};

struct deploy_set {
	struct deploy_obj *objs;
	size_t n;
};

/* cfg: the Config object; pull_policy: BPFMAN_IMAGE_PULL_POLICY or NULL. -EINVAL with
 * *ret_err set when the Config lacks a required field. */
int deploy_objects(json_t *cfg, const char *pull_policy, struct deploy_set *ret, char **ret_err);

/* Where the DaemonSet's pods find the node's state (the operator's environment; NULL or ""
 * for each default). */
struct deploy_host {
	/* BPFMAN_HOST_ROOT: bpfman's root on the node (default /: /run/bpfman, ...). The pods
	 * mount <root>/run/bpfman and <root>/var/cache/bpfman at the same paths and run with
	 * BPFMAN_ROOT=<root>; /sys/fs/bpf is then used as the node has it (no propagation). */
	const char *root;
	/* BPFMAN_KUBELET_DIR: the kubelet's --root-dir (default /var/lib/kubelet) */
	const char *kubelet_dir;
	/* BPFMAN_API_SERVER=HOST:PORT: the API server the agent talks to instead of the
	 * kubernetes Service (nodes without a service proxy) */
	const char *api_server;
	/* BPFMAN_AGENT_PROBE_HOST: the address of the agent's health probe (default: all) */
	const char *probe_host;
};

/* deploy_objects() for a node laid out as host says. */
int deploy_objects_on(json_t *cfg, const char *pull_policy, const struct deploy_host *host,
		      struct deploy_set *ret, char **ret_err);
void deploy_set_free(struct deploy_set *s);

/* Does an overrides[] entry of the Config mark this object unmanaged? (group/version, kind,
 * namespace, name all equal; a cluster-scoped object matches an empty namespace) */
bool deploy_unmanaged(json_t *cfg, const struct deploy_obj *o);
