/* bpfman-agent pieces that need no cluster: the first-generation translation (src/agent/
 * g1-translate.c: lower-case G1 fields -> a ClusterBpfApplication the library's parser
 * accepts), BpfProgram names, and the primary interface from a Node's InternalIP. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "g1.h"
#include "test-util.h"

static json_t *translate(int kind, const char *spec)
{
	char *text = NULL;
	json_t *obj, *app;

	if (asprintf(&text, "{\"metadata\":{\"name\":\"p\",\"uid\":\"u\"},\"spec\":%s}", spec) < 0)
		return NULL;
	obj = json_loads(text, 0, NULL);
	free(text);
	CHECK(obj != NULL);
	app = obj ? g1_to_app(&G1_KINDS[kind], obj) : NULL;
	json_decref(obj);
	return app;
}

/* the translated object parses, and d gets its one program */
static int parse(json_t *app, struct app_decl *d)
{
	char *text = json_dumps(app, 0), *err = NULL;
	struct app_decl *v = NULL;
	size_t n = 0;
	int r = app_decl_parse_text("test", text, strlen(text), &v, &n, &err);

	if (r < 0)
		fprintf(stderr, "parse: %s\n", err ? err : "?");
	free(text);
	free(err);
	if (r == 0 && n == 1) {
		*d = v[0];
		free(v);
		return 0;
	}
	app_decls_free(v, n);
	return -1;
}

static void test_xdp(void)
{
	json_t *app = translate(0, "{\"bpffunctionname\":\"xdp_counter\",\"nodeselector\":{},"
				   "\"interfaceselector\":{\"interfaces\":[\"eth0\",\"eth1\"]},"
				   "\"priority\":0,\"proceedon\":[\"pass\",\"dispatcher_return\"],"
				   "\"bytecode\":{\"path\":\"/x.o\"}}");
	struct app_decl d = { 0 };
	json_t *l = jget(json_array_get(jget(app, "spec.programs"), 0), "xdp.links");

	l = json_array_get(l, 0);
	CHECK_STREQ(jstr(app, "kind"), "ClusterBpfApplication");
	CHECK_EQ_INT(json_integer_value(json_object_get(l, "priority")), 1); /* 0 runs as 1 */
	CHECK_STREQ(json_string_value(json_array_get(json_object_get(l, "proceedOn"), 0)), "Pass");
	CHECK_STREQ(json_string_value(json_array_get(json_object_get(l, "proceedOn"), 1)),
		    "DispatcherReturn");
	CHECK_EQ_INT(parse(app, &d), 0);
	CHECK_EQ_INT(d.n_programs, 1);
	if (d.n_programs) {
		CHECK_EQ_INT(d.programs[0].type, APP_XDP);
		CHECK_STREQ(d.programs[0].name, "xdp_counter");
		CHECK_EQ_INT(d.programs[0].n_links, 1);
		CHECK_STREQ(d.programs[0].links[0].ifaces.interfaces[1], "eth1");
		CHECK_EQ_INT(d.programs[0].links[0].n_proceed_on, 2);
	}
	CHECK_STREQ(d.path, "/x.o");
	app_decl_clear(&d);
	json_decref(app);
}

static void test_other_kinds(void)
{
	struct app_decl d = { 0 };
	json_t *app;

	app = translate(1, "{\"bpffunctionname\":\"tc_a\",\"nodeselector\":{},\"direction\":\"egress\","
			   "\"interfaceselector\":{\"primarynodeinterface\":true},\"priority\":5,"
			   "\"bytecode\":{\"image\":{\"url\":\"quay.io/x/y:v1\",\"imagepullpolicy\":\"Never\"}}}");
	CHECK_EQ_INT(parse(app, &d), 0);
	CHECK_EQ_INT(d.programs ? (int)d.programs[0].type : -1, APP_TC);
	CHECK_EQ_INT(d.programs ? (int)d.programs[0].links[0].direction : -1, BPFMAN_DIR_EGRESS);
	CHECK(d.programs && d.programs[0].links[0].ifaces.primary_node_interface);
	CHECK_STREQ(d.image_url, "quay.io/x/y:v1");
	CHECK_EQ_INT(d.pull_policy, 2);
	app_decl_clear(&d);
	json_decref(app);

	app = translate(2, "{\"bpffunctionname\":\"tracepoint_counter\",\"nodeselector\":{},\"names\":"
			   "[\"syscalls/sys_enter_getpid\",\"syscalls/sys_enter_getppid\"],"
			   "\"bytecode\":{\"path\":\"/x.o\"}}");
	CHECK_EQ_INT(parse(app, &d), 0);
	CHECK_EQ_INT(d.programs ? (int)d.programs[0].type : -1, APP_TRACEPOINT);
	CHECK_EQ_INT(d.programs ? d.programs[0].n_links : 0, 2);
	CHECK_STREQ(d.programs ? d.programs[0].links[1].tracepoint : NULL, "syscalls/sys_enter_getppid");
	app_decl_clear(&d);
	json_decref(app);

	app = translate(3, "{\"bpffunctionname\":\"kretprobe_counter\",\"nodeselector\":{},"
			   "\"func_name\":\"do_unlinkat\",\"retprobe\":true,\"bytecode\":{\"path\":\"/x.o\"}}");
	CHECK_EQ_INT(parse(app, &d), 0);
	CHECK_EQ_INT(d.programs ? (int)d.programs[0].type : -1, APP_KRETPROBE);
	CHECK_STREQ(d.programs ? d.programs[0].links[0].function : NULL, "do_unlinkat");
	app_decl_clear(&d);
	json_decref(app);

	app = translate(5, "{\"bpffunctionname\":\"fentry_counter\",\"nodeselector\":{},"
			   "\"func_name\":\"do_unlinkat\",\"bytecode\":{\"path\":\"/x.o\"}}");
	CHECK_EQ_INT(parse(app, &d), 0);
	CHECK_EQ_INT(d.programs ? (int)d.programs[0].type : -1, APP_FENTRY);
	CHECK_STREQ(d.programs ? d.programs[0].attach_fn : NULL, "do_unlinkat");
	CHECK_EQ_INT(d.programs ? d.programs[0].n_links : 0, 1);
	app_decl_clear(&d);
	json_decref(app);
}

static void test_names(void)
{
	char *n = g1_bpfprogram_name("tp-x", "node_1", "syscalls/sys_enter_getpid");

	CHECK_STREQ(n, "tp-x-node-1-syscalls-sys-enter-getpid");
	free(n);
	n = g1_bpfprogram_name("Xdp", "n", "eth0");
	CHECK_STREQ(n, "Xdp-n-eth0"); /* no lower-casing */
	free(n);

	/* over 253 characters: cut, with a hash of the whole name that keeps two apart */
	char owner[300], *m;

	memset(owner, 'a', 250);
	owner[250] = '\0';
	n = g1_bpfprogram_name(owner, "node1", "eth0");
	m = g1_bpfprogram_name(owner, "node1", "eth1");
	CHECK(n && strlen(n) == 253);
	CHECK(m && strlen(m) == 253);
	CHECK(n && m && strcmp(n, m) != 0);
	CHECK(n && n[244] == '-' && strncmp(n, owner, 244) == 0);
	free(n);
	free(m);
}

static void test_primary_iface(void)
{
	json_t *node = json_loads("{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":["
				  "{\"type\":\"Hostname\",\"address\":\"n\"},"
				  "{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"}]}}",
				  0, NULL);
	char *why = NULL, *name = node_primary_iface(node, &why);

	CHECK_STREQ(name, "lo");
	free(name);
	json_decref(node);
	/* an address no interface holds (TEST-NET-3): none, with the reason */
	node = json_loads("{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":["
			  "{\"type\":\"InternalIP\",\"address\":\"203.0.113.254\"}]}}",
			  0, NULL);
	name = node_primary_iface(node, &why);
	CHECK(name == NULL);
	CHECK(why && strstr(why, "InternalIP"));
	free(why);
	json_decref(node);
}

int main(void)
{
	test_xdp();
	test_other_kinds();
	test_names();
	test_primary_iface();
	return TEST_RESULT();
}
