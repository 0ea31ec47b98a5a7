/* The objects a Config deploys. The DaemonSet pod runs this project's binaries:
 *   init mount-bpffs   bpfman-agent --mount-bpffs (mounts a bpffs only where none is, #477)
 *   init mount-bpfman-fs  the same for the store's bpffs <root>/run/bpfman/fs, so that both
 *                      containers see the one the node has
 *   bpfman             bpfman-rpc --csi-support: the gRPC API and the CSI driver; it also
 *                      answers the kubelet's plugin registration itself (in /registration),
 *                      so node-driver-registrar runs only when spec.daemon.csiRegistrarImage
 *                      asks for it
 *   bpfman-agent       links the library and shares the store with bpfman-rpc through
 *                      <root>/run/bpfman (the store's lock), so both see the same host paths.
 * The host paths, each at the same path in the containers: <root>/run/bpfman (store, bpffs
 * pins, CSI volumes), /sys/fs/bpf, <root>/var/cache/bpfman (images), /proc as /host/proc
 * and /run/netns (network namespaces of pods), the kubelet's plugin and pod directories for
 * CSI, and the CRI socket directories for the agent. <root> is / unless the operator's
 * BPFMAN_HOST_ROOT names another (struct deploy_host). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy-objects.h"
#include "kinds.h"


static const char *str_at(json_t *obj, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(obj, a), b);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *meta(const char *api, const char *kind, const char *ns, const char *name, json_t *cfg,
		    bool owned)
{
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "apiVersion", api, "kind", kind, "metadata",
			      "name", name, "labels", DEPLOY_MANAGED_LABEL, DEPLOY_MANAGED_VALUE);

	if (!o)
		return NULL;
	if (ns)
		json_object_set_new(json_object_get(o, "metadata"), "namespace", json_string(ns));
	if (owned)
		json_object_set_new(json_object_get(o, "metadata"), "ownerReferences",
				    json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion",
					      "bpfman.io/v1alpha1", "kind", "Config", "name",
					      str_at(cfg, "metadata", "name"), "uid", str_at(cfg, "metadata", "uid"),
					      "controller", 1, "blockOwnerDeletion", 1));
	return o;
}

static json_t *namespace_obj(json_t *cfg, const char *ns)
{
	json_t *o = meta("v1", "Namespace", NULL, ns, cfg, false);
	json_t *labels = json_object_get(json_object_get(o, "metadata"), "labels");

	/* the pods are privileged: Pod Security admission must allow them */
	json_object_set_new(labels, "pod-security.kubernetes.io/enforce", json_string("privileged"));
	json_object_set_new(labels, "pod-security.kubernetes.io/audit", json_string("privileged"));
	json_object_set_new(labels, "pod-security.kubernetes.io/warn", json_string("privileged"));
	return o;
}

static json_t *configmap_obj(json_t *cfg, const char *ns)
{
	json_t *o = meta("v1", "ConfigMap", ns, DEPLOY_CONFIGMAP, cfg, true), *data = json_object();
	const char *toml = str_at(cfg, "spec", "configuration");
	const char *dl = str_at(json_object_get(cfg, "spec"), "daemon", "logLevel");
	const char *al = str_at(json_object_get(cfg, "spec"), "agent", "logLevel");

	json_object_set_new(data, "bpfman.toml", json_string(toml));
	if (dl)
		json_object_set_new(data, "bpfman.log.level", json_string(dl));
	if (al)
		json_object_set_new(data, "bpfman.agent.log.level", json_string(al));
	json_object_set_new(o, "data", data);
	return o;
}

static json_t *serviceaccount_obj(json_t *cfg, const char *ns)
{
	return meta("v1", "ServiceAccount", ns, DEPLOY_SERVICEACCOUNT, cfg, true);
}

/* bpfman-k8s.md 3.1, plus the G1 kinds the agent also serves */
static json_t *clusterrole_obj(json_t *cfg)
{
	json_t *o = meta("rbac.authorization.k8s.io/v1", "ClusterRole", NULL, DEPLOY_CLUSTERROLE, cfg, true);
	json_t *rules = json_pack(
		"["
		"{s:[s], s:[s,s], s:[s,s,s]},"   /* nodes, pods */
		"{s:[s], s:[s], s:[s]},"         /* secrets */
		"{s:[s], s:[s,s,s,s,s,s,s,s,s], s:[s,s,s]}," /* user kinds */
		"{s:[s], s:[s,s,s], s:[s,s,s,s,s,s,s]}," /* state kinds */
		"{s:[s], s:[s,s,s,s,s,s,s,s,s,s,s,s], s:[s,s,s]}," /* status */
		"{s:[s], s:[s,s,s,s,s,s,s,s,s,s,s,s], s:[s]}"   /* finalizers */
		"]",
		"apiGroups", "", "resources", "nodes", "pods", "verbs", "get", "list", "watch",
		"apiGroups", "", "resources", "secrets", "verbs", "get",
		"apiGroups", "bpfman.io", "resources", "clusterbpfapplications", "bpfapplications",
		"xdpprograms", "tcprograms", "tracepointprograms", "kprobeprograms", "uprobeprograms",
		"fentryprograms", "fexitprograms", "verbs", "get", "list", "watch",
		"apiGroups", "bpfman.io", "resources", "clusterbpfapplicationstates", "bpfapplicationstates",
		"bpfprograms", "verbs", "get", "list", "watch", "create", "update", "patch", "delete",
		"apiGroups", "bpfman.io", "resources", "clusterbpfapplications/status",
		"bpfapplications/status", "clusterbpfapplicationstates/status",
		"bpfapplicationstates/status", "bpfprograms/status", "xdpprograms/status",
		"tcprograms/status", "tracepointprograms/status", "kprobeprograms/status",
		"uprobeprograms/status", "fentryprograms/status", "fexitprograms/status", "verbs", "get",
		"update", "patch",
		"apiGroups", "bpfman.io", "resources", "clusterbpfapplications/finalizers",
		"bpfapplications/finalizers", "clusterbpfapplicationstates/finalizers",
		"bpfapplicationstates/finalizers", "bpfprograms/finalizers", "xdpprograms/finalizers",
		"tcprograms/finalizers", "tracepointprograms/finalizers", "kprobeprograms/finalizers",
		"uprobeprograms/finalizers", "fentryprograms/finalizers", "fexitprograms/finalizers",
		"verbs", "update");

	if (!o || !rules) {
		json_decref(o);
		json_decref(rules);
		return NULL;
	}
	json_object_set_new(o, "rules", rules);
	return o;
}

static json_t *clusterrolebinding_obj(json_t *cfg, const char *ns)
{
	json_t *o = meta("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", NULL, DEPLOY_CLUSTERROLEBINDING,
			 cfg, true);

	json_object_set_new(o, "roleRef", json_pack("{s:s, s:s, s:s}", "apiGroup", "rbac.authorization.k8s.io",
						     "kind", "ClusterRole", "name", DEPLOY_CLUSTERROLE));
	json_object_set_new(o, "subjects", json_pack("[{s:s, s:s, s:s}]", "kind", "ServiceAccount", "name",
						     DEPLOY_SERVICEACCOUNT, "namespace", ns));
	return o;
}

/* bpfman-k8s.md 5.1 */
static json_t *csidriver_obj(json_t *cfg)
{
	json_t *o = meta("storage.k8s.io/v1", "CSIDriver", NULL, DEPLOY_CSIDRIVER, cfg, true);

	json_object_set_new(o, "spec",
			    json_pack("{s:b, s:b, s:[s], s:s, s:b, s:b, s:b}", "attachRequired", 0,
				      "podInfoOnMount", 1, "volumeLifecycleModes", "Ephemeral", "fsGroupPolicy",
				      "ReadWriteOnceWithFSType", "requiresRepublish", 0, "seLinuxMount", 0,
				      "storageCapacity", 0));
	return o;
}

static json_t *host_volume(const char *name, const char *path, const char *type)
{
	return json_pack("{s:s, s:{s:s, s:s}}", "name", name, "hostPath", "path", path, "type", type);
}

static json_t *mount(const char *name, const char *path, const char *propagation)
{
	json_t *m = json_pack("{s:s, s:s}", "name", name, "mountPath", path);

	if (propagation)
		json_object_set_new(m, "mountPropagation", json_string(propagation));
	return m;
}

static json_t *node_name_env(void)
{
	return json_pack("{s:s, s:{s:{s:s}}}", "name", "KUBE_NODE_NAME", "valueFrom", "fieldRef", "fieldPath",
			 "spec.nodeName");
}

static json_t *container(const char *name, const char *image, json_t *command, json_t *env,
			 json_t *mounts, const char *pull_policy, bool privileged)
{
	json_t *c = json_pack("{s:s, s:s, s:o, s:o}", "name", name, "image", image, "command", command,
			      "volumeMounts", mounts);

	/* the API server drops an empty list: leaving it out keeps the drift check quiet */
	if (c && json_array_size(env) > 0)
		json_object_set(c, "env", env);
	json_decref(env);

	if (c && privileged)
		json_object_set_new(c, "securityContext", json_pack("{s:b}", "privileged", 1));
	if (c && pull_policy)
		json_object_set_new(c, "imagePullPolicy", json_string(pull_policy));
	return c;
}

/* "<a><b>" in buf (paths on the node; a is the root without its trailing slash) */
static const char *cat(char *buf, size_t n, const char *a, const char *b)
{
	snprintf(buf, n, "%s%s", a, b);
	return buf;
}

static json_t *env_var(const char *name, const char *value)
{
	return json_pack("{s:s, s:s}", "name", name, "value", value);
}

static json_t *daemonset_obj(json_t *cfg, const char *ns, const char *pull_policy, const struct deploy_host *host)
{
	json_t *spec = json_object_get(cfg, "spec");
	json_t *agent = json_object_get(spec, "agent");
	const char *agent_img = str_at(spec, "agent", "image"), *daemon_img = str_at(spec, "daemon", "image");
	const char *alog = str_at(spec, "agent", "logLevel"), *dlog = str_at(spec, "daemon", "logLevel");
	const char *registrar = str_at(spec, "daemon", "csiRegistrarImage");
	const char *toml = str_at(cfg, "spec", "configuration");
	json_t *port = json_object_get(agent, "healthProbePort");
	json_int_t probe_port = json_is_integer(port) ? json_integer_value(port) : 8175;
	json_t *o = meta("apps/v1", "DaemonSet", ns, DEPLOY_DAEMONSET, cfg, true);
	json_t *annotations = json_object(), *containers = json_array(), *inits = json_array(), *volumes;
	json_t *denv = json_array(), *aenv = json_array(), *dmounts, *amounts, *dcmd, *acmd;
	/* own root: the node's /sys/fs/bpf may sit on a private mount, where only the default
	 * propagation works; it is used as it is (pins made through it are on the node's bpffs) */
	bool own_root = host && host->root && *host->root;
	const char *bpffs_prop = own_root ? NULL : "Bidirectional";
	char root[1024], kubelet[1024], run_dir[1100], fs_dir[1100], cache_dir[1100], sock_dir[1100],
		conf_path[1100], csi_dir[1100], csi_sock[1100], pods_dir[1100], reg_dir[1100], reg_arg[1200], probe[300];
	size_t n;

	if (!o || !annotations || !containers || !inits || !denv || !aenv)
		goto fail;
	snprintf(root, sizeof(root), "%s", own_root ? host->root : "");
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		root[--n] = '\0';
	snprintf(kubelet, sizeof(kubelet), "%s",
		 host && host->kubelet_dir && *host->kubelet_dir ? host->kubelet_dir : DEPLOY_KUBELET_DIR);
	cat(run_dir, sizeof(run_dir), root, "/run/bpfman");
	cat(fs_dir, sizeof(fs_dir), root, "/run/bpfman/fs");
	cat(cache_dir, sizeof(cache_dir), root, "/var/cache/bpfman");
	cat(sock_dir, sizeof(sock_dir), root, "/run/bpfman-sock");
	cat(conf_path, sizeof(conf_path), root, "/etc/bpfman/bpfman.toml");
	cat(csi_dir, sizeof(csi_dir), kubelet, "/plugins/csi-bpfman");
	cat(csi_sock, sizeof(csi_sock), kubelet, "/plugins/csi-bpfman/csi.sock");
	cat(pods_dir, sizeof(pods_dir), kubelet, "/pods");
	cat(reg_dir, sizeof(reg_dir), kubelet, "/plugins_registry");
	snprintf(reg_arg, sizeof(reg_arg), "--kubelet-registration-path=%s", csi_sock);
	snprintf(probe, sizeof(probe), "%s:%lld", host && host->probe_host ? host->probe_host : "",
		 (long long)probe_port);
	/* any change of these rolls the pods (4.1) */
	json_object_set_new(annotations, "bpfman.io.bpfman.toml", json_string(toml));
	if (dlog)
		json_object_set_new(annotations, "bpfman.io.bpfman.log.level", json_string(dlog));
	if (alog)
		json_object_set_new(annotations, "bpfman.io.bpfman.agent.log.level", json_string(alog));

	json_array_append_new(denv, node_name_env());
	json_array_append_new(aenv, node_name_env());
	if (own_root) {
		json_array_append_new(denv, env_var("BPFMAN_ROOT", root));
		json_array_append_new(aenv, env_var("BPFMAN_ROOT", root));
	}
	if (dlog)
		json_array_append_new(denv, env_var("BPFMAN_LOG", dlog));
	if (alog)
		json_array_append_new(aenv, env_var("BPFMAN_LOG", alog));
	if (host && host->api_server && *host->api_server) {
		/* the kubelet's service variables name a ClusterIP nothing routes on such nodes;
		 * a container's own env wins over them */
		char h[256];
		const char *colon = strrchr(host->api_server, ':');

		snprintf(h, sizeof(h), "%.*s", colon ? (int)(colon - host->api_server) : (int)strlen(host->api_server),
			 host->api_server);
		json_array_append_new(aenv, env_var("KUBERNETES_SERVICE_HOST", h));
		json_array_append_new(aenv, env_var("KUBERNETES_SERVICE_PORT", colon ? colon + 1 : "443"));
	}

	/* The store (db, lock, the bpffs at <root>/run/bpfman/fs), the image cache and
	 * /sys/fs/bpf are the node's, at the same paths in both containers: the agent runs the
	 * library in process and shares them with bpfman-rpc through the store's lock. */
	dmounts = json_pack("[o,o,o,o,o,o,o,o]", mount("bpfman-sock", sock_dir, NULL),
			    mount("run-bpfman", run_dir, "Bidirectional"), mount("bpffs", "/sys/fs/bpf", bpffs_prop),
			    mount("image-cache", cache_dir, NULL), mount("host-proc", "/host/proc", NULL),
			    mount("netns", "/run/netns", "HostToContainer"),
			    mount("debugfs", "/sys/kernel/debug", NULL),
			    json_pack("{s:s, s:s, s:s, s:b}", "name", "bpfman-config", "mountPath", conf_path, "subPath",
				      "bpfman.toml", "readOnly", 1));
	amounts = json_deep_copy(dmounts);
	/* CSI: the driver's socket where the kubelet finds it (the same path in here, not
	 * below the Bidirectional <root>/run/bpfman: a mount nested in it would propagate back
	 * to the node and stay there), the pods' volumes at the kubelet's own paths (the
	 * targets it names), and (without node-driver-registrar) the registration directory.
	 * The per-volume bpffs are under <root>/run/bpfman/csi. */
	json_array_append_new(dmounts, mount("csi-plugin", csi_dir, NULL));
	json_array_append_new(dmounts, mount("kubelet-pods", pods_dir, "Bidirectional"));
	if (!registrar)
		json_array_append_new(dmounts, mount("registration", "/registration", NULL));
	/* the agent: CRI sockets (container pids) and its metrics socket */
	json_array_append_new(amounts, mount("containerd", "/run/containerd", NULL));
	json_array_append_new(amounts, mount("crio", "/run/crio", NULL));
	json_array_append_new(amounts, mount("agent-run", "/var/run/bpfman-agent", NULL));

	dcmd = registrar ? json_pack("[s,s,s,s]", "bpfman-rpc", "--csi-support", "--csi-socket", csi_sock)
			 : json_pack("[s,s,s,s,s,s,s,s]", "bpfman-rpc", "--csi-support", "--csi-socket", csi_sock,
				     "--csi-registration-dir", "/registration", "--csi-registration-endpoint", csi_sock);
	acmd = json_pack("[s,s,s]", "bpfman-agent", "--health-probe-bind-address", probe);
	json_array_append_new(containers, container("bpfman", daemon_img, dcmd, denv, dmounts, pull_policy, true));
	json_array_append_new(containers,
			      container("bpfman-agent", agent_img, acmd, aenv, amounts, pull_policy, true));
	if (registrar)
		json_array_append_new(
			containers,
			container("node-driver-registrar", registrar,
				  json_pack("[s,s,s]", "/csi-node-driver-registrar", "--csi-address=/csi/csi.sock",
					    reg_arg),
				  json_pack("[o]", node_name_env()),
				  json_pack("[o,o]", mount("csi-plugin", "/csi", NULL),
					    mount("registration", "/registration", NULL)),
				  pull_policy, false));

	/* #477: a bpffs on /sys/fs/bpf only where none is (it must reach the node) */
	if (!own_root)
		json_array_append_new(inits, container("mount-bpffs", agent_img,
						       json_pack("[s,s]", "bpfman-agent", "--mount-bpffs"), json_array(),
						       json_pack("[o]", mount("bpffs", "/sys/fs/bpf", "Bidirectional")),
						       pull_policy, true));
	/* the store's bpffs, mounted once on the node before both containers start (each
	 * mounting its own would stack two, each side seeing other pins) */
	json_array_append_new(inits, container("mount-bpfman-fs", agent_img,
					       json_pack("[s,s,s,s]", "bpfman-agent", "--mount-bpffs", "--mount-bpffs-path",
							 fs_dir),
					       json_array(), json_pack("[o]", mount("run-bpfman", run_dir, "Bidirectional")),
					       pull_policy, true));

	volumes = json_pack("[{s:s, s:{}}, o,o,o,o,o,o,o,o,o,o,o,o, {s:s, s:{s:s}}]", "name", "bpfman-sock", "emptyDir",
			    host_volume("run-bpfman", run_dir, "DirectoryOrCreate"),
			    host_volume("bpffs", "/sys/fs/bpf", "Directory"),
			    host_volume("image-cache", cache_dir, "DirectoryOrCreate"),
			    host_volume("host-proc", "/proc", "Directory"),
			    host_volume("netns", "/run/netns", "DirectoryOrCreate"),
			    host_volume("debugfs", "/sys/kernel/debug", "Directory"),
			    host_volume("csi-plugin", csi_dir, "DirectoryOrCreate"),
			    host_volume("kubelet-pods", pods_dir, "DirectoryOrCreate"),
			    host_volume("registration", reg_dir, "DirectoryOrCreate"),
			    host_volume("containerd", "/run/containerd", "DirectoryOrCreate"),
			    host_volume("crio", "/run/crio", "DirectoryOrCreate"),
			    host_volume("agent-run", "/var/run/bpfman-agent", "DirectoryOrCreate"),
			    "name", "bpfman-config", "configMap", "name", DEPLOY_CONFIGMAP);

	json_object_set_new(
		o, "spec",
		json_pack("{s:{s:{s:s}}, s:{s:s, s:{s:i}}, s:{s:{s:{s:s}, s:o}, s:{s:s, s:b, s:s, s:{s:i},"
			  " s:i, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], s:o, s:o, s:o}}}",
			  "selector", "matchLabels", "app.kubernetes.io/name", "bpfman-daemon",
			  "updateStrategy", "type", "RollingUpdate", "rollingUpdate", "maxUnavailable", 1,
			  "template", "metadata", "labels", "app.kubernetes.io/name", "bpfman-daemon",
			  "annotations", annotations, "spec", "serviceAccountName", DEPLOY_SERVICEACCOUNT,
			  "hostNetwork", 1, "dnsPolicy", "ClusterFirstWithHostNet", "securityContext",
			  "fsGroup", 2000, "terminationGracePeriodSeconds", 15, "tolerations", "key",
			  "node-role.kubernetes.io/control-plane", "operator", "Exists", "effect", "NoSchedule",
			  "key", "node-role.kubernetes.io/master", "operator", "Exists", "effect", "NoSchedule",
			  "initContainers", inits, "containers", containers, "volumes", volumes));
	if (!json_object_get(o, "spec"))
		goto fail_o;
	return o;
fail:
	json_decref(annotations);
	json_decref(containers);
	json_decref(inits);
	json_decref(denv);
	json_decref(aenv);
fail_o:
	json_decref(o);
	return NULL;
}

static int add(struct deploy_set *s, const struct kube_res *res, json_t *obj, bool owned)
{
	struct deploy_obj *n;
	json_t *m = json_object_get(obj, "metadata");

	if (!obj)
		return -ENOMEM;
	n = realloc(s->objs, (s->n + 1) * sizeof(*n));
	if (!n) {
		json_decref(obj);
		return -ENOMEM;
	}
	s->objs = n;
	n[s->n++] = (struct deploy_obj){ .res = res, .obj = obj, .owned = owned,
					 .name = json_string_value(json_object_get(m, "name")),
					 .ns = json_string_value(json_object_get(m, "namespace")) };
	return 0;
}

int deploy_objects(json_t *cfg, const char *pull_policy, struct deploy_set *ret, char **ret_err)
{
	return deploy_objects_on(cfg, pull_policy, NULL, ret, ret_err);
}

int deploy_objects_on(json_t *cfg, const char *pull_policy, const struct deploy_host *host,
		      struct deploy_set *ret, char **ret_err)
{
	json_t *spec = json_object_get(cfg, "spec");
	const char *ns = str_at(cfg, "spec", "namespace");
	struct deploy_set s = { 0 };
	const char *missing = NULL;
	int k = 0;

	if (!str_at(spec, "agent", "image") || !*str_at(spec, "agent", "image"))
		missing = "spec.agent.image";
	else if (!str_at(spec, "daemon", "image") || !*str_at(spec, "daemon", "image"))
		missing = "spec.daemon.image";
	else if (!str_at(cfg, "spec", "configuration"))
		missing = "spec.configuration";
	else if (!str_at(cfg, "metadata", "uid"))
		missing = "metadata.uid";
	if (missing) {
		if (ret_err && asprintf(ret_err, "Config %s has no %s", str_at(cfg, "metadata", "name"), missing) < 0)
			*ret_err = NULL;
		return -EINVAL;
	}
	if (!ns || !*ns)
		ns = "bpfman";
	if ((k = add(&s, &KUBE_NAMESPACE, namespace_obj(cfg, ns), false)) < 0 ||
	    (k = add(&s, &KUBE_CONFIGMAP, configmap_obj(cfg, ns), true)) < 0 ||
	    (k = add(&s, &KUBE_SERVICEACCOUNT, serviceaccount_obj(cfg, ns), true)) < 0 ||
	    (k = add(&s, &KUBE_CLUSTERROLE, clusterrole_obj(cfg), true)) < 0 ||
	    (k = add(&s, &KUBE_CLUSTERROLEBINDING, clusterrolebinding_obj(cfg, ns), true)) < 0 ||
	    (k = add(&s, &KUBE_CSIDRIVER, csidriver_obj(cfg), true)) < 0 ||
	    (k = add(&s, &KUBE_DAEMONSET, daemonset_obj(cfg, ns, pull_policy, host), true)) < 0) {
		deploy_set_free(&s);
		return k;
	}
	*ret = s;
	return 0;
}

void deploy_set_free(struct deploy_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->objs[i].obj);
	free(s->objs);
	s->objs = NULL;
	s->n = 0;
}

static bool field_eq(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);
	const char *have = json_is_string(v) ? json_string_value(v) : "";

	return strcmp(have, want ? want : "") == 0;
}

bool deploy_unmanaged(json_t *cfg, const struct deploy_obj *o)
{
	json_t *list = json_object_get(json_object_get(cfg, "spec"), "overrides"), *e;
	const char *api = json_string_value(json_object_get(o->obj, "apiVersion"));
	size_t i;

	json_array_foreach(list, i, e)
		if (json_is_true(json_object_get(e, "unmanaged")) && field_eq(e, "apiVersion", api) &&
		    field_eq(e, "kind", o->res->kind) && field_eq(e, "namespace", o->ns) &&
		    field_eq(e, "name", o->name))
			return true;
	return false;
}
