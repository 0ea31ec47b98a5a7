/* Unit test of the operator's pure parts: the roll-up rules (bpfman-k8s.md 4.3, 1.5, 2), the
 * nodes that count as running the agent (#542), the drift check and the deployed objects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-nodes.h"
#include "deploy-objects.h"
#include "json-subset.h"
#include "kinds.h"
#include "rollup.h"

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                            \
		}                                                              \
	} while (0)

static json_t *parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);

	if (!j) {
		fprintf(stderr, "bad test JSON: %s: %s\n", e.text, s);
		exit(1);
	}
	return j;
}

static json_t *state(const char *name, const char *app, const char *node, const char *cond, const char *fin,
		     const char *owner_uid, const char *ns)
{
	json_t *s = json_pack("{s:{s:s, s:{s:s, s:s}}, s:{s:s}}", "metadata", "name", name, "labels",
			      OP_LABEL_OWNED_BY, app, OP_LABEL_HOSTNAME, node, "status", "node", node);

	if (cond)
		json_object_set_new(json_object_get(s, "status"), "conditions",
				    json_pack("[{s:s, s:s, s:s}]", "type", cond, "status", "True", "reason", cond));
	if (fin)
		json_object_set_new(json_object_get(s, "metadata"), "finalizers", json_pack("[s]", fin));
	if (owner_uid)
		json_object_set_new(json_object_get(s, "metadata"), "ownerReferences",
				    json_pack("[{s:s}]", "uid", owner_uid));
	if (ns)
		json_object_set_new(json_object_get(s, "metadata"), "namespace", json_string(ns));
	return s;
}

static void expect(const struct op_app_kind *kind, json_t *app, json_t *states, const char *nodes_json,
		   const char *type, const char *msg_part, int remove)
{
	json_t *nodes = parse(nodes_json);
	struct rollup r;

	CHECK(rollup_compute(kind, app, states, nodes, &r) == 0);
	if (remove) {
		CHECK(r.remove_finalizer);
	} else {
		CHECK(!r.remove_finalizer);
		CHECK(r.type && strcmp(r.type, type) == 0);
		if (!r.type || strcmp(r.type, type) != 0 || (msg_part && !strstr(r.message, msg_part)))
			fprintf(stderr, "  got %s: %s (want %s: %s)\n", r.type, r.message, type, msg_part);
		CHECK(!msg_part || strstr(r.message, msg_part));
	}
	rollup_done(&r);
	json_decref(nodes);
}

static void test_g2(void)
{
	const struct op_app_kind *k = &OP_APP_KINDS[0];
	const char *fin = k->agent_finalizer;
	json_t *app = parse("{\"metadata\":{\"name\":\"app\",\"uid\":\"u1\"}}");
	json_t *st = json_array();

	/* no node runs the agent: nothing can have reconciled it */
	expect(k, app, st, "[]", "Pending", "no node runs the bpfman agent", 0);
	json_array_append_new(st, state("app-1", "app", "n1", "Success", fin, "u1", NULL));
	expect(k, app, st, "[\"n1\",\"n2\"]", "Pending", "no state yet from nodes: [n2]", 0);
	/* #542: n3 (no agent) is not in the list, so it does not hold the app Pending */
	json_array_append_new(st, state("app-2", "app", "n2", "Success", fin, "u1", NULL));
	expect(k, app, st, "[\"n1\",\"n2\"]", "Success", "successfully applied on all nodes", 0);
	json_array_append_new(st, state("app-3", "app", "n3", "Pending", fin, "u1", NULL));
	expect(k, app, st, "[\"n1\",\"n2\",\"n3\"]", "Pending", "pending on the following BpfApplicationState objects: [app-3]", 0);
	json_array_append_new(st, state("app-4", "app", "n4", "Error", fin, "u1", NULL));
	json_array_append_new(st, state("app-0", "app", "n0", NULL, fin, "u1", NULL));
	expect(k, app, st, "[\"n1\",\"n2\",\"n3\",\"n4\",\"n0\"]", "Error",
	       "failed on the following BpfApplicationState objects: [app-0 app-4]", 0);
	/* deleting: held → DeleteError with the holders; released → finalizer goes */
	json_object_set_new(json_object_get(app, "metadata"), "deletionTimestamp", json_string("2026-12-04T00:00:00Z"));
	expect(k, app, st, "[\"n1\"]", "DeleteError", "[app-0 app-1 app-2 app-3 app-4]", 0);
	json_array_clear(st);
	json_array_append_new(st, state("app-1", "app", "n1", "Unloaded", NULL, "u1", NULL));
	expect(k, app, st, "[\"n1\",\"n2\"]", NULL, NULL, 1);
	json_decref(st);
	json_decref(app);
}

static void test_g1(void)
{
	const struct op_app_kind *k = &OP_APP_KINDS[2]; /* XdpProgram */
	json_t *app = parse("{\"metadata\":{\"name\":\"x\",\"uid\":\"u2\"}}");
	json_t *st = json_array();

	CHECK(strcmp(k->agent_finalizer, "bpfman.io.xdpprogramcontroller/finalizer") == 0);
	expect(k, app, st, "[\"n1\"]", "NotYetLoaded", "Waiting for Program Object", 0);
	json_array_append_new(st, state("x-n1-eth0", "x", "n1", "Loaded", k->agent_finalizer, "u2", NULL));
	json_array_append_new(st, state("x-n2-eth0", "x", "n2", "NotSelected", k->agent_finalizer, "u2", NULL));
	expect(k, app, st, "[\"n1\",\"n2\"]", "ReconcileSuccess", "Succeeded on all nodes", 0);
	json_array_append_new(st, state("x-n3-eth0", "x", "n3", "MapOwnerNotFound", k->agent_finalizer, "u2", NULL));
	expect(k, app, st, "[\"n1\",\"n2\",\"n3\"]", "ReconcileError", "bpfProgram Objects: [x-n3-eth0]", 0);
	json_decref(st);
	json_decref(app);
}

static void test_belongs(void)
{
	const struct op_app_kind *ns_kind = &OP_APP_KINDS[1], *xdp = &OP_APP_KINDS[2];
	json_t *app = parse("{\"metadata\":{\"name\":\"a\",\"namespace\":\"ns1\",\"uid\":\"u3\"}}");
	json_t *same = state("a-1", "a", "n1", "Success", NULL, "u3", "ns1");
	json_t *other_ns = state("a-2", "a", "n1", "Success", NULL, NULL, "ns2");
	json_t *other_owner = state("a-3", "a", "n1", "Success", NULL, "u9", "ns1");
	json_t *other_name = state("b-1", "b", "n1", "Success", NULL, "u3", "ns1");
	json_t *capp = parse("{\"metadata\":{\"name\":\"a\",\"uid\":\"u3\"}}");

	/* operator #539: a same-named app in another namespace is not ours */
	CHECK(rollup_state_belongs(ns_kind, app, same));
	CHECK(!rollup_state_belongs(ns_kind, app, other_ns));
	CHECK(!rollup_state_belongs(ns_kind, app, other_owner));
	CHECK(!rollup_state_belongs(ns_kind, app, other_name));
	/* a G1 BpfProgram of a TcProgram named like an XdpProgram belongs to its owner only */
	CHECK(!rollup_state_belongs(xdp, capp, other_owner));
	CHECK(rollup_state_belongs(xdp, capp, same));
	json_decref(app);
	json_decref(capp);
	json_decref(same);
	json_decref(other_ns);
	json_decref(other_owner);
	json_decref(other_name);
}

static void test_agent_nodes(void)
{
	json_t *nodes = parse("[{\"metadata\":{\"name\":\"n1\"}},{\"metadata\":{\"name\":\"n2\"}},"
			      "{\"metadata\":{\"name\":\"n3\"}},{\"metadata\":{\"name\":\"n4\"}}]");
	/* n2: bound pod; n3: DaemonSet pod not bound yet (node affinity); a pod of another
	 * namespace and a pod without the label do not count */
	json_t *pods = parse(
		"[{\"metadata\":{\"namespace\":\"bpfman\",\"labels\":{\"app.kubernetes.io/name\":\"bpfman-daemon\"}},"
		"  \"spec\":{\"nodeName\":\"n2\"}},"
		" {\"metadata\":{\"namespace\":\"bpfman\",\"labels\":{\"app.kubernetes.io/name\":\"bpfman-daemon\"}},"
		"  \"spec\":{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		"   {\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n3\"]}]}]}}}}},"
		" {\"metadata\":{\"namespace\":\"other\",\"labels\":{\"app.kubernetes.io/name\":\"bpfman-daemon\"}},"
		"  \"spec\":{\"nodeName\":\"n4\"}},"
		" {\"metadata\":{\"namespace\":\"bpfman\"},\"spec\":{\"nodeName\":\"n4\"}}]");
	json_t *st = json_array(), *lists[2] = { st, NULL }, *got, *want = parse("[\"n1\",\"n2\",\"n3\"]");

	/* n1 holds a state of some app; gone-node states do not add nodes */
	json_array_append_new(st, state("z-1", "z", "n1", "Success", NULL, NULL, NULL));
	json_array_append_new(st, state("z-9", "z", "gone", "Success", NULL, NULL, NULL));
	got = agent_nodes(nodes, pods, "bpfman", lists);
	CHECK(got && json_equal(got, want));
	json_decref(got);
	json_decref(want);
	json_decref(nodes);
	json_decref(pods);
	json_decref(st);
}

static void test_subset(void)
{
	json_t *want = parse("{\"a\":1,\"b\":[{\"x\":\"y\"}],\"c\":{\"d\":true}}");
	json_t *have = parse("{\"a\":1.0,\"b\":[{\"x\":\"y\",\"z\":2}],\"c\":{\"d\":true,\"e\":1},\"f\":0}");
	json_t *drift = parse("{\"a\":1,\"b\":[{\"x\":\"q\"}],\"c\":{\"d\":true}}");

	CHECK(json_subset(want, have));
	CHECK(!json_subset(want, drift));
	CHECK(!json_subset(have, want));
	json_decref(want);
	json_decref(have);
	json_decref(drift);
}

static const struct deploy_obj *find(const struct deploy_set *s, const char *kind)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->objs[i].res->kind, kind) == 0)
			return &s->objs[i];
	return NULL;
}

static void test_deploy_objects(void)
{
	json_t *cfg = parse("{\"apiVersion\":\"bpfman.io/v1alpha1\",\"kind\":\"Config\","
			    "\"metadata\":{\"name\":\"bpfman-config\",\"uid\":\"cfg-uid\"},"
			    "\"spec\":{\"namespace\":\"bpfman\",\"configuration\":\"[database]\\n\","
			    "\"agent\":{\"image\":\"a:1\",\"logLevel\":\"debug\"},\"daemon\":{\"image\":\"d:1\"},"
			    "\"overrides\":[{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"CSIDriver\","
			    "\"namespace\":\"\",\"name\":\"csi.bpfman.io\",\"unmanaged\":true}]}}");
	json_t *bad = parse("{\"metadata\":{\"name\":\"bpfman-config\",\"uid\":\"u\"},\"spec\":{\"agent\":{}}}");
	struct deploy_set s = { 0 };
	const struct deploy_obj *ds, *csi, *cm;
	char *err = NULL, *dump;

	CHECK(deploy_objects(bad, NULL, &s, &err) == -EINVAL && err && strstr(err, "spec.agent.image"));
	free(err);
	CHECK(deploy_objects(cfg, "Never", &s, NULL) == 0);
	CHECK(s.n == 7);
	ds = find(&s, "DaemonSet");
	csi = find(&s, "CSIDriver");
	cm = find(&s, "ConfigMap");
	CHECK(ds && csi && cm);
	if (!ds || !csi || !cm)
		return;
	dump = json_dumps(ds->obj, JSON_COMPACT);
	CHECK(strstr(dump, "\"bpfman-rpc\",\"--csi-support\",\"--csi-socket\","
			   "\"/var/lib/kubelet/plugins/csi-bpfman/csi.sock\",\"--csi-registration-dir\",\"/registration\","
			   "\"--csi-registration-endpoint\",\"/var/lib/kubelet/plugins/csi-bpfman/csi.sock\""));
	/* the store's bpffs mounted once, on the node, before the containers start */
	CHECK(strstr(dump, "\"bpfman-agent\",\"--mount-bpffs\",\"--mount-bpffs-path\",\"/run/bpfman/fs\""));
	CHECK(!strstr(dump, "BPFMAN_ROOT") && !strstr(dump, "KUBERNETES_SERVICE_HOST"));
	CHECK(strstr(dump, "\"bpfman-agent\",\"--mount-bpffs\""));
	CHECK(strstr(dump, "\"uid\":\"cfg-uid\"") && strstr(dump, "\"controller\":true"));
	CHECK(strstr(dump, "\"imagePullPolicy\":\"Never\""));
	CHECK(strstr(dump, "\"--health-probe-bind-address\",\":8175\""));
	CHECK(!strstr(dump, "node-driver-registrar"));
	free(dump);
	CHECK(strcmp(ds->ns, "bpfman") == 0 && strcmp(ds->name, "bpfman-daemon") == 0);
	CHECK(json_is_string(json_object_get(json_object_get(cm->obj, "data"), "bpfman.agent.log.level")));
	CHECK(json_is_true(json_object_get(json_object_get(csi->obj, "spec"), "podInfoOnMount")));
	CHECK(deploy_unmanaged(cfg, csi));
	CHECK(!deploy_unmanaged(cfg, ds));
	deploy_set_free(&s);

	/* with a registrar image: node-driver-registrar runs, bpfman-rpc does not register */
	json_object_set_new(json_object_get(json_object_get(cfg, "spec"), "daemon"), "csiRegistrarImage",
			    json_string("registrar:1"));
	CHECK(deploy_objects(cfg, NULL, &s, NULL) == 0);
	ds = find(&s, "DaemonSet");
	dump = ds ? json_dumps(ds->obj, JSON_COMPACT) : NULL;
	CHECK(dump && strstr(dump, "\"name\":\"node-driver-registrar\",\"image\":\"registrar:1\""));
	CHECK(dump && strstr(dump, "--kubelet-registration-path=/var/lib/kubelet/plugins/csi-bpfman/csi.sock"));
	CHECK(dump && !strstr(dump, "--csi-registration-dir"));
	CHECK(dump && !strstr(dump, "imagePullPolicy"));
	free(dump);
	deploy_set_free(&s);

	/* a node laid out elsewhere: every path follows, both containers get the root */
	CHECK(deploy_objects_on(cfg, NULL,
				&(struct deploy_host){ .root = "/srv/b/", .kubelet_dir = "/k", .api_server = "127.0.0.1:6443",
							 .probe_host = "127.0.0.1" },
				&s, NULL) == 0);
	ds = find(&s, "DaemonSet");
	dump = ds ? json_dumps(ds->obj, JSON_COMPACT) : NULL;
	CHECK(dump && strstr(dump, "\"hostPath\":{\"path\":\"/srv/b/run/bpfman\""));
	CHECK(dump && strstr(dump, "\"mountPath\":\"/srv/b/run/bpfman\",\"mountPropagation\":\"Bidirectional\""));
	CHECK(dump && strstr(dump, "\"--mount-bpffs-path\",\"/srv/b/run/bpfman/fs\""));
	CHECK(dump && strstr(dump, "\"name\":\"BPFMAN_ROOT\",\"value\":\"/srv/b\""));
	CHECK(dump && strstr(dump, "\"hostPath\":{\"path\":\"/k/pods\""));
	CHECK(dump && strstr(dump, "--kubelet-registration-path=/k/plugins/csi-bpfman/csi.sock"));
	CHECK(dump && strstr(dump, "\"KUBERNETES_SERVICE_HOST\",\"value\":\"127.0.0.1\""));
	CHECK(dump && strstr(dump, "\"KUBERNETES_SERVICE_PORT\",\"value\":\"6443\""));
	CHECK(dump && strstr(dump, "\"mountPath\":\"/srv/b/etc/bpfman/bpfman.toml\""));
	CHECK(dump && strstr(dump, "\"--health-probe-bind-address\",\"127.0.0.1:8175\""));
	/* the node's /sys/fs/bpf as it is: no init container mounts there, no propagation */
	CHECK(dump && !strstr(dump, "\"name\":\"mount-bpffs\""));
	CHECK(dump && !strstr(dump, "\"mountPath\":\"/sys/fs/bpf\",\"mountPropagation\""));
	free(dump);
	deploy_set_free(&s);
	json_decref(cfg);
	json_decref(bad);
}

int main(void)
{
	test_g2();
	test_g1();
	test_belongs();
	test_agent_nodes();
	test_subset();
	test_deploy_objects();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
