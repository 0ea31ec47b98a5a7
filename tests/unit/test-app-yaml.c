/* The declared-application parser (src/lib/apply/app-yaml*.c): every field and default,
 * every validation error with its FILE:LINE: PATH message, several documents per file,
 * directories, duplicates, the input bounds (size, nesting, alias bombs) and the sample
 * manifests of examples/apply/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app-decl.h"
#include "test-util.h"

#ifndef EXAMPLES_APPLY_DIR
#error "EXAMPLES_APPLY_DIR: the examples/apply directory of the source tree"
#endif

/* lines 1..9; programs[0] starts on line 10 */
#define HEAD                                   \
	"apiVersion: bpfman.io/v1alpha1\n"      \
	"kind: ClusterBpfApplication\n"         \
	"metadata:\n"                           \
	"  name: app\n"                         \
	"spec:\n"                               \
	"  nodeSelector: {}\n"                  \
	"  byteCode:\n"                         \
	"    path: /opt/app.bpf.o\n"            \
	"  programs:\n"
/* the same for BpfApplication, namespace acme */
#define NS_HEAD                                \
	"apiVersion: bpfman.io/v1alpha1\n"      \
	"kind: BpfApplication\n"                \
	"metadata:\n"                           \
	"  name: app\n"                         \
	"  namespace: acme\n"                   \
	"spec:\n"                               \
	"  nodeSelector: {}\n"                  \
	"  byteCode:\n"                         \
	"    path: /opt/app.bpf.o\n"            \
	"  programs:\n"
#define XDP_PROG                               \
	"    - name: xdp_prog\n"                \
	"      type: XDP\n"                     \
	"      xdp:\n"                          \
	"        links:\n"                      \
	"          - interfaceSelector:\n"      \
	"              interfaces: [eth0]\n"

static char scratch[] = "/tmp/test-app-yaml.XXXXXX";

static int parse(const char *text, struct app_decl **v, size_t *n, char **err)
{
	return app_decl_parse_text("t.yaml", text, strlen(text), v, n, err);
}

/* text must fail with exactly this message and append nothing */
static void expect_err_(const char *text, const char *want, int line)
{
	struct app_decl *v = NULL;
	size_t n = 0;
	char *err = NULL;
	int r = parse(text, &v, &n, &err);

	if (r != -EINVAL || n != 0 || v || !err || strcmp(err, want)) {
		fprintf(stderr, "%s:%d: r=%d n=%zu\n  got:  %s\n  want: %s\n", __FILE__, line, r, n,
			err ? err : "(null)", want);
		test_failures++;
	}
	free(err);
	app_decls_free(v, n);
}
#define expect_err(text, want) expect_err_(text, want, __LINE__)

static struct app_decl *expect_ok_(const char *text, size_t want_n, int line)
{
	struct app_decl *v = NULL;
	size_t n = 0;
	char *err = NULL;
	int r = parse(text, &v, &n, &err);

	if (r != 0 || n != want_n || err) {
		fprintf(stderr, "%s:%d: r=%d n=%zu err=%s\n", __FILE__, line, r, n,
			err ? err : "(null)");
		test_failures++;
		free(err);
		app_decls_free(v, n);
		return NULL;
	}
	return v;
}
#define expect_ok(text, n) expect_ok_(text, n, __LINE__)

static void test_every_field(void)
{
	const char *text =
		"apiVersion: bpfman.io/v1alpha1\n" /* 1 */
		"kind: ClusterBpfApplication\n"
		"metadata:\n"
		"  name: every.field-app\n"
		"  labels: {app: x}\n" /* 5 */
		"  annotations: {note: \"y\"}\n"
		"spec:\n"
		"  nodeSelector:\n"
		"    matchLabels: {kubernetes.io/os: linux}\n"
		"    matchExpressions:\n" /* 10 */
		"      - {key: role, operator: In, values: [edge]}\n"
		"  byteCode:\n"
		"    image:\n"
		"      url: quay.io/bpfman-bytecode/app-test:latest\n"
		"      imagePullPolicy: Always\n" /* 15 */
		"      imagePullSecret: {name: regcred, namespace: bpfman}\n"
		"  globalData:\n"
		"    GLOBAL_u8: AQ==\n"
		"    GLOBAL_u32: [0x0D, 0x0C, 11, 0b1010]\n"
		"    empty: \"\"\n" /* 20 */
		"  programs:\n"
		"    - name: xdp_prog\n"
		"      type: XDP\n"
		"      xdp:\n"
		"        links:\n" /* 25 */
		"          - interfaceSelector: {interfaces: [eth0, eth1]}\n"
		"            priority: 0\n"
		"            proceedOn: [Aborted, Drop, Pass, TX, ReDirect, DispatcherReturn]\n"
		"            networkNamespaces:\n"
		"              namespace: ignored-on-a-host\n" /* 30 */
		"              pods: {matchLabels: {bpfman.io/netns: blue}}\n"
		"          - interfaceSelector: {primaryNodeInterface: true}\n"
		"            networkNamespaces:\n"
		"              pods: {matchLabels: {bpfman.io/netns: /proc/1/ns/net}}\n"
		"          - interfaceSelector:\n" /* 35 */
		"              interfacesDiscoveryConfig:\n"
		"                interfaceAutoDiscovery: true\n"
		"                excludeInterfaces: []\n"
		"                allowedInterfaces: [eth0, \"/^veth[0-9]+$/\"]\n"
		"            networkNamespaces:\n" /* 40 */
		"              pods: {matchLabels: {app: web}}\n"
		"    - name: tc_prog\n"
		"      type: TC\n"
		"      tc:\n"
		"        links:\n" /* 45 */
		"          - interfaceSelector: {interfaces: [eth0]}\n"
		"            direction: Egress\n"
		"            priority: 1000\n"
		"            proceedOn: [UnSpec, OK, ReClassify, Shot, Pipe, Stolen, Queued, Repeat, ReDirect, Trap, DispatcherReturn]\n"
		"          - interfaceSelector:\n" /* 50 */
		"              interfacesDiscoveryConfig: {interfaceAutoDiscovery: yes, allowedInterfaces: []}\n"
		"            direction: Ingress\n"
		"    - name: tcx_prog\n"
		"      type: TCX\n"
		"      tcx:\n" /* 55 */
		"        links:\n"
		"          - interfaceSelector: {interfaces: [lo]}\n"
		"            direction: Ingress\n"
		"            priority: 7\n"
		"    - name: kprobe_prog\n" /* 60 */
		"      type: KProbe\n"
		"      kprobe:\n"
		"        links:\n"
		"          - function: try_to_wake_up\n"
		"            offset: 0x10\n" /* 65 */
		"    - name: kretprobe_prog\n"
		"      type: KRetProbe\n"
		"      kretprobe:\n"
		"        links:\n"
		"          - function: do_unlinkat\n" /* 70 */
		"    - name: uprobe_prog\n"
		"      type: UProbe\n"
		"      uprobe:\n"
		"        links:\n"
		"          - target: libc\n" /* 75 */
		"            function: malloc\n"
		"            offset: 8\n"
		"            pid: 1234\n"
		"          - target: /usr/bin/bash\n"
		"            containers:\n" /* 80 */
		"              namespace: bpfman\n"
		"              pods: {}\n"
		"              containerNames: [bpfman]\n"
		"    - name: uretprobe_prog\n"
		"      type: URetProbe\n" /* 85 */
		"      uretprobe:\n"
		"        links:\n"
		"          - target: libc\n"
		"    - name: tracepoint_prog\n"
		"      type: TracePoint\n" /* 90 */
		"      tracepoint:\n"
		"        links:\n"
		"          - name: syscalls/sys_enter_openat\n"
		"    - name: fentry_prog\n"
		"      type: FEntry\n" /* 95 */
		"      fentry:\n"
		"        function: do_unlinkat\n"
		"        links:\n"
		"          - mode: Attach\n"
		"    - name: fexit_prog\n" /* 100 */
		"      type: FExit\n"
		"      fexit:\n"
		"        function: do_unlinkat\n"
		"        links: []\n"
		"status:\n" /* 105 */
		"  conditions: []\n";
	struct app_decl *d = expect_ok(text, 1);
	struct app_program *p;
	struct app_link *l;

	if (!d)
		return;
	CHECK_STREQ(d->file, "t.yaml");
	CHECK_EQ_INT(d->line, 1);
	CHECK_EQ_INT(d->kind, APP_CLUSTER);
	CHECK_STREQ(d->name, "every.field-app");
	CHECK(d->namespace == NULL);
	CHECK(d->path == NULL);
	CHECK_STREQ(d->image_url, "quay.io/bpfman-bytecode/app-test:latest");
	CHECK_EQ_INT(d->pull_policy, 0);
	CHECK_STREQ(d->pull_secret_name, "regcred");
	CHECK_STREQ(d->pull_secret_namespace, "bpfman");
	CHECK_EQ_INT(d->n_globals, 3);
	CHECK_STREQ(d->globals[0].name, "GLOBAL_u8");
	CHECK_EQ_INT(d->globals[0].len, 1);
	CHECK_EQ_INT(d->globals[0].data[0], 1);
	CHECK_STREQ(d->globals[1].name, "GLOBAL_u32");
	CHECK_EQ_INT(d->globals[1].len, 4);
	CHECK(!memcmp(d->globals[1].data, "\x0d\x0c\x0b\x0a", 4));
	CHECK_EQ_INT(d->globals[2].len, 0);
	CHECK_EQ_INT(d->n_programs, 10);
	if (d->n_programs != 10)
		goto out;

	p = &d->programs[0];
	CHECK_STREQ(p->name, "xdp_prog");
	CHECK_EQ_INT(p->type, APP_XDP);
	CHECK_EQ_INT(p->line, 22);
	CHECK_EQ_INT(p->n_links, 3);
	l = &p->links[0];
	CHECK_EQ_INT(l->line, 26);
	CHECK_STREQ(l->ifaces.interfaces[0], "eth0");
	CHECK_STREQ(l->ifaces.interfaces[1], "eth1");
	CHECK(l->ifaces.interfaces[2] == NULL);
	CHECK_EQ_INT(l->priority, 0);
	CHECK_EQ_INT(l->n_proceed_on, 6);
	CHECK(l->n_proceed_on == 6 && l->proceed_on[0] == 0 && l->proceed_on[1] == 1 &&
	      l->proceed_on[2] == 2 && l->proceed_on[3] == 3 && l->proceed_on[4] == 4 &&
	      l->proceed_on[5] == 31);
	CHECK_STREQ(l->netns, "/run/netns/blue");
	CHECK(!l->netns_pods);
	l = &p->links[1];
	CHECK(l->ifaces.primary_node_interface);
	CHECK(l->ifaces.interfaces == NULL);
	CHECK_EQ_INT(l->priority, 1000);
	CHECK_EQ_INT(l->n_proceed_on, 0);
	CHECK_STREQ(l->netns, "/proc/1/ns/net");
	l = &p->links[2];
	CHECK(l->ifaces.auto_discovery);
	CHECK(l->ifaces.exclude && l->ifaces.exclude[0] == NULL);
	CHECK_STREQ(l->ifaces.allowed[1], "/^veth[0-9]+$/");
	CHECK(l->netns == NULL);
	CHECK(l->netns_pods);

	p = &d->programs[1];
	CHECK_EQ_INT(p->type, APP_TC);
	l = &p->links[0];
	CHECK_EQ_INT(l->direction, BPFMAN_DIR_EGRESS);
	CHECK_EQ_INT(l->priority, 1000);
	CHECK_EQ_INT(l->n_proceed_on, 11);
	CHECK(l->n_proceed_on == 11 && l->proceed_on[0] == -1 && l->proceed_on[4] == 3 &&
	      l->proceed_on[10] == 30);
	l = &p->links[1];
	CHECK_EQ_INT(l->direction, BPFMAN_DIR_INGRESS);
	CHECK(l->ifaces.auto_discovery);
	CHECK_STREQ(l->ifaces.exclude[0], "lo"); /* the default */
	CHECK(l->ifaces.exclude[1] == NULL);
	CHECK(l->ifaces.allowed == NULL); /* [] is every interface, as absent */

	p = &d->programs[2];
	CHECK_EQ_INT(p->type, APP_TCX);
	CHECK_EQ_INT(p->links[0].priority, 7);
	CHECK_EQ_INT(p->links[0].direction, BPFMAN_DIR_INGRESS);

	p = &d->programs[3];
	CHECK_EQ_INT(p->type, APP_KPROBE);
	CHECK_STREQ(p->links[0].function, "try_to_wake_up");
	CHECK_EQ_INT(p->links[0].offset, 16);
	p = &d->programs[4];
	CHECK_EQ_INT(p->type, APP_KRETPROBE);
	CHECK_STREQ(p->links[0].function, "do_unlinkat");
	CHECK_EQ_INT(p->links[0].offset, 0);

	p = &d->programs[5];
	CHECK_EQ_INT(p->type, APP_UPROBE);
	CHECK_EQ_INT(p->n_links, 2);
	CHECK_STREQ(p->links[0].target, "libc");
	CHECK_STREQ(p->links[0].function, "malloc");
	CHECK_EQ_INT(p->links[0].offset, 8);
	CHECK_EQ_INT(p->links[0].pid, 1234);
	CHECK(!p->links[0].containers);
	CHECK_STREQ(p->links[1].target, "/usr/bin/bash");
	CHECK(p->links[1].function == NULL);
	CHECK(p->links[1].containers);
	p = &d->programs[6];
	CHECK_EQ_INT(p->type, APP_URETPROBE);
	CHECK_STREQ(p->links[0].target, "libc");

	p = &d->programs[7];
	CHECK_EQ_INT(p->type, APP_TRACEPOINT);
	CHECK_STREQ(p->links[0].tracepoint, "syscalls/sys_enter_openat");

	p = &d->programs[8];
	CHECK_EQ_INT(p->type, APP_FENTRY);
	CHECK_STREQ(p->attach_fn, "do_unlinkat");
	CHECK_EQ_INT(p->n_links, 1);
	p = &d->programs[9];
	CHECK_EQ_INT(p->type, APP_FEXIT);
	CHECK_STREQ(p->attach_fn, "do_unlinkat");
	CHECK_EQ_INT(p->n_links, 0);
out:
	app_decls_free(d, 1);
}

static void test_defaults_and_namespaced(void)
{
	struct app_decl *d;

	/* BpfApplication without a namespace: "default", as kubectl in the default context */
	d = expect_ok("apiVersion: bpfman.io/v1alpha1\n"
		      "kind: BpfApplication\n"
		      "metadata: {name: app}\n"
		      "spec:\n"
		      "  nodeSelector: {}\n"
		      "  byteCode: {image: {url: quay.io/x/y:1}}\n"
		      "  programs:\n"
		      "    - name: up_prog\n"
		      "      type: UProbe\n"
		      "      uprobe:\n"
		      "        links:\n"
		      "          - target: libc\n"
		      "            containers: {pods: {matchLabels: {app: a}}, containerNames: [c]}\n"
		      "    - name: xdp_prog\n"
		      "      type: XDP\n"
		      "      xdp:\n"
		      "        links:\n"
		      "          - interfaceSelector: {interfaces: [eth0]}\n"
		      "            networkNamespaces: {pods: {}}\n",
		      1);
	if (d) {
		CHECK_EQ_INT(d->kind, APP_NAMESPACED);
		CHECK_STREQ(d->namespace, "default");
		CHECK_EQ_INT(d->pull_policy, 1); /* IfNotPresent */
		CHECK(d->pull_secret_name == NULL);
		CHECK_EQ_INT(d->programs[0].type, APP_UPROBE);
		CHECK(d->programs[0].links[0].containers);
		CHECK(d->programs[1].links[0].netns_pods);
		CHECK_EQ_INT(d->programs[1].links[0].priority, 1000);
		app_decls_free(d, 1);
	}
	/* programs without links (absent, null, empty) are loaded, not attached */
	d = expect_ok(HEAD "    - name: kp_prog\n"
			   "      type: KProbe\n"
			   "      kprobe: {}\n"
			   "    - name: tp_prog\n"
			   "      type: TracePoint\n"
			   "      tracepoint:\n"
			   "        links:\n"
			   "    - name: xdp_prog\n"
			   "      type: XDP\n"
			   "      xdp: {links: []}\n",
		      1);
	if (d) {
		CHECK_STREQ(d->path, "/opt/app.bpf.o");
		CHECK(d->image_url == NULL);
		for (size_t i = 0; i < d->n_programs; i++)
			CHECK_EQ_INT(d->programs[i].n_links, 0);
		app_decls_free(d, 1);
	}
	/* a namespace label in a netns selector and a trailing-slash path are fine */
	d = expect_ok("apiVersion: bpfman.io/v1alpha1\n"
		      "kind: ClusterBpfApplication\n"
		      "metadata: {name: app, uid: 1234-5678, resourceVersion: \"9\", generation: 2}\n"
		      "spec:\n"
		      "  nodeSelector: {}\n"
		      "  byteCode: {path: /opt/dir/}\n"
		      "  programs:\n" XDP_PROG,
		      1);
	app_decls_free(d, d ? 1 : 0);
}

static void test_errors(void)
{
	/* document level */
	expect_err("apiVersion: v1\nkind: ClusterBpfApplication\n",
		   "t.yaml:1: apiVersion: must be bpfman.io/v1alpha1 (got \"v1\")");
	expect_err("kind: ClusterBpfApplication\n", "t.yaml:1: apiVersion: required");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: XdpProgram\n",
		   "t.yaml:2: kind: must be one of ClusterBpfApplication, BpfApplication (got \"XdpProgram\")");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: BpfApplication\nspec: {}\n",
		   "t.yaml:1: metadata: required");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: BpfApplication\nfoo: 1\n",
		   "t.yaml:3: unknown field \"foo\"");
	expect_err("- a\n- b\n", "t.yaml:1: must be a mapping (got a list)");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: BpfApplication\nmetadata: {name: Bad_Name}\n",
		   "t.yaml:3: metadata.name: must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; at most 253; got \"Bad_Name\")");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: BpfApplication\nmetadata: {name: a, namespace: -x}\n",
		   "t.yaml:3: metadata.namespace: must be a lowercase RFC 1123 label (a-z, 0-9, '-'; at most 63; got \"-x\")");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a, namespace: x}\n",
		   "t.yaml:3: metadata.namespace: a ClusterBpfApplication is cluster-scoped: no namespace");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a, labels: {x: 1}}\n",
		   "t.yaml:3: metadata.labels.x: must be a string (got an integer)");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\n",
		   "t.yaml:1: spec: required");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata:\n  name: a\n  name: b\n",
		   "t.yaml:5: metadata.name: duplicate field");

	/* spec */
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  byteCode: {path: /a}\n",
		   "t.yaml:5: spec.nodeSelector: required");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {matchExpressions: [{key: a, operator: Has}]}\n",
		   "t.yaml:5: spec.nodeSelector.matchExpressions[0].operator: must be one of In, NotIn, Exists, DoesNotExist (got \"Has\")");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {path: /a, image: {url: x}}\n",
		   "t.yaml:6: spec.byteCode: must have exactly one of image, path");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {}\n",
		   "t.yaml:6: spec.byteCode: must have exactly one of image, path");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {path: relative/a.o}\n",
		   "t.yaml:6: spec.byteCode.path: must be an absolute path without empty components (got \"relative/a.o\")");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {image: {url: \"://\"}}\n",
		   "t.yaml:6: spec.byteCode.image.url: not an image reference (got \"://\")");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode:\n    image:\n      url: q.io/a\n      imagePullPolicy: Sometimes\n",
		   "t.yaml:9: spec.byteCode.image.imagePullPolicy: must be one of Always, IfNotPresent, Never (got \"Sometimes\")");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode:\n    image:\n      url: q.io/a\n      imagePullSecret: {name: s}\n",
		   "t.yaml:9: spec.byteCode.image.imagePullSecret.namespace: required");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {path: /a}\n  globalData: {v: \"AQ=\"}\n",
		   "t.yaml:7: spec.globalData.v: not base64 (standard alphabet, padded with =)");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {path: /a}\n  globalData:\n    v: [1, 256]\n",
		   "t.yaml:8: spec.globalData.v[1]: must be 0..255 (got 256)");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {path: /a}\n  globalData:\n    v: {a: b}\n",
		   "t.yaml:8: spec.globalData.v: must be base64 bytes (a string) or a list of bytes (got a mapping)");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {path: /a}\n  mapOwnerSelector: {}\n",
		   "t.yaml:7: spec.mapOwnerSelector: not supported (the operator ignores it too): programs of one application share their maps");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {path: /a}\n",
		   "t.yaml:5: spec.programs: required");
	expect_err(HEAD "    []\n", "t.yaml:10: spec.programs: must have at least 1 program");
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: a}\nspec:\n  nodeSelector: {}\n  byteCode: {path: /a}\n  programs: []\n",
		   "t.yaml:7: spec.programs: must have at least 1 program");

	/* programs */
	expect_err(HEAD "    - type: XDP\n", "t.yaml:10: spec.programs[0].name: required");
	expect_err(HEAD "    - name: ab\n      type: XDP\n",
		   "t.yaml:10: spec.programs[0].name: must match ^[a-zA-Z][a-zA-Z0-9_]+. (a letter, a letter, digit or _, then at least one more character; got \"ab\")");
	expect_err(HEAD "    - name: a2345678901234567890123456789012345678901234567890123456789012345\n      type: XDP\n",
		   "t.yaml:10: spec.programs[0].name: must be 1..64 characters (got 65)");
	expect_err(HEAD "    - name: 123\n", "t.yaml:10: spec.programs[0].name: must be a string (got an integer)");
	expect_err(HEAD "    - name: abc\n      type: Xdp\n",
		   "t.yaml:11: spec.programs[0].type: must be one of XDP, TC, TCX, FEntry, FExit, KProbe, KRetProbe, UProbe, URetProbe, TracePoint (got \"Xdp\")");
	expect_err(HEAD "    - name: abc\n      type: XDP\n",
		   "t.yaml:10: spec.programs[0]: xdp configuration is required when type is xdp, and forbidden otherwise");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp: {}\n      tc: {}\n",
		   "t.yaml:10: spec.programs[0]: tc configuration is required when type is tc, and forbidden otherwise");
	expect_err(HEAD XDP_PROG "    - name: xdp_prog\n      type: KProbe\n      kprobe: {}\n",
		   "t.yaml:16: spec.programs[1].name: \"xdp_prog\" is also spec.programs[0] (line 10)");
	expect_err(NS_HEAD "    - name: abc\n      type: KProbe\n",
		   "t.yaml:12: spec.programs[0].type: must be one of XDP, TC, TCX, UProbe, URetProbe (got \"KProbe\")");
	expect_err(NS_HEAD "    - name: abc\n      type: TC\n      kprobe: {}\n",
		   "t.yaml:13: spec.programs[0]: unknown field \"kprobe\"");
	expect_err(NS_HEAD "    - name: abc\n      type: XDP\n      xdp: {}\n      tcx: {}\n",
		   "t.yaml:11: spec.programs[0]: tcx configuration is required when type is TCX, and forbidden otherwise");

	/* xdp, tc, tcx links */
	expect_err(HEAD XDP_PROG "            priority: 1200\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].priority: must be 0..1000 (got 1200)");
	expect_err(HEAD XDP_PROG "            priority: -1\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].priority: must be 0..1000 (got -1)");
	expect_err(HEAD XDP_PROG "            priority: \"50\"\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].priority: must be an integer (got a string)");
	expect_err(HEAD XDP_PROG "            priority: 99999999999999999999\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].priority: must be 0..1000 (got 99999999999999999999)");
	expect_err(HEAD XDP_PROG "            prio: 5\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0]: unknown field \"prio\"");
	expect_err(HEAD XDP_PROG "            direction: Ingress\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0]: unknown field \"direction\"");
	expect_err(HEAD XDP_PROG "            proceedOn: [Pass, Pipe]\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].proceedOn[1]: must be one of Aborted, Drop, Pass, TX, ReDirect, DispatcherReturn (got \"Pipe\")");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - priority: 1\n",
		   "t.yaml:14: spec.programs[0].xdp.links[0].interfaceSelector: required");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - interfaceSelector: {}\n",
		   "t.yaml:14: spec.programs[0].xdp.links[0].interfaceSelector: must have exactly one of interfaces, primaryNodeInterface, interfacesDiscoveryConfig (got 0)");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - interfaceSelector: {interfaces: [a], primaryNodeInterface: true}\n",
		   "t.yaml:14: spec.programs[0].xdp.links[0].interfaceSelector: must have exactly one of interfaces, primaryNodeInterface, interfacesDiscoveryConfig (got 2)");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - interfaceSelector: {interfaces: []}\n",
		   "t.yaml:14: spec.programs[0].xdp.links[0].interfaceSelector.interfaces: must name at least one interface");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - interfaceSelector:\n              interfaces:\n                - eth0\n                - a/b\n",
		   "t.yaml:17: spec.programs[0].xdp.links[0].interfaceSelector.interfaces[1]: not an interface name (1..15 characters, no '/', ':' or space; got \"a/b\")");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - interfaceSelector: {primaryNodeInterface: false}\n",
		   "t.yaml:14: spec.programs[0].xdp.links[0].interfaceSelector.primaryNodeInterface: must be true (the operator's agent treats false as true; remove the link instead)");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - interfaceSelector: {primaryNodeInterface: \"true\"}\n",
		   "t.yaml:14: spec.programs[0].xdp.links[0].interfaceSelector.primaryNodeInterface: must be a boolean (got a string)");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - interfaceSelector:\n              interfacesDiscoveryConfig: {}\n",
		   "t.yaml:15: spec.programs[0].xdp.links[0].interfaceSelector.interfacesDiscoveryConfig.interfaceAutoDiscovery: must be true: without it this selector names no interface");
	expect_err(HEAD "    - name: abc\n      type: XDP\n      xdp:\n        links:\n          - interfaceSelector:\n              interfacesDiscoveryConfig:\n                interfaceAutoDiscovery: true\n                allowedInterfaces: [\"/a(/\"]\n",
		   "t.yaml:17: spec.programs[0].xdp.links[0].interfaceSelector.interfacesDiscoveryConfig.allowedInterfaces[0]: not a valid regular expression (POSIX extended): /a(/");
	expect_err(HEAD "    - name: abc\n      type: TC\n      tc:\n        links:\n          - interfaceSelector: {interfaces: [eth0]}\n",
		   "t.yaml:14: spec.programs[0].tc.links[0].direction: required");
	expect_err(HEAD "    - name: abc\n      type: TC\n      tc:\n        links:\n          - interfaceSelector: {interfaces: [eth0]}\n            direction: ingress\n",
		   "t.yaml:15: spec.programs[0].tc.links[0].direction: must be one of Ingress, Egress (got \"ingress\")");
	expect_err(HEAD "    - name: abc\n      type: TC\n      tc:\n        links:\n          - interfaceSelector: {interfaces: [eth0]}\n            direction: Egress\n            proceedOn: [Pass]\n",
		   "t.yaml:16: spec.programs[0].tc.links[0].proceedOn[0]: must be one of UnSpec, OK, ReClassify, Shot, Pipe, Stolen, Queued, Repeat, ReDirect, Trap, DispatcherReturn (got \"Pass\")");
	expect_err(HEAD "    - name: abc\n      type: TCX\n      tcx:\n        links:\n          - interfaceSelector: {interfaces: [eth0]}\n            direction: Egress\n            proceedOn: [Pass]\n",
		   "t.yaml:16: spec.programs[0].tcx.links[0]: unknown field \"proceedOn\"");
	expect_err(NS_HEAD XDP_PROG,
		   "t.yaml:15: spec.programs[0].xdp.links[0].networkNamespaces: required");
	expect_err(NS_HEAD XDP_PROG "            networkNamespaces: {namespace: a, pods: {}}\n",
		   "t.yaml:17: spec.programs[0].xdp.links[0].networkNamespaces: unknown field \"namespace\"");
	expect_err(HEAD XDP_PROG "            networkNamespaces: {namespace: a}\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].networkNamespaces.pods: required");
	expect_err(HEAD XDP_PROG "            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: a/b}}}\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].networkNamespaces.pods.matchLabels.bpfman.io/netns: must be the name of a network namespace in /run/netns or an absolute path (got \"a/b\")");
	expect_err(HEAD XDP_PROG "            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: //x}}}\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].networkNamespaces.pods.matchLabels.bpfman.io/netns: not a valid absolute path (got \"//x\")");
	expect_err(HEAD XDP_PROG "            networkNamespaces: {pods: {matchExpressions: [{operator: In}]}}\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].networkNamespaces.pods.matchExpressions[0].key: required");

	/* probes and tracepoints */
	expect_err(HEAD "    - name: abc\n      type: KProbe\n      kprobe:\n        links:\n          - offset: 1\n",
		   "t.yaml:14: spec.programs[0].kprobe.links[0].function: required");
	expect_err(HEAD "    - name: abc\n      type: KProbe\n      kprobe:\n        links:\n          - function: do_sys_open\n            offset: -4\n",
		   "t.yaml:15: spec.programs[0].kprobe.links[0].offset: must be 0..9223372036854775807 (got -4)");
	expect_err(HEAD "    - name: abc\n      type: KRetProbe\n      kretprobe:\n        links:\n          - function: do_sys_open\n            offset: 4\n",
		   "t.yaml:15: spec.programs[0].kretprobe.links[0]: unknown field \"offset\"");
	expect_err(HEAD "    - name: abc\n      type: KProbe\n      kprobe:\n        links:\n          - function: 9fn\n",
		   "t.yaml:14: spec.programs[0].kprobe.links[0].function: must match ^[a-zA-Z][a-zA-Z0-9_]+. (a letter, a letter, digit or _, then at least one more character; got \"9fn\")");
	expect_err(HEAD "    - name: abc\n      type: UProbe\n      uprobe:\n        links:\n          - function: malloc\n",
		   "t.yaml:14: spec.programs[0].uprobe.links[0].target: required");
	expect_err(HEAD "    - name: abc\n      type: UProbe\n      uprobe:\n        links:\n          - target: libc\n            pid: -1\n",
		   "t.yaml:15: spec.programs[0].uprobe.links[0].pid: must be 0..2147483647 (got -1)");
	expect_err(HEAD "    - name: abc\n      type: URetProbe\n      uretprobe:\n        links:\n          - target: libc\n            containers: {}\n",
		   "t.yaml:15: spec.programs[0].uretprobe.links[0].containers.pods: required");
	expect_err(NS_HEAD "    - name: abc\n      type: UProbe\n      uprobe:\n        links:\n          - target: libc\n",
		   "t.yaml:15: spec.programs[0].uprobe.links[0].containers: required");
	expect_err(NS_HEAD "    - name: abc\n      type: UProbe\n      uprobe:\n        links:\n          - target: libc\n            containers: {namespace: x, pods: {}}\n",
		   "t.yaml:16: spec.programs[0].uprobe.links[0].containers: unknown field \"namespace\"");
	expect_err(HEAD "    - name: abc\n      type: TracePoint\n      tracepoint:\n        links:\n          - name: sys_enter_openat\n",
		   "t.yaml:14: spec.programs[0].tracepoint.links[0].name: must be CATEGORY/NAME (got \"sys_enter_openat\")");
	expect_err(HEAD "    - name: abc\n      type: TracePoint\n      tracepoint:\n        links:\n          - {}\n",
		   "t.yaml:14: spec.programs[0].tracepoint.links[0].name: required");
	expect_err(HEAD "    - name: abc\n      type: TracePoint\n      tracepoint:\n        links: {name: a/b}\n",
		   "t.yaml:13: spec.programs[0].tracepoint.links: must be a list (got a mapping)");

	/* fentry, fexit */
	expect_err(HEAD "    - name: abc\n      type: FEntry\n      fentry:\n        links: [{mode: Attach}]\n",
		   "t.yaml:13: spec.programs[0].fentry.function: required");
	expect_err(HEAD "    - name: abc\n      type: FExit\n      fexit:\n        function: do_unlinkat\n        links: [{mode: Attach}, {mode: Attach}]\n",
		   "t.yaml:14: spec.programs[0].fexit.links: at most 1 entry (got 2)");
	expect_err(HEAD "    - name: abc\n      type: FExit\n      fexit:\n        function: do_unlinkat\n        links: [{mode: Detach}]\n",
		   "t.yaml:14: spec.programs[0].fexit.links[0].mode: must be one of Attach (got \"Detach\")");
	expect_err(HEAD "    - name: abc\n      type: FExit\n      fexit:\n        function: do_unlinkat\n        links: [{}]\n",
		   "t.yaml:14: spec.programs[0].fexit.links[0].mode: required");

	/* YAML itself */
	expect_err("apiVersion: bpfman.io/v1alpha1\nkind: [\n",
		   "t.yaml:3: yaml: did not find expected node content while parsing a flow node");
	expect_err("a: *nothing\n", "t.yaml:1: unknown alias \"*nothing\"");
	expect_err("a: &x [1, *x]\n", "t.yaml:1: alias \"*x\" refers to a node that contains it");
	expect_err("a: \"\\0\"\n", "t.yaml:1: unknown field \"a\"");
}

/* go-yaml's YAML 1.1 reading, as kubectl sees a file */
static void test_scalar_types(void)
{
	struct app_decl *d;

	expect_err(HEAD "    - name: yes\n", "t.yaml:10: spec.programs[0].name: must be a string (got a boolean)");
	expect_err(HEAD "    - name: 1.5e3\n", "t.yaml:10: spec.programs[0].name: must be a string (got a number)");
	expect_err(HEAD "    - name: ~\n", "t.yaml:10: spec.programs[0].name: required");
	expect_err(HEAD XDP_PROG "            priority: 1.5\n",
		   "t.yaml:16: spec.programs[0].xdp.links[0].priority: must be an integer (got a number)");
	expect_err(HEAD XDP_PROG "            priority: 0o7\n", /* not an integer in YAML 1.1 */
		   "t.yaml:16: spec.programs[0].xdp.links[0].priority: must be an integer (got a string)");
	d = expect_ok(HEAD "    - name: \"yes\"\n      type: XDP\n      xdp:\n        links:\n"
			   "          - interfaceSelector: {interfaces: [\"1\"], }\n"
			   "            priority: 0x3e8\n"
			   "            proceedOn: []\n",
		      1);
	if (d) {
		CHECK_STREQ(d->programs[0].name, "yes");
		CHECK_STREQ(d->programs[0].links[0].ifaces.interfaces[0], "1");
		CHECK_EQ_INT(d->programs[0].links[0].priority, 1000);
		app_decls_free(d, 1);
	}
	d = expect_ok(HEAD XDP_PROG "            priority: 0_1_0\n", 1); /* octal 8, with _ */
	if (d) {
		CHECK_EQ_INT(d->programs[0].links[0].priority, 8);
		app_decls_free(d, 1);
	}
}

static void test_multi_document(void)
{
	char *err = NULL;
	struct app_decl *v = NULL;
	size_t n = 0;
	const char *two = "---\n"
			  "# nothing\n"
			  "---\n" HEAD XDP_PROG /* lines 4..18 */
			  "---\n"
			  "---\n"
			  "apiVersion: bpfman.io/v1alpha1\n" /* line 21 */
			  "kind: BpfApplication\n"
			  "metadata: {name: app, namespace: acme}\n"
			  "spec:\n"
			  "  nodeSelector: {}\n"
			  "  byteCode: {path: /a}\n"
			  "  programs:\n"
			  "    - {name: up_prog, type: UProbe, uprobe: {}}\n"
			  "...\n";

	v = expect_ok(two, 2);
	if (v) {
		CHECK_EQ_INT(v[0].line, 4);
		CHECK_EQ_INT(v[0].kind, APP_CLUSTER);
		CHECK_EQ_INT(v[1].line, 21);
		CHECK_STREQ(v[1].namespace, "acme");
		/* a namespaced and a cluster application may share a name */
		app_decls_free(v, 2);
	}
	v = NULL;
	expect_ok("", 0);
	expect_ok("---\n---\n# only comments\n", 0);

	/* a broken second document: nothing from the first either */
	CHECK_EQ_INT(parse(HEAD XDP_PROG "---\napiVersion: bpfman.io/v1\n", &v, &n, &err), -EINVAL);
	CHECK_EQ_INT(n, 0);
	CHECK_STREQ(err, "t.yaml:17: apiVersion: must be bpfman.io/v1alpha1 (got \"bpfman.io/v1\")");
	free(err);

	/* the same application twice */
	expect_err(HEAD XDP_PROG "---\n" HEAD XDP_PROG,
		   "t.yaml:17: ClusterBpfApplication app is also declared at t.yaml:1");
	expect_err(NS_HEAD XDP_PROG "            networkNamespaces: {pods: {}}\n---\n" NS_HEAD XDP_PROG
			   "            networkNamespaces: {pods: {}}\n",
		   "t.yaml:19: BpfApplication acme/app is also declared at t.yaml:1");

	/* appended to what is there; a duplicate of it is refused and appends nothing */
	v = NULL;
	n = 0;
	CHECK_EQ_INT(parse(HEAD XDP_PROG, &v, &n, &err), 0);
	CHECK_EQ_INT(parse(NS_HEAD "    - {name: up_prog, type: UProbe, uprobe: {}}\n", &v, &n, &err), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(app_decl_parse_text("u.yaml", HEAD XDP_PROG, strlen(HEAD XDP_PROG), &v, &n, &err),
		     -EINVAL);
	CHECK_STREQ(err, "u.yaml:1: ClusterBpfApplication app is also declared at t.yaml:1");
	free(err);
	CHECK_EQ_INT(n, 2);
	app_decls_free(v, n);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static char *app_yaml(const char *name)
{
	char *s;

	if (asprintf(&s,
		     "apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata: {name: %s}\n"
		     "spec:\n  nodeSelector: {}\n  byteCode: {path: /a}\n"
		     "  programs: [{name: kp_prog, type: KProbe, kprobe: {}}]\n",
		     name) < 0)
		abort();
	return s;
}

static void test_directory(void)
{
	char dir[600], path[1400], *a = app_yaml("a"), *b = app_yaml("b"), *c = app_yaml("c");
	struct app_decl *v = NULL;
	size_t n = 0;
	char *err = NULL;

	snprintf(dir, sizeof(dir), "%s/d", scratch);
	CHECK_EQ_INT(mkdir(dir, 0700), 0);
	write_file(dir, "20-b.yml", b);
	write_file(dir, "10-c.yaml", c);
	write_file(dir, "30-a.yaml", a);
	write_file(dir, "40-ignored.json", "{");
	write_file(dir, ".hidden.yaml", "{");
	write_file(dir, "README", "not yaml");
	snprintf(path, sizeof(path), "%s/sub.yaml", dir);
	CHECK_EQ_INT(mkdir(path, 0700), 0); /* a directory named *.yaml is no file */

	/* name order: 10-c, 20-b, 30-a ... but sub.yaml is a directory */
	CHECK_EQ_INT(app_decl_parse_path(dir, false, &v, &n, &err), -EINVAL);
	CHECK_EQ_INT(n, 0);
	snprintf(path, sizeof(path), "%s/sub.yaml: not a regular file", dir);
	CHECK_STREQ(err, path);
	free(err);
	snprintf(path, sizeof(path), "%s/sub.yaml", dir);
	rmdir(path);

	CHECK_EQ_INT(app_decl_parse_path(dir, false, &v, &n, &err), 0);
	CHECK(err == NULL);
	CHECK_EQ_INT(n, 3);
	if (n == 3) {
		CHECK_STREQ(v[0].name, "c");
		CHECK_STREQ(v[1].name, "b");
		CHECK_STREQ(v[2].name, "a");
		snprintf(path, sizeof(path), "%s/20-b.yml", dir);
		CHECK_STREQ(v[1].file, path);
	}
	app_decls_free(v, n);
	v = NULL;
	n = 0;

	/* a duplicate across files, and a broken file */
	write_file(dir, "50-dup.yaml", b);
	write_file(dir, "60-broken.yaml", "apiVersion: bpfman.io/v1alpha1\nkind: [\n");
	CHECK_EQ_INT(app_decl_parse_path(dir, false, &v, &n, &err), -EINVAL);
	CHECK_EQ_INT(n, 0);
	snprintf(path, sizeof(path), "%s/50-dup.yaml:1: ClusterBpfApplication b is also declared at %s/20-b.yml:1",
		 dir, dir);
	CHECK_STREQ(err, path);
	free(err);
	/* keep_going: the good files, and one message per broken file */
	CHECK_EQ_INT(app_decl_parse_path(dir, true, &v, &n, &err), -EINVAL);
	CHECK_EQ_INT(n, 3);
	CHECK(err && strstr(err, "50-dup.yaml:1: ClusterBpfApplication b is also declared at"));
	CHECK(err && strstr(err, "\n") && strstr(err, "60-broken.yaml:3: yaml: "));
	free(err);
	app_decls_free(v, n);
	v = NULL;
	n = 0;

	/* a single file, a missing path, an empty directory */
	snprintf(path, sizeof(path), "%s/30-a.yaml", dir);
	CHECK_EQ_INT(app_decl_parse_path(path, false, &v, &n, &err), 0);
	CHECK_EQ_INT(n, 1);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_EQ_INT(app_decl_parse_path(path, false, &v, &n, &err), -ENOENT);
	CHECK(err && strstr(err, "missing: No such file or directory"));
	free(err);
	CHECK_EQ_INT(n, 1);
	app_decls_free(v, n);
	v = NULL;
	n = 0;
	snprintf(path, sizeof(path), "%s/empty", scratch);
	CHECK_EQ_INT(mkdir(path, 0700), 0);
	CHECK_EQ_INT(app_decl_parse_path(path, false, &v, &n, &err), 0);
	CHECK_EQ_INT(n, 0);
	free(a);
	free(b);
	free(c);
}

/* the bounds: a "billion laughs" alias bomb, deep nesting, a huge file */
static void test_bounds(void)
{
	char *bomb = NULL, *deep, *huge, path[600];
	size_t len = 0;
	struct app_decl *v = NULL;
	size_t n = 0;
	char *err = NULL;
	FILE *f = open_memstream(&bomb, &len);
	int fd;

	/* 10 levels of 10 aliases each: 10^10 nodes once expanded, 1 KiB of text */
	fputs("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n", f);
	for (int i = 1; i < 10; i++)
		fprintf(f, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i,
			i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	fputs("apiVersion: bpfman.io/v1alpha1\n", f);
	fclose(f);
	expect_err(bomb, "t.yaml:6: too many nodes in one document after expanding \"*a4\" (limit 262144)");
	free(bomb);

	deep = malloc(200001);
	memset(deep, '[', 200000);
	deep[200000] = '\0';
	expect_err(deep, "t.yaml:1: nested too deeply (limit 64)");
	free(deep);

	/* 4 MiB and one byte, from memory and from a file */
	huge = malloc((4u << 20) + 2);
	memset(huge, '#', (4u << 20) + 1);
	huge[(4u << 20) + 1] = '\0';
	CHECK_EQ_INT(app_decl_parse_text("h.yaml", huge, strlen(huge), &v, &n, &err), -EINVAL);
	CHECK_STREQ(err, "h.yaml: larger than 4 MiB");
	free(err);
	snprintf(path, sizeof(path), "%s/huge.yaml", scratch);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write(fd, huge, strlen(huge)) == (ssize_t)strlen(huge));
	close(fd);
	CHECK_EQ_INT(app_decl_parse_file(path, &v, &n, &err), -EINVAL);
	CHECK(err && strstr(err, "huge.yaml: larger than 4 MiB"));
	free(err);
	/* exactly 4 MiB of comments is fine (and holds no application) */
	CHECK_EQ_INT(app_decl_parse_text("h.yaml", huge, 4u << 20, &v, &n, &err), 0);
	CHECK_EQ_INT(n, 0);
	free(huge);

	/* many nodes without any alias */
	huge = malloc(300000 * 2 + 16);
	strcpy(huge, "a: [");
	for (int i = 0; i < 300000; i++)
		memcpy(huge + 4 + i * 2, "1,", 2);
	strcpy(huge + 4 + 300000 * 2, "1]\n");
	expect_err(huge, "t.yaml:1: too many nodes in one document (limit 262144, aliases expanded)");
	free(huge);
	app_decls_free(v, n);
}

static void test_examples(void)
{
	struct app_decl *v = NULL;
	size_t n = 0;
	char *err = NULL;
	bool seen[APP_TRACEPOINT + 1] = { false }, namespaced = false, path = false;

	CHECK_EQ_INT(app_decl_parse_path(EXAMPLES_APPLY_DIR, false, &v, &n, &err), 0);
	if (err)
		fprintf(stderr, "%s\n", err);
	free(err);
	CHECK(n >= 10);
	for (size_t i = 0; i < n; i++) {
		namespaced |= v[i].kind == APP_NAMESPACED;
		path |= v[i].path != NULL;
		for (size_t j = 0; j < v[i].n_programs; j++)
			seen[v[i].programs[j].type] = true;
	}
	for (int t = 0; t <= APP_TRACEPOINT; t++)
		CHECK(seen[t]);
	CHECK(namespaced);
	CHECK(path);
	app_decls_free(v, n);
}

int main(void)
{
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	test_every_field();
	test_defaults_and_namespaced();
	test_errors();
	test_scalar_types();
	test_multi_document();
	test_directory();
	test_bounds();
	test_examples();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", scratch);
		if (system(cmd) != 0)
			test_failures++;
	}
	return TEST_RESULT();
}
