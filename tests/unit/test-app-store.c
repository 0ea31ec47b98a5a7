/* The declared application's JSON form (kept in the state store): every field survives
 * a round trip, and app ids keep kinds and namespaces apart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app-internal.h"
#include "test-util.h"

static const char doc[] =
    "apiVersion: bpfman.io/v1alpha1\n"
    "kind: ClusterBpfApplication\n"
    "metadata: {name: every-field}\n"
    "spec:\n"
    "  nodeSelector: {}\n"
    "  byteCode: {path: /usr/lib/bpf/x.o}\n"
    "  globalData: {increment: BQAAAAAAAAA=, flag: AQ==}\n"
    "  programs:\n"
    "    - name: xdp_p\n"
    "      type: XDP\n"
    "      xdp:\n"
    "        links:\n"
    "          - interfaceSelector: {interfaces: [eth0, eth1]}\n"
    "            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: blue}}}\n"
    "            priority: 5\n"
    "            proceedOn: [Pass, DispatcherReturn]\n"
    "          - interfaceSelector:\n"
    "              interfacesDiscoveryConfig:\n"
    "                interfaceAutoDiscovery: true\n"
    "                excludeInterfaces: [lo, docker0]\n"
    "                allowedInterfaces: [/^en/, eth9]\n"
    "    - name: tc_p\n"
    "      type: TC\n"
    "      tc:\n"
    "        links:\n"
    "          - interfaceSelector: {primaryNodeInterface: true}\n"
    "            direction: Egress\n"
    "            priority: 7\n"
    "    - name: kp_p\n"
    "      type: KProbe\n"
    "      kprobe:\n"
    "        links: [{function: do_unlinkat, offset: 8}]\n"
    "    - name: up_p\n"
    "      type: UProbe\n"
    "      uprobe:\n"
    "        links: [{function: malloc, target: libc, pid: 42, offset: 16}]\n"
    "    - name: fe_p\n"
    "      type: FEntry\n"
    "      fentry:\n"
    "        function: do_unlinkat\n"
    "        links: [{mode: Attach}]\n"
    "    - name: tp_p\n"
    "      type: TracePoint\n"
    "      tracepoint:\n"
    "        links: [{name: syscalls/sys_enter_kill}]\n"
    "---\n"
    "apiVersion: bpfman.io/v1alpha1\n"
    "kind: BpfApplication\n"
    "metadata: {name: every-field, namespace: team}\n"
    "spec:\n"
    "  nodeSelector: {}\n"
    "  byteCode: {image: {url: quay.io/x/y:1, imagePullPolicy: Always}}\n"
    "  programs:\n"
    "    - name: xdp_p\n"
    "      type: TCX\n"
    "      tcx:\n"
    "        links:\n"
    "          - interfaceSelector: {interfaces: [eth0]}\n"
    "            networkNamespaces: {pods: {matchLabels: {app: web}}}\n"
    "            direction: Ingress\n"
    "            priority: 3\n";

int main(void)
{
	struct app_decl *v = NULL;
	size_t n = 0;
	char *err = NULL;

	CHECK_EQ_INT(app_decl_parse_text("t.yaml", doc, sizeof(doc) - 1, &v, &n, &err), 0);
	if (err)
		fprintf(stderr, "%s\n", err);
	CHECK_EQ_INT((int)n, 2);
	if (n != 2)
		return TEST_RESULT();
	for (size_t i = 0; i < n; i++) {
		struct app_decl back;
		char *a = app_decl_to_json(&v[i]), *b;

		CHECK(a != NULL);
		CHECK_EQ_INT(app_decl_from_json(a, &back), 0);
		b = app_decl_to_json(&back);
		CHECK(b != NULL);
		CHECK_STREQ(a, b);
		if (i == 0) {
			CHECK_EQ_INT((int)back.n_globals, 2);
			CHECK_EQ_INT((int)back.n_programs, 6);
			CHECK_EQ_INT((int)back.programs[0].links[0].n_proceed_on, 2);
			CHECK_STREQ(back.programs[0].links[0].netns, "/run/netns/blue");
			CHECK_STREQ(back.programs[0].links[1].ifaces.allowed[0], "/^en/");
			CHECK_EQ_INT(back.programs[3].links[0].pid, 42);
			CHECK_STREQ(back.programs[4].attach_fn, "do_unlinkat");
		} else {
			CHECK(back.programs[0].links[0].netns_pods);
			CHECK_STREQ(back.image_url, "quay.io/x/y:1");
		}
		app_decl_clear(&back);
		free(a);
		free(b);
	}
	{
		char *c = app_id(&v[0]), *d = app_id(&v[1]);

		CHECK_STREQ(c, "ClusterBpfApplication/every-field");
		CHECK_STREQ(d, "BpfApplication/team/every-field");
		free(c);
		free(d);
	}
	CHECK_EQ_INT(app_decl_from_json("{\"name\": 3}", &(struct app_decl){0}), -EINVAL);
	app_decls_free(v, n);
	free(err);
	return TEST_RESULT();
}
