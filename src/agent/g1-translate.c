/* A first-generation *Program object (bpfman-k8s.md 2: lower-case fields) -> the JSON of a
 * one-program ClusterBpfApplication, which decl.c then makes concrete like any other. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "g1.h"

/* G1 enum spellings -> G2 ones */
static const char *proceed_g2(const char *v)
{
	static const char *const map[][2] = {
		{ "aborted", "Aborted" }, { "drop", "Drop" },	      { "pass", "Pass" },
		{ "tx", "TX" },		  { "redirect", "ReDirect" }, { "dispatcher_return", "DispatcherReturn" },
		{ "unspec", "UnSpec" },	  { "ok", "OK" },	      { "reclassify", "ReClassify" },
		{ "shot", "Shot" },	  { "pipe", "Pipe" },	      { "stolen", "Stolen" },
		{ "queued", "Queued" },	  { "repeat", "Repeat" },     { "trap", "Trap" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(v, map[i][0]))
			return map[i][1];
	return v; /* the schema allows no other: the parser names it */
}

static json_t *iface_link(json_t *spec, bool tc)
{
	json_t *sel = json_object_get(spec, "interfaceselector"), *l = json_object(), *po, *v;
	size_t i;

	if (json_object_get(sel, "interfaces"))
		json_object_set_new(l, "interfaceSelector",
				    json_pack("{s:O}", "interfaces", json_object_get(sel, "interfaces")));
	else
		json_object_set_new(l, "interfaceSelector",
				    json_pack("{s:b}", "primaryNodeInterface", 1));
	/* G1 allows priority 0 (the article's sample uses it); the manager's range is 1..1000
	 * and 0 and 1 both mean "first", so 0 runs as 1 */
	if (json_object_get(spec, "priority"))
		json_object_set_new(l, "priority",
				    json_integer(json_integer_value(json_object_get(spec, "priority")) < 1
							 ? 1
							 : json_integer_value(json_object_get(spec, "priority"))));
	if (tc)
		json_object_set_new(l, "direction",
				    json_string(!strcmp(jstr(spec, "direction") ?: "", "egress")
							? "Egress"
							: "Ingress"));
	if ((po = json_object_get(spec, "proceedon")) && json_array_size(po)) {
		json_t *out = json_array();

		json_array_foreach (po, i, v)
			json_array_append_new(out, json_string(proceed_g2(json_string_value(v) ?: "")));
		json_object_set_new(l, "proceedOn", out);
	}
	return l;
}

json_t *g1_to_app(const struct g1_kind *gk, json_t *obj)
{
	json_t *spec = json_object_get(obj, "spec"), *bc = json_object_get(spec, "bytecode");
	json_t *prog = json_object(), *links = json_array(), *member = json_object(), *app, *v;
	json_t *byte_code = json_object(), *sel;
	const char *t = gk->type, *type;
	bool ret = json_is_true(json_object_get(spec, "retprobe"));
	size_t i;

	json_object_set_new(prog, "name", json_string(jstr(spec, "bpffunctionname") ?: ""));
	if (!strcmp(t, "xdp") || !strcmp(t, "tc")) {
		type = !strcmp(t, "xdp") ? "XDP" : "TC";
		json_array_append_new(links, iface_link(spec, !strcmp(t, "tc")));
	} else if (!strcmp(t, "tracepoint")) {
		type = "TracePoint";
		json_array_foreach (json_object_get(spec, "names"), i, v)
			json_array_append_new(links, json_pack("{s:O}", "name", v));
	} else if (!strcmp(t, "kprobe")) {
		type = ret ? "KRetProbe" : "KProbe";
		v = json_pack("{s:s}", "function", jstr(spec, "func_name") ?: "");
		if (!ret && json_object_get(spec, "offset"))
			json_object_set(v, "offset", json_object_get(spec, "offset"));
		json_array_append_new(links, v);
	} else if (!strcmp(t, "uprobe")) {
		type = ret ? "URetProbe" : "UProbe";
		v = json_pack("{s:s}", "target", jstr(spec, "target") ?: "");
		if (jstr(spec, "func_name"))
			json_object_set(v, "function", json_object_get(spec, "func_name"));
		if (json_object_get(spec, "offset"))
			json_object_set(v, "offset", json_object_get(spec, "offset"));
		if (json_object_get(spec, "pid"))
			json_object_set(v, "pid", json_object_get(spec, "pid"));
		json_array_append_new(links, v);
	} else {
		type = !strcmp(t, "fentry") ? "FEntry" : "FExit";
		json_object_set_new(member, "function", json_string(jstr(spec, "func_name") ?: ""));
		json_array_append_new(links, json_pack("{s:s}", "mode", "Attach"));
	}
	json_object_set_new(prog, "type", json_string(type));
	json_object_set_new(member, "links", links);
	/* the member is named after the G2 type: a retprobe's is kretprobe / uretprobe */
	json_object_set_new(prog,
			    ret && !strcmp(t, "kprobe")	  ? "kretprobe"
			    : ret && !strcmp(t, "uprobe") ? "uretprobe"
							  : t,
			    member);
	if (json_object_get(bc, "path")) {
		json_object_set(byte_code, "path", json_object_get(bc, "path"));
	} else {
		json_t *img = json_object_get(bc, "image"), *o = json_object();

		if (json_object_get(img, "url"))
			json_object_set(o, "url", json_object_get(img, "url"));
		else
			json_object_set_new(o, "url", json_string(""));
		if (json_object_get(img, "imagepullpolicy"))
			json_object_set(o, "imagePullPolicy", json_object_get(img, "imagepullpolicy"));
		if (json_object_get(img, "imagepullsecret"))
			json_object_set(o, "imagePullSecret", json_object_get(img, "imagepullsecret"));
		json_object_set_new(byte_code, "image", o);
	}
	sel = json_object_get(spec, "nodeselector");
	app = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:o, s:o, s:[o]}}", "apiVersion",
			"bpfman.io/v1alpha1", "kind", "ClusterBpfApplication", "metadata", "name",
			kube_obj_name(obj) ?: "", "uid", kube_obj_uid(obj) ?: "", "spec",
			"nodeSelector", sel ? json_incref(sel) : json_object(), "byteCode", byte_code,
			"programs", prog);
	if (app && json_object_get(spec, "globaldata"))
		json_object_set(json_object_get(app, "spec"), "globalData",
				json_object_get(spec, "globaldata"));
	return app;
}

/* Object names are at most 253 characters (operator #28: long names were refused): a longer
 * one keeps its first 244 and ends in "-" and 8 hex digits of a hash of the whole name, so
 * two long names that share their start stay apart. */
#define K8S_NAME_MAX 253

char *g1_bpfprogram_name(const char *owner, const char *node, const char *attach)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	char *s;

	if (asprintf(&s, "%s-%s-%s", owner, node, attach) < 0)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == '/' || *p == '_')
			*p = '-';
	if (strlen(s) > K8S_NAME_MAX) {
		for (const char *p = s; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		snprintf(s + K8S_NAME_MAX - 9, 10, "-%08x", h);
	}
	return s;
}
